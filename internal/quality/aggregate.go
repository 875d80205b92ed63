package quality

import (
	"cmp"
	"context"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/live"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// What an order is, as in the commerce ledger.
const (
	kindOrder  uint8 = iota + 1
	kindCredit       // cancelled or refunded with a negative total: a credit note
	kindVoid         // cancelled or refunded otherwise
)

// item is an order's quantity and amount of one product (lines of the same product,
// sign and category added up): 16 bytes.
type item struct {
	prod   uint32
	qty    int32 // commerce bounds a line to ±1,000,000 units, an order to 1,000 lines
	amount int64 // minor units of the order's currency
}

// order is one order of the aggregate.
type order struct {
	id    uint64
	at    int64  // placedAt, Unix ms
	cust  uint32 // index into st.custs; 0 a guest order
	pos   int32  // index in st.orders
	cur   uint16
	kind  uint8
	items []item
	cats  []uint16 // the items' own categories (0 none); nil when no line has one
	// matched is, per negative item, how many of its units return an earlier sale of
	// the owner (st.match); nil when the order has no negative item.
	matched []int32
}

func (o *order) cancelled() bool { return o.kind != kindOrder }

// tkt is one ticket.
type tkt struct {
	requester string
	at        int64
	order     uint64 // the order it names (hash), 0 none
	score     uint8  // 0 unrated
}

// product is what the aggregate knows of a SKU.
type product struct {
	sku     string
	name    string // the catalogue's
	desc    string // of its latest sale at a price, else of its latest line
	descAt  int64  // when that order was placed
	sale    bool   // desc is of a sale at a price
	cat     uint16 // the catalogue's (0 none)
	lineCat uint16 // of the latest line with one
	catAt   int64
}

// table interns names as small indexes; index 0 is "" when made by newTable("").
type table[I ~uint16 | ~uint32] struct {
	names []string
	idx   map[string]I
}

func newTable[I ~uint16 | ~uint32](first ...string) table[I] {
	t := table[I]{idx: map[string]I{}}
	for _, n := range first {
		t.intern(n)
	}
	return t
}

// intern returns the index of name, adding it; a full uint16 table gives every new
// name the last index (no shop has 65,535 categories or currencies).
func (t *table[I]) intern(name string) I {
	if i, ok := t.idx[name]; ok {
		return i
	}
	var zero I
	if max := ^zero; len(t.names) >= int(uint64(max)) {
		return max - 1
	}
	i := I(len(t.names))
	t.names = append(t.names, name)
	t.idx[name] = i
	return i
}

// state is one complete aggregate.
type state struct {
	orders    []*order
	byID      map[uint64]*order
	custs     table[uint32] // profile ids; 0 is "" (guests)
	custOrder [][]*order    // per customer, by time
	curs      table[uint16]
	curOrders []int         // orders per currency
	cats      table[uint16] // 0 is "" (none)
	prods     []product
	prodIdx   map[string]uint32
	tickets   map[string]*tkt
	redirects map[string]string // merged profile -> the one it was merged into
	lines     int               // items held
	// Owners whose orders changed since their returns were last matched (st.rematch).
	dirty map[uint32]struct{}
	pool  map[uint32]int64 // scratch of match: units bought and not yet returned, per product
}

func newState() *state {
	return &state{byID: map[uint64]*order{}, custs: newTable[uint32](""), custOrder: [][]*order{nil}, curs: newTable[uint16](),
		cats: newTable[uint16](""), prodIdx: map[string]uint32{}, tickets: map[string]*tkt{}, redirects: map[string]string{},
		dirty: map[uint32]struct{}{}, pool: map[uint32]int64{}}
}

func orderHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

func (st *state) prod(sku string) uint32 {
	if i, ok := st.prodIdx[sku]; ok {
		return i
	}
	i := uint32(len(st.prods))
	st.prods = append(st.prods, product{sku: sku})
	st.prodIdx[sku] = i
	return i
}

func (st *state) cust(id string) uint32 {
	i := st.custs.intern(id)
	for int(i) >= len(st.custOrder) {
		st.custOrder = append(st.custOrder, nil)
	}
	return i
}

// final follows merge redirects from a profile id.
func (st *state) final(id string) string {
	for n := 0; n < 20; n++ {
		into, ok := st.redirects[id]
		if !ok {
			break
		}
		id = into
	}
	return id
}

// orderOf turns a stored order into the aggregate's form.
func (st *state) orderOf(o *commerce.Order) *order {
	x := &order{id: orderHash(o.ID), at: o.PlacedAt.UnixMilli(), cur: st.curs.intern(o.Currency), kind: kindOrder}
	if o.IsCancellation() {
		x.kind = kindCredit
		if o.TotalMinor >= 0 {
			x.kind = kindVoid
		}
	}
	type key struct {
		prod uint32
		neg  bool
		cat  uint16
	}
	at := map[key]int{}
	for _, l := range o.Lines {
		if l.Quantity == 0 {
			continue
		}
		p := st.prod(l.SKU)
		pr := &st.prods[p]
		// The latest sale at a price names the product: returns and adjustments carry
		// notes ("damaged", "AMAZON", "sold in set?") in the retail file.
		if sale := l.Quantity > 0 && l.UnitPriceMinor > 0; l.Description != "" && (sale && !pr.sale || sale == pr.sale && x.at >= pr.descAt) {
			pr.desc, pr.descAt, pr.sale = l.Description, x.at, sale
		}
		var c uint16
		if l.Category != "" {
			c = st.cats.intern(l.Category)
			if pr.lineCat == 0 || x.at >= pr.catAt {
				pr.lineCat, pr.catAt = c, x.at
			}
		}
		k := key{p, l.Quantity < 0, c}
		if i, ok := at[k]; ok {
			x.items[i].qty += int32(l.Quantity)
			x.items[i].amount += l.AmountMinor()
			continue
		}
		at[k] = len(x.items)
		x.items = append(x.items, item{prod: p, qty: int32(l.Quantity), amount: l.AmountMinor()})
		if c != 0 && x.cats == nil {
			x.cats = make([]uint16, len(x.items)-1, len(o.Lines))
		}
		if x.cats != nil {
			x.cats = append(x.cats, c)
		}
	}
	x.items = slices.Clip(x.items)
	x.cats = slices.Clip(x.cats)
	for _, it := range x.items {
		if it.qty < 0 {
			x.matched = make([]int32, len(x.items))
			break
		}
	}
	return x
}

// put sets an order (new, replaced or moved to another owner).
func (st *state) put(o *commerce.Order) {
	x := st.orderOf(o)
	st.remove(x.id)
	x.cust = st.cust(o.ProfileID)
	x.pos = int32(len(st.orders))
	st.orders = append(st.orders, x)
	st.byID[x.id] = x
	for int(x.cur) >= len(st.curOrders) {
		st.curOrders = append(st.curOrders, 0)
	}
	st.curOrders[x.cur]++
	st.lines += len(x.items)
	if x.cust != 0 {
		l := st.custOrder[x.cust]
		i, _ := slices.BinarySearchFunc(l, x, byTime)
		st.custOrder[x.cust] = slices.Insert(l, i, x)
		st.dirty[x.cust] = struct{}{}
	}
}

func byTime(a, b *order) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// remove takes an order out.
func (st *state) remove(id uint64) {
	x := st.byID[id]
	if x == nil {
		return
	}
	delete(st.byID, id)
	last := st.orders[len(st.orders)-1]
	st.orders[x.pos], last.pos = last, x.pos
	st.orders = st.orders[:len(st.orders)-1]
	st.curOrders[x.cur]--
	st.lines -= len(x.items)
	if x.cust != 0 {
		st.custOrder[x.cust] = slices.DeleteFunc(st.custOrder[x.cust], func(o *order) bool { return o == x })
		st.dirty[x.cust] = struct{}{}
	}
}

// rematch matches the returns of the owners whose orders changed.
func (st *state) rematch() {
	for c := range st.dirty {
		st.match(c)
	}
	clear(st.dirty)
}

// match walks an owner's orders in time order: a negative item returns, first come
// first served, what the owner bought of that product in counted orders (not cancelled
// or refunded) placed at or before it and not returned yet; the rest of it is unmatched.
// The walk sees only the owner's orders as they stand, so the order in which they
// arrived does not matter.
func (st *state) match(c uint32) {
	l, pool := st.custOrder[c], st.pool
	clear(pool)
	for i := 0; i < len(l); {
		j := i + 1
		for j < len(l) && l[j].at == l[i].at {
			j++
		}
		// Orders placed at the same time: their sales come first.
		for _, o := range l[i:j] {
			if o.kind != kindOrder {
				continue
			}
			for _, it := range o.items {
				if it.qty > 0 {
					pool[it.prod] += int64(it.qty)
				}
			}
		}
		for _, o := range l[i:j] {
			for k, it := range o.items {
				if it.qty < 0 {
					m := min(-int64(it.qty), pool[it.prod])
					o.matched[k] = int32(m)
					if m > 0 {
						pool[it.prod] -= m
					}
				}
			}
		}
		i = j
	}
}

// forget makes the orders of erased profiles guest orders, as the erasure does.
func (st *state) forget(ids []string) {
	for _, id := range ids {
		i, ok := st.custs.idx[id]
		if !ok || i == 0 {
			continue
		}
		for _, x := range st.custOrder[i] {
			x.cust = 0
			clear(x.matched) // a guest's returns match nothing
		}
		st.custOrder[i] = nil
	}
}

// setTicket sets a ticket as written (nil: gone). Tickets merged into another leave.
func (st *state) setTicket(id string, t *ticket.Ticket) {
	if t == nil || t.MergedInto != "" {
		delete(st.tickets, id)
		return
	}
	x := &tkt{requester: t.RequesterID, at: t.CreatedAt.UnixMilli()}
	if t.OrderID != "" {
		x.order = orderHash(t.OrderID)
	}
	if t.CSAT != nil && t.CSAT.Score >= 1 && t.CSAT.Score <= 5 {
		x.score = uint8(t.CSAT.Score)
	}
	st.tickets[id] = x
}

// setProduct applies a catalogue entry.
func (st *state) setProduct(p Product) {
	i := st.prod(p.SKU)
	st.prods[i].name = p.Name
	st.prods[i].cat = 0
	if p.Category != "" {
		st.prods[i].cat = st.cats.intern(p.Category)
	}
}

// attributed is the order a ticket is attributed to (nil: none), window in ms.
func (st *state) attributed(t *tkt, window int64) *order {
	if t.order != 0 {
		return st.byID[t.order]
	}
	i, ok := st.custs.idx[st.final(t.requester)]
	if !ok || i == 0 {
		return nil
	}
	l := st.custOrder[i]
	// The last order placed at or before the ticket.
	k, _ := slices.BinarySearchFunc(l, t.at, func(o *order, at int64) int {
		if o.at <= at {
			return -1
		}
		return 1
	})
	for k--; k >= 0 && l[k].at >= t.at-window; k-- {
		if l[k].kind != kindCredit {
			return l[k]
		}
	}
	return nil
}

// Aggregate is the in-process order lines and tickets every report reads. Writers
// never wait for readers (package live): changes are queued and applied before the next
// read, so a report sees every change made before it; a build that runs meanwhile
// replays them on its result.
type Aggregate struct {
	v *live.Value[state, func(*state)]

	qmu   sync.Mutex
	dirty map[string]bool // profiles of a split: their redirects are read again
	wake  chan struct{}
}

// NewAggregate returns an empty aggregate; Build fills it.
func NewAggregate() *Aggregate {
	return &Aggregate{v: live.New(applyOps), dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// applyOps applies queued changes (live.Apply), then matches the returns of the owners
// whose orders they changed.
func applyOps(st *state, ops []func(*state), _ bool) {
	if st == nil {
		return
	}
	for _, f := range ops {
		f(st)
	}
	st.rematch()
}

// read runs fn on the built aggregate under the read lock; ok is false while it loads.
func (a *Aggregate) read(fn func(st *state)) bool { return a.v.Read(fn) }

// Source is what a build reads: every order with its lines, every ticket, the product
// catalogue and the merged profiles, each once; and later profiles by _id.
type Source interface {
	EachOrder(ctx context.Context, fn func([]commerce.Order) error) error
	EachTicket(ctx context.Context, fn func([]ticket.Ticket) error) error
	EachProduct(ctx context.Context, fn func([]Product) error) error
	// EachRedirect calls fn for every merged profile with the one it was merged into.
	EachRedirect(ctx context.Context, fn func(id, into string)) error
	// MergedInto reads profiles by _id: what each was merged into ("" live); missing
	// ids are left out.
	MergedInto(ctx context.Context, ids []string) (map[string]string, error)
}

// Build reads the aggregate from src; changes heard meanwhile are replayed on the
// result. A call while one runs returns at once; a later call rebuilds and swaps.
func (a *Aggregate) Build(ctx context.Context, src Source) error {
	return a.v.Build(func(progress func(int)) (*state, error) {
		fresh := newState()
		err := src.EachOrder(ctx, live.Batches(progress, fresh.put))
		if err == nil {
			err = src.EachProduct(ctx, func(ps []Product) error {
				for _, p := range ps {
					fresh.setProduct(p)
				}
				return nil
			})
		}
		if err == nil {
			err = src.EachTicket(ctx, func(ts []ticket.Ticket) error {
				for i := range ts {
					fresh.setTicket(ts[i].ID, &ts[i])
				}
				return nil
			})
		}
		if err == nil {
			err = src.EachRedirect(ctx, func(id, into string) { fresh.redirects[id] = into })
		}
		if err == nil {
			fresh.rematch() // every owner, outside the lock
		}
		return fresh, err
	})
}

// Observe applies orders as stored (commerce.Service.Observe): new, replaced, or moved
// to another profile.
func (a *Aggregate) Observe(orders []commerce.Order) {
	if len(orders) == 0 {
		return
	}
	keep := make([]commerce.Order, len(orders))
	for i, o := range orders {
		keep[i] = commerce.Order{ID: o.ID, ProfileID: o.ProfileID, Status: o.Status, TotalMinor: o.TotalMinor, Currency: o.Currency,
			PlacedAt: o.PlacedAt, Lines: o.Lines}
	}
	a.v.Enqueue(func(st *state) {
		for i := range keep {
			st.put(&keep[i])
		}
	})
}

// TicketWritten applies a ticket as written (nil: the id was deleted).
func (a *Aggregate) TicketWritten(id string, t *ticket.Ticket) {
	var keep *ticket.Ticket
	if t != nil {
		c := ticket.Ticket{ID: t.ID, RequesterID: t.RequesterID, CreatedAt: t.CreatedAt, MergedInto: t.MergedInto, OrderID: t.OrderID}
		if t.CSAT != nil {
			c.CSAT = &ticket.Rating{Score: t.CSAT.Score}
		}
		keep = &c
	}
	a.v.Enqueue(func(st *state) { st.setTicket(id, keep) })
}

// Merged records that absorbed profiles now redirect to survivors.
func (a *Aggregate) Merged(into map[string]string) {
	if len(into) == 0 {
		return
	}
	a.v.Enqueue(func(st *state) {
		for from, to := range into {
			if from != to {
				st.redirects[from] = to
			}
		}
	})
}

// Split marks profiles of an unmerge: their redirects are read again (Service.Run).
func (a *Aggregate) Split(ids []string) {
	a.qmu.Lock()
	for _, id := range ids {
		a.dirty[id] = true
	}
	a.qmu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Forget turns the orders of erased profiles into guest orders.
func (a *Aggregate) Forget(ids []string) {
	if len(ids) > 0 {
		a.v.Enqueue(func(st *state) { st.forget(ids) })
	}
}

// products applies catalogue entries as written.
func (a *Aggregate) products(ps []Product) {
	keep := slices.Clone(ps)
	a.v.Enqueue(func(st *state) {
		for _, p := range keep {
			st.setProduct(p)
		}
	})
}

// takeDirty returns the profiles whose redirects to read again.
func (a *Aggregate) takeDirty() []string {
	a.qmu.Lock()
	defer a.qmu.Unlock()
	var out []string
	for id := range a.dirty {
		out = append(out, id)
	}
	clear(a.dirty)
	return out
}

// setRedirects applies what reading profiles found (id -> merged into, "" live).
func (a *Aggregate) setRedirects(found map[string]string) {
	a.v.Enqueue(func(st *state) {
		for id, into := range found {
			if into == "" {
				delete(st.redirects, id)
			} else {
				st.redirects[id] = into
			}
		}
	})
}
