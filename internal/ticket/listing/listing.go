// Package listing holds the ticket listing types: the filter of queues and reports,
// the sort orders and the cursor pages a ticket store answers with.
package listing

import (
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Filter selects tickets for queues and reports. Zero-valued fields don't
// filter. Matches is the reference semantics; a database Store translates the
// same fields into its query language and must agree with it.
type Filter struct {
	Statuses    []ticket.Status   // any of
	Priorities  []ticket.Priority // any of
	AssigneeID  *string           // nil = any; ptr("") = unassigned
	GroupID     *string           // nil = any; ptr("") = no group
	RequesterID string
	Tags        []string // all of

	// BreachingBy, if set, keeps tickets with a first-response or resolution
	// target that is unmet and due at or before this instant (already
	// breached ones included: they are the most urgent).
	BreachingBy *time.Time

	CreatedFrom, CreatedTo time.Time // [from, to); zero = unbounded
}

// Matches reports whether t passes f.
func (f Filter) Matches(t *ticket.Ticket) bool {
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status) {
		return false
	}
	if len(f.Priorities) > 0 && !slices.Contains(f.Priorities, t.Priority) {
		return false
	}
	if f.AssigneeID != nil && *f.AssigneeID != t.AssigneeID {
		return false
	}
	if f.GroupID != nil && *f.GroupID != t.GroupID {
		return false
	}
	if f.RequesterID != "" && f.RequesterID != t.RequesterID {
		return false
	}
	for _, tag := range f.Tags {
		if !slices.Contains(t.Tags, tag) {
			return false
		}
	}
	if !f.CreatedFrom.IsZero() && t.CreatedAt.Before(f.CreatedFrom) {
		return false
	}
	if !f.CreatedTo.IsZero() && !t.CreatedAt.Before(f.CreatedTo) {
		return false
	}
	if f.BreachingBy != nil {
		dueBy := func(due, met *time.Time) bool { return due != nil && met == nil && !due.After(*f.BreachingBy) }
		if !dueBy(t.FirstResponseDue, t.FirstResponseAt) && !dueBy(t.ResolutionDue, t.SolvedAt) {
			return false
		}
	}
	return true
}

// Order is the sort order of a ticket listing.
type Order string

const (
	OrderUpdatedDesc Order = "updated_desc" // default: most recent activity first
	OrderCreatedAsc  Order = "created_asc"  // oldest first (FIFO queues)
	OrderDueAsc      Order = "due_asc"      // earliest unmet due first (breaching queue)
)

// Page asks for one page of a listing. After is an opaque cursor from a
// previous TicketPage.Next; "" starts at the beginning.
type Page struct {
	Order Order
	After string
	Limit int // the Store clamps to its maximum; <= 0 means its default
}

// TicketPage is one page of results; Next is "" on the last page.
type TicketPage struct {
	Tickets []ticket.Ticket
	Next    string
}
