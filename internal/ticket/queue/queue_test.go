package queue

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

func TestQueueFilterForQueues(t *testing.T) {
	for _, tc := range []struct {
		q         Name
		order     listing.Order
		statuses  []ticket.Status
		assignee  *string
		breaching bool
	}{
		{Unassigned, listing.OrderCreatedAsc, ticket.OpenStatuses, ptr(""), false},
		{Mine, listing.OrderCreatedAsc, ticket.OpenStatuses, ptr("me"), false},
		{BreachingSoon, listing.OrderDueAsc, ticket.OpenStatuses, nil, true},
		{All, listing.OrderUpdatedDesc, nil, nil, false},
		{AllOpen, listing.OrderUpdatedDesc, ticket.OpenStatuses, nil, false},
		{"", listing.OrderUpdatedDesc, ticket.OpenStatuses, nil, false}, // unknown: all open
	} {
		f, o, ok, err := FilterFor(tc.q, "me", nil, t0)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", tc.q, ok, err)
		}
		if o != tc.order || !slices.Equal(f.Statuses, tc.statuses) || (f.AssigneeID == nil) != (tc.assignee == nil) ||
			(f.AssigneeID != nil && *f.AssigneeID != *tc.assignee) || (f.BreachingBy != nil) != tc.breaching {
			t.Errorf("%s: got %+v %s", tc.q, f, o)
		}
		if tc.breaching && !f.BreachingBy.Equal(t0.Add(BreachingWindow)) {
			t.Errorf("%s: breaching by %v", tc.q, f.BreachingBy)
		}
	}
}

func TestQueueFilterForNarrows(t *testing.T) {
	from, to := t0.Add(-time.Hour), t0
	in := &Filter{Statuses: []ticket.Status{ticket.StatusPending, ticket.StatusSolved}, Priorities: []ticket.Priority{ticket.PriorityHigh}, GroupID: ptr("g1"),
		RequesterID: "c1", Tags: []string{" VIP ", "vip", "billing"}, CreatedFrom: &from, CreatedTo: &to}
	f, o, ok, err := FilterFor(Mine, "me", in, t0)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	// The open queue keeps only the open statuses asked for; the rest narrows as given.
	if o != listing.OrderCreatedAsc || !slices.Equal(f.Statuses, []ticket.Status{ticket.StatusPending}) || !slices.Equal(f.Priorities, []ticket.Priority{ticket.PriorityHigh}) ||
		*f.AssigneeID != "me" || *f.GroupID != "g1" || f.RequesterID != "c1" || !f.CreatedFrom.Equal(from) || !f.CreatedTo.Equal(to) {
		t.Errorf("got %+v", f)
	}
	if !slices.Equal(f.Tags, []string{"billing", "vip"}) && !slices.Equal(f.Tags, []string{"vip", "billing"}) {
		t.Errorf("tags = %v, want vip and billing normalised", f.Tags)
	}

	// The ALL queue has no statuses of its own: the filter's apply as given.
	f, _, ok, _ = FilterFor(All, "me", &Filter{Statuses: []ticket.Status{ticket.StatusClosed}}, t0)
	if !ok || !slices.Equal(f.Statuses, []ticket.Status{ticket.StatusClosed}) {
		t.Errorf("all + closed: ok=%v %v", ok, f.Statuses)
	}
}

func TestQueueFilterForContradictions(t *testing.T) {
	for name, tc := range map[string]struct {
		q  Name
		in Filter
	}{
		"closed in an open queue":       {AllOpen, Filter{Statuses: []ticket.Status{ticket.StatusClosed, ticket.StatusSolved}}},
		"someone else's in MINE":        {Mine, Filter{AssigneeID: ptr("you")}},
		"an assignee in UNASSIGNED":     {Unassigned, Filter{AssigneeID: ptr("you")}},
		"the caller's own in UNASSIGNE": {Unassigned, Filter{AssigneeID: ptr("me")}},
	} {
		if _, _, ok, err := FilterFor(tc.q, "me", &tc.in, t0); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want an empty result", name, ok, err)
		}
	}
	// Agreeing with the queue is no contradiction.
	if _, _, ok, _ := FilterFor(Mine, "me", &Filter{AssigneeID: ptr("me")}, t0); !ok {
		t.Error("MINE + own assignee: want ok")
	}
	if _, _, _, err := FilterFor(All, "me", &Filter{Tags: []string{" "}}, t0); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Errorf("empty tag: err = %v, want invalid input", err)
	}
}

func TestQueues(t *testing.T) {
	now := t0
	tickets := map[string]*ticket.Ticket{
		"unassigned":  {Status: ticket.StatusNew},
		"mine":        {Status: ticket.StatusOpen, AssigneeID: "me"},
		"mine-solved": {Status: ticket.StatusSolved, AssigneeID: "me"},
		"other":       {Status: ticket.StatusPending, AssigneeID: "you"},
		"on-hold":     {Status: ticket.StatusOnHold, AssigneeID: "you"},
		"fr-soon":     {Status: ticket.StatusOpen, FirstResponseDue: ptr(now.Add(30 * time.Minute))},
		"fr-met":      {Status: ticket.StatusOpen, FirstResponseDue: ptr(now.Add(30 * time.Minute)), FirstResponseAt: ptr(now)},
		"res-overdue": {Status: ticket.StatusOpen, AssigneeID: "you", ResolutionDue: ptr(now.Add(-time.Hour))},
		"res-later":   {Status: ticket.StatusOpen, AssigneeID: "you", ResolutionDue: ptr(now.Add(3 * time.Hour))},
		"solved-late": {Status: ticket.StatusSolved, ResolutionDue: ptr(now.Add(-time.Hour)), SolvedAt: ptr(now)},
		"closed":      {Status: ticket.StatusClosed},
	}
	match := func(f listing.Filter) []string {
		var out []string
		for name, tk := range tickets {
			if f.Matches(tk) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name string
		f    listing.Filter
		want []string
	}{
		{"unassigned", UnassignedFilter(), []string{"fr-met", "fr-soon", "unassigned"}},
		{"mine", MineFilter("me"), []string{"mine"}},
		{"all open", AllOpenFilter(), []string{"fr-met", "fr-soon", "mine", "on-hold", "other", "res-later", "res-overdue", "unassigned"}},
		{"breaching within 1h", BreachingSoonFilter(now, time.Hour), []string{"fr-soon", "res-overdue"}},
		{"tags and priority", listing.Filter{Tags: []string{"x"}, Priorities: []ticket.Priority{ticket.PriorityHigh}}, nil},
	} {
		if got := match(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	st := &memStore{tickets: []ticket.Ticket{
		{ID: "id1", Subject: "One", Status: ticket.StatusNew, CreatedAt: t0},
		{ID: "id2", Subject: "Two", Status: ticket.StatusNew, CreatedAt: t0.Add(time.Minute)},
	}}
	svc := &Service{Store: st, Now: func() time.Time { return t0 }}
	pg, err := svc.List(ctx, Query{Queue: Unassigned, Limit: 1})
	must(t, err)
	if len(pg.Tickets) != 1 || !pg.HasNext || pg.Cursors[0] != string(listing.OrderCreatedAsc)+":"+pg.Tickets[0].ID {
		t.Errorf("page %+v", pg)
	}
	pg, err = svc.List(ctx, Query{Queue: Mine, AgentID: "a1", Filter: &Filter{AssigneeID: ptr("a2")}})
	if err != nil || len(pg.Tickets) != 0 || pg.HasNext || st.reads != 1 {
		t.Errorf("contradicting filter: %+v %v (%d reads)", pg, err, st.reads)
	}
}

var t0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) // a Monday

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// memStore lists tickets in id order, a page at a time, with the cursor "order:id".
type memStore struct {
	tickets []ticket.Ticket
	reads   int
}

func (s *memStore) ListTickets(_ context.Context, f listing.Filter, p listing.Page) (listing.TicketPage, error) {
	s.reads++
	var all []ticket.Ticket
	for _, t := range s.tickets {
		if f.Matches(&t) && t.ID > p.After {
			all = append(all, t)
		}
	}
	slices.SortFunc(all, func(a, b ticket.Ticket) int { return strings.Compare(a.ID, b.ID) })
	if p.Limit > 0 && len(all) > p.Limit {
		return listing.TicketPage{Tickets: all[:p.Limit], Next: all[p.Limit-1].ID}, nil
	}
	return listing.TicketPage{Tickets: all}, nil
}

func (s *memStore) TicketCursor(t ticket.Ticket, o listing.Order) string {
	return string(o) + ":" + t.ID
}

var _ Store = (*memStore)(nil)
