// Package offers serves personalised product offers: the co-purchase recommender of
// internal/recommend over the orders of every customer, kept in process.
//
// At start one pass over the orders collection (Load, in the background) fills a compact
// table of every order (owner profile, time, returned or not, products) and builds the
// first model; until then Top answers nothing and says so. The table follows the data
// through commerce's order observer (Observe): an order stored by an ingest joins it, a
// changed one replaces its old version, and an order moved by a merge or split changes
// owner, so a customer's history follows the profile at once. Excluding what a
// customer bought therefore uses the table as it is now; the similarities between
// products are recomputed on a schedule (Run, Rebuild): a new model is built from the
// table beside the one serving reads and swapped in, so reads never wait for a build.
//
// A request costs no database command: the history and the model are in process.
// On MongoDB shared by several instances, each instance sees the orders it stored or
// moved itself and those present at its start.
package offers

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/recommend"
)

// OrderSource reads every stored order once (the start-up pass).
type OrderSource interface {
	EachOrder(ctx context.Context, fn func(commerce.Order)) error
}

// DefaultRefreshEvery is how often changed orders lead to a new model.
const DefaultRefreshEvery = 2 * time.Minute

// Service keeps the recommender current and answers offers.
type Service struct {
	Source  OrderSource
	Options recommend.Options
	// RefreshEvery is the period of model rebuilds after changes (default 2 minutes).
	RefreshEvery time.Duration
	Log          *slog.Logger

	loadMu  sync.Mutex // one load at a time; held for its whole length
	buildMu sync.Mutex // one build at a time (reads never take it)

	mu      sync.Mutex
	orders  map[string]*order              // order id -> order
	owners  map[string]map[string]struct{} // profile id -> its order ids
	loading bool
	loaded  bool
	early   [][]commerce.Order // orders heard during the load, applied after it
	forget  []string           // profiles erased during the load
	changed bool               // since the last build
	names   map[string]string  // interned product ids and names

	model atomic.Pointer[recommend.Model]
}

// order is what the recommender needs of an order.
type order struct {
	owner    string // "" for a guest order
	at       time.Time
	returned bool
	lines    []recommend.Line
}

// New returns a service reading its first pass from src.
func New(src OrderSource) *Service {
	return &Service{Source: src, Options: recommend.Options{Ignore: recommend.ServiceCode}}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Ready reports whether the first model is built.
func (s *Service) Ready() bool { return s.model.Load() != nil }

// Observe hears orders as stored (commerce.Service.Observe): new, replaced, or moved to
// another profile. It never waits for a load or a build.
func (s *Service) Observe(os []commerce.Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.loading:
		s.early = append(s.early, os)
	case s.loaded:
		for i := range os {
			s.put(&os[i])
		}
		s.changed = true
	}
	// Before the load starts there is nothing to do: the load reads them.
}

// put stores an order in the table (s.mu held).
func (s *Service) put(o *commerce.Order) {
	x := &order{owner: strings.Clone(o.ProfileID), at: o.PlacedAt,
		returned: o.Status == commerce.Cancelled || o.Status == commerce.Refunded, lines: make([]recommend.Line, 0, len(o.Lines))}
	for _, l := range o.Lines {
		x.lines = append(x.lines, recommend.Line{Product: s.intern(l.SKU), Name: s.intern(l.Description), Quantity: l.Quantity})
	}
	if old := s.orders[o.ID]; old != nil {
		s.unown(o.ID, old.owner)
	} else {
		o.ID = strings.Clone(o.ID)
	}
	s.orders[o.ID] = x
	if x.owner != "" {
		ids := s.owners[x.owner]
		if ids == nil {
			ids = map[string]struct{}{}
			s.owners[x.owner] = ids
		}
		ids[o.ID] = struct{}{}
	}
}

func (s *Service) unown(id, owner string) {
	if ids := s.owners[owner]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(s.owners, owner)
		}
	}
}

// intern shares product ids and names between orders: a few thousand products appear
// on millions of lines.
func (s *Service) intern(v string) string {
	if v == "" {
		return ""
	}
	if x, ok := s.names[v]; ok {
		return x
	}
	v = strings.Clone(v)
	s.names[v] = v
	return v
}

// Load reads every order once and builds the first model. It returns at once when done
// before, and waits for a load in progress.
func (s *Service) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	if s.loaded {
		s.mu.Unlock()
		return nil
	}
	s.loading, s.early, s.forget = true, nil, nil
	s.orders, s.owners, s.names = map[string]*order{}, map[string]map[string]struct{}{}, map[string]string{}
	s.mu.Unlock()
	t0 := time.Now()
	n := 0
	err := s.Source.EachOrder(ctx, func(o commerce.Order) {
		s.mu.Lock()
		s.put(&o)
		s.mu.Unlock()
		n++
	})
	s.mu.Lock()
	if err != nil {
		s.loading, s.early, s.forget = false, nil, nil
		s.mu.Unlock()
		return err
	}
	// Orders heard meanwhile are at least as new as what the pass read.
	for _, os := range s.early {
		for i := range os {
			s.put(&os[i])
		}
	}
	s.loading, s.loaded, s.early = false, true, nil
	s.detach(s.forget)
	s.forget = nil
	s.mu.Unlock()
	st := s.Rebuild()
	s.log().Info("offers: model built", "orders", n, "products", st.Products, "customers", st.Customers, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// Rebuild builds a new model from the table and swaps it in; reads go on with the old
// one meanwhile. It does nothing before the load.
func (s *Service) Rebuild() recommend.Stats {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	s.mu.Lock()
	if !s.loaded {
		s.mu.Unlock()
		return recommend.Stats{}
	}
	// Orders are never changed in place (put replaces them), so a snapshot of the
	// pointers is a consistent table.
	snap := make([]*order, 0, len(s.orders))
	for _, o := range s.orders {
		snap = append(snap, o)
	}
	s.changed = false
	s.mu.Unlock()
	m := recommend.Build(func(yield func(recommend.Order) bool) {
		for _, o := range snap {
			if !yield(recommend.Order{Customer: o.owner, At: o.at, Returned: o.returned, Lines: o.lines}) {
				return
			}
		}
	}, s.Options)
	s.model.Store(m)
	return m.Stats()
}

// Run loads (retrying after failures) and then rebuilds the model every RefreshEvery
// when orders changed, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := s.Load(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.log().Error("offers: load", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	every := s.RefreshEvery
	if every <= 0 {
		every = DefaultRefreshEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if changed {
			s.Rebuild()
		}
	}
}

// Top returns up to n offers for a profile, best first: co-purchase candidates of what
// it bought, then popular products, leaving out what it bought or returned (as the
// table holds its orders now). ready is false, and the list empty, until the first
// model is built. The profile id is the live one (callers follow merges).
func (s *Service) Top(profileID string, n int) (recs []recommend.Rec, ready bool) {
	m := s.model.Load()
	if m == nil {
		return nil, false
	}
	return m.Recommend(s.history(profileID), n), true
}

// history derives a profile's purchase history from its orders in the table.
func (s *Service) history(profileID string) recommend.History {
	s.mu.Lock()
	os := make([]recommend.Order, 0, len(s.owners[profileID]))
	for id := range s.owners[profileID] {
		o := s.orders[id]
		os = append(os, recommend.Order{Customer: profileID, At: o.at, Returned: o.returned, Lines: o.lines})
	}
	s.mu.Unlock()
	return recommend.HistoryOf(os)
}

// Forget detaches erased profiles from their orders: an erasure keeps orders as
// anonymous guest orders, so their products still count, but no longer as anyone's.
func (s *Service) Forget(profileIDs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loading {
		s.forget = append(s.forget, profileIDs...)
		return
	}
	s.detach(profileIDs)
}

// detach makes the profiles' orders guest orders in the table (s.mu held).
func (s *Service) detach(profileIDs []string) {
	for _, p := range profileIDs {
		for id := range s.owners[p] {
			cp := *s.orders[id]
			cp.owner = ""
			s.orders[id] = &cp
		}
		if len(s.owners[p]) > 0 {
			s.changed = true
		}
		delete(s.owners, p)
	}
}
