// Package ticketstore keeps the help desk in MongoDB: tickets, messages, events, agents,
// groups, SLA policies, macros, notifications and the changeset journal of ticket saves.
package ticketstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketindex"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/queueindex"
)

// Store is the MongoDB implementation of ticket.Store, plus the help-desk
// configuration (admin.Store: agents, groups, SLA policies, macros), the queue and
// report reads (queue.Store, report.Store) and the change notifications.
//
// Save writes several documents without transactions, as a small journal:
//  1. the changeset goes into ticket_changesets (one insert);
//  2. each ticket is replaced with the version check {_id, version}, stamping
//     lastCs with the changeset id; a conflict undoes the tickets written so far;
//  3. messages and events are upserted by their ids (idempotent), notifications
//     inserted, and the journal deleted.
//
// A crash before 2 leaves a journal no ticket points at: discarded. A crash after 2
// leaves tickets whose lastCs names a live journal: the next Save of such a ticket,
// or Recover, rolls it forward with step 3. Readers never see events of a change
// that did not happen.
//
// The requester index (package ticketindex) follows the same journal: new tickets'
// entries are written between 1 and 2 as pending, everything else in step 3 after the
// messages and events, and the entries of a change undone or discarded are taken out
// again. The thread lists (ticketindex too) are written in 3, before the messages and
// events they name, and the in-process queue index (queues.go) after each ticket write
// of 2 and each undo.
type Store struct {
	db                                                                         *mongo.Database
	tickets, messages, events, agents, groups, sla, macros, rr, notes, journal *mongo.Collection
	Now                                                                        func() time.Time
	Log                                                                        *slog.Logger
	// b guards the version check and the replace as one step where updates are not
	// atomic (FerretDB's findAndModify reads, compares and writes back: concurrent saves
	// of one ticket lost updates in TestTicketConcurrentSavesKeepCompareAndSet).
	b *dbkit.Backend
	// queues is the in-process queue index of the database (queues.go), used where
	// only _id lookups are indexed.
	queues *queueindex.Index
	// index writes and reads the requester index and the thread lists.
	index *ticketindex.Index
	// observers hear every ticket write (Observe).
	observers []func(id string, t *ticket.Ticket)
}

var _ ticket.Store = (*Store)(nil)

// New wraps a database.
func New(db *mongo.Database, b *dbkit.Backend) *Store {
	s := &Store{b: b, db: db,
		tickets: db.Collection("tickets"), messages: db.Collection("ticket_messages"), events: db.Collection("ticket_events"),
		agents: db.Collection("agents"), groups: db.Collection("groups"), sla: db.Collection("sla_policies"),
		macros: db.Collection("macros"), rr: db.Collection("round_robin"), notes: db.Collection("notifications"),
		journal: db.Collection("ticket_changesets"), queues: queueIndexOf(db),
		Now: func() time.Time { return time.Now().UTC() }, Log: slog.Default(),
	}
	s.index = ticketindex.New(db, b, s.tickets, s.messages, s.events)
	return s
}

// EnsureIndexes creates what the queries need on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.tickets: {
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "assigneeId", Value: 1}}},
			{Keys: bson.D{{Key: "requesterId", Value: 1}}},
			{Keys: bson.D{{Key: "nextDue", Value: 1}, {Key: "_id", Value: 1}}},
			{Keys: bson.D{{Key: "updatedAt", Value: -1}, {Key: "_id", Value: -1}}},
		},
		s.messages: {{Keys: bson.D{{Key: "ticketId", Value: 1}}}},
		s.events:   {{Keys: bson.D{{Key: "ticketId", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}

func ticketNotFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, ticket.ErrNotFound)
}

func (s *Store) GetTicket(ctx context.Context, id string) (ticket.Ticket, error) {
	var d ticketdoc.Ticket
	if err := s.tickets.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return ticket.Ticket{}, ticketNotFound("ticket", id)
		}
		return ticket.Ticket{}, err
	}
	return d.Ticket(), nil
}

// ---------------------------------------------------------------- save

func (s *Store) Save(ctx context.Context, cs ticket.Changeset) error {
	j, err := s.journalOf(ctx, cs)
	if err != nil {
		return err
	}
	if _, err := s.journal.InsertOne(ctx, j); err != nil {
		return err
	}
	// The new tickets' requester entries, pending: before the tickets, after the
	// journal (which takes them out again if the change does not happen).
	err = s.index.RequesterIntent(ctx, &j)
	if err == nil {
		err = s.applyTickets(ctx, &j, nil)
	}
	if err != nil {
		ctx := context.WithoutCancel(ctx)
		if derr := s.index.RequesterDiscard(ctx, &j); derr != nil {
			// The journal stays: Recover discards it, entries first.
			s.Log.Warn("discard requester entries of aborted ticket changeset", "cs", j.ID, "err", derr)
			return err
		}
		if _, derr := s.journal.DeleteOne(ctx, bson.M{"_id": j.ID}); derr != nil {
			s.Log.Warn("delete aborted ticket changeset", "cs", j.ID, "err", derr)
		}
		return err
	}
	for _, t := range cs.Tickets {
		t.Version++
	}
	// The change is committed; if finishing fails, Recover completes it later.
	if err := s.finish(context.WithoutCancel(ctx), &j); err != nil {
		s.Log.Error("finish ticket changeset (will be recovered)", "cs", j.ID, "err", err)
	}
	return nil
}

// journalOf is the journal of a changeset, with where the messages it moves come from.
func (s *Store) journalOf(ctx context.Context, cs ticket.Changeset) (ticketdoc.Journal, error) {
	j := ticketdoc.Journal{ID: dbkit.NewID(), CreatedAt: s.Now(), IndexV: 1}
	for _, t := range cs.Tickets {
		j.Tickets = append(j.Tickets, ticketdoc.JournalTicket{Expect: t.Version, Doc: ticketdoc.FromTicket(t, t.Version+1, j.ID)})
	}
	for _, m := range append(append([]ticket.Message(nil), cs.NewMessages...), cs.UpdatedMessages...) {
		j.Messages = append(j.Messages, ticketdoc.FromMessage(m))
	}
	for _, e := range cs.Events {
		j.Events = append(j.Events, ticketdoc.FromEvent(e))
	}
	if len(cs.UpdatedMessages) > 0 {
		moved := make([]ticketdoc.Message, len(cs.UpdatedMessages))
		for i, m := range cs.UpdatedMessages {
			moved[i] = ticketdoc.FromMessage(m)
		}
		owners := map[string]ticketdoc.Ticket{}
		for _, jt := range j.Tickets {
			owners[jt.Doc.ID] = jt.Doc
		}
		var err error
		j.Moves, err = s.index.MovesOf(ctx, moved, func(id string) (ticketdoc.Ticket, error) {
			if d, ok := owners[id]; ok {
				return d, nil
			}
			d, err := s.GetTicket(ctx, id)
			if errors.Is(err, ticket.ErrNotFound) {
				return ticketdoc.Ticket{}, nil
			}
			return ticketdoc.FromTicket(&d, d.Version, ""), err
		})
		if err != nil {
			return ticketdoc.Journal{}, err
		}
	}
	return j, nil
}

// applyTickets writes the journal's tickets in order with the version check,
// skipping those in done. On a conflict it restores the tickets it wrote.
func (s *Store) applyTickets(ctx context.Context, j *ticketdoc.Journal, done map[string]bool) error {
	defer s.b.Guard("tickets")()
	type undo struct {
		id     string
		before *ticketdoc.Ticket // nil: delete (was an insert)
	}
	var undos []undo
	rollback := func() {
		ctx := context.WithoutCancel(ctx)
		for _, u := range undos {
			var err error
			if u.before == nil {
				var r *mongo.DeleteResult
				if r, err = s.tickets.DeleteOne(ctx, bson.M{"_id": u.id, "lastCs": j.ID}); err == nil && r.DeletedCount > 0 {
					s.queued(nil, u.id)
				}
			} else {
				var r *mongo.UpdateResult
				if r, err = s.tickets.ReplaceOne(ctx, bson.M{"_id": u.id, "lastCs": j.ID}, u.before); err == nil && r.MatchedCount > 0 {
					s.queued(u.before, u.id)
				}
			}
			if err != nil {
				s.Log.Error("undo partial ticket changeset", "cs", j.ID, "ticket", u.id, "err", err)
			}
		}
	}
	for _, jt := range j.Tickets {
		if done[jt.Doc.ID] {
			continue
		}
		if jt.Expect == 0 {
			if _, err := s.tickets.InsertOne(ctx, jt.Doc); err != nil {
				rollback()
				if mongo.IsDuplicateKeyError(err) {
					return fmt.Errorf("ticket %s exists already: %w", jt.Doc.ID, ticket.ErrConflict)
				}
				return err
			}
			s.queued(&jt.Doc, jt.Doc.ID)
			undos = append(undos, undo{id: jt.Doc.ID})
			continue
		}
		var before ticketdoc.Ticket
		err := s.tickets.FindOneAndReplace(ctx, bson.M{"_id": jt.Doc.ID, "version": jt.Expect}, jt.Doc,
			options.FindOneAndReplace().SetReturnDocument(options.Before)).Decode(&before)
		if err != nil {
			rollback()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return s.missingOrConflict(ctx, jt.Doc.ID)
			}
			return err
		}
		s.queued(&jt.Doc, jt.Doc.ID)
		undos = append(undos, undo{id: jt.Doc.ID, before: &before})
		// The previous change of this ticket may have crashed before writing its
		// messages and events: complete it now, before anything else happens to it.
		if before.LastCS != "" {
			if err := s.finishByID(ctx, before.LastCS); err != nil {
				s.Log.Warn("roll forward previous ticket changeset", "cs", before.LastCS, "err", err)
			}
		}
	}
	return nil
}

func (s *Store) missingOrConflict(ctx context.Context, id string) error {
	n, err := s.tickets.CountDocuments(ctx, bson.M{"_id": id})
	if err != nil {
		return err
	}
	if n == 0 {
		return ticketNotFound("ticket", id)
	}
	return fmt.Errorf("ticket %s: %w", id, ticket.ErrConflict)
}

// finishByID rolls a journal forward if it still exists.
func (s *Store) finishByID(ctx context.Context, id string) error {
	var j ticketdoc.Journal
	err := s.journal.FindOne(ctx, bson.M{"_id": id}).Decode(&j)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.finish(ctx, &j)
}

// finish is step 3: idempotent upserts (the thread lists first), the requester index,
// notifications, journal gone.
func (s *Store) finish(ctx context.Context, j *ticketdoc.Journal) error {
	if err := s.writeChanges(ctx, j); err != nil {
		return err
	}
	if err := s.index.ThreadCommit(ctx, j); err != nil {
		return err
	}
	if err := s.index.RequesterCommit(ctx, j); err != nil {
		return err
	}
	var ns []any
	for _, jt := range j.Tickets {
		kind := "updated"
		if jt.Expect == 0 {
			kind = "created"
		}
		ns = append(ns, notificationDoc{ID: notify.NewID(), TicketID: jt.Doc.ID, Kind: kind, At: s.Now()})
	}
	if len(ns) > 0 {
		if _, err := s.notes.InsertMany(ctx, ns); err != nil {
			return err
		}
	}
	_, err := s.journal.DeleteOne(ctx, bson.M{"_id": j.ID})
	return err
}

// writeChanges upserts the journal's messages and events, after their ids are in
// their tickets' thread lists.
func (s *Store) writeChanges(ctx context.Context, j *ticketdoc.Journal) error {
	if err := s.keepMoves(ctx, j); err != nil {
		return err
	}
	if err := s.index.ThreadIntent(ctx, j); err != nil {
		return err
	}
	var ms, es []mongo.WriteModel
	for _, m := range j.Messages {
		ms = append(ms, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": m.ID}).SetReplacement(m).SetUpsert(true))
	}
	for _, e := range j.Events {
		es = append(es, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": e.ID}).SetReplacement(e).SetUpsert(true))
	}
	if err := dbkit.Bulk(ctx, s.b, s.messages, ms); err != nil {
		return err
	}
	return dbkit.Bulk(ctx, s.b, s.events, es)
}

// Recover completes or discards changesets older than age (younger ones may still be
// in flight). Run it at start-up and periodically.
func (s *Store) Recover(ctx context.Context, age time.Duration) error {
	js, err := dbkit.FindAll[ticketdoc.Journal](ctx, s.journal, bson.M{"createdAt": bson.M{"$lt": s.Now().Add(-age)}})
	if err != nil {
		return err
	}
	var errs []error
	for i := range js {
		j := &js[i]
		ids := make([]string, len(j.Tickets))
		for k, jt := range j.Tickets {
			ids[k] = jt.Doc.ID
		}
		cur, err := dbkit.InBatches[ticketdoc.Ticket](ctx, s.b, s.tickets, "_id", ids)
		if err != nil {
			return err
		}
		done := map[string]bool{}
		for _, d := range cur {
			if d.LastCS == j.ID {
				done[d.ID] = true
			}
		}
		switch {
		case len(done) == 0: // never applied (or undone)
			if err = s.index.RequesterDiscard(ctx, j); err == nil {
				_, err = s.journal.DeleteOne(ctx, bson.M{"_id": j.ID})
			}
		case len(done) < len(j.Tickets): // crashed between the tickets of a merge
			if err = s.applyTickets(ctx, j, done); err == nil {
				err = s.finish(ctx, j)
			}
		default:
			err = s.finish(ctx, j)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("changeset %s: %w", j.ID, err))
		}
	}
	return errors.Join(errs...)
}

// ---------------------------------------------------------------- reports

// TicketsForAttainment returns every ticket with an SLA target that may settle in
// [from, to): a target settles at its met time (only if on time, so no later than
// due) or at its due time, hence due >= from.
func (s *Store) TicketsForAttainment(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error) {
	return s.ticketsWhere(ctx, bson.M{"createdAt": bson.M{"$lt": to}, "$or": bson.A{
		bson.M{"firstResponseDue": bson.M{"$gte": from}}, bson.M{"resolutionDue": bson.M{"$gte": from}},
	}})
}

// TicketsRatedBetween returns tickets whose first rating falls in [from, to).
func (s *Store) TicketsRatedBetween(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error) {
	return s.ticketsWhere(ctx, bson.M{"csat.at": bson.M{"$gte": from, "$lt": to}})
}

func (s *Store) ticketsWhere(ctx context.Context, q bson.M) ([]ticket.Ticket, error) {
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, q, options.Find().SetSort(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	out := make([]ticket.Ticket, len(docs))
	for i, d := range docs {
		out[i] = d.Ticket()
	}
	return out, nil
}

// ListMessages returns a ticket's messages oldest first: where only _id lookups are
// indexed, from its thread list and a point read of each message (ticketindex).
func (s *Store) ListMessages(ctx context.Context, ticketID string) ([]ticket.Message, error) {
	var docs []ticketdoc.Message
	th, ok, err := s.index.Thread(ctx, ticketID)
	if ok && err == nil {
		docs, err = ticketindex.ThreadDocs[ticketdoc.Message](ctx, s.messages, th.Msgs, ticketID, func(d ticketdoc.Message) (string, string, time.Time) { return d.ID, d.TicketID, d.CreatedAt })
	} else if err == nil {
		docs, err = s.messagesByQuery(ctx, ticketID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]ticket.Message, len(docs))
	for i, d := range docs {
		out[i] = d.Message()
	}
	return out, nil
}

func (s *Store) messagesByQuery(ctx context.Context, ticketID string) ([]ticketdoc.Message, error) {
	return dbkit.FindAll[ticketdoc.Message](ctx, s.messages, bson.M{"ticketId": ticketID}, options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

// ListEvents returns a ticket's audit trail oldest first, read as ListMessages.
func (s *Store) ListEvents(ctx context.Context, ticketID string) ([]ticket.Event, error) {
	var docs []ticketdoc.Event
	th, ok, err := s.index.Thread(ctx, ticketID)
	if ok && err == nil {
		docs, err = ticketindex.ThreadDocs[ticketdoc.Event](ctx, s.events, th.Evs, ticketID, func(d ticketdoc.Event) (string, string, time.Time) { return d.ID, d.TicketID, d.At })
	} else if err == nil {
		docs, err = s.eventsByQuery(ctx, ticketID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]ticket.Event, len(docs))
	for i, d := range docs {
		out[i] = d.Event()
	}
	return out, nil
}

func (s *Store) eventsByQuery(ctx context.Context, ticketID string) ([]ticketdoc.Event, error) {
	return dbkit.FindAll[ticketdoc.Event](ctx, s.events, bson.M{"ticketId": ticketID}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
}

// ---------------------------------------------------------------- agents, groups, round robin

// CreateAgent links an agent to an API key: the agent id is the key id.
func (s *Store) CreateAgent(ctx context.Context, a ticket.Agent) (ticket.Agent, error) {
	d := ticketdoc.Agent{ID: a.ID, Name: a.Name, Email: a.Email, Groups: []string{}, Available: a.Available, CreatedAt: s.Now()}
	if _, err := s.agents.InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return ticket.Agent{}, fmt.Errorf("agent %s exists already: %w", a.ID, ticket.ErrConflict)
		}
		return ticket.Agent{}, err
	}
	return d.Agent(), nil
}

// SetAgentAvailable turns an agent's round-robin availability on or off.
func (s *Store) SetAgentAvailable(ctx context.Context, id string, available bool) (ticket.Agent, error) {
	var d ticketdoc.Agent
	err := s.agents.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"available": available}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Agent{}, ticketNotFound("agent", id)
	}
	return d.Agent(), err
}

func (s *Store) ListAgents(ctx context.Context) ([]ticket.Agent, error) {
	docs, err := dbkit.FindAll[ticketdoc.Agent](ctx, s.agents, bson.M{}, options.Find().SetSort(bson.M{"createdAt": 1}))
	out := make([]ticket.Agent, len(docs))
	for i, d := range docs {
		out[i] = d.Agent()
	}
	return out, err
}

func (s *Store) GetAgent(ctx context.Context, id string) (ticket.Agent, error) {
	var d ticketdoc.Agent
	err := s.agents.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Agent{}, ticketNotFound("agent", id)
	}
	return d.Agent(), err
}

func (s *Store) GetAgents(ctx context.Context, ids []string) (map[string]ticket.Agent, error) {
	docs, err := dbkit.InBatches[ticketdoc.Agent](ctx, s.b, s.agents, "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ticket.Agent, len(docs))
	for _, d := range docs {
		out[d.ID] = d.Agent()
	}
	return out, nil
}

// CreateGroup stores a group; its agents must exist. Agent.Groups is a denormalised
// copy, written after the group (a crash in between only leaves it stale, and
// round robin reads the group's own list).
func (s *Store) CreateGroup(ctx context.Context, g ticket.Group) (ticket.Group, error) {
	found, err := s.GetAgents(ctx, g.AgentIDs)
	if err != nil {
		return ticket.Group{}, err
	}
	for _, id := range g.AgentIDs {
		if _, ok := found[id]; !ok {
			return ticket.Group{}, &ticket.ValidationError{Field: "agentIds", Reason: fmt.Sprintf("agent %s not found", id)}
		}
	}
	d := ticketdoc.Group{ID: g.ID, Name: g.Name, AgentIDs: g.AgentIDs}
	if d.AgentIDs == nil {
		d.AgentIDs = []string{}
	}
	if _, err := s.groups.InsertOne(ctx, d); err != nil {
		return ticket.Group{}, err
	}
	if len(g.AgentIDs) > 0 {
		if _, err := s.agents.UpdateMany(ctx, bson.M{"_id": bson.M{"$in": g.AgentIDs}}, bson.M{"$addToSet": bson.M{"groups": g.ID}}); err != nil {
			return ticket.Group{}, err
		}
	}
	return d.Group(), nil
}

func (s *Store) ListGroups(ctx context.Context) ([]ticket.Group, error) {
	docs, err := dbkit.FindAll[ticketdoc.Group](ctx, s.groups, bson.M{}, options.Find().SetSort(bson.M{"_id": 1}))
	out := make([]ticket.Group, len(docs))
	for i, d := range docs {
		out[i] = d.Group()
	}
	return out, err
}

func (s *Store) GetGroup(ctx context.Context, id string) (ticket.Group, error) {
	var d ticketdoc.Group
	err := s.groups.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Group{}, ticketNotFound("group", id)
	}
	return d.Group(), err
}

func (s *Store) RoundRobinLast(ctx context.Context, groupID string) (string, error) {
	var d struct {
		Last string `bson:"last"`
	}
	err := s.rr.FindOne(ctx, bson.M{"_id": groupID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return d.Last, err
}

// SetRoundRobinLast is a compare-and-set: the first turn is an insert (a duplicate
// key means someone else took it), later ones an update filtered on the old value.
func (s *Store) SetRoundRobinLast(ctx context.Context, groupID, prev, next string) error {
	if prev == "" {
		_, err := s.rr.InsertOne(ctx, bson.M{"_id": groupID, "last": next})
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("round robin of %s: %w", groupID, ticket.ErrConflict)
		}
		return err
	}
	r, err := s.rr.UpdateOne(ctx, bson.M{"_id": groupID, "last": prev}, bson.M{"$set": bson.M{"last": next}})
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("round robin of %s: %w", groupID, ticket.ErrConflict)
	}
	return nil
}

// ---------------------------------------------------------------- SLA policies, macros

// PutSLAPolicy creates or replaces the policy of its priority.
func (s *Store) PutSLAPolicy(ctx context.Context, p ticket.SLAPolicy) error {
	d := ticketdoc.FromSLA(p)
	_, err := s.sla.ReplaceOne(ctx, bson.M{"_id": d.Priority}, d, options.Replace().SetUpsert(true))
	return err
}

func (s *Store) SLAPolicy(ctx context.Context, p ticket.Priority) (ticket.SLAPolicy, error) {
	var d ticketdoc.SLA
	err := s.sla.FindOne(ctx, bson.M{"_id": string(p)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.SLAPolicy{}, ticketNotFound("SLA policy", string(p))
	}
	if err != nil {
		return ticket.SLAPolicy{}, err
	}
	return d.Policy()
}

func (s *Store) ListSLAPolicies(ctx context.Context) ([]ticket.SLAPolicy, error) {
	docs, err := dbkit.FindAll[ticketdoc.SLA](ctx, s.sla, bson.M{})
	if err != nil {
		return nil, err
	}
	var out []ticket.SLAPolicy
	for _, d := range docs {
		p, err := d.Policy()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Store) CreateMacro(ctx context.Context, m ticket.Macro) error {
	_, err := s.macros.InsertOne(ctx, ticketdoc.FromMacro(m))
	return err
}

func (s *Store) GetMacro(ctx context.Context, id string) (ticket.Macro, error) {
	var d ticketdoc.Macro
	err := s.macros.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Macro{}, ticketNotFound("macro", id)
	}
	return d.Macro(), err
}

func (s *Store) ListMacros(ctx context.Context) ([]ticket.Macro, error) {
	docs, err := dbkit.FindAll[ticketdoc.Macro](ctx, s.macros, bson.M{}, options.Find().SetSort(bson.M{"name": 1}))
	out := make([]ticket.Macro, len(docs))
	for i, d := range docs {
		out[i] = d.Macro()
	}
	return out, err
}

// ---------------------------------------------------------------- notifications

type notificationDoc struct {
	ID       string    `bson:"_id"`
	TicketID string    `bson:"ticketId"`
	Kind     string    `bson:"kind"`
	At       time.Time `bson:"at"`
}

var _ notify.Source = (*Store)(nil)

func (s *Store) NotificationsAfter(ctx context.Context, after string, limit int) ([]notify.Notification, error) {
	docs, err := dbkit.FindAll[notificationDoc](ctx, s.notes, bson.M{"_id": bson.M{"$gt": after}}, options.Find().SetSort(bson.M{"_id": 1}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]notify.Notification, len(docs))
	for i, d := range docs {
		out[i] = notify.Notification(d)
	}
	return out, nil
}

func (s *Store) PruneNotifications(ctx context.Context, before string) error {
	_, err := s.notes.DeleteMany(ctx, bson.M{"_id": bson.M{"$lt": before}})
	return err
}
