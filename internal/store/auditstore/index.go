package auditstore

import (
	"context"
	"slices"
	"sync"

	"github.com/oklog/ulid/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/audit"
)

// index lists entry ids (16-byte ULIDs, ascending) per actor, action and target, and
// all of them: a filtered page walks the shortest matching list from its end and checks
// the others by binary search. Entries only ever arrive, almost always in id order, so
// the lists are appended to.
type index struct {
	mu       sync.RWMutex
	built    bool
	building bool
	all      []ulid.ULID
	by       map[string][]ulid.ULID
	pending  []pendingAdd  // inserts made during a build, replayed after it
	done     chan struct{} // closed when the build under way ends
}

type pendingAdd struct {
	id   ulid.ULID
	keys []string
}

func newIndex() *index { return &index{by: map[string][]ulid.ULID{}} }

func keysOf(actor, action string, targets []string) []string {
	keys := []string{"a:" + actor, "c:" + action}
	for _, t := range targets {
		keys = append(keys, "t:"+t)
	}
	return keys
}

// insertSorted adds id to an ascending list unless it is there.
func insertSorted(l []ulid.ULID, id ulid.ULID) []ulid.ULID {
	i := len(l)
	for i > 0 && l[i-1].Compare(id) > 0 {
		i--
	}
	if i > 0 && l[i-1] == id {
		return l
	}
	return slices.Insert(l, i, id)
}

func (x *index) applyLocked(id ulid.ULID, keys []string) {
	x.all = insertSorted(x.all, id)
	for _, k := range keys {
		x.by[k] = insertSorted(x.by[k], id)
	}
}

// add records an entry that reached the database.
func (x *index) add(id string, keys []string) {
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case x.built:
		x.applyLocked(u, keys)
	case x.building:
		x.pending = append(x.pending, pendingAdd{u, keys})
	}
}

// build reads every entry once; inserts made meanwhile are replayed after it.
func (x *index) build(ctx context.Context, c *mongo.Collection) error {
	x.mu.Lock()
	if x.built {
		x.mu.Unlock()
		return nil
	}
	if x.building { // another caller builds it: wait for that
		done := x.done
		x.mu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	x.building, x.pending, x.done = true, nil, make(chan struct{})
	x.mu.Unlock()
	fresh := newIndex()
	err := func() error {
		cur, err := c.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"actorId": 1, "action": 1, "targets": 1}).SetBatchSize(10000))
		if err != nil {
			return err
		}
		defer cur.Close(ctx)
		for cur.Next(ctx) {
			var d entryDoc
			if err := cur.Decode(&d); err != nil {
				return err
			}
			if u, err := ulid.ParseStrict(d.ID); err == nil {
				fresh.applyLocked(u, keysOf(d.ActorID, d.Action, d.Targets))
			}
		}
		return cur.Err()
	}()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building = false
	close(x.done)
	if err != nil {
		x.pending = nil
		return err
	}
	for _, p := range x.pending {
		fresh.applyLocked(p.id, p.keys)
	}
	x.all, x.by, x.built, x.pending = fresh.all, fresh.by, true, nil
	return nil
}

// page returns up to limit ids matching f below before, newest first, and whether the
// index is built.
func (x *index) page(f audit.Filter, before string, limit int) ([]string, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.built {
		return nil, false
	}
	lists := [][]ulid.ULID{}
	for _, k := range []struct{ prefix, v string }{{"a:", f.Actor}, {"c:", f.Action}, {"t:", f.Target}} {
		if k.v != "" {
			lists = append(lists, x.by[k.prefix+k.v])
		}
	}
	if len(lists) == 0 {
		lists = append(lists, x.all)
	}
	slices.SortFunc(lists, func(a, b []ulid.ULID) int { return len(a) - len(b) })
	walk, others := lists[0], lists[1:]
	lo, hi := bounds(f, before)
	end := len(walk)
	if hi != "" {
		if u, err := ulid.ParseStrict(hi); err == nil {
			end, _ = slices.BinarySearchFunc(walk, u, func(a, b ulid.ULID) int { return a.Compare(b) })
		}
	}
	var loID ulid.ULID
	if lo != "" {
		loID, _ = ulid.ParseStrict(lo)
	}
	out := []string{}
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		id := walk[i]
		if id.Compare(loID) < 0 {
			break
		}
		in := true
		for _, o := range others {
			if _, found := slices.BinarySearchFunc(o, id, func(a, b ulid.ULID) int { return a.Compare(b) }); !found {
				in = false
				break
			}
		}
		if in {
			out = append(out, id.String())
		}
	}
	return out, true
}
