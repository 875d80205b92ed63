// Package sender is the campaign service (see package campaign for the model, the
// send ledger and how a send stays at most once per recipient): creating and
// scheduling campaigns, planning and sending them, noting what happens to the
// messages, and the report.
package sender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/mail"
)

// Service runs campaigns.
type Service struct {
	Store        campaign.Store
	Segments     campaign.Segments
	Profiles     campaign.Profiles
	Consent      campaign.Consent
	Suppressions campaign.Suppressions
	Commerce     campaign.Commerce
	// Recommend, if set, names up to n products for a customer (recommendation.n).
	Recommend func(profileID string, n int) []string
	// Mail is the relay (nil: none configured, nothing can be sent).
	Mail *mail.Client
	// PublicURL prefixes the links in messages (https://cdp.example.com).
	PublicURL    string
	FrequencyCap campaign.FrequencyCap
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
func (s *Service) Get(ctx context.Context, id string) (campaign.Campaign, error) {
	return s.Store.GetCampaign(ctx, id)
}

// List returns every campaign, newest first.
func (s *Service) List(ctx context.Context) ([]campaign.Campaign, error) {
	return s.Store.ListCampaigns(ctx)
}

// Create saves a DRAFT campaign.
func (s *Service) Create(ctx context.Context, in campaign.Input, actor string) (campaign.Campaign, error) {
	var c campaign.Campaign
	if err := in.Apply(&c); err != nil {
		return campaign.Campaign{}, err
	}
	if _, err := s.Segments.SegmentName(ctx, c.SegmentID); err != nil {
		return campaign.Campaign{}, err
	}
	now := s.now()
	c.ID, c.State, c.CreatedAt, c.UpdatedAt, c.CreatedBy = s.NewID(), campaign.Draft, now, now, actor
	if err := s.Store.InsertCampaign(ctx, c); err != nil {
		return campaign.Campaign{}, err
	}
	return c, nil
}

// Update changes a DRAFT or SCHEDULED campaign's definition (a schedule stays).
func (s *Service) Update(ctx context.Context, id string, in campaign.Input) (campaign.Campaign, error) {
	var probe campaign.Campaign
	if err := in.Apply(&probe); err != nil {
		return campaign.Campaign{}, err
	}
	if _, err := s.Segments.SegmentName(ctx, in.SegmentID); err != nil {
		return campaign.Campaign{}, err
	}
	return s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		if !c.Editable() {
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns change", c.ID, c.State)
		}
		if err := in.Apply(c); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		return nil
	})
}

// Schedule sets when a DRAFT or SCHEDULED campaign is sent.
func (s *Service) Schedule(ctx context.Context, id, local, zone string) (campaign.Campaign, error) {
	at, err := campaign.ParseSchedule(local, zone)
	if err != nil {
		return campaign.Campaign{}, err
	}
	if s.Mail == nil {
		return campaign.Campaign{}, errNoRelay
	}
	if at.Before(s.now().Add(-time.Minute)) {
		return campaign.Campaign{}, apperr.Invalidf("%s in %s is in the past", local, zone)
	}
	return s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		if !c.Editable() {
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns are scheduled", c.ID, c.State)
		}
		c.State, c.ScheduledAt, c.LocalTime, c.TimeZone, c.UpdatedAt = campaign.Scheduled, at, local, zone, s.now()
		return nil
	})
}

var errNoRelay = apperr.Conflictf("no SMTP relay is configured (TESSERA_SMTP_HOST and TESSERA_SMTP_FROM, see the README)")

// SendNow starts sending a DRAFT or SCHEDULED campaign; the send runs in the
// background (see Wait).
func (s *Service) SendNow(ctx context.Context, id string) (campaign.Campaign, error) {
	if s.Mail == nil {
		return campaign.Campaign{}, errNoRelay
	}
	c, err := s.start(ctx, id, false)
	if err != nil {
		return campaign.Campaign{}, err
	}
	s.launch(c.ID)
	return c, nil
}

// start moves a campaign to SENDING (due: only a SCHEDULED one whose time has come).
func (s *Service) start(ctx context.Context, id string, due bool) (campaign.Campaign, error) {
	return s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		now := s.now()
		switch {
		case due && (c.State != campaign.Scheduled || c.ScheduledAt.After(now)):
			return errNotDue
		case !c.Editable():
			return apperr.Conflictf("campaign %s is %s: only DRAFT and SCHEDULED campaigns are sent", c.ID, c.State)
		}
		c.State, c.StartedAt, c.UpdatedAt = campaign.Sending, now, now
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
func (s *Service) Cancel(ctx context.Context, id string) (campaign.Campaign, error) {
	c, err := s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		if c.State == campaign.Sent || c.State == campaign.Cancelled {
			return apperr.Conflictf("campaign %s is %s already", c.ID, c.State)
		}
		now := s.now()
		c.State, c.FinishedAt, c.UpdatedAt = campaign.Cancelled, now, now
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, err
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
		case c.State == campaign.Scheduled && !c.ScheduledAt.After(now):
			if _, err := s.start(ctx, c.ID, true); errors.Is(err, errNotDue) || isConflict(err) {
				continue
			} else if err != nil {
				return err
			}
			s.launch(c.ID)
		case c.State == campaign.Sending && !s.running(c.ID) && !c.LeaseUntil.After(now):
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
func (s *Service) recent(ctx context.Context, c campaign.Campaign) ([]string, error) {
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
		if o.ID != c.ID && !o.StartedAt.IsZero() && o.StartedAt.After(since) && slices.Contains([]campaign.State{campaign.Sending, campaign.Sent, campaign.Cancelled}, o.State) {
			out = append(out, o.ID)
		}
	}
	return out, nil
}
