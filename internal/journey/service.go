package journey

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// Store keeps journeys, their versions and the customers' positions, all by bare _id
// but for Positions, which reads every position once at start.
type Store interface {
	InsertJourney(ctx context.Context, j Journey) error
	// GetJourney reads a journey (NOT_FOUND when there is none).
	GetJourney(ctx context.Context, id string) (Journey, error)
	// ListJourneys lists every journey, newest first.
	ListJourneys(ctx context.Context) ([]Journey, error)
	// UpdateJourney applies change and writes the journey, atomically with respect to
	// other updates of it (change may run more than once; its error aborts).
	UpdateJourney(ctx context.Context, id string, change func(j *Journey) error) (Journey, error)
	// PutVersion writes a version (replacing the one with its journey and number).
	PutVersion(ctx context.Context, v Version) error
	// GetVersions reads versions of a journey; missing ones are left out.
	GetVersions(ctx context.Context, journeyID string, ns []int) ([]Version, error)
	// InsertPosition creates a position unless one with its id exists (false).
	InsertPosition(ctx context.Context, p Position) (bool, error)
	// UpdatePosition applies change to a stored position and writes it, atomically
	// with respect to other updates of it (change may run more than once; its error
	// aborts and is returned).
	UpdatePosition(ctx context.Context, id string, change func(p *Position) error) (Position, error)
	// Positions hands every stored position to fn (once, at start).
	Positions(ctx context.Context, fn func(Position) error) error
}

// Profiles reads customers.
type Profiles interface {
	// Get returns the live profile of an id, following merges (NOT_FOUND when erased).
	Get(ctx context.Context, id string) (profile.Profile, error)
}

// Rules evaluates a segment rule for one customer.
type Rules interface {
	Matches(ctx context.Context, r segment.Rule, profileID string, now time.Time) (bool, error)
}

// Consent says whether marketing e-mail may go to a customer.
type Consent interface {
	Allowed(ctx context.Context, profileID string) (bool, error)
}

// Suppressions is the list of identifiers of erased people.
type Suppressions interface {
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}

// Attributes writes custom attributes of a customer as one record whose id is key:
// writing the same key with the same content again changes nothing.
type Attributes interface {
	SetAttributes(ctx context.Context, key, profileID string, attrs map[string]any, at time.Time) error
}

// Tickets opens a ticket with a fixed id; one that exists already is success.
type Tickets interface {
	OpenTicket(ctx context.Context, id, profileID string, t TicketSpec) error
}

// Service keeps journeys and runs them (see Engine methods in engine.go).
type Service struct {
	Store        Store
	Profiles     Profiles
	Rules        Rules
	Consent      Consent
	Suppressions Suppressions
	Attributes   Attributes
	Tickets      Tickets
	// Mail is the SMTP relay (nil: e-mail steps record "no relay" and go on).
	Mail *mail.Client
	// Webhooks says which addresses webhook steps may reach (nil: public ones only).
	Webhooks *netguard.Policy
	Log      *slog.Logger
	Now      func() time.Time
	NewID    func() string
	// Every is the period of the background tick (default a second); MaxAttempts and
	// RetryAfter bound the retries of a failing side effect (default 5, a minute
	// doubling).
	Every       time.Duration
	MaxAttempts int
	RetryAfter  time.Duration

	initOnce sync.Once
	client   *http.Client
	eng      engine
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		if s.Log == nil {
			s.Log = slog.Default()
		}
		s.client = s.Webhooks.Client(10 * time.Second)
		s.eng.init()
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Get returns a journey.
func (s *Service) Get(ctx context.Context, id string) (Journey, error) {
	return s.Store.GetJourney(ctx, id)
}

// List returns every journey, newest first.
func (s *Service) List(ctx context.Context) ([]Journey, error) { return s.Store.ListJourneys(ctx) }

// Versions returns a journey's versions, newest first.
func (s *Service) Versions(ctx context.Context, j Journey) ([]Version, error) {
	ns := make([]int, 0, j.Latest)
	for n := j.Latest; n >= 1; n-- {
		ns = append(ns, n)
	}
	return s.Store.GetVersions(ctx, j.ID, ns)
}

// Create saves a DRAFT journey with its first version.
func (s *Service) Create(ctx context.Context, name string, def Definition, actor string) (Journey, error) {
	if err := ValidateName(name); err != nil {
		return Journey{}, err
	}
	if err := def.Validate(); err != nil {
		return Journey{}, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Journey{}, err
	}
	now := s.now()
	j := Journey{ID: s.NewID(), Name: strings.TrimSpace(name), Status: Draft, Latest: 1, Secret: "whsec_" + hex.EncodeToString(b),
		CreatedAt: now, UpdatedAt: now, CreatedBy: actor}
	// The version first: a journey is never without its version.
	if err := s.Store.PutVersion(ctx, Version{JourneyID: j.ID, N: 1, Def: def, CreatedAt: now}); err != nil {
		return Journey{}, err
	}
	if err := s.Store.InsertJourney(ctx, j); err != nil {
		return Journey{}, err
	}
	return j, nil
}

// Update renames a journey and, with a definition, makes it the draft version: a new
// version after the live one, or the unpublished draft replaced. Customers in the
// journey stay on their version.
func (s *Service) Update(ctx context.Context, id, name string, def *Definition) (Journey, error) {
	if name != "" {
		if err := ValidateName(name); err != nil {
			return Journey{}, err
		}
	}
	if def != nil {
		if err := def.Validate(); err != nil {
			return Journey{}, err
		}
	}
	j, err := s.Store.GetJourney(ctx, id)
	if err != nil {
		return Journey{}, err
	}
	if j.Status == Archived {
		return Journey{}, apperr.Conflictf("journey %s is ARCHIVED", id)
	}
	n := j.Latest
	if def != nil {
		if n == j.Live {
			n++
		}
		if err := s.Store.PutVersion(ctx, Version{JourneyID: id, N: n, Def: *def, CreatedAt: s.now()}); err != nil {
			return Journey{}, err
		}
	}
	return s.Store.UpdateJourney(ctx, id, func(j *Journey) error {
		if j.Status == Archived {
			return apperr.Conflictf("journey %s is ARCHIVED", id)
		}
		if name != "" {
			j.Name = strings.TrimSpace(name)
		}
		j.Latest = max(j.Latest, n)
		j.UpdatedAt = s.now()
		return nil
	})
}

// Publish makes the draft version live and the journey ACTIVE; without a draft it
// resumes a PAUSED journey.
func (s *Service) Publish(ctx context.Context, id string) (Journey, error) {
	j, err := s.Store.GetJourney(ctx, id)
	if err != nil {
		return Journey{}, err
	}
	switch {
	case j.Status == Archived:
		return Journey{}, apperr.Conflictf("journey %s is ARCHIVED", id)
	case j.Latest == j.Live && j.Status == Active:
		return Journey{}, apperr.Conflictf("journey %s has no draft to publish", id)
	}
	var live *Version
	if j.Latest > j.Live {
		vs, err := s.Store.GetVersions(ctx, id, []int{j.Latest})
		if err != nil {
			return Journey{}, err
		}
		if len(vs) != 1 {
			return Journey{}, apperr.NotFoundf("journey %s: version %d is missing", id, j.Latest)
		}
		v := vs[0]
		if err := v.Def.Validate(); err != nil {
			return Journey{}, err
		}
		if v.PublishedAt.IsZero() {
			v.PublishedAt = s.now()
			if err := s.Store.PutVersion(ctx, v); err != nil {
				return Journey{}, err
			}
		}
		live = &v
	}
	j, err = s.Store.UpdateJourney(ctx, id, func(j *Journey) error {
		if j.Status == Archived {
			return apperr.Conflictf("journey %s is ARCHIVED", id)
		}
		if live != nil {
			j.Live = max(j.Live, live.N)
		}
		j.Status, j.UpdatedAt = Active, s.now()
		return nil
	})
	if err != nil {
		return Journey{}, err
	}
	s.changed(j, live)
	return j, nil
}

// Pause stops an ACTIVE journey: no one enters, and customers in it wait where they are
// until it is published again.
func (s *Service) Pause(ctx context.Context, id string) (Journey, error) {
	j, err := s.Store.UpdateJourney(ctx, id, func(j *Journey) error {
		if j.Status != Active {
			return apperr.Conflictf("journey %s is %s: only an ACTIVE journey pauses", id, j.Status)
		}
		j.Status, j.UpdatedAt = Paused, s.now()
		return nil
	})
	if err != nil {
		return Journey{}, err
	}
	s.changed(j, nil)
	return j, nil
}

// Archive ends a journey for good: the customers in it exit.
func (s *Service) Archive(ctx context.Context, id string) (Journey, error) {
	j, err := s.Store.UpdateJourney(ctx, id, func(j *Journey) error {
		if j.Status == Archived {
			return apperr.Conflictf("journey %s is ARCHIVED already", id)
		}
		j.Status, j.UpdatedAt = Archived, s.now()
		return nil
	})
	if err != nil {
		return Journey{}, err
	}
	s.changed(j, nil)
	return j, nil
}
