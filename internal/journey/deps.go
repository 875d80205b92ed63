package journey

import (
	"context"
	"time"

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
