// Package webhooks delivers profile and ticket events to the URLs other systems
// subscribe, signed like the segment webhooks (membership.Sign). Every delivery is
// written to a durable outbox before it is sent (its id is the event id and the
// subscription id, inserted if absent, so an event reported twice is queued once),
// retried with exponential back-off, and resumed after a restart: at least once, with
// the event id for the receiver to drop repeats.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/netguard"
)

// Event types.
const (
	ProfileCreated = "PROFILE_CREATED"
	ProfileMerged  = "PROFILE_MERGED"
	ProfileSplit   = "PROFILE_SPLIT"
	ProfileErased  = "PROFILE_ERASED"
	TicketChanged  = "TICKET_CHANGED"
)

// Types lists the event types.
var Types = []string{ProfileCreated, ProfileMerged, ProfileSplit, ProfileErased, TicketChanged}

// Delivery states.
const (
	Pending   = "PENDING"
	Delivered = "DELIVERED"
	Failed    = "FAILED"
)

// Subscription is a URL subscribed to some event types.
type Subscription struct {
	ID             string
	URL            string
	Secret         string
	Events         []string
	CreatedAt      time.Time
	LastDeliveryAt time.Time
	LastStatus     string
	Failures       int
}

// Event is something that happened; its ID is derived from what happened, so the same
// event reported twice (a merge replayed after a crash) has the same id.
type Event struct {
	ID   string
	Type string
	At   time.Time
	Data map[string]any
}

// Delivery is one event for one subscription in the outbox.
type Delivery struct {
	ID             string // event id + "/" + subscription id
	SubscriptionID string
	EventID        string
	Body           []byte
	Attempts       int
	NextAt         time.Time
	Status         string
	LastError      string
	CreatedAt      time.Time
}

// Store keeps subscriptions and the outbox.
type Store interface {
	InsertSubscription(ctx context.Context, s Subscription) error
	DeleteSubscription(ctx context.Context, id string) (Subscription, error)
	// Subscriptions lists every subscription (a handful: read whole).
	Subscriptions(ctx context.Context) ([]Subscription, error)
	// SubscriptionResult records the outcome of a call on a subscription.
	SubscriptionResult(ctx context.Context, id, status string, at time.Time, failed bool) error
	// Enqueue inserts deliveries whose ids are not in the outbox yet.
	Enqueue(ctx context.Context, ds []Delivery) error
	// UpdateDelivery records an attempt; a delivered one leaves the outbox.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// PendingDeliveries lists deliveries still to send, those due before dueBefore only
	// when it is set.
	PendingDeliveries(ctx context.Context, dueBefore time.Time) ([]Delivery, error)
}

// Payload is the JSON body of a delivery.
type Payload struct {
	ID         string         `json:"id"`
	DeliveryID string         `json:"deliveryId"`
	Type       string         `json:"type"`
	At         time.Time      `json:"at"`
	Data       map[string]any `json:"data"`
}

// Service holds the subscriptions and delivers events.
type Service struct {
	Store Store
	// Policy says which addresses deliveries may reach (nil: public ones only).
	Policy      *netguard.Policy
	Log         *slog.Logger
	Now         func() time.Time
	NewID       func() string
	MaxAttempts int           // default 8
	Backoff     time.Duration // first retry delay, doubled each attempt (default 2 s, capped at 1 h)

	// The subscription list, read whole at first use and again after each local change
	// (Load; where other instances may change it, the app calls Load periodically), so
	// the feeds never read it on a request's path.
	subsMu     sync.Mutex
	subs       []Subscription
	subsLoaded bool

	qMu   sync.Mutex
	queue map[string]Delivery // pending deliveries this process sends
	wake  chan struct{}

	clientOnce sync.Once
	client     *http.Client
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create subscribes a URL to event types and returns the subscription with its secret.
func (s *Service) Create(ctx context.Context, rawURL string, events []string) (Subscription, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return Subscription{}, apperr.Invalidf("webhook url must be an absolute http(s) URL")
	}
	if err := s.Policy.CheckURL(ctx, u); err != nil {
		return Subscription{}, apperr.Invalidf("webhook url: %v", err)
	}
	var evs []string
	for _, e := range events {
		if !slices.Contains(Types, e) {
			return Subscription{}, apperr.Invalidf("unknown event %q", e)
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return Subscription{}, apperr.Invalidf("give at least one event")
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Subscription{}, err
	}
	sub := Subscription{ID: "whk_" + s.NewID(), URL: u.String(), Secret: "whsec_" + hex.EncodeToString(b), Events: evs, CreatedAt: s.now()}
	if err := s.Store.InsertSubscription(ctx, sub); err != nil {
		return Subscription{}, err
	}
	return sub, s.Load(ctx)
}

// List returns the subscriptions, without their secrets.
func (s *Service) List(ctx context.Context) ([]Subscription, error) {
	subs, err := s.Store.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	for i := range subs {
		subs[i].Secret = ""
	}
	return subs, nil
}

// Delete removes a subscription; its queued deliveries are dropped when due.
func (s *Service) Delete(ctx context.Context, id string) (Subscription, error) {
	sub, err := s.Store.DeleteSubscription(ctx, id)
	if err != nil {
		return Subscription{}, err
	}
	sub.Secret = ""
	return sub, s.Load(ctx)
}

// Load reads the subscription list again.
func (s *Service) Load(ctx context.Context) error {
	subs, err := s.Store.Subscriptions(ctx)
	if err != nil {
		return err
	}
	s.subsMu.Lock()
	s.subs, s.subsLoaded = subs, true
	s.subsMu.Unlock()
	return nil
}

// subscriptions is the list as last loaded (loaded now if it never was).
func (s *Service) subscriptions(ctx context.Context) ([]Subscription, error) {
	s.subsMu.Lock()
	subs, ok := s.subs, s.subsLoaded
	s.subsMu.Unlock()
	if ok {
		return subs, nil
	}
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	return s.subscriptions(ctx)
}

// Wants reports whether any subscription listens to the event type, so that feeds do
// no work (no reads, no writes) while nobody listens.
func (s *Service) Wants(ctx context.Context, typ string) bool {
	subs, err := s.subscriptions(ctx)
	if err != nil {
		return true // let Publish report the error
	}
	for _, sub := range subs {
		if slices.Contains(sub.Events, typ) {
			return true
		}
	}
	return false
}

// Publish writes the events' deliveries to the outbox, one per subscription listening
// to each event's type, and wakes the sender. It returns once they are stored.
func (s *Service) Publish(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	subs, err := s.subscriptions(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	var ds []Delivery
	for _, ev := range events {
		for _, sub := range subs {
			if !slices.Contains(sub.Events, ev.Type) {
				continue
			}
			id := ev.ID + "/" + sub.ID
			body, err := json.Marshal(Payload{ID: ev.ID, DeliveryID: id, Type: ev.Type, At: ev.At.UTC(), Data: ev.Data})
			if err != nil {
				return err
			}
			ds = append(ds, Delivery{ID: id, SubscriptionID: sub.ID, EventID: ev.ID, Body: body, Status: Pending, NextAt: now, CreatedAt: now})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	if err := s.Store.Enqueue(ctx, ds); err != nil {
		return err
	}
	s.schedule(ds...)
	return nil
}

// schedule puts deliveries in this process's queue (a delivery queued already keeps
// its state) and wakes the sender.
func (s *Service) schedule(ds ...Delivery) {
	s.qMu.Lock()
	if s.queue == nil {
		s.queue = map[string]Delivery{}
	}
	for _, d := range ds {
		if _, ok := s.queue[d.ID]; !ok {
			s.queue[d.ID] = d
		}
	}
	wake := s.wakeLocked()
	s.qMu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
}

func (s *Service) wakeLocked() chan struct{} {
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	return s.wake
}

// Resume queues the outbox's pending deliveries (at start: those a stopped process left;
// with dueBefore set, those whose sender has stopped retrying them, on a database that
// several instances share).
func (s *Service) Resume(ctx context.Context, dueBefore time.Time) (int, error) {
	ds, err := s.Store.PendingDeliveries(ctx, dueBefore)
	if err != nil {
		return 0, err
	}
	s.schedule(ds...)
	return len(ds), nil
}

// Pending is the number of deliveries this process has still to send.
func (s *Service) Pending() int {
	s.qMu.Lock()
	defer s.qMu.Unlock()
	return len(s.queue)
}

// Run sends due deliveries until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.qMu.Lock()
	wake := s.wakeLocked()
	s.qMu.Unlock()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("event webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// RunOnce sends every due delivery once and returns how many it attempted.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	now := s.now()
	s.qMu.Lock()
	var due []Delivery
	for _, d := range s.queue {
		if !d.NextAt.After(now) {
			due = append(due, d)
		}
	}
	s.qMu.Unlock()
	slices.SortFunc(due, func(a, b Delivery) int { return strings.Compare(a.ID, b.ID) })
	subs, err := s.subscriptions(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		if err := s.send(ctx, subs, d); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

func (s *Service) send(ctx context.Context, subs []Subscription, d Delivery) error {
	i := slices.IndexFunc(subs, func(x Subscription) bool { return x.ID == d.SubscriptionID })
	if i < 0 {
		// The list may be stale: read it again before giving the delivery up.
		if err := s.Load(ctx); err != nil {
			return err
		}
		if fresh, err := s.subscriptions(ctx); err == nil {
			subs = fresh
			i = slices.IndexFunc(subs, func(x Subscription) bool { return x.ID == d.SubscriptionID })
		}
	}
	if i < 0 {
		d.Status, d.LastError = Failed, "subscription removed"
		return s.finish(ctx, d)
	}
	sub := subs[i]
	status, callErr := s.call(ctx, sub, d)
	now := s.now()
	d.Attempts++
	if callErr == nil {
		d.Status, d.LastError = Delivered, ""
		if err := s.finish(ctx, d); err != nil {
			return err
		}
		return s.Store.SubscriptionResult(ctx, sub.ID, status, now, false)
	}
	d.LastError = callErr.Error()
	maxA, back := s.MaxAttempts, s.Backoff
	if maxA == 0 {
		maxA = 8
	}
	if back == 0 {
		back = 2 * time.Second
	}
	if d.Attempts >= maxA {
		d.Status = Failed
		if err := s.finish(ctx, d); err != nil {
			return err
		}
	} else {
		delay := back << (d.Attempts - 1)
		if delay > time.Hour || delay <= 0 {
			delay = time.Hour
		}
		d.NextAt = now.Add(delay)
		if err := s.Store.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		s.qMu.Lock()
		if _, ok := s.queue[d.ID]; ok {
			s.queue[d.ID] = d
		}
		s.qMu.Unlock()
	}
	if s.Log != nil {
		s.Log.Warn("event webhook failed", "delivery", d.ID, "attempt", d.Attempts, "err", callErr)
	}
	return s.Store.SubscriptionResult(ctx, sub.ID, status, now, true)
}

// finish records a delivery's last state and takes it off the queue.
func (s *Service) finish(ctx context.Context, d Delivery) error {
	if err := s.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	s.qMu.Lock()
	delete(s.queue, d.ID)
	s.qMu.Unlock()
	return nil
}

// call POSTs one delivery; any non-2xx answer is a failure to retry.
func (s *Service) call(ctx context.Context, sub Subscription, d Delivery) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s.clientOnce.Do(func() { s.client = s.Policy.Client(10 * time.Second) })
	return membership.SignedPost(ctx, s.client, s.Policy, sub.URL, sub.Secret, s.now(), d.Body,
		map[string]string{"User-Agent": "Tessera-Webhooks/1", "X-Tessera-Delivery": d.ID, "X-Tessera-Event": d.EventID})
}
