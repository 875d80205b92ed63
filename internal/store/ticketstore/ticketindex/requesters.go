package ticketindex

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/reqmemo"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// The requester index (collection ticket_requesters, _id = requester profile id) lists
// what the Customer 360 shows of the help desk for one profile, so that its reads are
// bare-_id point reads whatever the size of the database: the tickets the profile
// opened (id, creation time, channel, in the order they were written) and the timeline
// entries of those tickets (each public agent reply, each move to solved).
//
// It is written with idempotent array operators ($addToSet, $pullAll of whole
// elements), never read-modify-write, in the order of the changeset journal (see ticketstore.Store.Save):
//
//  1. intent, after the journal and before the tickets: a new ticket's entry goes in
//     with its id in "pending";
//  2. commit, in finish after the messages and events (so rolled forward like them,
//     and never ahead of them): the ticket entries again, their ids out of
//     "pending", the reply and solved entries of the changeset's messages and events
//     in, and the reply entries of messages a merge moved out of the requester of the
//     ticket they left (the journal keeps which, as the messages are rewritten);
//  3. discard, when a changeset is undone (conflict) or found never applied by
//     Recover: the entries of its new tickets that do not exist out again.
//
// So an entry not pending names a ticket that was written, and readers only check the
// pending ones (a ticket being created, or left by a crash before Recover) with a point
// read each: a crash at any point leaves no phantom ticket behind.
const (
	RequestersCollection = "ticket_requesters"
	// MigrationsCollection holds a marker of each index built (RequesterMigration,
	// ThreadMigration).
	MigrationsCollection = "schema_migrations"
	RequesterMigration   = "ticket_requesters"
	requestersGuard      = "ticket_requesters"
)

// The kinds of RequesterItem: the timeline's item types (see ticketstore.Timeline).
const (
	KindReplied = "replied"
	KindSolved  = "solved"
)

// RequesterTicket is a ticket of the requester. The field order is fixed: $addToSet and
// $pullAll compare whole elements.
type RequesterTicket struct {
	ID      string    `bson:"id"`
	At      time.Time `bson:"at"` // createdAt
	Channel string    `bson:"ch"`
}

// RequesterItem is a timeline entry of one of the requester's tickets.
type RequesterItem struct {
	Ticket string    `bson:"t"`
	Kind   string    `bson:"k"`  // KindReplied or KindSolved
	ID     string    `bson:"id"` // the message or event id
	At     time.Time `bson:"at"`
}

// RequesterDoc is the index document of one requester.
type RequesterDoc struct {
	ID      string            `bson:"_id"`
	Tickets []RequesterTicket `bson:"tickets"`
	Items   []RequesterItem   `bson:"items"`
	Pending []string          `bson:"pending"`
}

func milli(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func ticketEntry(d ticketdoc.Ticket) RequesterTicket {
	return RequesterTicket{ID: d.ID, At: milli(d.CreatedAt), Channel: d.Channel}
}

func isAgentReply(m ticketdoc.Message) bool {
	return m.Kind == string(ticket.KindPublicReply) && m.AuthorKind == string(ticket.AuthorAgent)
}

func isSolved(e ticketdoc.Event) bool {
	return e.Field == ticket.FieldStatus && e.New == string(ticket.StatusSolved)
}

// Requesters is the requester index's collection.
func (x *Index) Requesters() *mongo.Collection { return x.db.Collection(RequestersCollection) }

// reqUpdate is the change of one requester document.
type reqUpdate struct {
	tickets  []RequesterTicket
	items    []RequesterItem
	pending  []string // added
	resolved []string // taken out of pending
}

func (u *reqUpdate) empty() bool {
	return len(u.tickets)+len(u.items)+len(u.pending)+len(u.resolved) == 0
}

// applyReq writes the updates: one bare-_id update per requester document, in bulk.
func (x *Index) applyReq(ctx context.Context, ups map[string]*reqUpdate) error {
	ids := make([]string, 0, len(ups))
	for id, u := range ups {
		if id != "" && !u.empty() {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	models := make([]mongo.WriteModel, 0, len(ids))
	for _, id := range ids {
		u := ups[id]
		add := bson.M{}
		if len(u.tickets) > 0 {
			add["tickets"] = bson.M{"$each": u.tickets}
		}
		if len(u.items) > 0 {
			add["items"] = bson.M{"$each": u.items}
		}
		if len(u.pending) > 0 {
			add["pending"] = bson.M{"$each": u.pending}
		}
		change := bson.M{}
		if len(add) > 0 {
			change["$addToSet"] = add
		}
		if len(u.resolved) > 0 {
			change["$pullAll"] = bson.M{"pending": u.resolved}
		}
		// Only a ticket entry creates the document: entries of tickets whose requester
		// was erased (its document deleted) do not bring the id back.
		upsert := len(u.tickets) > 0 || len(u.pending) > 0
		models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).SetUpdate(change).SetUpsert(upsert))
	}
	defer x.b.Guard(requestersGuard)()
	return dbkit.Bulk(ctx, x.b, x.Requesters(), models)
}

// pullReq takes whole elements out of one requester document.
func (x *Index) pullReq(ctx context.Context, id string, tickets []RequesterTicket, items []RequesterItem, pending []string) error {
	pull := bson.M{}
	if len(tickets) > 0 {
		pull["tickets"] = tickets
	}
	if len(items) > 0 {
		pull["items"] = items
	}
	if len(pending) > 0 {
		pull["pending"] = pending
	}
	if id == "" || len(pull) == 0 {
		return nil
	}
	defer x.b.Guard(requestersGuard)()
	_, err := x.Requesters().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$pullAll": pull})
	return err
}

// RequesterIntent is step 1: the entries of the changeset's new tickets, pending.
func (x *Index) RequesterIntent(ctx context.Context, j *ticketdoc.Journal) error {
	ups := map[string]*reqUpdate{}
	for _, jt := range j.Tickets {
		if jt.Expect != 0 {
			continue
		}
		u := upd(ups, jt.Doc.RequesterID)
		u.tickets = append(u.tickets, ticketEntry(jt.Doc))
		u.pending = append(u.pending, jt.Doc.ID)
	}
	return x.applyReq(ctx, ups)
}

func upd(ups map[string]*reqUpdate, id string) *reqUpdate {
	if ups[id] == nil {
		ups[id] = &reqUpdate{}
	}
	return ups[id]
}

// Owners gives the stored form of a ticket of the journal, or reads it (a ticket
// that does not exist gives no requester).
func (x *Index) Owners(ctx context.Context, j *ticketdoc.Journal) func(id string) (ticketdoc.Ticket, error) {
	known := map[string]ticketdoc.Ticket{}
	for _, jt := range j.Tickets {
		known[jt.Doc.ID] = jt.Doc
	}
	return func(id string) (ticketdoc.Ticket, error) {
		if d, ok := known[id]; ok {
			return d, nil
		}
		var d ticketdoc.Ticket
		err := x.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			err = nil
		}
		known[id] = d
		return d, err
	}
}

// RequesterCommit is step 2, for a changeset whose tickets, messages and events are
// written. Idempotent.
func (x *Index) RequesterCommit(ctx context.Context, j *ticketdoc.Journal) error {
	owner := x.Owners(ctx, j)
	// Out of the requester of the ticket they left, before they go in elsewhere (the
	// same document, if both tickets are the requester's).
	for _, mv := range j.Moves {
		if err := x.pullReq(ctx, mv.Requester, nil, []RequesterItem{{Ticket: mv.From, Kind: KindReplied, ID: mv.Msg, At: milli(mv.At)}}, nil); err != nil {
			return err
		}
	}
	ups := map[string]*reqUpdate{}
	for _, jt := range j.Tickets {
		if jt.Expect == 0 {
			u := upd(ups, jt.Doc.RequesterID)
			u.tickets = append(u.tickets, ticketEntry(jt.Doc))
			u.resolved = append(u.resolved, jt.Doc.ID)
		}
	}
	for _, m := range j.Messages {
		if !isAgentReply(m) {
			continue
		}
		d, err := owner(m.TicketID)
		if err != nil {
			return err
		}
		u := upd(ups, d.RequesterID)
		u.items = append(u.items, RequesterItem{Ticket: m.TicketID, Kind: KindReplied, ID: m.ID, At: milli(m.CreatedAt)})
	}
	for _, e := range j.Events {
		if !isSolved(e) {
			continue
		}
		d, err := owner(e.TicketID)
		if err != nil {
			return err
		}
		u := upd(ups, d.RequesterID)
		u.items = append(u.items, RequesterItem{Ticket: e.TicketID, Kind: KindSolved, ID: e.ID, At: milli(e.At)})
	}
	return x.applyReq(ctx, ups)
}

// MovesOf finds, among msgs, the agent replies stored on another ticket than theirs
// (one point read each): what a merge moves.
func (x *Index) MovesOf(ctx context.Context, msgs []ticketdoc.Message, owner func(string) (ticketdoc.Ticket, error)) ([]ticketdoc.Move, error) {
	var ids []string
	want := map[string]ticketdoc.Message{}
	for _, m := range msgs {
		if isAgentReply(m) {
			ids = append(ids, m.ID)
			want[m.ID] = m
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	stored, err := dbkit.PointReads[ticketdoc.Message](ctx, x.messages, ids)
	if err != nil {
		return nil, err
	}
	var out []ticketdoc.Move
	for _, st := range stored {
		if m := want[st.ID]; st.TicketID != m.TicketID {
			d, err := owner(st.TicketID)
			if err != nil {
				return nil, err
			}
			out = append(out, ticketdoc.Move{Msg: st.ID, From: st.TicketID, Requester: d.RequesterID, At: milli(st.CreatedAt)})
		}
	}
	return out, nil
}

// RequesterDiscard is step 3, for a changeset that did not happen: the entries of its new
// tickets come out unless the ticket exists as they say (a duplicate id).
func (x *Index) RequesterDiscard(ctx context.Context, j *ticketdoc.Journal) error {
	for _, jt := range j.Tickets {
		if jt.Expect != 0 || jt.Doc.RequesterID == "" {
			continue
		}
		e, rid := ticketEntry(jt.Doc), jt.Doc.RequesterID
		var cur ticketdoc.Ticket
		err := x.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: jt.Doc.ID}}).Decode(&cur)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments), err == nil && cur.RequesterID != rid:
			err = x.pullReq(ctx, rid, []RequesterTicket{e}, nil, []string{jt.Doc.ID})
		case err == nil && ticketEntry(cur) != e:
			// The existing ticket's own entry may still be pending: leave that.
			err = x.pullReq(ctx, rid, []RequesterTicket{e}, nil, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------- reads

// View is what the index says of some requesters, pending entries checked.
type View struct {
	// Entries are the tickets of the requesters, by id; Items the timeline entries of
	// their index documents, as stored (a ticket's may be on several).
	Entries map[string]RequesterTicket
	Items   []RequesterItem
	order   map[string][]string         // requester -> its ticket ids, newest first
	owner   map[string]string           // ticket id -> requester
	fetched map[string]ticketdoc.Ticket // tickets read while checking pending entries
}

// RequesterView reads the index documents of ids (a point read each where only _id
// lookups are indexed) and checks their pending tickets (a point read each).
func (x *Index) RequesterView(ctx context.Context, ids []string) (*View, error) {
	ids = dbkit.Uniq(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" }))
	// Shared within a query (reqmemo): the 360's tickets field and its timeline read
	// the same index documents and tickets.
	docs, err := reqmemo.Read(ctx, "ticketstore.requesters", ids, func(ctx context.Context, ids []string) ([]RequesterDoc, error) {
		return dbkit.InBatches[RequesterDoc](ctx, x.b, x.Requesters(), "_id", ids)
	}, func(d RequesterDoc) string { return d.ID })
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*RequesterDoc, len(docs))
	var pending []string
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
		pending = append(pending, docs[i].Pending...)
	}
	v := &View{order: map[string][]string{}, Entries: map[string]RequesterTicket{}, owner: map[string]string{}, fetched: map[string]ticketdoc.Ticket{}}
	if len(pending) > 0 {
		got, err := dbkit.InBatches[ticketdoc.Ticket](ctx, x.b, x.tickets, "_id", dbkit.Uniq(pending))
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			v.fetched[d.ID] = d
		}
	}
	for _, rid := range ids {
		d := byID[rid]
		if d == nil {
			continue
		}
		for i := len(d.Tickets) - 1; i >= 0; i-- {
			e := d.Tickets[i]
			if _, seen := v.owner[e.ID]; seen {
				continue
			}
			if slices.Contains(d.Pending, e.ID) {
				if f, ok := v.fetched[e.ID]; !ok || f.RequesterID != rid {
					continue // not written (yet, or ever)
				}
			}
			v.owner[e.ID] = rid
			v.Entries[e.ID] = e
			v.order[rid] = append(v.order[rid], e.ID)
		}
		// Newest first, by creation time then id: the same on every backend, whatever
		// order the entries were written in (a migration writes them in scan order).
		slices.SortStableFunc(v.order[rid], func(a, b string) int {
			if c := v.Entries[b].At.Compare(v.Entries[a].At); c != 0 {
				return c
			}
			return strings.Compare(b, a)
		})
		v.Items = append(v.Items, d.Items...)
	}
	return v, nil
}

// TicketsByID reads tickets by id, reusing those read already, keeping those the
// index gives to the requester they name.
func (x *Index) TicketsByID(ctx context.Context, v *View, ids []string) (map[string]ticketdoc.Ticket, error) {
	out := map[string]ticketdoc.Ticket{}
	var missing []string
	for _, id := range ids {
		if d, ok := v.fetched[id]; ok {
			out[id] = d
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		got, err := reqmemo.Read(ctx, "ticketstore.tickets", missing, func(ctx context.Context, ids []string) ([]ticketdoc.Ticket, error) {
			return dbkit.InBatches[ticketdoc.Ticket](ctx, x.b, x.tickets, "_id", ids)
		}, func(d ticketdoc.Ticket) string { return d.ID })
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			out[d.ID] = d
		}
	}
	for id, d := range out {
		if d.RequesterID != v.owner[id] {
			delete(out, id)
		}
	}
	return out, nil
}

// TicketsOfRequesters lists the newest tickets of each profile (at most perProfile):
// one point read of each profile's index document, then one of each ticket listed.
func (x *Index) TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]ticket.Ticket, error) {
	v, err := x.RequesterView(ctx, ids)
	if err != nil {
		return nil, err
	}
	var want []string
	for _, rid := range dbkit.Uniq(ids) {
		o := v.order[rid]
		want = append(want, o[:min(len(o), perProfile)]...)
	}
	docs, err := x.TicketsByID(ctx, v, want)
	if err != nil {
		return nil, err
	}
	var out []ticket.Ticket
	for _, id := range want {
		if d, ok := docs[id]; ok {
			out = append(out, d.Ticket())
		}
	}
	return out, nil
}

// CountTicketsOfRequesters counts tickets opened by any of the profiles: one point read
// of each profile's index document.
func (x *Index) CountTicketsOfRequesters(ctx context.Context, ids []string) (int64, error) {
	v, err := x.RequesterView(ctx, ids)
	if err != nil {
		return 0, err
	}
	return int64(len(v.Entries)), nil
}

// ---------------------------------------------------------------- migration

// EnsureRequesterIndex builds the requester index of a database written before it,
// once: it reads every ticket, every public agent reply and every solved event (one
// projected scan of each), adds their entries to the requesters' documents (adding
// what is there already changes nothing) and records that it did. Call it at start,
// before serving; running it twice, or on two instances at once, is harmless.
func (x *Index) EnsureRequesterIndex(ctx context.Context) error {
	done := x.db.Collection(MigrationsCollection)
	err := done.FindOne(ctx, bson.D{{Key: "_id", Value: RequesterMigration}}).Err()
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return err
	}
	// Natural order: the order the tickets were written, as the index keeps them.
	tks, err := dbkit.FindAll[ticketdoc.Ticket](ctx, x.tickets, bson.M{},
		options.Find().SetProjection(bson.M{"_id": 1, "requesterId": 1, "channel": 1, "createdAt": 1}))
	if err != nil {
		return err
	}
	msgs, err := dbkit.FindAll[ticketdoc.Message](ctx, x.messages, bson.M{"kind": string(ticket.KindPublicReply), "authorKind": string(ticket.AuthorAgent)},
		options.Find().SetProjection(bson.M{"_id": 1, "ticketId": 1, "createdAt": 1}))
	if err != nil {
		return err
	}
	evs, err := dbkit.FindAll[ticketdoc.Event](ctx, x.events, bson.M{"field": ticket.FieldStatus, "new": string(ticket.StatusSolved)},
		options.Find().SetProjection(bson.M{"_id": 1, "ticketId": 1, "at": 1}))
	if err != nil {
		return err
	}
	owner := make(map[string]string, len(tks))
	ups := map[string]*reqUpdate{}
	for _, d := range tks {
		if d.RequesterID == "" {
			continue
		}
		owner[d.ID] = d.RequesterID
		u := upd(ups, d.RequesterID)
		u.tickets = append(u.tickets, ticketEntry(d))
	}
	for _, m := range msgs {
		if rid := owner[m.TicketID]; rid != "" {
			u := upd(ups, rid)
			u.items = append(u.items, RequesterItem{Ticket: m.TicketID, Kind: KindReplied, ID: m.ID, At: milli(m.CreatedAt)})
		}
	}
	for _, e := range evs {
		if rid := owner[e.TicketID]; rid != "" {
			u := upd(ups, rid)
			u.items = append(u.items, RequesterItem{Ticket: e.TicketID, Kind: KindSolved, ID: e.ID, At: milli(e.At)})
		}
	}
	if err := x.applyReq(ctx, ups); err != nil {
		return err
	}
	_, err = done.UpdateOne(ctx, bson.D{{Key: "_id", Value: RequesterMigration}},
		bson.M{"$set": bson.M{"at": time.Now().UTC(), "requesters": len(ups), "tickets": len(owner)}}, options.UpdateOne().SetUpsert(true))
	return err
}

// ForgetRequesters deletes the index documents of erased profiles.
func (x *Index) ForgetRequesters(ctx context.Context, ids []string) error {
	defer x.b.Guard(requestersGuard)()
	for _, id := range dbkit.Uniq(ids) {
		if _, err := x.Requesters().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return err
		}
	}
	return nil
}
