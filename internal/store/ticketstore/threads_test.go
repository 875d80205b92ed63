package ticketstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketindex"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/queueindex"
)

// sameThreads checks ListMessages and ListEvents of every ticket against the ticketId
// queries they were before the thread lists.
func sameThreads(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	tks, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range append(tks, ticketdoc.Ticket{ID: "no_such_ticket"}) {
		got, err := s.ListMessages(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := s.messagesByQuery(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want []ticket.Message
		for _, d := range docs {
			want = append(want, d.Message())
		}
		if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("ListMessages(%s):\n got %v\nwant %v", tk.ID, msgIDs(got), msgIDs(want))
		}
		evs, err := s.ListEvents(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		edocs, err := s.eventsByQuery(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wantEvs []ticket.Event
		for _, d := range edocs {
			wantEvs = append(wantEvs, d.Event())
		}
		if len(evs)+len(wantEvs) > 0 && !reflect.DeepEqual(evs, wantEvs) {
			t.Fatalf("ListEvents(%s):\n got %v\nwant %v", tk.ID, evs, wantEvs)
		}
	}
}

func msgIDs(ms []ticket.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.TicketID+"/"+m.ID)
	}
	return out
}

// assertThreadsClean checks that each thread list names exactly its ticket's messages
// and events, each once.
func assertThreadsClean(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	want := map[string]*ticketindex.ThreadDoc{}
	of := func(id string) *ticketindex.ThreadDoc {
		if want[id] == nil {
			want[id] = &ticketindex.ThreadDoc{ID: id}
		}
		return want[id]
	}
	msgs, err := dbkit.FindAll[ticketdoc.Message](ctx, s.messages, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		of(m.TicketID).Msgs = append(of(m.TicketID).Msgs, m.ID)
	}
	evs, err := dbkit.FindAll[ticketdoc.Event](ctx, s.events, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		of(e.TicketID).Evs = append(of(e.TicketID).Evs, e.ID)
	}
	got, err := dbkit.FindAll[ticketindex.ThreadDoc](ctx, s.index.Threads(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	norm := func(ids []string) []string { ids = slices.Clone(ids); slices.Sort(ids); return ids }
	for _, g := range got {
		w := of(g.ID)
		if !slices.Equal(norm(g.Msgs), norm(w.Msgs)) || !slices.Equal(norm(g.Evs), norm(w.Evs)) {
			t.Errorf("thread %s: %v %v, want %v %v", g.ID, g.Msgs, g.Evs, w.Msgs, w.Evs)
		}
		delete(want, g.ID)
	}
	for id, w := range want {
		t.Errorf("no thread list of %s (%v %v)", id, w.Msgs, w.Evs)
	}
}

// migrated is a store on a database with the thread lists (a new one: the marker only).
func migrated(t *testing.T) *Store {
	t.Helper()
	s := New(testdb.DB(t), testdb.Backend(t))
	if err := s.EnsureThreadIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// The conversations and audit trails read from the thread lists are those of the
// queries, through replies, notes, solves and merges within and across requesters.
func TestTicketThreadsReadAsQueries(t *testing.T) {
	s := migrated(t)
	d := newDesk(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	d.story("cus_other", "cus_x", "cus_me")
	if !s.b.IndexedFilters {
		if _, ok, _ := s.index.Thread(context.Background(), "x"); !ok {
			t.Fatal("the thread lists are not read")
		}
	}
	sameThreads(t, s)
	assertThreadsClean(t, s)
}

// A database written before the thread lists is read by query until they are built at
// start, once; then from them, with the same answers.
func TestTicketThreadMigration(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := New(db, testdb.Backend(t))
	d := newDesk(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	d.story("cus_other", "cus_x", "cus_me")
	// As an older version left it: no lists, no marker.
	if err := s.index.Threads().Drop(ctx); err != nil {
		t.Fatal(err)
	}
	sameThreads(t, s) // by query
	if err := s.EnsureThreadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	assertThreadsClean(t, s)
	sameThreads(t, s)
	// Once: a second start reads the marker only.
	log := &testdb.CommandLog{}
	mon := New(testdb.MonitoredClient(t, log).Database(db.Name()), testdb.Backend(t))
	log.Record(true)
	if err := mon.EnsureThreadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if cmds := log.Record(false); len(cmds) != 1 || !testdb.BareID(cmds[0].Filters[0]) {
		t.Fatalf("second start: %v", cmds)
	}
	// A second run (a crash before the marker) changes nothing; the lists follow what
	// is written after.
	if _, err := db.Collection(ticketindex.MigrationsCollection).DeleteOne(ctx, bson.M{"_id": ticketindex.ThreadMigration}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureThreadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	assertThreadsClean(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	sameThreads(t, s)
	assertThreadsClean(t, s)
}

// restart is a new process on db: a new store, its queue index built from the database.
func restart(t *testing.T, s *Store) *Store {
	t.Helper()
	n := New(s.db, s.b)
	n.queues = queueindex.New()
	if err := n.EnsureQueueIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// A crash (the process killed) after any write of a Save, then a restart (Recover) and
// the same Save again, ends as if nothing had happened; and at every point, before
// Recover too, the conversations read from the thread lists are those of the queries,
// and the queues from the in-process index those of the query.
func TestTicketThreadCrash(t *testing.T) {
	ctx := context.Background()
	type step func(s *Store, j *ticketdoc.Journal) error
	steps := []struct {
		name string
		run  step
	}{
		{"journal", func(s *Store, j *ticketdoc.Journal) error { _, err := s.journal.InsertOne(ctx, j); return err }},
		{"index intent", func(s *Store, j *ticketdoc.Journal) error { return s.index.RequesterIntent(ctx, j) }},
		{"tickets", func(s *Store, j *ticketdoc.Journal) error { return s.applyTickets(ctx, j, nil) }},
		{"thread intent", func(s *Store, j *ticketdoc.Journal) error { return s.index.ThreadIntent(ctx, j) }},
		{"messages and events", func(s *Store, j *ticketdoc.Journal) error { return s.writeChanges(ctx, j) }},
		{"thread commit", func(s *Store, j *ticketdoc.Journal) error { return s.index.ThreadCommit(ctx, j) }},
		{"finish", func(s *Store, j *ticketdoc.Journal) error { return s.finish(ctx, j) }},
	}
	var kept *ticket.Ticket
	changes := []struct {
		name string
		cs   func(d *desk) ticket.Changeset
	}{
		{"open", func(d *desk) ticket.Changeset {
			tk, cs := d.opening("cus_me", ticket.ChannelEmail, ticket.AuthorCustomer)
			kept = tk
			return cs
		}},
		{"reply", func(d *desk) ticket.Changeset {
			d.reload(kept)
			now := d.tick()
			kept.UpdatedAt = now
			m := ticket.Message{ID: dbkit.NewID(), TicketID: kept.ID, Kind: ticket.KindInternalNote, AuthorKind: ticket.AuthorAgent, Body: "note", CreatedAt: now}
			return ticket.Changeset{Tickets: []*ticket.Ticket{kept}, NewMessages: []ticket.Message{m},
				Events: []ticket.Event{{ID: dbkit.NewID(), TicketID: kept.ID, Field: "tags", New: "vip", At: now}}}
		}},
		{"merge", func(d *desk) ticket.Changeset {
			other := d.open("cus_other", ticket.ChannelChat, ticket.AuthorCustomer)
			d.reply(other, ticket.KindPublicReply, ticket.AuthorAgent)
			return d.mergeChangeset(other, kept)
		}},
	}
	check := func(t *testing.T, s *Store) {
		t.Helper()
		sameThreads(t, s)
		sameQueues(t, s, 3)
	}
	for ci, ch := range changes {
		for si, st := range steps[:len(steps)-1] {
			t.Run(ch.name+" after "+st.name, func(t *testing.T) {
				s := migrated(t)
				d := newDesk(t, s)
				d.story("cus_me", "cus_alias", "cus_other")
				for _, prev := range changes[:ci] {
					d.save(prev.cs(d))
				}
				cs := ch.cs(d)
				j, err := s.journalOf(ctx, cs)
				if err != nil {
					t.Fatal(err)
				}
				for _, run := range steps[:si+1] {
					if err := run.run(s, &j); err != nil {
						t.Fatal(err)
					}
				}
				// kill -9, restart.
				s = restart(t, s)
				d.s = s
				check(t, s)
				s.Now = func() time.Time { return time.Now().UTC().Add(time.Hour) }
				if err := s.Recover(ctx, time.Minute); err != nil {
					t.Fatal(err)
				}
				check(t, s)
				assertThreadsClean(t, s)
				cur, err := s.GetTicket(ctx, j.Tickets[0].Doc.ID)
				applied := err == nil && cur.Version == j.Tickets[0].Expect+1
				if err != nil && !errors.Is(err, ticket.ErrNotFound) {
					t.Fatal(err)
				}
				if applied != (si >= 2) {
					t.Fatalf("applied %v after a crash after %s", applied, st.name)
				}
				if !applied {
					d.save(cs)
				}
				check(t, s)
				assertThreadsClean(t, s)
			})
		}
	}
}

// A ticket view (its conversation and audit trail) and a queue page send as many
// commands on a database of 20 other tickets as on one of 400, and on FerretDB every
// one is a bare-_id read.
func TestTicketHelpDeskReadsBounded(t *testing.T) {
	ctx := context.Background()
	b := testdb.Backend(t)
	type counts struct{ conversation, allOpen, mine, next int }
	measure := func(others int) counts {
		db := testdb.DB(t)
		s := New(db, b)
		if err := s.EnsureThreadIndex(ctx); err != nil {
			t.Fatal(err)
		}
		d := newDesk(t, s)
		mine := d.open("cus_me", ticket.ChannelEmail, ticket.AuthorCustomer)
		d.reply(mine, ticket.KindPublicReply, ticket.AuthorAgent)
		d.reply(mine, ticket.KindInternalNote, ticket.AuthorAgent)
		d.reply(mine, ticket.KindPublicReply, ticket.AuthorCustomer)
		d.status(mine, ticket.StatusOpen)
		// The others' tickets, each with messages and events, half of them the agent's.
		var cs ticket.Changeset
		flush := func() {
			if len(cs.Tickets) > 0 {
				d.save(cs)
			}
			cs = ticket.Changeset{}
		}
		for i := range others {
			tk, one := d.opening(fmt.Sprint("cus_", i), ticket.ChannelEmail, ticket.AuthorCustomer)
			if i%2 == 0 {
				tk.AssigneeID = "a1"
			}
			now := d.tick()
			one.NewMessages = append(one.NewMessages, ticket.Message{ID: dbkit.NewID(), TicketID: tk.ID, Kind: ticket.KindPublicReply,
				AuthorKind: ticket.AuthorAgent, Body: "re", CreatedAt: now})
			one.Events = append(one.Events, ticket.Event{ID: dbkit.NewID(), TicketID: tk.ID, Field: "assigneeId", New: "a1", At: now})
			cs.Tickets = append(cs.Tickets, one.Tickets...)
			cs.NewMessages = append(cs.NewMessages, one.NewMessages...)
			cs.Events = append(cs.Events, one.Events...)
			if len(cs.Tickets) == 50 {
				flush()
			}
		}
		flush()

		log := &testdb.CommandLog{Only: []string{"tickets", "ticket_messages", "ticket_events", ticketindex.ThreadsCollection, ticketindex.MigrationsCollection}}
		mon := New(testdb.MonitoredClient(t, log).Database(db.Name()), b)
		if err := mon.EnsureQueueIndex(ctx); err != nil { // at start, in the background
			t.Fatal(err)
		}
		queues := &queue.Service{Store: mon}
		var c counts
		var cursor string
		check := func(what string, n *int, f func() error) {
			t.Helper()
			log.Record(true)
			if err := f(); err != nil {
				t.Fatal(err)
			}
			cmds := log.Record(false)
			*n = len(cmds)
			t.Logf("%d others: %s: %d commands", others, what, len(cmds))
			if b.IndexedFilters {
				return
			}
			for _, c := range cmds {
				for _, f := range c.Filters {
					if !testdb.BareID(f) {
						t.Errorf("%s: %v is not a bare _id read", what, c)
					}
				}
				if c.Name != "find" {
					t.Errorf("%s: %v is not a read", what, c)
				}
			}
		}
		check("conversation", &c.conversation, func() error {
			ms, err := mon.ListMessages(ctx, mine.ID)
			if err != nil {
				return err
			}
			evs, err := mon.ListEvents(ctx, mine.ID)
			if err == nil && (len(ms) != 4 || len(evs) != 2) {
				err = fmt.Errorf("%d messages, %d events", len(ms), len(evs))
			}
			return err
		})
		check("all open, first page", &c.allOpen, func() error {
			pg, err := queues.List(ctx, queue.Query{Queue: queue.AllOpen, Limit: 10})
			if err == nil && (len(pg.Tickets) != 10 || !pg.HasNext) {
				err = fmt.Errorf("%d tickets", len(pg.Tickets))
			}
			if err == nil {
				cursor = pg.Cursors[9]
			}
			return err
		})
		check("all open, second page", &c.next, func() error {
			pg, err := queues.List(ctx, queue.Query{Queue: queue.AllOpen, Limit: 10, After: cursor})
			if err == nil && len(pg.Tickets) != 10 {
				err = fmt.Errorf("%d tickets", len(pg.Tickets))
			}
			return err
		})
		check("mine", &c.mine, func() error {
			pg, err := queues.List(ctx, queue.Query{Queue: queue.Mine, AgentID: "a1", Limit: 5})
			if err == nil && len(pg.Tickets) != 5 {
				err = fmt.Errorf("%d tickets", len(pg.Tickets))
			}
			return err
		})
		sameQueues(t, mon, 1)
		return c
	}
	small, large := measure(20), measure(400)
	if small != large {
		t.Fatalf("commands grow with the database: %+v with 20 other tickets, %+v with 400", small, large)
	}
}
