package ticketindex

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
)

// The thread lists (collection ticket_threads, _id = ticket id) name each ticket's
// messages and events, so that where only _id lookups are indexed (FerretDB) a ticket's
// conversation and audit trail are one point read of its list and one of each item,
// whatever the size of the database, instead of a scan of every ticket's messages. On
// MongoDB the lists are written too but the ticketId queries, served by indexes, stay.
//
// They follow the changeset journal (see ticketstore.Store.Save) with idempotent array operators, never
// read-modify-write, and only once a changeset's tickets are written (in finish, so
// rolled forward with it; a change undone or discarded never wrote to them):
//
//  1. intent, before the messages and events are upserted: their ids go into the list
//     of the ticket each names ($addToSet);
//  2. commit, after them: the messages a merge moved out of a ticket of the changeset
//     leave that ticket's list ($pullAll).
//
// So every message and event of a ticket is on its list, and a list may name items that
// are not the ticket's (yet, or any more: a crash between the steps, a migration racing
// a merge): readers read each item and keep those whose ticketId is the ticket, so they
// see exactly what the query sees.
const (
	ThreadsCollection = "ticket_threads"
	ThreadMigration   = "ticket_threads"
	threadsGuard      = "ticket_threads"
)

// ThreadDoc is the thread list of one ticket.
type ThreadDoc struct {
	ID   string   `bson:"_id"`
	Msgs []string `bson:"msgs"`
	Evs  []string `bson:"evs"`
}

// Threads is the thread lists' collection.
func (x *Index) Threads() *mongo.Collection { return x.db.Collection(ThreadsCollection) }

type threadAdd struct{ msgs, evs []string }

// addThreads adds ids to thread lists: one bare-_id upsert per ticket, in bulk.
func (x *Index) addThreads(ctx context.Context, adds map[string]*threadAdd) error {
	ids := make([]string, 0, len(adds))
	for id := range adds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var models []mongo.WriteModel
	for _, id := range ids {
		a, add := adds[id], bson.M{}
		if len(a.msgs) > 0 {
			add["msgs"] = bson.M{"$each": a.msgs}
		}
		if len(a.evs) > 0 {
			add["evs"] = bson.M{"$each": a.evs}
		}
		if id == "" || len(add) == 0 {
			continue
		}
		models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetUpdate(bson.M{"$addToSet": add}).SetUpsert(true))
	}
	if len(models) == 0 {
		return nil
	}
	defer x.b.Guard(threadsGuard)()
	return dbkit.Bulk(ctx, x.b, x.Threads(), models)
}

func threadOf(adds map[string]*threadAdd, id string) *threadAdd {
	if adds[id] == nil {
		adds[id] = &threadAdd{}
	}
	return adds[id]
}

// ThreadIntent is step 1: the journal's messages and events on their tickets' lists.
func (x *Index) ThreadIntent(ctx context.Context, j *ticketdoc.Journal) error {
	adds := map[string]*threadAdd{}
	for _, m := range j.Messages {
		a := threadOf(adds, m.TicketID)
		a.msgs = append(a.msgs, m.ID)
	}
	for _, e := range j.Events {
		a := threadOf(adds, e.TicketID)
		a.evs = append(a.evs, e.ID)
	}
	return x.addThreads(ctx, adds)
}

// ThreadCommit is step 2: in a changeset of several tickets (a merge), the messages
// now on one of them leave the lists of the others. Idempotent.
func (x *Index) ThreadCommit(ctx context.Context, j *ticketdoc.Journal) error {
	if len(j.Tickets) < 2 {
		return nil
	}
	var models []mongo.WriteModel
	for _, jt := range j.Tickets {
		var others []string
		for _, m := range j.Messages {
			if m.TicketID != jt.Doc.ID {
				others = append(others, m.ID)
			}
		}
		if len(others) > 0 {
			models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: jt.Doc.ID}}).
				SetUpdate(bson.M{"$pullAll": bson.M{"msgs": others}}))
		}
	}
	if len(models) == 0 {
		return nil
	}
	defer x.b.Guard(threadsGuard)()
	return dbkit.Bulk(ctx, x.b, x.Threads(), models)
}

// Thread reads a ticket's thread list (an empty one if it has none); ok is false where
// the queries are used instead: on MongoDB, and until the lists are built
// (EnsureThreadIndex; a point read of its marker until it is found).
func (x *Index) Thread(ctx context.Context, ticketID string) (ThreadDoc, bool, error) {
	if x.b.IndexedFilters {
		return ThreadDoc{}, false, nil
	}
	if !x.threadsReady.Load() {
		err := x.db.Collection(MigrationsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: ThreadMigration}}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return ThreadDoc{}, false, nil
		}
		if err != nil {
			return ThreadDoc{}, false, err
		}
		x.threadsReady.Store(true)
	}
	var d ThreadDoc
	err := x.Threads().FindOne(ctx, bson.D{{Key: "_id", Value: ticketID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		err = nil
	}
	return d, err == nil, err
}

// ThreadDocs reads the items of a thread list (a point read each), keeps those of the
// ticket and sorts them as the query does: by time, then _id.
func ThreadDocs[T any](ctx context.Context, c *mongo.Collection, ids []string, ticketID string, fields func(T) (id, ticket string, at time.Time)) ([]T, error) {
	docs, err := dbkit.PointReads[T](ctx, c, ids)
	if err != nil {
		return nil, err
	}
	docs = slices.DeleteFunc(docs, func(d T) bool { _, t, _ := fields(d); return t != ticketID })
	slices.SortFunc(docs, func(a, b T) int {
		ida, _, ata := fields(a)
		idb, _, atb := fields(b)
		if c := ata.Compare(atb); c != 0 {
			return c
		}
		return strings.Compare(ida, idb)
	})
	return docs, nil
}

// EnsureThreadIndex builds the thread lists of a database written before them, once:
// one projected scan of the messages and one of the events, their ids added to their
// tickets' lists (adding what is there already changes nothing), and a marker in
// schema_migrations. Until the marker is there the conversations are read by query.
// Call it at start, before serving; running it twice, or on two instances, is harmless.
func (x *Index) EnsureThreadIndex(ctx context.Context) error {
	done := x.db.Collection(MigrationsCollection)
	err := done.FindOne(ctx, bson.D{{Key: "_id", Value: ThreadMigration}}).Err()
	switch {
	case err == nil:
		x.threadsReady.Store(true)
		return nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return err
	}
	proj := options.Find().SetProjection(bson.M{"_id": 1, "ticketId": 1})
	msgs, err := dbkit.FindAll[ticketdoc.Message](ctx, x.messages, bson.M{}, proj)
	if err != nil {
		return err
	}
	evs, err := dbkit.FindAll[ticketdoc.Event](ctx, x.events, bson.M{}, proj)
	if err != nil {
		return err
	}
	adds := map[string]*threadAdd{}
	for _, m := range msgs {
		a := threadOf(adds, m.TicketID)
		a.msgs = append(a.msgs, m.ID)
	}
	for _, e := range evs {
		a := threadOf(adds, e.TicketID)
		a.evs = append(a.evs, e.ID)
	}
	if err := x.addThreads(ctx, adds); err != nil {
		return err
	}
	_, err = done.UpdateOne(ctx, bson.D{{Key: "_id", Value: ThreadMigration}},
		bson.M{"$set": bson.M{"at": time.Now().UTC(), "tickets": len(adds), "messages": len(msgs), "events": len(evs)}}, options.UpdateOne().SetUpsert(true))
	if err == nil {
		x.threadsReady.Store(true)
	}
	return err
}
