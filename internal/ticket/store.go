package ticket

import (
	"context"
	"time"
)

// Changeset is one atomic write. Implementations must apply all of it or
// nothing (a MongoDB transaction, or ordered writes with the ticket version
// check first), so a ticket never changes without its audit events.
type Changeset struct {
	// Tickets to upsert. Version 0 means insert (ErrConflict if the id
	// exists). Otherwise the stored version must equal Version (else
	// ErrConflict); on success the Store increments Version on the stored
	// document and on the passed ticket.
	Tickets []*Ticket
	// NewMessages are inserted; UpdatedMessages (merge re-pointing) replace
	// the stored message with the same ID.
	NewMessages     []Message
	UpdatedMessages []Message
	Events          []Event
}

// Store is what the ticket Service needs from persistence. Getters return
// ErrNotFound (possibly wrapped) for unknown ids.
type Store interface {
	GetTicket(ctx context.Context, id string) (Ticket, error)
	Save(ctx context.Context, cs Changeset) error

	// ListMessages returns a ticket's messages oldest first.
	ListMessages(ctx context.Context, ticketID string) ([]Message, error)
	// ListEvents returns a ticket's audit trail oldest first.
	ListEvents(ctx context.Context, ticketID string) ([]Event, error)

	GetAgent(ctx context.Context, id string) (Agent, error)
	// GetAgents returns the agents found among ids, keyed by id; unknown ids
	// are simply absent.
	GetAgents(ctx context.Context, ids []string) (map[string]Agent, error)
	GetGroup(ctx context.Context, id string) (Group, error)

	// RoundRobinLast returns the last agent assigned in a group ("" if none).
	RoundRobinLast(ctx context.Context, groupID string) (string, error)
	// SetRoundRobinLast stores next only if the current value is still prev
	// (compare-and-set), returning ErrConflict otherwise, so two concurrent
	// assignments cannot hand the same turn out twice.
	SetRoundRobinLast(ctx context.Context, groupID, prev, next string) error

	// SLAPolicy returns the policy for a priority, ErrNotFound if none.
	SLAPolicy(ctx context.Context, p Priority) (SLAPolicy, error)
	GetMacro(ctx context.Context, id string) (Macro, error)
}

// Customer is the slice of a CDP profile the help desk renders into macros.
type Customer struct {
	ID        string
	FirstName string
	LastName  string
	Email     string
}

// Customers looks up requester profiles; the profile domain implements it.
type Customers interface {
	GetCustomer(ctx context.Context, id string) (Customer, error)
}

// Clock and ID sources are injectable so tests are deterministic.
type (
	NowFunc   func() time.Time
	NewIDFunc func() string
)

// RequesterTickets reads the tickets of a batch of requesters at once, at most
// perProfile each (the per-customer ticket lists of a request share one read).
type RequesterTickets interface {
	TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]Ticket, error)
}

// Requesters turns the requester of a new ticket into a profile id; the customer
// domain implements it.
type Requesters interface {
	// RequesterByID checks the profile exists and returns its current (surviving) id.
	RequesterByID(ctx context.Context, id string) (string, error)
	// RequesterByEmail returns the profile that owns the e-mail, or creates one.
	RequesterByEmail(ctx context.Context, email string) (string, error)
}
