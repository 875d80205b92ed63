// Package recommend ranks products for a customer from order history: item-to-item
// co-purchase similarity with a popularity fallback, excluding what the customer already
// bought or returned.
//
// # Method
//
// The incidence matrix R has a row per customer and a column per product, 1 where the
// customer bought the product (binary: in this domain a quantity of 200 is a trade pack, not
// 200 votes). The default similarity (NormalisedCosine) is the item-based top-N method of
// Deshpande and Karypis ("Item-based top-N recommendation algorithms", ACM TOIS 2004):
//
//   - each customer's row is scaled to unit length before the column cosines are taken, so
//     a customer with d products adds 1/d to each of their d² pairs instead of 1. A wholesaler
//     who bought a thousand products says little about any one pair; unweighted, such buyers
//     make every product look alike;
//   - sim(i,j) = Σ_{u buys i and j} 1/d_u / (‖i‖·‖j‖) with ‖i‖² = Σ_{u buys i} 1/d_u. The
//     column normalisation keeps best sellers from being everyone's neighbour;
//   - each product keeps its K most similar products (K = 20 by default, set before any
//     evaluation; the paper studies this model size), and those K similarities are scaled
//     to sum to 1, so a product with many weak neighbours weighs no more in a customer's
//     score than one with a few strong ones.
//
// A customer's score for a candidate j is Σ_{i in their kept history} sim(i,j) over the
// lists of their products, the reason being the history product contributing most. Fewer
// than n candidates are filled by popularity (distinct buyers). No shrinkage constant is
// used: the row and column normalisations are the whole correction, and there is nothing
// to fit to a data set.
//
// # Memory and time
//
// With I products, C customers, P = Σ_u d_u kept (customer, product) pairs and K
// neighbours, the model holds O(P) for the histories and the product→buyers index (needed
// for exclusions and for recomputing rows) plus O(I·K) for the neighbour lists; the full
// co-purchase matrix (up to I² entries) is never stored: one product's row is accumulated
// in an O(I) scratch array, cut to K, and discarded.
//
//   - Add(order): O(L log L + L·d_u) for L lines (sorted insertion into the customer's
//     history), plus O(d_u) to mark rows dirty when the order brings products new to the
//     customer. Exclusions and History see the order at once.
//   - Refresh: recomputes the dirty rows, each in O(Σ_{u buys i} d_u + T log T) for T
//     co-bought products; Build and Rebuild are Refresh with every row dirty,
//     O(Σ_u d_u² + I·T log T) time. A repeat purchase or a return dirties nothing.
//   - Recommend: O(h log h + h·K + c log c + n) for h history products and c candidates
//     (plus skipping up to h excluded products in the popularity list); no scan of orders
//     or customers.
//
// A row that is not dirty keeps similarities computed with its neighbours' earlier norms
// (one new buyer moves a norm by O(1/buyers)); Rebuild recomputes every row. Heavy buyers
// make most rows dirty quickly: on the UCI retail data (3,806 products, 168k pairs) a week
// of invoices dirties about 60% of the rows and a Refresh costs about half a full Build
// (under a second); so Add keeps exclusions exact per order, and rows are refreshed on a
// schedule. Refresh holds the write lock; a server that must not pause readers builds a new
// Model and swaps it in.
package recommend

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Order is one purchase or return as the recommender sees it.
type Order struct {
	Customer string // "" for a guest: only its product names are used
	At       time.Time
	// Returned marks a credit note or a cancelled order: all its lines are returns.
	Returned bool
	Lines    []Line
}

// Line is one product of an order.
type Line struct {
	Product  string // product id (stock code)
	Name     string // description at the time of the order
	Quantity int64  // a negative quantity is a return
}

// Method is how co-purchase similarity is computed.
type Method int

const (
	// NormalisedCosine is the Deshpande–Karypis method: cosine over the incidence with each
	// customer's row scaled to unit length, each product's K similarities scaled to sum 1.
	NormalisedCosine Method = iota
	// WeightedCosine is NormalisedCosine without the scaling of the K similarities.
	WeightedCosine
	// Cosine is the plain cosine of binary customer columns (every customer weighs 1).
	Cosine
)

func (m Method) String() string {
	switch m {
	case NormalisedCosine:
		return "normalised cosine"
	case WeightedCosine:
		return "customer-weighted cosine"
	case Cosine:
		return "plain cosine"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// DefaultNeighbours is K when Options.Neighbours is 0.
const DefaultNeighbours = 20

// Options configure a Model. The zero value is the default method with K = 20.
type Options struct {
	Method     Method
	Neighbours int // K, neighbours kept per product
	// Ignore drops lines of products that are charges rather than goods (postage, fees).
	Ignore func(product string) bool
}

// Kind says where a recommendation came from.
type Kind string

const (
	KindCoPurchase Kind = "co-purchase"
	KindPopular    Kind = "popular"
)

// Rec is one recommended product. Scores compare only within a kind; the order of the
// list is the ranking.
type Rec struct {
	Product string
	Name    string
	Score   float64 // co-purchase: summed similarity; popular: share of customers who bought it
	Kind    Kind
	Because string // co-purchase: the history product contributing most
	Reason  string // for display, e.g. "bought with WHITE METAL LANTERN"
}

// Neighbour is a product similar to another.
type Neighbour struct {
	Product    string
	Name       string
	Similarity float64
}

// History is what a customer did with products: orders in which each was bought, and
// the products they returned.
type History struct {
	Bought   map[string]int
	Returned map[string]bool
}

// HistoryOf derives a history from a customer's orders, with the rules of Model.Add.
func HistoryOf(orders []Order) History {
	h := History{Bought: map[string]int{}, Returned: map[string]bool{}}
	for _, o := range orders {
		for _, p := range orderProducts(o, func(string) bool { return false }) {
			if p.sale {
				h.Bought[p.product]++
			} else {
				h.Returned[p.product] = true
			}
		}
	}
	return h
}

// Model is a co-purchase recommender kept in memory; it is safe for concurrent use.
type Model struct {
	mu    sync.RWMutex
	opt   Options
	index map[string]int32 // product id → item
	items []item
	cidx  map[string]int32 // customer id → customer
	custs []customer

	dirty    []int32
	isDirty  []bool
	popDirty bool
	popular  []int32     // items with buyers, most buyers first, as of the last Refresh
	acc      []float64   // refresh scratch: one row's co-purchase sums
	cands    []neighbour // refresh scratch: one row's candidates
}

type item struct {
	product  string
	name     string
	nameAt   time.Time
	nameSale bool    // name taken from a sale to a known customer
	buyers   []int32 // customers who bought it, in order of their first purchase
	norm     float64
	next     []neighbour
}

type neighbour struct {
	item int32
	sim  float32
}

type customer struct {
	hist  []entry // sorted by item
	kinds int32   // products bought (d_u)
}

type entry struct {
	item     int32
	orders   int32 // orders it was bought in
	returned bool
}

// New returns an empty model.
func New(opt Options) *Model {
	if opt.Neighbours <= 0 {
		opt.Neighbours = DefaultNeighbours
	}
	if opt.Ignore == nil {
		opt.Ignore = func(string) bool { return false }
	}
	return &Model{opt: opt, index: map[string]int32{}, cidx: map[string]int32{}}
}

// Build adds every order and computes all neighbour lists.
func Build(orders iter.Seq[Order], opt Options) *Model {
	m := New(opt)
	for o := range orders {
		m.add(o)
	}
	m.Refresh()
	return m
}

type orderProduct struct {
	product, name string
	sale          bool
}

// orderProducts lists an order's products once per (product, sale or return).
func orderProducts(o Order, ignore func(string) bool) []orderProduct {
	out := make([]orderProduct, 0, len(o.Lines))
	for _, l := range o.Lines {
		if l.Product == "" || l.Quantity == 0 || ignore(l.Product) {
			continue
		}
		out = append(out, orderProduct{product: l.Product, name: l.Name, sale: !o.Returned && l.Quantity > 0})
	}
	// Stable, so the first line's name stands for a product listed twice.
	slices.SortStableFunc(out, func(a, b orderProduct) int {
		if c := cmp.Compare(a.product, b.product); c != 0 {
			return c
		}
		return boolCmp(a.sale, b.sale)
	})
	return slices.CompactFunc(out, func(a, b orderProduct) bool { return a.product == b.product && a.sale == b.sale })
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Add records an order. Exclusions and names are current at once; neighbour lists and
// the popularity ranking change at the next Refresh.
func (m *Model) Add(o Order) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(o)
}

func (m *Model) add(o Order) {
	ps := orderProducts(o, m.opt.Ignore)
	if len(ps) == 0 {
		return
	}
	cu := int32(-1)
	if o.Customer != "" {
		var ok bool
		if cu, ok = m.cidx[o.Customer]; !ok {
			cu = int32(len(m.custs))
			m.cidx[strings.Clone(o.Customer)] = cu
			m.custs = append(m.custs, customer{})
		}
	}
	grew := false
	for _, p := range ps {
		it := m.item(p.product)
		m.setName(it, p.name, o.At, p.sale && cu >= 0)
		if cu < 0 {
			continue
		}
		c := &m.custs[cu]
		k, found := slices.BinarySearchFunc(c.hist, it, func(e entry, t int32) int { return cmp.Compare(e.item, t) })
		if !found {
			c.hist = slices.Insert(c.hist, k, entry{item: it})
		}
		e := &c.hist[k]
		if !p.sale {
			e.returned = true
			continue
		}
		if e.orders == 0 {
			grew = true
			c.kinds++
			m.items[it].buyers = append(m.items[it].buyers, cu)
			m.popDirty = true
		}
		e.orders++
	}
	if grew {
		// The customer's weight 1/d_u changed: every pair of their products moves.
		for _, e := range m.custs[cu].hist {
			if e.orders > 0 {
				m.markDirty(e.item)
			}
		}
	}
}

func (m *Model) item(product string) int32 {
	if it, ok := m.index[product]; ok {
		return it
	}
	it := int32(len(m.items))
	// Cloned: the model outlives the orders, whose strings may pin whole input lines.
	product = strings.Clone(product)
	m.index[product] = it
	m.items = append(m.items, item{product: product})
	m.isDirty = append(m.isDirty, false)
	return it
}

// setName keeps the latest description, preferring sales to known customers: stock
// adjustments ("check", "damaged") are booked on the same codes without a customer.
func (m *Model) setName(it int32, name string, at time.Time, sale bool) {
	if name == "" {
		return
	}
	x := &m.items[it]
	if x.name == "" || (sale && !x.nameSale) || (sale == x.nameSale && !at.Before(x.nameAt)) {
		x.name, x.nameAt, x.nameSale = strings.Clone(name), at, sale
	}
}

func (m *Model) markDirty(it int32) {
	if !m.isDirty[it] {
		m.isDirty[it] = true
		m.dirty = append(m.dirty, it)
	}
}

// Refresh recomputes the neighbour lists of the products whose co-purchases changed since
// the last Refresh, and the popularity ranking.
func (m *Model) Refresh() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
}

// Rebuild recomputes every neighbour list.
func (m *Model) Rebuild() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for it := range m.items {
		m.markDirty(int32(it))
	}
	m.popDirty = true
	m.refresh()
}

func (m *Model) refresh() {
	if m.popDirty {
		m.popular = m.popular[:0]
		for it := range m.items {
			if len(m.items[it].buyers) > 0 {
				m.popular = append(m.popular, int32(it))
			}
		}
		slices.SortFunc(m.popular, m.byPopularity)
		m.popDirty = false
	}
	if len(m.dirty) == 0 {
		return
	}
	// A norm changes only with a buyer or a buyer's weight, and both dirty the item.
	for _, it := range m.dirty {
		s := 0.0
		for _, u := range m.items[it].buyers {
			s += m.weight(u)
		}
		m.items[it].norm = math.Sqrt(s)
	}
	if len(m.acc) < len(m.items) {
		m.acc = make([]float64, len(m.items))
	}
	var touched []int32
	for _, it := range m.dirty {
		touched = m.row(it, touched[:0])
		m.isDirty[it] = false
	}
	m.dirty = m.dirty[:0]
}

func (m *Model) weight(u int32) float64 {
	if m.opt.Method == Cosine {
		return 1
	}
	return 1 / float64(m.custs[u].kinds)
}

// row computes item it's K neighbours; touched is scratch.
func (m *Model) row(it int32, touched []int32) []int32 {
	acc := m.acc
	for _, u := range m.items[it].buyers {
		w := m.weight(u)
		for _, e := range m.custs[u].hist {
			if e.orders == 0 || e.item == it {
				continue
			}
			if acc[e.item] == 0 {
				touched = append(touched, e.item)
			}
			acc[e.item] += w
		}
	}
	cands := m.cands[:0]
	ni := m.items[it].norm
	for _, j := range touched {
		cands = append(cands, neighbour{item: j, sim: float32(acc[j] / (ni * m.items[j].norm))})
		acc[j] = 0
	}
	slices.SortFunc(cands, m.bySim)
	if len(cands) > m.opt.Neighbours {
		cands = cands[:m.opt.Neighbours]
	}
	if m.opt.Method == NormalisedCosine {
		var sum float64
		for _, c := range cands {
			sum += float64(c.sim)
		}
		for k := range cands {
			cands[k].sim = float32(float64(cands[k].sim) / sum)
		}
	}
	// A copy: the scratch holds every co-bought product, the model only K.
	m.items[it].next = slices.Clone(cands)
	m.cands = cands
	return touched
}

func (m *Model) bySim(a, b neighbour) int {
	if c := cmp.Compare(b.sim, a.sim); c != 0 {
		return c
	}
	return cmp.Compare(m.items[a.item].product, m.items[b.item].product)
}

func (m *Model) byPopularity(a, b int32) int {
	if c := cmp.Compare(len(m.items[b].buyers), len(m.items[a].buyers)); c != 0 {
		return c
	}
	return cmp.Compare(m.items[a].product, m.items[b].product)
}

// Query is a request to Model.Query.
type Query struct {
	N int
	// PopularOnly skips co-purchase: the popularity baseline.
	PopularOnly bool
	// Repeats allows products the customer bought before (never returned ones), for
	// replenishment and for measuring against whole next baskets.
	Repeats bool
}

// Recommend returns up to n products for a customer with history h, best first: their
// co-purchase candidates, then popular products. Products h bought or returned are left
// out; products the model does not know are ignored.
func (m *Model) Recommend(h History, n int) []Rec {
	return m.Query(h, Query{N: n})
}

// Query is Recommend with the choices of q.
func (m *Model) Query(h History, q Query) []Rec {
	if q.N <= 0 {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	excluded := func(it int32) bool {
		p := m.items[it].product
		return h.Returned[p] || (!q.Repeats && h.Bought[p] > 0)
	}
	type cand struct {
		item, because int32
		score, best   float64
	}
	var out []cand
	if !q.PopularOnly {
		// Anchors in product order, so sums and the reason are the same on every call.
		anchors := make([]int32, 0, len(h.Bought))
		for p, k := range h.Bought {
			if it, ok := m.index[p]; ok && k > 0 && !h.Returned[p] {
				anchors = append(anchors, it)
			}
		}
		slices.SortFunc(anchors, func(a, b int32) int { return cmp.Compare(m.items[a].product, m.items[b].product) })
		at := map[int32]int{}
		for _, a := range anchors {
			for _, nb := range m.items[a].next {
				if excluded(nb.item) {
					continue
				}
				s := float64(nb.sim)
				k, ok := at[nb.item]
				if !ok {
					at[nb.item] = len(out)
					out = append(out, cand{item: nb.item, because: a, score: s, best: s})
					continue
				}
				c := &out[k]
				c.score += s
				if s > c.best {
					c.best, c.because = s, a
				}
			}
		}
		slices.SortFunc(out, func(a, b cand) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(m.items[a.item].product, m.items[b.item].product)
		})
	}
	recs := make([]Rec, 0, q.N)
	chosen := map[int32]bool{}
	for _, c := range out {
		if len(recs) == q.N {
			break
		}
		chosen[c.item] = true
		b := &m.items[c.because]
		recs = append(recs, Rec{Product: m.items[c.item].product, Name: m.items[c.item].name, Score: c.score,
			Kind: KindCoPurchase, Because: b.product, Reason: "bought with " + cmp.Or(b.name, b.product)})
	}
	for _, it := range m.popular {
		if len(recs) == q.N {
			break
		}
		if chosen[it] || excluded(it) {
			continue
		}
		x := &m.items[it]
		recs = append(recs, Rec{Product: x.product, Name: x.name, Score: float64(len(x.buyers)) / float64(len(m.custs)),
			Kind: KindPopular, Reason: fmt.Sprintf("popular: bought by %d customers", len(x.buyers))})
	}
	return recs
}

// History returns what the model holds for a customer (empty for an unknown one).
func (m *Model) History(customerID string) History {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h := History{Bought: map[string]int{}, Returned: map[string]bool{}}
	cu, ok := m.cidx[customerID]
	if !ok {
		return h
	}
	for _, e := range m.custs[cu].hist {
		p := m.items[e.item].product
		if e.orders > 0 {
			h.Bought[p] = int(e.orders)
		}
		if e.returned {
			h.Returned[p] = true
		}
	}
	return h
}

// ForCustomer is Recommend on the history the model holds for the customer.
func (m *Model) ForCustomer(customerID string, n int) []Rec {
	return m.Recommend(m.History(customerID), n)
}

// Name is a product's latest description ("" if unknown).
func (m *Model) Name(product string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if it, ok := m.index[product]; ok {
		return m.items[it].name
	}
	return ""
}

// Neighbours lists a product's kept neighbours, most similar first.
func (m *Model) Neighbours(product string) []Neighbour {
	m.mu.RLock()
	defer m.mu.RUnlock()
	it, ok := m.index[product]
	if !ok {
		return nil
	}
	out := make([]Neighbour, 0, len(m.items[it].next))
	for _, nb := range m.items[it].next {
		x := &m.items[nb.item]
		out = append(out, Neighbour{Product: x.product, Name: x.name, Similarity: float64(nb.sim)})
	}
	return out
}

// Stats are the model's sizes.
type Stats struct {
	Products, Customers int
	Pairs               int // (customer, product) history entries
	Neighbours          int // neighbour list entries
	Dirty               int // rows awaiting Refresh
}

// Stats reports the model's sizes.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Stats{Products: len(m.items), Customers: len(m.custs), Dirty: len(m.dirty)}
	for _, c := range m.custs {
		s.Pairs += len(c.hist)
	}
	for _, x := range m.items {
		s.Neighbours += len(x.next)
	}
	return s
}
