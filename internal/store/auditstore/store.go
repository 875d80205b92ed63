// Package auditstore keeps the audit trail (collection audit_log). Entries are inserted
// with their id and never updated or deleted: the store has no method that could.
// Filtered pages use indexes on MongoDB; on the embedded database, where any filter but
// a bare _id scans, they come from an in-process index (index.go) and bare-_id reads.
package auditstore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Collection holds the entries.
const Collection = "audit_log"

var _ audit.Store = (*Store)(nil)

// Store is the audit trail on one database.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

func (s *Store) coll() *mongo.Collection { return s.db.Collection(Collection) }

type entryDoc struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	ActorID   string    `bson:"actorId"`
	ActorName string    `bson:"actorName"`
	ActorRole string    `bson:"actorRole"`
	Action    string    `bson:"action"`
	Targets   []string  `bson:"targets,omitempty"`
	Change    string    `bson:"change"`
	Result    string    `bson:"result"`
}

// EnsureIndexes creates the indexes of the filtered pages (MongoDB; FerretDB scans
// anyway and the in-process index serves them there).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return dbkit.EnsureIndexes(ctx, map[*mongo.Collection][]mongo.IndexModel{s.coll(): {
		{Keys: bson.D{{Key: "actorId", Value: 1}, {Key: "_id", Value: -1}}},
		{Keys: bson.D{{Key: "action", Value: 1}, {Key: "_id", Value: -1}}},
		{Keys: bson.D{{Key: "targets", Value: 1}, {Key: "_id", Value: -1}}},
	}})
}

// Insert stores e unless its id exists (insert-if-absent: a retry is a no-op).
func (s *Store) Insert(ctx context.Context, e audit.Entry) error {
	d := entryDoc{ID: e.ID, At: e.At, ActorID: e.Actor.KeyID, ActorName: e.Actor.Name, ActorRole: e.Actor.Role,
		Action: e.Action, Targets: e.Targets, Change: e.Change, Result: e.Result}
	dups, err := dbkit.InsertNew(ctx, s.coll(), []entryDoc{d})
	if err != nil {
		return err
	}
	if len(dups) == 0 && !s.b.IndexedFilters {
		s.index().add(d.ID, keysOf(d.ActorID, d.Action, d.Targets))
	}
	return nil
}

// Page returns entries matching f with ids below before, newest first.
func (s *Store) Page(ctx context.Context, f audit.Filter, before string, limit int) ([]audit.Entry, error) {
	if !s.b.IndexedFilters {
		if ids, ok := s.index().page(f, before, limit); ok {
			docs, err := dbkit.PointReads[entryDoc](ctx, s.coll(), ids)
			if err != nil {
				return nil, err
			}
			return toEntries(docs), nil
		}
	}
	q := bson.M{}
	if f.Actor != "" {
		q["actorId"] = f.Actor
	}
	if f.Action != "" {
		q["action"] = f.Action
	}
	if f.Target != "" {
		q["targets"] = f.Target
	}
	if lo, hi := bounds(f, before); lo != "" || hi != "" {
		r := bson.M{}
		if lo != "" {
			r["$gte"] = lo
		}
		if hi != "" {
			r["$lt"] = hi
		}
		q["_id"] = r
	}
	docs, err := dbkit.FindAll[entryDoc](ctx, s.coll(), q, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	return toEntries(docs), nil
}

// bounds turns the time range and the cursor into an id range [lo, hi) ("" for open).
func bounds(f audit.Filter, before string) (lo, hi string) {
	if !f.From.IsZero() {
		lo = audit.IDAt(f.From)
	}
	hi = before
	if !f.To.IsZero() {
		if t := audit.IDAt(f.To); hi == "" || t < hi {
			hi = t
		}
	}
	return lo, hi
}

func toEntries(docs []entryDoc) []audit.Entry {
	out := make([]audit.Entry, len(docs))
	for i, d := range docs {
		out[i] = audit.Entry{ID: d.ID, At: d.At.UTC(), Actor: audit.Actor{KeyID: d.ActorID, Name: d.ActorName, Role: d.ActorRole},
			Action: d.Action, Targets: d.Targets, Change: d.Change, Result: d.Result}
	}
	return out
}

// index is the in-process index of the embedded backend, one per database.
func (s *Store) index() *index { return dbkit.Shared(s.db, newIndex) }

// BuildIndex reads every entry's actor, action and targets once (embedded backend only;
// until it is built, pages are filtered queries).
func (s *Store) BuildIndex(ctx context.Context) error {
	if s.b.IndexedFilters {
		return nil
	}
	return s.index().build(ctx, s.coll())
}
