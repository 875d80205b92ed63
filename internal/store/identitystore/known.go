package identitystore

// Existence hints for resolution. Most records and identifiers of a bulk import are
// new, and reading each one by _id only to learn that it is missing costs a command
// per record on FerretDB. Where filters are not indexed (the embedded backend, one
// writer), the process keeps the set of identity keys and record ids that exist: built
// by one scan of each collection's _ids at start (in the background; until it is
// built every id is read), extended by every insert and upsert of this store. Ids that
// are not in the set are not read.
//
// The set only ever says "maybe" or "certainly not": ids are never removed (an erased
// identity stays a "maybe", which costs a read), and a key another process inserted
// meanwhile (two instances sharing one embedded database) is still caught on write:
// claims and record inserts are inserts on a unique _id, and resolution retries or
// keeps the other writer's version when one collides.

import (
	"context"
	"sync"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type knownIDs struct {
	mu    sync.RWMutex
	built bool
	ids   map[string]struct{}
}

type knownSets struct{ identities, records knownIDs }

func knownOf(db *mongo.Database) *knownSets {
	return dbkit.Shared(db, func() *knownSets {
		return &knownSets{identities: knownIDs{ids: map[string]struct{}{}}, records: knownIDs{ids: map[string]struct{}{}}}
	})
}

func (k *knownIDs) add(ids ...string) {
	k.mu.Lock()
	for _, id := range ids {
		k.ids[id] = struct{}{}
	}
	k.mu.Unlock()
}

// maybe returns the ids that may exist: all of them until the set is built.
func (k *knownIDs) maybe(ids []string) []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if !k.built {
		return ids
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := k.ids[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// build reads every _id of c into the set; adds made meanwhile are kept.
func (k *knownIDs) build(ctx context.Context, c *mongo.Collection) error {
	cur, err := c.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}).SetBatchSize(10000))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var batch []string
	for cur.Next(ctx) {
		id, ok := cur.Current.Lookup("_id").StringValueOK()
		if ok {
			batch = append(batch, id)
		}
		if len(batch) == 10000 {
			k.add(batch...)
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	k.add(batch...)
	k.mu.Lock()
	k.built = true
	k.mu.Unlock()
	return nil
}

// BuildExistenceHints reads the _ids of identities and source records once, so that
// resolution stops reading ids that cannot exist (see above); nothing where filters
// are indexed. Run it in the background at start: until it is done, every id is read.
func (s *Store) BuildExistenceHints(ctx context.Context) error {
	if s.b.IndexedFilters {
		return nil
	}
	if err := s.known.identities.build(ctx, s.identities); err != nil {
		return err
	}
	return s.known.records.build(ctx, s.records)
}

// MaybeIdentities and MaybeRecords leave out the ids that certainly do not exist.
func (s *Store) MaybeIdentities(keys []string) []string {
	if s.b.IndexedFilters {
		return keys
	}
	return s.known.identities.maybe(keys)
}

func (s *Store) MaybeRecords(ids []string) []string {
	if s.b.IndexedFilters {
		return ids
	}
	return s.known.records.maybe(ids)
}

func (s *Store) knowIdentities(keys ...string) {
	if !s.b.IndexedFilters {
		s.known.identities.add(keys...)
	}
}

func (s *Store) knowRecords(ids ...string) {
	if !s.b.IndexedFilters {
		s.known.records.add(ids...)
	}
}
