package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // schedules name IANA zones; a minimal host may lack the database

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Store keeps campaigns, their plans and send ledgers. Every read and write of a plan
// chunk or a ledger entry is by bare _id.
type Store interface {
	InsertCampaign(ctx context.Context, c Campaign) error
	// GetCampaign reads a campaign (NOT_FOUND when there is none).
	GetCampaign(ctx context.Context, id string) (Campaign, error)
	// ListCampaigns lists every campaign, newest first.
	ListCampaigns(ctx context.Context) ([]Campaign, error)
	// UpdateCampaign applies change to a campaign and writes it, atomically with
	// respect to other updates of it (change may run more than once; its error aborts).
	UpdateCampaign(ctx context.Context, id string, change func(c *Campaign) error) (Campaign, error)
	// PutChunks writes plan chunks (replacing those with the same campaign and number).
	PutChunks(ctx context.Context, cs []Chunk) error
	// GetChunks reads a campaign's chunks by number; missing ones are left out.
	GetChunks(ctx context.Context, campaignID string, ns []int) ([]Chunk, error)
	// InsertEntry creates a ledger entry unless one with its id exists (false).
	InsertEntry(ctx context.Context, e Entry) (bool, error)
	// SetOutcome writes a send's outcome onto the entry with e's id: its state, reason,
	// attempts, code, time, message id and bounce time, leaving what events noted.
	SetOutcome(ctx context.Context, e Entry) error
	DeleteEntry(ctx context.Context, id string) error
	// GetEntries reads entries by id; missing ones are left out.
	GetEntries(ctx context.Context, ids []string) ([]Entry, error)
	// UpdateEntry applies change to an existing entry, atomically with respect to other
	// UpdateEntry calls, and writes it if change reports a change (NOT_FOUND when
	// there is no entry).
	UpdateEntry(ctx context.Context, id string, change func(e *Entry) bool) (Entry, bool, error)
	// TrackingKey is the installation's secret for link tokens (created once).
	TrackingKey(ctx context.Context) ([]byte, error)
}

// Segments reads the audiences.
type Segments interface {
	// SegmentName returns a saved segment's name (NOT_FOUND when there is none).
	SegmentName(ctx context.Context, id string) (string, error)
	// MemberIDs pages a segment's current members' profile ids, in id order after after.
	MemberIDs(ctx context.Context, segmentID, after string, limit int) ([]string, error)
	// IsMember reports whether a profile is a current member.
	IsMember(ctx context.Context, segmentID, profileID string) (bool, error)
}

// Profiles reads customers.
type Profiles interface {
	// Get returns the live profile of an id, following merges (NOT_FOUND when erased
	// or unknown).
	Get(ctx context.Context, id string) (profile.Profile, error)
	// Final maps each id to its live profile ("" when erased), following merges.
	Final(ctx context.Context, ids []string) (map[string]string, error)
}

// Refusal is what a customer's answer to a message says about future ones.
type Refusal string

const (
	Unsubscribed Refusal = "withdrawn"
	Bounce       Refusal = "bounced"
	Complaint    Refusal = "complained"
)

// Consent is the customers' consent to marketing e-mail (internal/consent).
type Consent interface {
	// Allowed reports whether marketing e-mail may go to the profile.
	Allowed(ctx context.Context, profileID string) (bool, error)
	// Refuse records an unsubscribe, a bounce or a complaint of the profile.
	Refuse(ctx context.Context, profileID string, r Refusal, source, actor string) error
}

// Suppressions is the list of identifiers of erased people.
type Suppressions interface {
	// Suppressed returns the identity keys ("email:ann@example.com") that are listed.
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}

// Commerce is where messages and their answers go on the timeline, and where
// personalisation and the report read value metrics and orders.
type Commerce interface {
	AddInteractions(ctx context.Context, is []commerce.Interaction) (int, error)
	// GetMetrics reads metrics documents (no ledger); missing ids are left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]ledger.Metrics, error)
	// GetBuckets reads ledger buckets; missing ones are left out.
	GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error)
}

// FrequencyCap bounds the campaign messages one customer gets: at most Max within
// Within (Max 0: no cap).
type FrequencyCap struct {
	Max    int
	Within time.Duration
}

// Service runs campaigns.
type Service struct {
	Store        Store
	Segments     Segments
	Profiles     Profiles
	Consent      Consent
	Suppressions Suppressions
	Commerce     Commerce
	// Recommend, if set, names up to n products for a customer (recommendation.n).
	Recommend func(profileID string, n int) []string
	// Mail is the relay (nil: none configured, nothing can be sent).
	Mail *mail.Client
	// PublicURL prefixes the links in messages (https://cdp.example.com).
	PublicURL    string
	FrequencyCap FrequencyCap
	// ChunkSize is the recipients per plan chunk (default 1000).
	ChunkSize int
	// Lease is how long a sender holds a SENDING campaign without renewing (default 2
	// minutes); another instance resumes it after that.
	Lease time.Duration
	// RetryAfter is the pause before a send stopped by an unreachable relay or database
	// is resumed (default a minute).
	RetryAfter time.Duration
	Log        *slog.Logger
	Now        func() time.Time
	NewID      func() string

	once     sync.Once
	instance string
	mu       sync.Mutex
	base     context.Context
	runs     map[string]*run
}

type run struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *Service) init() {
	s.once.Do(func() {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		s.instance = hex.EncodeToString(b)
		s.runs = map[string]*run{}
		if s.base == nil {
			s.base = context.Background()
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) chunkSize() int {
	if s.ChunkSize > 0 {
		return s.ChunkSize
	}
	return 1000
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 2 * time.Minute
}

func (s *Service) retryAfter() time.Duration {
	if s.RetryAfter > 0 {
		return s.RetryAfter
	}
	return time.Minute
}

// Start sets the lifetime of the sends this service starts (they stop with ctx).
func (s *Service) Start(ctx context.Context) {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
	s.init()
}

// Get returns a campaign.
func (s *Service) Get(ctx context.Context, id string) (Campaign, error) {
	return s.Store.GetCampaign(ctx, id)
}

// List returns every campaign, newest first.
func (s *Service) List(ctx context.Context) ([]Campaign, error) { return s.Store.ListCampaigns(ctx) }

// Create saves a DRAFT campaign.
func (s *Service) Create(ctx context.Context, in Input, actor string) (Campaign, error) {
	var c Campaign
	if err := in.apply(&c); err != nil {
		return Campaign{}, err
	}
	if _, err := s.Segments.SegmentName(ctx, c.SegmentID); err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c.ID, c.State, c.CreatedAt, c.UpdatedAt, c.CreatedBy = s.NewID(), Draft, now, now, actor
	if err := s.Store.InsertCampaign(ctx, c); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// Update changes a DRAFT or SCHEDULED campaign's definition (a schedule stays).
func (s *Service) Update(ctx context.Context, id string, in Input) (Campaign, error) {
	var probe Campaign
	if err := in.apply(&probe); err != nil {
		return Campaign{}, err
	}
	if _, err := s.Segments.SegmentName(ctx, in.SegmentID); err != nil {
		return Campaign{}, err
	}
	return s.Store.UpdateCampaign(ctx, id, func(c *Campaign) error {
		if !c.Editable() {
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns change", c.ID, c.State)
		}
		if err := in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		return nil
	})
}

// ParseSchedule reads a wall-clock time ("2026-03-01T09:00" or with seconds) in an
// IANA time zone. A time that does not exist there (skipped by a daylight saving
// change) is BAD_USER_INPUT; one that exists twice is the first.
func ParseSchedule(local, zone string) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || strings.EqualFold(zone, "local") {
		return time.Time{}, apperr.Invalidf("unknown time zone %q (an IANA name such as Europe/Berlin)", zone)
	}
	var w time.Time
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if w, err = time.Parse(layout, strings.TrimSpace(local)); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, apperr.Invalidf("at %q: want a local time such as 2026-03-01T09:00 (no offset: the time zone says it)", local)
	}
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	if t.Format(time.DateTime) != w.Format(time.DateTime) {
		return time.Time{}, apperr.Invalidf("%s does not exist in %s (the clocks skip it)", local, zone)
	}
	// A repeated hour (clocks going back) has two readings: take the first.
	if earlier := t.Add(-time.Hour); earlier.Format(time.DateTime) == t.Format(time.DateTime) {
		t = earlier
	}
	return t.UTC(), nil
}

// Schedule sets when a DRAFT or SCHEDULED campaign is sent.
func (s *Service) Schedule(ctx context.Context, id, local, zone string) (Campaign, error) {
	at, err := ParseSchedule(local, zone)
	if err != nil {
		return Campaign{}, err
	}
	if s.Mail == nil {
		return Campaign{}, errNoRelay
	}
	if at.Before(s.now().Add(-time.Minute)) {
		return Campaign{}, apperr.Invalidf("%s in %s is in the past", local, zone)
	}
	return s.Store.UpdateCampaign(ctx, id, func(c *Campaign) error {
		if !c.Editable() {
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns are scheduled", c.ID, c.State)
		}
		c.State, c.ScheduledAt, c.LocalTime, c.TimeZone, c.UpdatedAt = Scheduled, at, local, zone, s.now()
		return nil
	})
}

var errNoRelay = apperr.Conflictf("no SMTP relay is configured (TESSERA_SMTP_HOST and TESSERA_SMTP_FROM, see the README)")

// SendNow starts sending a DRAFT or SCHEDULED campaign; the send runs in the
// background (see Wait).
func (s *Service) SendNow(ctx context.Context, id string) (Campaign, error) {
	if s.Mail == nil {
		return Campaign{}, errNoRelay
	}
	c, err := s.start(ctx, id, false)
	if err != nil {
		return Campaign{}, err
	}
	s.launch(c.ID)
	return c, nil
}

// start moves a campaign to SENDING (due: only a SCHEDULED one whose time has come).
func (s *Service) start(ctx context.Context, id string, due bool) (Campaign, error) {
	return s.Store.UpdateCampaign(ctx, id, func(c *Campaign) error {
		now := s.now()
		switch {
		case due && (c.State != Scheduled || c.ScheduledAt.After(now)):
			return errNotDue
		case !c.Editable():
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns are sent", c.ID, c.State)
		}
		c.State, c.StartedAt, c.UpdatedAt = Sending, now, now
		return nil
	})
}

var errNotDue = errors.New("campaign not due")

func isConflict(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.Conflict
}

// Cancel stops a campaign that is not finished: a draft or schedule is dropped, a
// running send stops before its next message (those sent stay sent).
func (s *Service) Cancel(ctx context.Context, id string) (Campaign, error) {
	c, err := s.Store.UpdateCampaign(ctx, id, func(c *Campaign) error {
		if c.State == Sent || c.State == Cancelled {
			return apperr.Conflictf("campaign %s is %s already", c.ID, c.State)
		}
		now := s.now()
		c.State, c.FinishedAt, c.UpdatedAt = Cancelled, now, now
		return nil
	})
	if err != nil {
		return Campaign{}, err
	}
	s.init()
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
	return c, nil
}

// RunDue starts the SCHEDULED campaigns whose time has come and resumes SENDING ones
// whose sender's lease lapsed (it crashed, or stopped on a failure RetryAfter ago). The
// app calls it every few seconds.
func (s *Service) RunDue(ctx context.Context) error {
	if s.Mail == nil {
		return nil
	}
	s.init()
	cs, err := s.Store.ListCampaigns(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, c := range cs {
		switch {
		case c.State == Scheduled && !c.ScheduledAt.After(now):
			if _, err := s.start(ctx, c.ID, true); errors.Is(err, errNotDue) || isConflict(err) {
				continue
			} else if err != nil {
				return err
			}
			s.launch(c.ID)
		case c.State == Sending && !s.running(c.ID) && !c.LeaseUntil.After(now):
			s.launch(c.ID)
		}
	}
	return nil
}

func (s *Service) running(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id] != nil
}

// launch runs a campaign's send in the background unless this process runs it already.
func (s *Service) launch(id string) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs[id] != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.base)
	r := &run{cancel: cancel, done: make(chan struct{})}
	s.runs[id] = r
	go func() {
		defer func() {
			cancel()
			s.mu.Lock()
			delete(s.runs, id)
			s.mu.Unlock()
			close(r.done)
		}()
		if err := s.send(ctx, id); err != nil && ctx.Err() == nil && !errors.Is(err, errLeased) {
			s.Log.Error("campaign send stopped", "campaign", id, "err", err)
		}
	}()
}

// Wait waits until this process's send of a campaign (if any) has stopped.
func (s *Service) Wait(ctx context.Context, id string) error {
	s.init()
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop cancels every send of this process and waits for them (the campaigns stay
// SENDING and are resumed later).
func (s *Service) Stop() {
	s.init()
	s.mu.Lock()
	runs := make([]*run, 0, len(s.runs))
	for _, r := range s.runs {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.cancel()
		<-r.done
	}
}

// recent lists the campaigns other than c whose messages count towards the frequency
// cap now: started within its window and not drafts.
func (s *Service) recent(ctx context.Context, c Campaign) ([]string, error) {
	if s.FrequencyCap.Max <= 0 {
		return nil, nil
	}
	cs, err := s.Store.ListCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	since := s.now().Add(-s.FrequencyCap.Within)
	var out []string
	for _, o := range cs {
		if o.ID != c.ID && !o.StartedAt.IsZero() && o.StartedAt.After(since) && slices.Contains([]State{Sending, Sent, Cancelled}, o.State) {
			out = append(out, o.ID)
		}
	}
	return out, nil
}

// ParseFrequencyCap reads "3/168h" (at most 3 campaign messages within 168 hours);
// "" is no cap.
func ParseFrequencyCap(s string) (FrequencyCap, error) {
	if strings.TrimSpace(s) == "" {
		return FrequencyCap{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	most, err := strconv.Atoi(strings.TrimSpace(n))
	within, derr := time.ParseDuration(strings.TrimSpace(d))
	if !ok || err != nil || derr != nil || most < 1 || within <= 0 {
		return FrequencyCap{}, fmt.Errorf("frequency cap %q: want messages/duration, e.g. 3/168h", s)
	}
	return FrequencyCap{Max: most, Within: within}, nil
}
