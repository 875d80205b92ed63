// Package orderbook is the in-process order history every management report reads (see
// package analytics: how it is built, kept current and what it costs).
package orderbook

import (
	"cmp"
	"context"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/live"
)

// What an order contributes, as in the commerce ledger (package ledger): a counted order
// its total, a credit note its negative total, a voided order nothing.
const (
	KindOrder uint8 = iota + 1
	KindCredit
	KindVoid
)

// Entry is one order in the book: 32 bytes, plus about 24 in the id index.
type Entry struct {
	ID   uint64 // FNV-1a of the order id
	At   int64  // placedAt, Unix milliseconds (stored times have millisecond precision)
	Net  int64  // contribution in minor units of Cur
	Cur  uint16 // index into the currency table
	Src  uint16 // index into the source table
	Kind uint8
}

func compareEntries(a, b Entry) int {
	if c := cmp.Compare(a.At, b.At); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Customer is a live profile's orders by time, or the guest orders (ID "").
type Customer struct {
	ID      string
	Country uint16 // index into the country table; 0 is "unknown"
	Entries []Entry
}

// where locates an order: its owner and time (to find it by binary search).
type where struct {
	c  *Customer
	at int64
}

// Table interns names (currencies, sources, countries) as small indexes.
type Table struct {
	Names []string
	idx   map[string]uint16
}

func newTable(first ...string) Table {
	t := Table{idx: map[string]uint16{}}
	for _, n := range first {
		t.intern(n)
	}
	return t
}

// intern returns the index of name, adding it; beyond 65535 names every new one shares
// the last index (no shop has that many currencies, sources or countries).
func (t *Table) intern(name string) uint16 {
	if i, ok := t.idx[name]; ok {
		return i
	}
	if len(t.Names) == 1<<16-1 {
		return uint16(len(t.Names) - 1)
	}
	i := uint16(len(t.Names))
	t.Names = append(t.Names, name)
	t.idx[name] = i
	return i
}

// Lookup returns the index of name, and whether it is known.
func (t *Table) Lookup(name string) (uint16, bool) {
	i, ok := t.idx[name]
	return i, ok
}

// State is one complete book: what a build produces and what reports read (under the
// read lock: Book.Read).
type State struct {
	Customers map[string]*Customer // live profiles with orders, and "" for guests
	where     map[uint64]where
	Curs      Table
	Srcs      Table
	Countries Table // index 0 is "" (unknown)
	sorted    bool  // entries are kept sorted (false while a build appends)
	Orders    int   // entries held
	LastAt    int64 // newest order placed (Unix ms), for the default as-of date
}

func newState() *State {
	return &State{Customers: map[string]*Customer{}, where: map[uint64]where{}, Curs: newTable(), Srcs: newTable(), Countries: newTable("")}
}

func orderHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// entryOf classifies an order as the ledger does (commerce.EntryOf).
func (st *State) entryOf(o *commerce.Order) Entry {
	e := Entry{ID: orderHash(o.ID), At: o.PlacedAt.UnixMilli(), Net: o.TotalMinor, Cur: st.Curs.intern(o.Currency), Src: st.Srcs.intern(o.Source), Kind: KindOrder}
	if o.IsCancellation() {
		e.Kind = KindCredit
		if o.TotalMinor >= 0 {
			e.Kind, e.Net = KindVoid, 0
		}
	}
	return e
}

// remove takes the order out of the book; it reports the owner it had.
func (st *State) remove(id uint64) *Customer {
	w, ok := st.where[id]
	if !ok {
		return nil
	}
	delete(st.where, id)
	c := w.c
	i := 0
	if st.sorted {
		i, _ = slices.BinarySearchFunc(c.Entries, w.at, func(e Entry, at int64) int { return cmp.Compare(e.At, at) })
	}
	for ; i < len(c.Entries); i++ {
		if c.Entries[i].ID == id {
			c.Entries = slices.Delete(c.Entries, i, i+1)
			st.Orders--
			break
		}
	}
	return c
}

// prune drops a profile left without orders.
func (st *State) prune(c *Customer) {
	if c != nil && len(c.Entries) == 0 && c.ID != "" {
		delete(st.Customers, c.ID)
	}
}

// put sets an order's entry under its owner; it reports a profile new to the book.
func (st *State) put(o *commerce.Order) (newProfile bool) {
	e := st.entryOf(o)
	if old := st.remove(e.ID); old != nil && old.ID != o.ProfileID {
		st.prune(old)
	}
	c := st.Customers[o.ProfileID]
	if c == nil {
		c = &Customer{ID: o.ProfileID}
		st.Customers[o.ProfileID] = c
		newProfile = o.ProfileID != ""
	}
	st.insert(c, e)
	return newProfile
}

func (st *State) insert(c *Customer, e Entry) {
	if st.sorted {
		i, _ := slices.BinarySearchFunc(c.Entries, e, compareEntries)
		c.Entries = slices.Insert(c.Entries, i, e)
	} else {
		c.Entries = append(c.Entries, e)
	}
	st.where[e.ID] = where{c, e.At}
	st.Orders++
	if e.Kind == KindOrder {
		st.LastAt = max(st.LastAt, e.At)
	}
}

// forget makes the orders of profiles guest orders (an erasure keeps them so).
func (st *State) forget(ids []string) {
	for _, id := range ids {
		c := st.Customers[id]
		if c == nil || id == "" {
			continue
		}
		delete(st.Customers, id)
		g := st.Customers[""]
		if g == nil {
			g = &Customer{}
			st.Customers[""] = g
		}
		for _, e := range c.Entries {
			st.Orders--
			st.insert(g, e)
		}
	}
}

// sort orders every customer's entries once, after a build appended them, and drops
// the spare capacity appending left (a third of the book).
func (st *State) sort() {
	for _, c := range st.Customers {
		slices.SortFunc(c.Entries, compareEntries)
		c.Entries = slices.Clone(c.Entries)
	}
	st.sorted = true
}

// op is a change of the book: queued when heard, applied before the next read, and
// logged for a build that runs meanwhile to replay on its result.
type op struct {
	orders    []commerce.Order
	forget    []string
	countries map[string]string
	n         int // orders it sets, moves or forgets
}

// apply applies o; newProfile hears the profiles that enter the book.
func (st *State) apply(o op, newProfile func(id string)) {
	for i := range o.orders {
		if st.put(&o.orders[i]) {
			newProfile(o.orders[i].ProfileID)
		}
	}
	st.forget(o.forget)
	for id, country := range o.countries {
		if c := st.Customers[id]; c != nil && id != "" {
			c.Country = st.Countries.intern(country)
		}
	}
}

// Book is the in-process order history every report reads: per live profile its orders
// (time, contribution, currency, source) and its country, and the guest orders. One
// build reads the orders and the profiles' countries; after it, every order write and
// move is applied through Observe, erasures through Forget, and the country of changed
// profiles is read again by _id (the Service's loop). It is shared by the services of
// one database in a process (dbkit.Shared), like the other in-process structures.
//
// Writers never wait for readers (package live): Observe, Forget and ProfilesChanged
// queue their change, applied before the next read, so a report sees every write made
// before it.
type Book struct {
	v       *live.Value[State, op]
	changes uint64 // orders set, moved or forgotten since start; under v's write lock

	statusMu      sync.Mutex // below: Status, computed once per version
	statusVersion uint64
	status        Status

	qmu     sync.Mutex      // below: the profiles to read again
	dirty   map[string]bool // profiles whose country to read
	reading int             // taken from dirty, being read
	wake    chan struct{}   // tells the Service's loop there is work
}

// NewBook returns an empty book; Build fills it.
func NewBook() *Book {
	b := &Book{dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
	b.v = live.New(b.apply)
	return b
}

func (b *Book) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Source is where a build reads the book from: one pass over the orders and one over
// the profiles' countries, and later the countries of changed profiles by _id.
type Source interface {
	// EachOrder calls fn with every stored order (lines not needed), in batches.
	EachOrder(ctx context.Context, fn func([]commerce.Order) error) error
	// EachCountry calls fn with the country attribute of every live profile that has one.
	EachCountry(ctx context.Context, fn func(id, country string)) error
	// Profiles reads profiles by _id: their country, and whether they were merged into
	// another; ids that do not exist are left out.
	Profiles(ctx context.Context, ids []string) (map[string]ProfileState, error)
}

// ProfileState is what the book needs of a profile.
type ProfileState struct {
	Country string
	Merged  bool
}

// Build reads the book from src, in the background of a start; changes heard meanwhile
// are replayed on the result. A second call while one runs returns at once. Called
// again after it finished, it rebuilds and swaps (how an instance on a shared MongoDB
// picks up the writes of the others).
func (b *Book) Build(ctx context.Context, src Source) error {
	return b.v.Build(func(progress func(int)) (*State, error) {
		fresh := newState()
		err := src.EachOrder(ctx, live.Batches(progress, func(o *commerce.Order) { fresh.put(o) }))
		if err == nil {
			fresh.sort()
			err = src.EachCountry(ctx, func(id, country string) {
				if c := fresh.Customers[id]; c != nil && id != "" {
					c.Country = fresh.Countries.intern(country)
				}
			})
		}
		return fresh, err
	})
}

// apply applies changes (live.Apply) and marks the profiles that enter the book to
// have their country read.
func (b *Book) apply(st *State, ops []op, replay bool) {
	var entered []string
	for _, o := range ops {
		if st != nil {
			st.apply(o, func(id string) { entered = append(entered, id) })
		} else {
			// Not built yet: read the countries of the new owners after the build.
			for _, x := range o.orders {
				if x.ProfileID != "" {
					entered = append(entered, x.ProfileID)
				}
			}
		}
		if !replay {
			b.changes += uint64(o.n)
		}
	}
	b.markDirty(entered)
}

// enqueue queues a change for the next read.
func (b *Book) enqueue(o op) {
	b.v.Enqueue(o)
	b.signal()
}

func (b *Book) markDirty(ids []string) {
	if len(ids) == 0 {
		return
	}
	b.qmu.Lock()
	for _, id := range ids {
		if id != "" {
			b.dirty[id] = true
		}
	}
	b.qmu.Unlock()
	b.signal()
}

// Observe applies orders as stored (commerce.Service.Observe): new, replaced, or moved
// to another profile (ProfileID the new owner, "" a guest order).
func (b *Book) Observe(orders []commerce.Order) {
	if len(orders) == 0 {
		return
	}
	// Only the fields the book keeps: the caller's orders hold lines.
	keep := make([]commerce.Order, len(orders))
	for i, o := range orders {
		keep[i] = commerce.Order{ID: o.ID, Source: o.Source, ProfileID: o.ProfileID, Status: o.Status, TotalMinor: o.TotalMinor,
			Currency: o.Currency, PlacedAt: o.PlacedAt}
	}
	b.enqueue(op{orders: keep, n: len(keep)})
}

// Forget turns the orders of erased profiles into guest orders, as the erasure does in
// the database.
func (b *Book) Forget(ids []string) {
	if len(ids) > 0 {
		b.enqueue(op{forget: ids, n: len(ids)})
	}
}

// ProfilesChanged marks profiles whose country may have changed; the Service's loop
// reads those that have orders again.
func (b *Book) ProfilesChanged(ids []string) { b.markDirty(ids) }

// takeDirty returns up to n profiles to read again that have orders in the book (the
// others are dropped: they show in no report), once the book is built.
func (b *Book) takeDirty(n int) []string {
	var out []string
	b.v.Inspect(func(st *State, m live.Meta) {
		if st == nil || m.Building {
			return
		}
		b.qmu.Lock()
		defer b.qmu.Unlock()
		for id := range b.dirty {
			delete(b.dirty, id)
			if st.Customers[id] != nil {
				out = append(out, id)
				if len(out) == n {
					break
				}
			}
		}
		b.reading += len(out)
	})
	return out
}

// unread puts back profiles whose read failed.
func (b *Book) unread(ids []string) {
	b.qmu.Lock()
	b.reading -= len(ids)
	b.qmu.Unlock()
	b.markDirty(ids)
}

// setProfiles applies what reading dirty profiles found: countries, and the profiles
// that are gone (erased) forgotten. Merged ones are left: their orders move by Observe.
func (b *Book) setProfiles(ids []string, found map[string]ProfileState) {
	o := op{countries: map[string]string{}}
	for _, id := range ids {
		p, ok := found[id]
		switch {
		case !ok:
			o.forget = append(o.forget, id)
		case !p.Merged:
			o.countries[id] = p.Country
		}
	}
	o.n = len(o.forget)
	b.v.Enqueue(o) // before they stop counting as pending
	b.qmu.Lock()
	b.reading -= len(ids)
	b.qmu.Unlock()
}

// pendingProfiles counts the profiles changed and not read again yet.
func (b *Book) pendingProfiles() int {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	return len(b.dirty) + b.reading
}

// Read runs fn on the built book under the read lock, once the queued changes are
// applied; ok is false while it loads.
func (b *Book) Read(fn func(st *State)) (ok bool) { return b.v.Read(fn) }

// Counters returns the book's version and change count, the queued changes applied.
func (b *Book) Counters() (version, changes uint64) {
	b.v.Inspect(func(_ *State, m live.Meta) { version, changes = m.Version, b.changes })
	return version, changes
}
