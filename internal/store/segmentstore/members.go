package segmentstore

// The members of each segment, in process, where filters are not indexed (the embedded
// backend, one writer): listing a segment's members (Segment.members) and counting them
// after each change would otherwise scan every membership of every segment. One scan of
// segment_members builds it (in the background at start; until then, and after a write
// that failed half way, the queries answer), and this store's membership writes go
// through it. A page is a walk of the segment's ordered ids and a point read of each
// member document on it (for the time it entered).

import (
	"context"
	"sync"

	"github.com/google/btree"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

type memberIndex struct {
	mu       sync.RWMutex
	built    bool
	building bool
	segs     map[string]*btree.BTreeG[string] // segment id -> member profile ids
	log      []memberOp                       // writes made during a build, replayed after it
}

type memberOp struct {
	seg         string
	add, remove []string
	drop        bool // the segment was deleted
}

func newMemberIndex() *memberIndex { return &memberIndex{segs: map[string]*btree.BTreeG[string]{}} }

func (x *memberIndex) applyLocked(op memberOp) {
	if op.drop {
		delete(x.segs, op.seg)
		return
	}
	t := x.segs[op.seg]
	if t == nil {
		t = btree.NewOrderedG[string](32)
		x.segs[op.seg] = t
	}
	for _, id := range op.add {
		t.ReplaceOrInsert(id)
	}
	for _, id := range op.remove {
		t.Delete(id)
	}
}

// write records a membership write that reached the database.
func (x *memberIndex) write(op memberOp) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case x.built:
		x.applyLocked(op)
	case x.building:
		x.log = append(x.log, op)
	}
}

// build reads every membership once; writes made meanwhile are replayed after it.
func (x *memberIndex) build(ctx context.Context, c *mongo.Collection) error {
	x.mu.Lock()
	if x.built || x.building {
		x.mu.Unlock()
		return nil
	}
	x.building, x.log = true, nil
	x.mu.Unlock()
	fresh := &memberIndex{segs: map[string]*btree.BTreeG[string]{}}
	err := func() error {
		cur, err := c.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"segmentId": 1, "profileId": 1}).SetBatchSize(10000))
		if err != nil {
			return err
		}
		defer cur.Close(ctx)
		for cur.Next(ctx) {
			var d memberDoc
			if err := cur.Decode(&d); err != nil {
				return err
			}
			fresh.applyLocked(memberOp{seg: d.SegmentID, add: []string{d.ProfileID}})
		}
		return cur.Err()
	}()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building = false
	if err != nil {
		x.log = nil
		return err
	}
	for _, op := range x.log {
		fresh.applyLocked(op)
	}
	x.segs, x.built, x.log = fresh.segs, true, nil
	return nil
}

// invalidate drops the index after a write that may have been applied in part; the
// queries answer until it is built again.
func (x *memberIndex) invalidate() {
	x.mu.Lock()
	x.built, x.segs = false, map[string]*btree.BTreeG[string]{}
	x.mu.Unlock()
}

// page returns up to limit member ids of seg after after, and whether the index is built.
func (x *memberIndex) page(seg, after string, limit int) ([]string, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.built {
		return nil, false
	}
	var out []string
	if t := x.segs[seg]; t != nil {
		t.AscendGreaterOrEqual(after, func(id string) bool {
			if id == after {
				return true
			}
			out = append(out, id)
			return len(out) < limit
		})
	}
	return out, true
}

// count returns the number of members of seg, and whether the index is built.
func (x *memberIndex) count(seg string) (int64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.built {
		return 0, false
	}
	if t := x.segs[seg]; t != nil {
		return int64(t.Len()), true
	}
	return 0, true
}

func (s *Store) memberIndex() *memberIndex { return dbkit.Shared(s.db, newMemberIndex) }

// BuildMemberIndex builds the in-process member index (nothing where filters are
// indexed). Run it in the background at start.
func (s *Store) BuildMemberIndex(ctx context.Context) error {
	if s.b.IndexedFilters {
		return nil
	}
	return s.memberIndex().build(ctx, s.members())
}

// wrote records a membership write (err: it may have been applied in part).
func (s *Store) wrote(op memberOp, err error) {
	if s.b.IndexedFilters {
		return
	}
	if err != nil {
		s.memberIndex().invalidate()
		return
	}
	s.memberIndex().write(op)
}

// countMembers counts a segment's members: from the index once built.
func (s *Store) countMembers(ctx context.Context, seg string) (int64, error) {
	if !s.b.IndexedFilters {
		if n, ok := s.memberIndex().count(seg); ok {
			return n, nil
		}
	}
	return s.members().CountDocuments(ctx, bson.M{"segmentId": seg})
}

// deleteMembers deletes member documents by key: bare-_id deletes in bulk where only
// those avoid a scan, $in batches elsewhere.
func (s *Store) deleteMembers(ctx context.Context, keys []string) error {
	if !s.b.IndexedFilters {
		ms := make([]mongo.WriteModel, len(keys))
		for i, k := range keys {
			ms[i] = mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: k}})
		}
		return dbkit.Bulk(ctx, s.b, s.members(), ms)
	}
	for i := 0; i < len(keys); i += 1000 {
		if _, err := s.members().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": keys[i:min(i+1000, len(keys))]}}); err != nil {
			return err
		}
	}
	return nil
}
