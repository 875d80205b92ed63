package ticketstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
	ticketlisting "github.com/tessera-cdp/tessera/internal/ticket/listing"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
)

var qt0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// jitter is a time of the test's range: whole seconds (so that keys collide) plus
// a few milliseconds and some nanoseconds (which the database drops).
func jitter(r *rand.Rand, spread int) time.Time {
	return qt0.Add(time.Duration(r.IntN(spread))*time.Second + time.Duration(r.IntN(3))*time.Millisecond + time.Duration(r.IntN(1_000_000)))
}

func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.IntN(len(vs))] }

func ptrTo[T any](v T) *T { return &v }

// scramble gives t random queue fields.
func scramble(r *rand.Rand, t *ticket.Ticket) {
	t.Status = pick(r, ticket.Statuses...)
	t.Priority = pick(r, ticket.PriorityLow, ticket.PriorityNormal, ticket.PriorityHigh, ticket.PriorityUrgent)
	t.AssigneeID = pick(r, "", "a1", "a2")
	t.GroupID = pick(r, "", "g1", "g2")
	t.Tags = nil
	for _, tag := range []string{"vip", "billing", "bug"} {
		if r.IntN(2) == 0 {
			t.Tags = append(t.Tags, tag)
		}
	}
	t.UpdatedAt = jitter(r, 30)
	t.FirstResponseDue, t.FirstResponseAt, t.ResolutionDue, t.SolvedAt = nil, nil, nil, nil
	if r.IntN(4) > 0 {
		t.FirstResponseDue = ptrTo(jitter(r, 20))
		if r.IntN(3) == 0 {
			t.FirstResponseAt = ptrTo(jitter(r, 20))
		}
	}
	if r.IntN(3) > 0 {
		t.ResolutionDue = ptrTo(jitter(r, 40))
	}
}

func randomFilter(r *rand.Rand) ticketlisting.Filter {
	var f ticketlisting.Filter
	if r.IntN(2) == 0 {
		f.Statuses = []ticket.Status{pick(r, ticket.Statuses...), pick(r, ticket.Statuses...)}
	}
	if r.IntN(4) == 0 {
		f.Priorities = []ticket.Priority{ticket.PriorityHigh, pick(r, ticket.PriorityUrgent, ticket.PriorityLow)}
	}
	if r.IntN(3) == 0 {
		f.AssigneeID = ptrTo(pick(r, "", "a1"))
	}
	if r.IntN(4) == 0 {
		f.GroupID = ptrTo(pick(r, "", "g2"))
	}
	if r.IntN(5) == 0 {
		f.RequesterID = pick(r, "cus_1", "cus_3")
	}
	if r.IntN(4) == 0 {
		f.Tags = pick(r, []string{"vip"}, []string{"bug", "billing"})
	}
	if r.IntN(4) == 0 {
		f.CreatedFrom = jitter(r, 50)
		f.CreatedTo = f.CreatedFrom.Add(time.Duration(r.IntN(30)) * time.Second)
	}
	if r.IntN(3) == 0 {
		f.BreachingBy = ptrTo(jitter(r, 30))
	}
	return f
}

// sameListing walks every page of a listing, from the in-process index (ListTickets)
// and from the query, and compares them, cursors included; and starts again after a
// ticket of each page.
func sameListing(t *testing.T, s *Store, f ticketlisting.Filter, o ticketlisting.Order, limit int) {
	t.Helper()
	ctx := context.Background()
	after := ""
	var restarts []string
	for range 100 {
		p := ticketlisting.Page{Order: o, After: after, Limit: limit}
		got, err := s.ListTickets(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		lp, err := listParams(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.listByQuery(ctx, f, lp)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ListTickets(%+v, %s, after %q, %d):\n got %v %q\nwant %v %q", f, o, after, limit, ticketIDs(got.Tickets), got.Next, ticketIDs(want.Tickets), want.Next)
		}
		if len(want.Tickets) > 1 {
			restarts = append(restarts, s.TicketCursor(want.Tickets[len(want.Tickets)/2], o))
		}
		if want.Next == "" {
			break
		}
		after = want.Next
	}
	for _, c := range restarts[:min(len(restarts), 2)] {
		p := ticketlisting.Page{Order: o, After: c, Limit: limit}
		got, err := s.ListTickets(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		lp, _ := listParams(p)
		want, err := s.listByQuery(ctx, f, lp)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ListTickets(%+v, %s, after %q):\n got %v\nwant %v", f, o, c, ticketIDs(got.Tickets), ticketIDs(want.Tickets))
		}
	}
}

// sameQueues compares the named queues and rounds random filters in every order.
func sameQueues(t *testing.T, s *Store, rounds int) {
	t.Helper()
	if s.inProcessQueues() && !s.queues.Built() {
		t.Fatal("the queue index is not built")
	}
	r := rand.New(rand.NewPCG(uint64(rounds), 7))
	for _, q := range []queue.Name{queue.Unassigned, queue.Mine, queue.AllOpen, queue.BreachingSoon, queue.All} {
		f, o, _, err := queue.FilterFor(q, "a1", nil, jitter(r, 20))
		if err != nil {
			t.Fatal(err)
		}
		sameListing(t, s, f, o, pick(r, 3, 20))
	}
	for range rounds {
		f := randomFilter(r)
		for _, o := range []ticketlisting.Order{ticketlisting.OrderCreatedAsc, ticketlisting.OrderDueAsc, ticketlisting.OrderUpdatedDesc} {
			sameListing(t, s, f, o, pick(r, 4, 9, 25, 0))
		}
	}
}

// The queues from the in-process index are those of the query, cursors included, on
// random tickets, through updates and changesets undone on a conflict; the index
// built at start sees the tickets written before, and follows the writes after.
func TestTicketQueueIndexAsQuery(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	if !s.inProcessQueues() {
		t.Skip("MongoDB: the queues are queries")
	}
	r := rand.New(rand.NewPCG(3, 4))
	var all []*ticket.Ticket
	write := func(n int) {
		var cs ticket.Changeset
		for range n {
			created := jitter(r, 50)
			tk := &ticket.Ticket{ID: dbkit.NewID(), Subject: "s", RequesterID: pick(r, "cus_1", "cus_2", "cus_3", "cus_4"), Channel: ticket.ChannelEmail,
				CreatedAt: created}
			scramble(r, tk)
			all = append(all, tk)
			cs.Tickets = append(cs.Tickets, tk)
			if len(cs.Tickets) == 25 {
				if err := s.Save(ctx, cs); err != nil {
					t.Fatal(err)
				}
				cs = ticket.Changeset{}
			}
		}
		if len(cs.Tickets) > 0 {
			if err := s.Save(ctx, cs); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(120) // before the index: it reads them
	if s.queues.Built() {
		t.Fatal("built before asked")
	}
	// Built while tickets are written: those are replayed over the scan.
	built := make(chan error)
	go func() { built <- s.EnsureQueueIndex(ctx) }()
	write(40)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if n := s.queues.Len(); n != 160 {
		t.Fatalf("%d tickets indexed", n)
	}
	sameQueues(t, s, 6)
	write(40) // after: written through
	for range 60 {
		tk := all[r.IntN(len(all))]
		cur, err := s.GetTicket(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		*tk = cur
		scramble(r, tk)
		if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{tk}}); err != nil {
			t.Fatal(err)
		}
	}
	// Undone: an insert (a duplicate id after it) and a replace (a stale version after it).
	fresh := &ticket.Ticket{ID: dbkit.NewID(), RequesterID: "cus_1", CreatedAt: jitter(r, 50)}
	scramble(r, fresh)
	fresh.Status, fresh.AssigneeID = ticket.StatusNew, ""
	dup := *all[0]
	dup.Version = 0
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{fresh, &dup}}); !errors.Is(err, ticket.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	a, err := s.GetTicket(ctx, all[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	a.Status, a.AssigneeID, a.UpdatedAt = ticket.StatusOpen, "", jitter(r, 30)
	stale := *all[2]
	stale.Version = 99
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{&a, &stale}}); !errors.Is(err, ticket.ErrConflict) {
		t.Fatalf("stale: %v", err)
	}
	if n := s.queues.Len(); n != 200 {
		t.Fatalf("%d tickets indexed, want 200", n)
	}
	sameQueues(t, s, 12)
	// Another store of the process shares the index.
	if o := New(s.db, s.b); !o.queues.Built() {
		t.Fatal("index not shared")
	}
	// A bad cursor or order is refused as before.
	for _, p := range []ticketlisting.Page{{After: "!!"}, {Order: "sideways"}} {
		if _, err := s.ListTickets(ctx, ticketlisting.Filter{}, p); !errors.Is(err, ticket.ErrInvalidInput) {
			t.Fatalf("%+v: %v", p, err)
		}
	}
}
