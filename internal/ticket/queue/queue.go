// Package queue is the help desk's agent queues: the named queues (unassigned, mine,
// all open, breaching soon, all) as filters and orders over tickets, narrowed by what
// the caller adds, and listed a page at a time.
package queue

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

// Name names one of the agent queues.
type Name string

// The queues. An unknown name is the ALL_OPEN queue.
const (
	// Unassigned: open tickets nobody owns, oldest first.
	Unassigned Name = "unassigned"
	// Mine: open tickets assigned to the caller's agent, oldest first.
	Mine Name = "mine"
	// AllOpen: every ticket still needing work, most recently active first.
	AllOpen Name = "all_open"
	// BreachingSoon: open tickets with a target due within BreachingWindow or
	// overdue, earliest due first.
	BreachingSoon Name = "breaching_soon"
	// All: every ticket, closed ones included, most recently active first.
	All Name = "all"
)

// BreachingWindow is how far ahead the BREACHING_SOON queue looks.
const BreachingWindow = time.Hour

// Filter is what a caller adds to a queue to narrow it; nil and empty fields
// don't narrow.
type Filter struct {
	Statuses    []ticket.Status
	Priorities  []ticket.Priority
	AssigneeID  *string
	GroupID     *string
	RequesterID string
	// Tags: tickets carrying all of these (normalised like ticket tags).
	Tags                   []string
	CreatedFrom, CreatedTo *time.Time
}

// FilterFor turns a queue, the caller's agent id (for MINE) and the caller's extra
// filter into one listing.Filter and the queue's order. The filter narrows the queue;
// ok is false when the two contradict (the result is empty without asking the store).
func FilterFor(q Name, agentID string, in *Filter, now time.Time) (f listing.Filter, o listing.Order, ok bool, err error) {
	switch q {
	case Unassigned:
		f, o = UnassignedFilter(), listing.OrderCreatedAsc
	case Mine:
		f, o = MineFilter(agentID), listing.OrderCreatedAsc
	case BreachingSoon:
		f, o = BreachingSoonFilter(now, BreachingWindow), listing.OrderDueAsc
	case All:
		o = listing.OrderUpdatedDesc
	default:
		f, o = AllOpenFilter(), listing.OrderUpdatedDesc
	}
	if in == nil {
		return f, o, true, nil
	}
	if len(in.Statuses) > 0 {
		var want []ticket.Status
		for _, st := range in.Statuses {
			if len(f.Statuses) == 0 || slices.Contains(f.Statuses, st) {
				want = append(want, st)
			}
		}
		if len(want) == 0 {
			return f, o, false, nil
		}
		f.Statuses = want
	}
	f.Priorities = append(f.Priorities, in.Priorities...)
	narrow := func(dst **string, v *string) bool {
		if v == nil {
			return true
		}
		if *dst != nil && **dst != *v {
			return false
		}
		*dst = v
		return true
	}
	if !narrow(&f.AssigneeID, in.AssigneeID) || !narrow(&f.GroupID, in.GroupID) {
		return f, o, false, nil
	}
	f.RequesterID = in.RequesterID
	if len(in.Tags) > 0 {
		if f.Tags, err = ticket.NormalizeTags(in.Tags); err != nil {
			return f, o, false, err
		}
	}
	if in.CreatedFrom != nil {
		f.CreatedFrom = *in.CreatedFrom
	}
	if in.CreatedTo != nil {
		f.CreatedTo = *in.CreatedTo
	}
	return f, o, true, nil
}

// Query asks for one page of a queue narrowed by a filter.
type Query struct {
	Queue  Name
	Filter *Filter
	// AgentID is the caller's agent (the MINE queue).
	AgentID string
	After   string
	Limit   int
}

// Page is one page of a queue; Cursors[i] is the cursor after Tickets[i].
type Page struct {
	Tickets []ticket.Ticket
	Cursors []string
	HasNext bool
}

// Store is what the queues read; the ticket store implements it.
type Store interface {
	ListTickets(ctx context.Context, f listing.Filter, p listing.Page) (listing.TicketPage, error)
	// TicketCursor is the cursor after t in a listing of order o.
	TicketCursor(t ticket.Ticket, o listing.Order) string
}

// Service lists the queues.
type Service struct {
	Store Store
	Now   func() time.Time // default time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// List lists one page of a queue in the queue's order (FilterFor). A filter that
// contradicts the queue gives an empty page without a read.
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	f, order, ok, err := FilterFor(q.Queue, q.AgentID, q.Filter, s.now())
	if err != nil || !ok {
		return Page{}, err
	}
	pg, err := s.Store.ListTickets(ctx, f, listing.Page{Order: order, After: q.After, Limit: q.Limit})
	if err != nil {
		return Page{}, err
	}
	out := Page{Tickets: pg.Tickets, HasNext: pg.Next != ""}
	for _, t := range pg.Tickets {
		out.Cursors = append(out.Cursors, s.Store.TicketCursor(t, order))
	}
	return out, nil
}

// AllOpenFilter: every ticket still needing work.
func AllOpenFilter() listing.Filter {
	return listing.Filter{Statuses: slices.Clone(ticket.OpenStatuses)}
}

// UnassignedFilter: open tickets nobody owns.
func UnassignedFilter() listing.Filter {
	f := AllOpenFilter()
	f.AssigneeID = ptr("")
	return f
}

// MineFilter: open tickets assigned to agentID.
func MineFilter(agentID string) listing.Filter {
	f := AllOpenFilter()
	f.AssigneeID = ptr(agentID)
	return f
}

// BreachingSoonFilter: open tickets with an unmet target due within `within`
// of now (or already overdue).
func BreachingSoonFilter(now time.Time, within time.Duration) listing.Filter {
	f := AllOpenFilter()
	f.BreachingBy = ptr(now.Add(within))
	return f
}

func ptr[T any](v T) *T { return &v }
