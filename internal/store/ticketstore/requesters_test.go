package ticketstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketindex"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// ---------------------------------------------------------------- the reads as they were

// What the help-desk reads of the Customer 360 returned before the requester index,
// from scans of tickets, messages and events: the index must give exactly this.

func scanTicketsOfRequesters(ctx context.Context, s *Store, ids []string, perProfile int) ([]ticket.Ticket, error) {
	// Oldest first by creation time, then id (the scan's order on SQLite, which the old
	// code relied on; other backends return a scan in any order).
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, bson.M{"requesterId": bson.M{"$in": ids}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	var out []ticket.Ticket
	for i := len(docs) - 1; i >= 0; i-- {
		d := docs[i]
		if count[d.RequesterID] < perProfile {
			count[d.RequesterID]++
			out = append(out, d.Ticket())
		}
	}
	return out, nil
}

func scanCount(ctx context.Context, s *Store, ids []string) (int64, error) {
	return s.tickets.CountDocuments(ctx, bson.M{"requesterId": bson.M{"$in": ids}})
}

func scanTimeline(ctx context.Context, s *Store, ids []string, from *c360.Position, f c360.TimelineFilter, limit int) ([]c360.TimelineItem, error) {
	if len(f.Types) > 0 && !slices.ContainsFunc(f.Types, func(t string) bool { return t == TicketCreated || t == TicketReplied || t == TicketSolved }) {
		return nil, nil
	}
	q := bson.M{"requesterId": bson.M{"$in": ids}}
	if len(f.Channels) > 0 {
		q["channel"] = bson.M{"$in": f.Channels}
	}
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, q, options.Find().SetSort(bson.M{"_id": -1}).SetLimit(maxTimelineTickets))
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	byID := map[string]ticket.Ticket{}
	var tids []string
	for _, d := range docs {
		byID[d.ID] = d.Ticket()
		tids = append(tids, d.ID)
	}
	var items []c360.TimelineItem
	add := func(t ticket.Ticket, id, typ, msg string, at c360.Position) {
		it := c360.TimelineItem{Kind: ItemTicket, ID: id, At: at.At.UTC(), Channel: string(t.Channel), Type: typ,
			Extra: Activity{Ticket: t, MessageID: msg}}
		if f.Allows(it.Channel, it.Type) && from.Includes(it) {
			items = append(items, it)
		}
	}
	for _, id := range tids {
		t := byID[id]
		add(t, id+":created", TicketCreated, "", c360.Position{At: t.CreatedAt})
	}
	msgs, err := dbkit.FindAll[ticketdoc.Message](ctx, s.messages, bson.M{"ticketId": bson.M{"$in": tids},
		"kind": string(ticket.KindPublicReply), "authorKind": string(ticket.AuthorAgent)})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.CreatedAt.Equal(byID[m.TicketID].CreatedAt) {
			continue
		}
		add(byID[m.TicketID], m.TicketID+":reply:"+m.ID, TicketReplied, m.ID, c360.Position{At: m.CreatedAt})
	}
	evs, err := dbkit.FindAll[ticketdoc.Event](ctx, s.events, bson.M{"ticketId": bson.M{"$in": tids}, "field": ticket.FieldStatus, "new": string(ticket.StatusSolved)})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		add(byID[e.TicketID], e.TicketID+":solved:"+e.ID, TicketSolved, "", c360.Position{At: e.At})
	}
	slices.SortFunc(items, func(a, b c360.TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return items[:min(len(items), limit)], nil
}

// ---------------------------------------------------------------- a help desk

// desk writes tickets through Save as the ticket service does.
type desk struct {
	t   *testing.T
	s   *Store
	now time.Time
}

func newDesk(t *testing.T, s *Store) *desk {
	return &desk{t: t, s: s, now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (d *desk) tick() time.Time {
	d.now = d.now.Add(time.Minute + 7*time.Millisecond)
	return d.now
}

// opening returns a new ticket of requester on channel, with its opening message by
// author (an agent logging a call, or the customer) and its creation events.
func (d *desk) opening(requester string, ch ticket.Channel, author ticket.AuthorKind) (*ticket.Ticket, ticket.Changeset) {
	now := d.tick()
	tk := &ticket.Ticket{ID: dbkit.NewID(), Subject: "help " + requester, RequesterID: requester, Channel: ch, Status: ticket.StatusNew,
		Priority: ticket.PriorityNormal, CreatedAt: now, UpdatedAt: now}
	msg := ticket.Message{ID: dbkit.NewID(), TicketID: tk.ID, Kind: ticket.KindPublicReply, AuthorKind: author, Body: "hello", CreatedAt: now}
	ev := ticket.Event{ID: dbkit.NewID(), TicketID: tk.ID, Field: ticket.FieldStatus, New: string(ticket.StatusNew), At: now}
	return tk, ticket.Changeset{Tickets: []*ticket.Ticket{tk}, NewMessages: []ticket.Message{msg}, Events: []ticket.Event{ev}}
}

func (d *desk) open(requester string, ch ticket.Channel, author ticket.AuthorKind) *ticket.Ticket {
	tk, cs := d.opening(requester, ch, author)
	d.save(cs)
	return tk
}

func (d *desk) save(cs ticket.Changeset) {
	d.t.Helper()
	if err := d.s.Save(context.Background(), cs); err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) reload(tk *ticket.Ticket) {
	d.t.Helper()
	got, err := d.s.GetTicket(context.Background(), tk.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	*tk = got
}

// reply posts a public reply or a note by an agent or the customer.
func (d *desk) reply(tk *ticket.Ticket, kind ticket.MessageKind, author ticket.AuthorKind) ticket.Message {
	d.reload(tk)
	now := d.tick()
	tk.UpdatedAt = now
	m := ticket.Message{ID: dbkit.NewID(), TicketID: tk.ID, Kind: kind, AuthorKind: author, Body: "re", CreatedAt: now}
	d.save(ticket.Changeset{Tickets: []*ticket.Ticket{tk}, NewMessages: []ticket.Message{m}})
	return m
}

func (d *desk) status(tk *ticket.Ticket, st ticket.Status) {
	d.reload(tk)
	now := d.tick()
	old := tk.Status
	tk.Status, tk.UpdatedAt = st, now
	d.save(ticket.Changeset{Tickets: []*ticket.Ticket{tk},
		Events: []ticket.Event{{ID: dbkit.NewID(), TicketID: tk.ID, Field: ticket.FieldStatus, Old: string(old), New: string(st), At: now}}})
}

// mergeChangeset is what the service saves to merge dup into target.
func (d *desk) mergeChangeset(target, dup *ticket.Ticket) ticket.Changeset {
	ctx := context.Background()
	d.reload(target)
	d.reload(dup)
	msgs, err := d.s.ListMessages(ctx, dup.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	res, err := ticket.Merge(target, dup, msgs, ticket.Actor{Kind: ticket.AuthorAgent, ID: "a1"}, d.tick())
	if err != nil {
		d.t.Fatal(err)
	}
	for i := range res.Notes {
		res.Notes[i].ID = dbkit.NewID()
	}
	for i := range res.Events {
		res.Events[i].ID = dbkit.NewID()
	}
	return ticket.Changeset{Tickets: []*ticket.Ticket{target, dup}, NewMessages: res.Notes, UpdatedMessages: res.Moved, Events: res.Events}
}

// story gives requester (and its alias) a history with everything the timeline shows:
// tickets on two channels, one opened by an agent, agent replies, customer replies
// and notes (not shown), solved twice (reopened), a merge of its ticket into another
// requester's and of another requester's ticket into its own.
func (d *desk) story(requester, alias, stranger string) {
	a := d.open(requester, ticket.ChannelEmail, ticket.AuthorCustomer)
	d.reply(a, ticket.KindPublicReply, ticket.AuthorAgent)
	d.reply(a, ticket.KindPublicReply, ticket.AuthorCustomer)
	d.reply(a, ticket.KindInternalNote, ticket.AuthorAgent)
	d.status(a, ticket.StatusSolved)
	d.status(a, ticket.StatusOpen)
	d.reply(a, ticket.KindPublicReply, ticket.AuthorAgent)
	d.status(a, ticket.StatusSolved)
	b := d.open(requester, ticket.ChannelPhone, ticket.AuthorAgent) // logged by an agent
	d.reply(b, ticket.KindPublicReply, ticket.AuthorAgent)
	c := d.open(alias, ticket.ChannelEmail, ticket.AuthorCustomer)
	d.reply(c, ticket.KindPublicReply, ticket.AuthorAgent)
	d.status(c, ticket.StatusSolved)
	// Its ticket merged into a stranger's: the replies go with the messages.
	mine := d.open(requester, ticket.ChannelEmail, ticket.AuthorAgent)
	d.reply(mine, ticket.KindPublicReply, ticket.AuthorAgent)
	theirs := d.open(stranger, ticket.ChannelEmail, ticket.AuthorCustomer)
	d.save(d.mergeChangeset(theirs, mine))
	// A stranger's ticket merged into its own.
	other := d.open(stranger, ticket.ChannelChat, ticket.AuthorAgent)
	d.reply(other, ticket.KindPublicReply, ticket.AuthorAgent)
	d.save(d.mergeChangeset(a, other))
	// Its own two tickets merged.
	x := d.open(requester, ticket.ChannelChat, ticket.AuthorCustomer)
	d.reply(x, ticket.KindPublicReply, ticket.AuthorAgent)
	d.save(d.mergeChangeset(b, x))
}

// sameReads checks TicketsOfRequesters, CountTicketsOfRequesters and Timeline.Page of
// the index against the scans, for ids (the first the profile, the rest its aliases).
func sameReads(t *testing.T, s *Store, ids []string) {
	t.Helper()
	compareReads(t, s, ids, true)
}

// sameWhole is sameReads with the first page of the whole timeline only.
func sameWhole(t *testing.T, s *Store, ids []string) {
	t.Helper()
	compareReads(t, s, ids, false)
}

func compareReads(t *testing.T, s *Store, ids []string, pages bool) {
	t.Helper()
	ctx := context.Background()
	for _, per := range []int{1, 2, 100} {
		got, err := s.TicketsOfRequesters(ctx, ids, per)
		if err != nil {
			t.Fatal(err)
		}
		want, err := scanTicketsOfRequesters(ctx, s, ids, per)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(byRequester(got), byRequester(want)) {
			t.Fatalf("TicketsOfRequesters(%v, %d):\n got %v\nwant %v", ids, per, ticketIDs(got), ticketIDs(want))
		}
	}
	for i := range ids {
		got, err := s.CountTicketsOfRequesters(ctx, ids[:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := scanCount(ctx, s, ids[:i+1]); got != want {
			t.Fatalf("CountTicketsOfRequesters(%v) = %d, want %d", ids[:i+1], got, want)
		}
	}
	tl := &Timeline{Tickets: s, Aliases: func(context.Context, string) ([]string, error) { return ids[1:], nil }}
	want, err := scanTimeline(ctx, s, ids, nil, c360.TimelineFilter{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	filters := []c360.TimelineFilter{{}, {Channels: []string{"email"}}, {Channels: []string{"phone", "chat"}},
		{Types: []string{TicketReplied}}, {Types: []string{TicketSolved, TicketCreated}}, {Types: []string{"order"}}}
	froms := []*c360.Position{nil}
	if !pages {
		filters = filters[:1]
	}
	for i, it := range want {
		if i%4 == 1 && pages {
			froms = append(froms, &c360.Position{At: it.At, Kind: it.Kind, ID: it.ID})
		}
	}
	for _, f := range filters {
		for i, from := range froms {
			for _, limit := range []int{1, 3, 50}[i%2:] {
				got, err := tl.Page(ctx, ids[0], from, f, limit)
				if err != nil {
					t.Fatal(err)
				}
				want, err := scanTimeline(ctx, s, ids, from, f, limit)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Timeline.Page(%v, %+v, %+v, %d):\n got %v\nwant %v", ids, from, f, limit, itemIDs(got), itemIDs(want))
				}
			}
		}
	}
}

func byRequester(ts []ticket.Ticket) map[string][]ticket.Ticket {
	out := map[string][]ticket.Ticket{}
	for _, t := range ts {
		out[t.RequesterID] = append(out[t.RequesterID], t)
	}
	return out
}

func ticketIDs(ts []ticket.Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.RequesterID+"/"+t.ID)
	}
	return out
}

func itemIDs(its []c360.TimelineItem) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.ID)
	}
	return out
}

// ---------------------------------------------------------------- tests

// The index gives what the scans gave, through replies, notes, solves, reopenings and
// merges within and across requesters.
func TestTicketRequesterIndexReadsAsScans(t *testing.T) {
	s := New(testdb.DB(t), testdb.Backend(t))
	d := newDesk(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	d.story("cus_other", "cus_x", "cus_me")
	sameReads(t, s, []string{"cus_me", "cus_alias"})
	sameReads(t, s, []string{"cus_other", "cus_x", "cus_me"})
	sameReads(t, s, []string{"cus_nobody"})
	if n, _ := s.journal.CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Fatalf("%d journals left", n)
	}
}

// The Customer 360's help-desk reads of one requester send as many commands on a
// database of 20 other requesters as on one of 400, and on FerretDB every filter is
// a bare _id.
func TestTicketRequesterReadsBounded(t *testing.T) {
	ctx := context.Background()
	b := testdb.Backend(t)
	type counts struct{ tickets, count, timeline int }
	measure := func(others int) counts {
		db := testdb.DB(t)
		d := newDesk(t, New(db, b))
		d.story("cus_me", "cus_alias", "cus_0")
		// The others' tickets, replies and solves, fifty tickets a changeset.
		var cs ticket.Changeset
		flush := func() {
			if len(cs.Tickets) > 0 {
				d.save(cs)
			}
			cs = ticket.Changeset{}
		}
		for i := range others {
			tk, one := d.opening(fmt.Sprint("cus_", i), ticket.ChannelEmail, ticket.AuthorCustomer)
			now := d.tick()
			one.NewMessages = append(one.NewMessages, ticket.Message{ID: dbkit.NewID(), TicketID: tk.ID, Kind: ticket.KindPublicReply,
				AuthorKind: ticket.AuthorAgent, Body: "re", CreatedAt: now})
			one.Events = append(one.Events, ticket.Event{ID: dbkit.NewID(), TicketID: tk.ID, Field: ticket.FieldStatus, Old: "new", New: "solved", At: now})
			cs.Tickets = append(cs.Tickets, one.Tickets...)
			cs.NewMessages = append(cs.NewMessages, one.NewMessages...)
			cs.Events = append(cs.Events, one.Events...)
			if len(cs.Tickets) == 50 {
				flush()
			}
		}
		flush()

		log := &testdb.CommandLog{Only: []string{"tickets", "ticket_messages", "ticket_events", ticketindex.RequestersCollection}}
		s := New(testdb.MonitoredClient(t, log).Database(db.Name()), b)
		ids := []string{"cus_me", "cus_alias"}
		var c counts
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
		check("TicketsOfRequesters", &c.tickets, func() error {
			ts, err := s.TicketsOfRequesters(ctx, ids[:1], 10)
			if err == nil && len(ts) != 4 {
				err = fmt.Errorf("%d tickets", len(ts))
			}
			return err
		})
		check("CountTicketsOfRequesters", &c.count, func() error {
			n, err := s.CountTicketsOfRequesters(ctx, ids)
			if err == nil && n != 5 {
				err = fmt.Errorf("%d tickets counted", n)
			}
			return err
		})
		tl := &Timeline{Tickets: s, Aliases: func(context.Context, string) ([]string, error) { return ids[1:], nil }}
		check("Timeline.Page", &c.timeline, func() error {
			its, err := tl.Page(ctx, ids[0], nil, c360.TimelineFilter{}, 50)
			if err == nil && len(its) < 10 {
				err = fmt.Errorf("%d timeline items", len(its))
			}
			return err
		})
		sameWhole(t, s, ids)
		return c
	}
	small, large := measure(20), measure(400)
	if small != large {
		t.Fatalf("commands grow with the database: %+v with 20 other requesters, %+v with 400", small, large)
	}
}

// A database written before the index gets it at start, once: the reads are then those
// of the scans, and a second run changes nothing.
func TestTicketRequesterIndexMigration(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := New(db, testdb.Backend(t))
	d := newDesk(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	d.story("cus_other", "cus_x", "cus_me")
	// As an older version left it: no index, no marker.
	if err := s.index.Requesters().Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TicketsOfRequesters(ctx, []string{"cus_me"}, 10); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CountTicketsOfRequesters(ctx, []string{"cus_me"}); got != 0 {
		t.Fatalf("no index, yet %d tickets counted", got)
	}
	if err := s.EnsureRequesterIndex(ctx); err != nil {
		t.Fatal(err)
	}
	sameReads(t, s, []string{"cus_me", "cus_alias"})
	sameReads(t, s, []string{"cus_other", "cus_x", "cus_me"})
	before, err := dbkit.FindAll[ticketindex.RequesterDoc](ctx, s.index.Requesters(), bson.M{}, options.Find().SetSort(bson.M{"_id": 1}))
	if err != nil {
		t.Fatal(err)
	}
	// Once: a second start does not scan again; and running it again (a crash before
	// the marker) writes nothing twice.
	log := &testdb.CommandLog{Only: []string{"tickets", "ticket_messages", "ticket_events", ticketindex.RequestersCollection}}
	mon := New(testdb.MonitoredClient(t, log).Database(db.Name()), testdb.Backend(t))
	log.Record(true)
	if err := mon.EnsureRequesterIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if cmds := log.Record(false); len(cmds) != 0 {
		t.Fatalf("second start ran the migration again: %v", cmds)
	}
	if _, err := db.Collection(ticketindex.MigrationsCollection).DeleteOne(ctx, bson.M{"_id": ticketindex.RequesterMigration}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureRequesterIndex(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := dbkit.FindAll[ticketindex.RequesterDoc](ctx, s.index.Requesters(), bson.M{}, options.Find().SetSort(bson.M{"_id": 1}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("second run changed the index:\n%+v\n%+v", before, after)
	}
	// And the index follows what is written after.
	d.story("cus_me", "cus_alias", "cus_other")
	sameReads(t, s, []string{"cus_me", "cus_alias"})
}

// A crash (the process killed) after any write of a Save, then a restart (Recover) and
// the same Save again, ends as if nothing had happened; and before Recover the reads
// show no ticket whose write did not happen.
func TestTicketRequesterIndexCrash(t *testing.T) {
	ctx := context.Background()
	b := testdb.Backend(t)
	// Every step of Save, in order, as a crash point.
	type step func(s *Store, j *ticketdoc.Journal) error
	steps := []struct {
		name string
		run  step
	}{
		{"journal", func(s *Store, j *ticketdoc.Journal) error { _, err := s.journal.InsertOne(ctx, j); return err }},
		{"index intent", func(s *Store, j *ticketdoc.Journal) error { return s.index.RequesterIntent(ctx, j) }},
		{"tickets", func(s *Store, j *ticketdoc.Journal) error { return s.applyTickets(ctx, j, nil) }},
		{"messages and events", func(s *Store, j *ticketdoc.Journal) error { return s.writeChanges(ctx, j) }},
		{"index commit", func(s *Store, j *ticketdoc.Journal) error { return s.index.RequesterCommit(ctx, j) }},
		{"finish", func(s *Store, j *ticketdoc.Journal) error { return s.finish(ctx, j) }},
	}
	// The changesets of the story after which it crashes: the opening of a ticket, an
	// agent reply, a solve and a merge across requesters.
	type change func(d *desk) ticket.Changeset
	var kept *ticket.Ticket
	changes := []struct {
		name string
		cs   change
		old  bool // the journal of a version without the index
	}{
		{"open", func(d *desk) ticket.Changeset {
			tk, cs := d.opening("cus_me", ticket.ChannelEmail, ticket.AuthorAgent)
			kept = tk
			return cs
		}, false},
		{"reply", func(d *desk) ticket.Changeset {
			d.reload(kept)
			now := d.tick()
			m := ticket.Message{ID: dbkit.NewID(), TicketID: kept.ID, Kind: ticket.KindPublicReply, AuthorKind: ticket.AuthorAgent, Body: "re", CreatedAt: now}
			return ticket.Changeset{Tickets: []*ticket.Ticket{kept}, NewMessages: []ticket.Message{m}}
		}, false},
		{"solve", func(d *desk) ticket.Changeset {
			d.reload(kept)
			now := d.tick()
			kept.Status = ticket.StatusSolved
			return ticket.Changeset{Tickets: []*ticket.Ticket{kept}, Events: []ticket.Event{{ID: dbkit.NewID(), TicketID: kept.ID, Field: ticket.FieldStatus, New: "solved", At: now}}}
		}, false},
		{"merge", func(d *desk) ticket.Changeset {
			other := d.open("cus_other", ticket.ChannelChat, ticket.AuthorCustomer)
			d.reload(kept)
			kept.Status = ticket.StatusOpen
			d.save(ticket.Changeset{Tickets: []*ticket.Ticket{kept}})
			return d.mergeChangeset(other, kept)
		}, false},
		{"older merge", func(d *desk) ticket.Changeset {
			mine := d.open("cus_me", ticket.ChannelEmail, ticket.AuthorAgent)
			d.reply(mine, ticket.KindPublicReply, ticket.AuthorAgent)
			other := d.open("cus_other", ticket.ChannelChat, ticket.AuthorCustomer)
			return d.mergeChangeset(other, mine)
		}, true},
	}
	for ci, ch := range changes {
		for si, st := range steps[:len(steps)-1] {
			t.Run(ch.name+" after "+st.name, func(t *testing.T) {
				db := testdb.DB(t)
				s := New(db, b)
				d := newDesk(t, s)
				d.story("cus_me", "cus_alias", "cus_other")
				for _, prev := range changes[:ci] {
					if !prev.old {
						d.save(prev.cs(d))
					}
				}
				cs := ch.cs(d)
				j, err := s.journalOf(ctx, cs)
				if err != nil {
					t.Fatal(err)
				}
				if ch.old {
					if len(j.Moves) == 0 {
						t.Fatal("the merge moves no agent reply")
					}
					j.IndexV, j.Moves = 0, nil
				}
				for _, run := range steps[:si+1] {
					if err := run.run(s, &j); err != nil {
						t.Fatal(err)
					}
				}
				// kill -9, restart.
				s = New(db, b)
				d.s = s
				if ch.name == "open" && si < 2 {
					// Before the ticket write: it is nowhere, even before Recover.
					ts, err := s.TicketsOfRequesters(ctx, []string{"cus_me"}, 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range ts {
						if tk.ID == kept.ID {
							t.Fatalf("phantom ticket %s listed", tk.ID)
						}
					}
					tl := &Timeline{Tickets: s}
					its, err := tl.Page(ctx, "cus_me", nil, c360.TimelineFilter{}, 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, it := range its {
						if strings.HasPrefix(it.ID, kept.ID) {
							t.Fatalf("phantom ticket %s on the timeline", it.ID)
						}
					}
				}
				// Before Recover the index says what the collections say, but for the
				// messages and events written before their entries: they show once the
				// change is rolled forward (as they did before the index for a crash
				// before their write).
				if st.name != "messages and events" {
					sameWhole(t, s, []string{"cus_me", "cus_alias"})
					sameWhole(t, s, []string{"cus_other"})
				}
				s.Now = func() time.Time { return time.Now().UTC().Add(time.Hour) }
				if err := s.Recover(ctx, time.Minute); err != nil {
					t.Fatal(err)
				}
				assertIndexClean(t, s)
				sameWhole(t, s, []string{"cus_me", "cus_alias"})
				sameWhole(t, s, []string{"cus_other"})
				// The retry, if the change did not happen (Recover discarded it); one that
				// did was rolled forward.
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
				sameWhole(t, s, []string{"cus_me", "cus_alias"})
				sameWhole(t, s, []string{"cus_other"})
				assertIndexClean(t, s)
			})
		}
	}
}

// assertIndexClean checks that nothing is pending, no element is there twice, and
// every entry names a ticket, message or event that exists.
func assertIndexClean(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	docs, err := dbkit.FindAll[ticketindex.RequesterDoc](ctx, s.index.Requesters(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		for _, e := range d.Tickets {
			if tk, err := s.GetTicket(ctx, e.ID); err != nil || tk.RequesterID != d.ID {
				t.Errorf("%s: entry of ticket %s: %v %v", d.ID, e.ID, tk.RequesterID, err)
			}
		}
		for _, x := range d.Items {
			c := s.messages
			if x.Kind == TicketSolved {
				c = s.events
			}
			if n, _ := c.CountDocuments(ctx, bson.M{"_id": x.ID, "ticketId": x.Ticket}); n != 1 {
				t.Errorf("%s: item %+v names nothing", d.ID, x)
			}
		}
		if len(d.Pending) > 0 {
			t.Errorf("%s: pending %v left", d.ID, d.Pending)
		}
		seen := map[string]bool{}
		for _, e := range d.Tickets {
			if seen[e.ID] {
				t.Errorf("%s: ticket %s twice", d.ID, e.ID)
			}
			seen[e.ID] = true
		}
		items := map[string]bool{}
		for _, x := range d.Items {
			if items[x.ID] {
				t.Errorf("%s: item %s twice", d.ID, x.ID)
			}
			items[x.ID] = true
		}
	}
}

// A changeset undone on a conflict leaves no entry behind, and a duplicate ticket id
// does not take the existing ticket's entry away.
func TestTicketRequesterIndexConflict(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	d := newDesk(t, s)
	existing := d.open("cus_other", ticket.ChannelEmail, ticket.AuthorCustomer)
	fresh, cs := d.opening("cus_me", ticket.ChannelEmail, ticket.AuthorCustomer)
	dup := *existing
	dup.RequesterID, dup.Version = "cus_me", 0
	cs.Tickets = append(cs.Tickets, &dup)
	if err := s.Save(ctx, cs); !errors.Is(err, ticket.ErrConflict) {
		t.Fatalf("duplicate ticket: %v", err)
	}
	if _, err := s.GetTicket(ctx, fresh.ID); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("undone ticket: %v", err)
	}
	sameReads(t, s, []string{"cus_me"})
	sameReads(t, s, []string{"cus_other"})
	assertIndexClean(t, s)
	var me ticketindex.RequesterDoc
	if err := s.index.Requesters().FindOne(ctx, bson.M{"_id": "cus_me"}).Decode(&me); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatal(err)
	}
	if len(me.Tickets) != 0 {
		t.Fatalf("entries of an undone change left: %+v", me)
	}
}

// Erasing a requester's tickets deletes its index document.
func TestTicketRequesterIndexErasure(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	d := newDesk(t, s)
	d.story("cus_me", "cus_alias", "cus_other")
	open := d.open("cus_me", ticket.ChannelChat, ticket.AuthorCustomer)
	n, err := s.RedactRequesters(ctx, []string{"cus_me", "cus_alias"}, func(v string) string { return strings.ReplaceAll(v, "help", "[erased]") })
	if err != nil || n != 6 {
		t.Fatalf("redacted %d: %v", n, err)
	}
	for _, id := range []string{"cus_me", "cus_alias"} {
		if c, _ := s.index.Requesters().CountDocuments(ctx, bson.M{"_id": id}); c != 0 {
			t.Fatalf("index document of %s kept", id)
		}
	}
	sameReads(t, s, []string{"cus_other"})
	// The desk may still answer the ticket: that does not bring the document back.
	d.reply(open, ticket.KindPublicReply, ticket.AuthorAgent)
	d.status(open, ticket.StatusSolved)
	if c, _ := s.index.Requesters().CountDocuments(ctx, bson.M{"_id": "cus_me"}); c != 0 {
		t.Fatal("index document of cus_me written again")
	}
	// Repeating it is harmless.
	if n, err := s.RedactRequesters(ctx, []string{"cus_me", "cus_alias"}, func(v string) string { return v }); err != nil || n != 6 {
		t.Fatalf("again: %d %v", n, err)
	}
}
