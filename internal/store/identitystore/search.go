package identitystore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/google/btree"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Search on a backend that serves only bare-_id filters (FerretDB) cannot be a query:
// a prefix regex over searchTokens scans every profile (18-40 s at 13k profiles). There
// one process writes the database, so the live profiles' search tokens are kept in
// process, written through by every profile write of this package: a search finds
// candidate ids in memory and reads just those profiles by _id, checking each (a stale
// entry, such as a profile erased by the privacy store, costs one read and is dropped,
// never a wrong answer). On MongoDB the query stays, served by the searchTokens index.

// searchIndex holds the live profiles and their tokens. The distinct tokens are kept in
// order (a B-tree), so a prefix lookup visits only the tokens with that prefix: an
// exact e-mail costs the same among 100 profiles as among 100,000.
type searchIndex struct {
	mu        sync.RWMutex
	built     bool
	live      []string                       // live profile ids, ascending (ULIDs: creation order)
	byProfile map[string][]string            // profile id -> its tokens
	byToken   map[string]map[string]struct{} // token -> profile ids
	tokens    *btree.BTreeG[string]          // the keys of byToken, in order
}

func indexOf(db *mongo.Database) *searchIndex {
	return dbkit.Shared(db, func() *searchIndex {
		return &searchIndex{byProfile: map[string][]string{}, byToken: map[string]map[string]struct{}{}, tokens: btree.NewOrderedG[string](32)}
	})
}

// inMemorySearch reports whether searches use the in-process index.
func (s *Store) inMemorySearch() bool { return !s.b.IndexedFilters }

// EnsureSearchIndex builds the in-process search index from one read of the live
// profiles' tokens (at start, so the first search is not the one that pays for it).
// Writes made meanwhile wait for it, so none is lost.
func (s *Store) EnsureSearchIndex(ctx context.Context) error {
	if !s.inMemorySearch() {
		return nil
	}
	x := s.search
	x.mu.RLock()
	built := x.built
	x.mu.RUnlock()
	if built { // every search asks: no exclusive lock once built
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.built {
		return nil
	}
	type doc struct {
		ID           string   `bson:"_id"`
		MergedInto   string   `bson:"mergedInto"`
		SearchTokens []string `bson:"searchTokens"`
	}
	cur, err := s.profiles.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"searchTokens": 1, "mergedInto": 1}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d doc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if d.MergedInto == "" {
			x.setLocked(d.ID, d.SearchTokens)
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	x.built = true
	return nil
}

// indexProfiles writes profiles through to the index (merged ones leave it).
func (s *Store) indexProfiles(ps []profile.Profile) {
	if !s.inMemorySearch() || len(ps) == 0 {
		return
	}
	x := s.search
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range ps {
		if p.MergedInto != "" {
			x.removeLocked(p.ID)
		} else {
			x.setLocked(p.ID, p.SearchTokens)
		}
	}
}

// unindex takes profiles out of the index (merged away or deleted).
func (s *Store) unindex(ids ...string) {
	if !s.inMemorySearch() || len(ids) == 0 {
		return
	}
	x := s.search
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		x.removeLocked(id)
	}
}

func (x *searchIndex) setLocked(id string, tokens []string) {
	x.dropTokensLocked(id)
	if i, found := slices.BinarySearch(x.live, id); !found {
		x.live = slices.Insert(x.live, i, id)
	}
	tokens = slices.Clone(tokens)
	x.byProfile[id] = tokens
	for _, t := range tokens {
		ids := x.byToken[t]
		if ids == nil {
			ids = map[string]struct{}{}
			x.byToken[t] = ids
			x.tokens.ReplaceOrInsert(t)
		}
		ids[id] = struct{}{}
	}
}

func (x *searchIndex) removeLocked(id string) {
	x.dropTokensLocked(id)
	delete(x.byProfile, id)
	if i, found := slices.BinarySearch(x.live, id); found {
		x.live = slices.Delete(x.live, i, i+1)
	}
}

func (x *searchIndex) dropTokensLocked(id string) {
	for _, t := range x.byProfile[id] {
		ids := x.byToken[t]
		delete(ids, id)
		if len(ids) == 0 {
			delete(x.byToken, t)
			x.tokens.Delete(t)
		}
	}
}

// withPrefix returns the ids of profiles with a token starting with prefix.
func (x *searchIndex) withPrefix(prefix string) map[string]struct{} {
	out := map[string]struct{}{}
	x.tokens.AscendGreaterOrEqual(prefix, func(t string) bool {
		if !strings.HasPrefix(t, prefix) {
			return false
		}
		for id := range x.byToken[t] {
			out[id] = struct{}{}
		}
		return true
	})
	return out
}

// candidates are the ids matching every term and the id restriction, newest first.
func (x *searchIndex) candidates(q customer.Query) []string {
	var set map[string]struct{}
	for _, t := range q.Terms {
		m := x.withPrefix(strings.ToLower(t))
		if set == nil {
			set = m
			continue
		}
		for id := range set {
			if _, ok := m[id]; !ok {
				delete(set, id)
			}
		}
	}
	var ids []string
	switch {
	case set == nil && len(q.IDs) == 0:
		ids = slices.Clone(x.live)
	case set == nil:
		for _, id := range q.IDs {
			if _, found := slices.BinarySearch(x.live, id); found {
				ids = append(ids, id)
			}
		}
	default:
		for id := range set {
			if len(q.IDs) == 0 || slices.Contains(q.IDs, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return slices.Compact(ids)
}

// searchInMemory answers a search from the index and point reads of the page.
func (s *Store) searchInMemory(ctx context.Context, q customer.Query) ([]profile.Profile, error) {
	if err := s.EnsureSearchIndex(ctx); err != nil {
		return nil, err
	}
	s.search.mu.RLock()
	ids := s.search.candidates(q)
	s.search.mu.RUnlock()
	if q.After != "" {
		i, _ := slices.BinarySearchFunc(ids, q.After, func(a, b string) int { return strings.Compare(b, a) })
		for i < len(ids) && ids[i] >= q.After {
			i++
		}
		ids = ids[i:]
	}
	var out []profile.Profile
	for len(ids) > 0 && (q.Limit <= 0 || len(out) < q.Limit) {
		n := len(ids)
		if q.Limit > 0 {
			n = min(n, q.Limit-len(out))
		}
		page := ids[:n]
		ids = ids[n:]
		ps, err := dbkit.PointReads[profile.Profile](ctx, s.profiles, page)
		if err != nil {
			return nil, err
		}
		got := map[string]profile.Profile{}
		for _, p := range ps {
			got[p.ID] = p
		}
		for _, id := range page {
			p, ok := got[id]
			if !ok || p.MergedInto != "" || !matches(p.SearchTokens, q.Terms) {
				// Stale: erased, merged or changed by a writer that does not write
				// through this index. Mend the index and read on.
				if ok && p.MergedInto == "" {
					s.indexProfiles([]profile.Profile{p})
				} else {
					s.unindex(id)
				}
				continue
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func matches(tokens, terms []string) bool {
	for _, t := range terms {
		t = strings.ToLower(t)
		if !slices.ContainsFunc(tokens, func(tok string) bool { return strings.HasPrefix(tok, t) }) {
			return false
		}
	}
	return true
}

func (s *Store) countInMemory(ctx context.Context, q customer.Query) (int64, error) {
	if err := s.EnsureSearchIndex(ctx); err != nil {
		return 0, err
	}
	s.search.mu.RLock()
	defer s.search.mu.RUnlock()
	return int64(len(s.search.candidates(q))), nil
}
