// Package engine keeps journeys and runs them (see package journey for the
// definitions, their validation and the customers' positions).
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/journey"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/netguard"
)

// Service keeps journeys and runs them (see Engine methods in engine.go).
type Service struct {
	Store        journey.Store
	Profiles     journey.Profiles
	Rules        journey.Rules
	Consent      journey.Consent
	Suppressions journey.Suppressions
	Attributes   journey.Attributes
	Tickets      journey.Tickets
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
func (s *Service) Get(ctx context.Context, id string) (journey.Journey, error) {
	return s.Store.GetJourney(ctx, id)
}

// List returns every journey, newest first.
func (s *Service) List(ctx context.Context) ([]journey.Journey, error) {
	return s.Store.ListJourneys(ctx)
}

// Versions returns a journey's versions, newest first.
func (s *Service) Versions(ctx context.Context, j journey.Journey) ([]journey.Version, error) {
	ns := make([]int, 0, j.Latest)
	for n := j.Latest; n >= 1; n-- {
		ns = append(ns, n)
	}
	return s.Store.GetVersions(ctx, j.ID, ns)
}

// Create saves a DRAFT journey with its first version.
func (s *Service) Create(ctx context.Context, name string, def journey.Definition, actor string) (journey.Journey, error) {
	if err := journey.ValidateName(name); err != nil {
		return journey.Journey{}, err
	}
	if err := def.Validate(); err != nil {
		return journey.Journey{}, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return journey.Journey{}, err
	}
	now := s.now()
	j := journey.Journey{ID: s.NewID(), Name: strings.TrimSpace(name), Status: journey.Draft, Latest: 1, Secret: "whsec_" + hex.EncodeToString(b),
		CreatedAt: now, UpdatedAt: now, CreatedBy: actor}
	// The version first: a journey is never without its version.
	if err := s.Store.PutVersion(ctx, journey.Version{JourneyID: j.ID, N: 1, Def: def, CreatedAt: now}); err != nil {
		return journey.Journey{}, err
	}
	if err := s.Store.InsertJourney(ctx, j); err != nil {
		return journey.Journey{}, err
	}
	return j, nil
}

// Update renames a journey and, with a definition, makes it the draft version: a new
// version after the live one, or the unpublished draft replaced. Customers in the
// journey stay on their version.
func (s *Service) Update(ctx context.Context, id, name string, def *journey.Definition) (journey.Journey, error) {
	if name != "" {
		if err := journey.ValidateName(name); err != nil {
			return journey.Journey{}, err
		}
	}
	if def != nil {
		if err := def.Validate(); err != nil {
			return journey.Journey{}, err
		}
	}
	j, err := s.Store.GetJourney(ctx, id)
	if err != nil {
		return journey.Journey{}, err
	}
	if j.Status == journey.Archived {
		return journey.Journey{}, apperr.Conflictf("journey %s is ARCHIVED", id)
	}
	n := j.Latest
	if def != nil {
		if n == j.Live {
			n++
		}
		if err := s.Store.PutVersion(ctx, journey.Version{JourneyID: id, N: n, Def: *def, CreatedAt: s.now()}); err != nil {
			return journey.Journey{}, err
		}
	}
	j, err = s.Store.UpdateJourney(ctx, id, func(j *journey.Journey) error {
		if j.Status == journey.Archived {
			return apperr.Conflictf("journey %s is ARCHIVED", id)
		}
		if name != "" {
			j.Name = strings.TrimSpace(name)
		}
		j.Latest = max(j.Latest, n)
		j.UpdatedAt = s.now()
		return nil
	})
	if err == nil {
		s.renamed(j)
	}
	return j, err
}

// Publish makes the draft version live and the journey ACTIVE; without a draft it
// resumes a PAUSED journey.
func (s *Service) Publish(ctx context.Context, id string) (journey.Journey, error) {
	j, err := s.Store.GetJourney(ctx, id)
	if err != nil {
		return journey.Journey{}, err
	}
	switch {
	case j.Status == journey.Archived:
		return journey.Journey{}, apperr.Conflictf("journey %s is ARCHIVED", id)
	case j.Latest == j.Live && j.Status == journey.Active:
		return journey.Journey{}, apperr.Conflictf("journey %s has no draft to publish", id)
	}
	var live *journey.Version
	if j.Latest > j.Live {
		vs, err := s.Store.GetVersions(ctx, id, []int{j.Latest})
		if err != nil {
			return journey.Journey{}, err
		}
		if len(vs) != 1 {
			return journey.Journey{}, apperr.NotFoundf("journey %s: version %d is missing", id, j.Latest)
		}
		v := vs[0]
		if err := v.Def.Validate(); err != nil {
			return journey.Journey{}, err
		}
		if v.PublishedAt.IsZero() {
			v.PublishedAt = s.now()
			if err := s.Store.PutVersion(ctx, v); err != nil {
				return journey.Journey{}, err
			}
		}
		live = &v
	}
	j, err = s.Store.UpdateJourney(ctx, id, func(j *journey.Journey) error {
		if j.Status == journey.Archived {
			return apperr.Conflictf("journey %s is ARCHIVED", id)
		}
		if live != nil {
			j.Live = max(j.Live, live.N)
		}
		j.Status, j.UpdatedAt = journey.Active, s.now()
		return nil
	})
	if err != nil {
		return journey.Journey{}, err
	}
	s.changed(j, live)
	return j, nil
}

// Pause stops an ACTIVE journey: no one enters, and customers in it wait where they are
// until it is published again.
func (s *Service) Pause(ctx context.Context, id string) (journey.Journey, error) {
	j, err := s.Store.UpdateJourney(ctx, id, func(j *journey.Journey) error {
		if j.Status != journey.Active {
			return apperr.Conflictf("journey %s is %s: only an ACTIVE journey pauses", id, j.Status)
		}
		j.Status, j.UpdatedAt = journey.Paused, s.now()
		return nil
	})
	if err != nil {
		return journey.Journey{}, err
	}
	s.changed(j, nil)
	return j, nil
}

// Archive ends a journey for good: the customers in it exit.
func (s *Service) Archive(ctx context.Context, id string) (journey.Journey, error) {
	j, err := s.Store.UpdateJourney(ctx, id, func(j *journey.Journey) error {
		if j.Status == journey.Archived {
			return apperr.Conflictf("journey %s is ARCHIVED already", id)
		}
		j.Status, j.UpdatedAt = journey.Archived, s.now()
		return nil
	})
	if err != nil {
		return journey.Journey{}, err
	}
	s.changed(j, nil)
	return j, nil
}
