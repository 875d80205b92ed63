package quality

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

var ctx = context.Background()

// fakeSource is a database of plain values.
type fakeSource struct {
	orders    map[string]commerce.Order
	tickets   map[string]ticket.Ticket
	products  map[string]Product
	redirects map[string]string
}

func newFake() *fakeSource {
	return &fakeSource{orders: map[string]commerce.Order{}, tickets: map[string]ticket.Ticket{}, products: map[string]Product{}, redirects: map[string]string{}}
}

func (f *fakeSource) EachOrder(_ context.Context, fn func([]commerce.Order) error) error {
	return fn(slices.Collect(maps.Values(f.orders)))
}

func (f *fakeSource) EachTicket(_ context.Context, fn func([]ticket.Ticket) error) error {
	return fn(slices.Collect(maps.Values(f.tickets)))
}

func (f *fakeSource) EachProduct(_ context.Context, fn func([]Product) error) error {
	return fn(slices.Collect(maps.Values(f.products)))
}

func (f *fakeSource) EachRedirect(_ context.Context, fn func(id, into string)) error {
	for id, into := range f.redirects {
		fn(id, into)
	}
	return nil
}

func (f *fakeSource) MergedInto(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		out[id] = f.redirects[id]
	}
	return out, nil
}

func (f *fakeSource) PutProducts(_ context.Context, ps []Product) error {
	for _, p := range ps {
		f.products[p.SKU] = p
	}
	return nil
}

func (f *fakeSource) GetProducts(_ context.Context, skus []string) ([]Product, error) {
	var out []Product
	for _, s := range skus {
		if p, ok := f.products[s]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// world generates orders, tickets and a catalogue, and keeps the source and the
// service's aggregate in step as a running server would.
type world struct {
	t   *testing.T
	r   *rand.Rand
	src *fakeSource
	s   *Service
	n   int
	ms  int64 // distinct order times
}

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, seed uint64) *world {
	src := newFake()
	w := &world{t: t, r: rand.New(rand.NewPCG(seed, 7)), src: src, s: &Service{Agg: NewAggregate(), Source: src, Catalogue: src}}
	return w
}

func (w *world) sku() string { return fmt.Sprint("SKU", w.r.IntN(15)) }

func (w *world) at() time.Time {
	w.ms++
	return base.Add(time.Duration(w.r.IntN(300))*24*time.Hour + time.Duration(w.ms)*time.Millisecond)
}

// order makes a random order of customer c ("" a guest).
func (w *world) order(c string) commerce.Order {
	w.n++
	o := commerce.Order{ID: fmt.Sprint("shop:", w.n), ProfileID: c, Status: commerce.Paid, Currency: "GBP", PlacedAt: w.at()}
	if w.r.IntN(6) == 0 {
		o.Currency = "EUR"
	}
	k := w.r.IntN(10)
	sign := int64(1)
	switch {
	case k == 0:
		o.Status = commerce.Cancelled
	case k == 1:
		o.Status, sign = commerce.Refunded, -1 // a credit note
	case k == 2:
		o.Status = commerce.Refunded
	}
	for range 1 + w.r.IntN(4) {
		l := commerce.Line{SKU: w.sku(), Description: "thing", Quantity: sign * int64(1+w.r.IntN(5)), UnitPriceMinor: int64(100 + w.r.IntN(900))}
		if w.r.IntN(8) == 0 {
			l.Category = fmt.Sprint("Own", w.r.IntN(2))
		}
		if w.r.IntN(20) == 0 {
			l.Quantity = -l.Quantity // a returned unit on an order
		}
		o.Lines = append(o.Lines, l)
	}
	o.TotalMinor, _ = o.LinesTotal()
	return o
}

func (w *world) putOrder(o commerce.Order, live bool) {
	w.src.orders[o.ID] = o
	if live {
		w.s.Observe([]commerce.Order{o})
	}
}

// ticket makes a ticket of requester c, naming one of c's orders now and then.
func (w *world) ticket(id, c string, live bool) {
	t := ticket.Ticket{ID: id, RequesterID: c, CreatedAt: w.at()}
	if w.r.IntN(4) == 0 {
		var mine []string
		for _, o := range w.src.orders {
			if o.ProfileID == w.final(c) {
				mine = append(mine, o.ID)
			}
		}
		if len(mine) > 0 {
			slices.Sort(mine)
			t.OrderID = mine[w.r.IntN(len(mine))]
		}
	}
	if w.r.IntN(3) > 0 {
		t.CSAT = &ticket.Rating{Score: 1 + w.r.IntN(5)}
	}
	if w.r.IntN(15) == 0 {
		t.MergedInto = "elsewhere"
	}
	w.src.tickets[id] = t
	if live {
		w.s.Agg.TicketWritten(id, &t)
	}
}

func (w *world) final(id string) string {
	for w.src.redirects[id] != "" {
		id = w.src.redirects[id]
	}
	return id
}

// merge merges profile from into to: its orders move, as commerce reports them.
func (w *world) merge(from, to string) {
	w.src.redirects[from] = to
	w.s.Agg.Merged(map[string]string{from: to})
	var moved []commerce.Order
	for id, o := range w.src.orders {
		if o.ProfileID == from {
			o.ProfileID = to
			w.src.orders[id] = o
			moved = append(moved, o)
		}
	}
	w.s.Observe(moved)
}

// retKey is an order's negative lines of one SKU and own category, taken together.
type retKey struct{ order, sku, cat string }

// matchedReturns matches returns the plain way: per customer, orders in time order; an
// order first adds what it sold (when not cancelled or refunded), then each of its
// negative lines (of one SKU and own category together, in the order they first appear)
// takes what is left of that SKU. Guests' returns match nothing.
func matchedReturns(orders map[string]commerce.Order) map[retKey]int64 {
	byCust := map[string][]commerce.Order{}
	for _, o := range orders {
		if o.ProfileID != "" {
			byCust[o.ProfileID] = append(byCust[o.ProfileID], o)
		}
	}
	out := map[retKey]int64{}
	for _, os := range byCust {
		slices.SortFunc(os, func(a, b commerce.Order) int { return a.PlacedAt.Compare(b.PlacedAt) })
		left := map[string]int64{}
		for _, o := range os {
			if !o.IsCancellation() {
				for _, l := range o.Lines {
					if l.Quantity > 0 {
						left[l.SKU] += l.Quantity
					}
				}
			}
			want := map[retKey]int64{}
			var keys []retKey
			for _, l := range o.Lines {
				if k := (retKey{o.ID, l.SKU, l.Category}); l.Quantity < 0 {
					if _, ok := want[k]; !ok {
						keys = append(keys, k)
					}
					want[k] -= l.Quantity
				}
			}
			for _, k := range keys {
				m := min(want[k], left[k.sku])
				left[k.sku] -= m
				out[k] = m
			}
		}
	}
	return out
}

// expected computes the report's rows (all of them, unsorted) the plain way.
func (w *world) expected(q Query) (map[string]Row, int, int, string) {
	src := w.src
	matched := matchedReturns(src.orders)
	inRange := func(o commerce.Order) bool {
		return (q.From.IsZero() || !o.PlacedAt.Before(q.From)) && (q.To.IsZero() || !o.PlacedAt.After(q.To))
	}
	credit := func(o commerce.Order) bool { return o.IsCancellation() && o.TotalMinor < 0 }
	perCur := map[string]int{}
	for _, o := range src.orders {
		perCur[o.Currency]++
	}
	cur := q.Currency
	if cur == "" {
		for c, n := range perCur {
			if cur == "" || n > perCur[cur] || n == perCur[cur] && c < cur {
				cur = c
			}
		}
	}
	keyOf := func(l commerce.Line) string {
		if q.By == ByProduct {
			return l.SKU
		}
		if l.Category != "" {
			return l.Category
		}
		if p, ok := src.products[l.SKU]; ok && p.Category != "" {
			return p.Category
		}
		return Uncategorised
	}
	rows := map[string]*Row{}
	row := func(k string) *Row {
		if rows[k] == nil {
			rows[k] = &Row{Key: k}
		}
		return rows[k]
	}
	orders, tickets := 0, 0
	for _, o := range src.orders {
		if !inRange(o) {
			continue
		}
		if !credit(o) {
			orders++
		}
		seen := map[string]bool{}
		returned := map[retKey]int64{}
		for _, l := range o.Lines {
			r := row(keyOf(l))
			if l.Quantity > 0 {
				r.UnitsSold += l.Quantity
				if o.IsCancellation() {
					r.UnitsReturned += l.Quantity
				}
			} else {
				returned[retKey{o.ID, l.SKU, l.Category}] -= l.Quantity
			}
			if o.Currency == cur && (!o.IsCancellation() || o.TotalMinor < 0) {
				r.NetRevenue += l.Quantity * l.UnitPriceMinor
			}
			if !credit(o) && !seen[r.Key] {
				seen[r.Key] = true
				r.Orders++
			}
		}
		unmatchedIn := map[string]bool{}
		for k, n := range returned {
			r := row(keyOf(commerce.Line{SKU: k.sku, Category: k.cat}))
			r.UnitsReturned += matched[k]
			if u := n - matched[k]; u > 0 {
				r.UnmatchedUnits += u
				if !unmatchedIn[r.Key] {
					unmatchedIn[r.Key] = true
					r.UnmatchedReturns++
				}
			}
		}
	}
	window := q.TicketWindowDays
	if window == 0 {
		window = DefaultTicketWindowDays
	}
	sums := map[string]int{}
	for _, t := range src.tickets {
		if t.MergedInto != "" {
			continue
		}
		var at *commerce.Order
		if t.OrderID != "" {
			if o, ok := src.orders[t.OrderID]; ok {
				at = &o
			}
		} else {
			owner := w.final(t.RequesterID)
			for _, o := range src.orders {
				if o.ProfileID != owner || credit(o) || o.PlacedAt.After(t.CreatedAt) || o.PlacedAt.Before(t.CreatedAt.AddDate(0, 0, -window)) {
					continue
				}
				if at == nil || o.PlacedAt.After(at.PlacedAt) {
					at = &o
				}
			}
		}
		if at == nil || !inRange(*at) {
			continue
		}
		tickets++
		seen := map[string]bool{}
		for _, l := range at.Lines {
			k := keyOf(l)
			if seen[k] {
				continue
			}
			seen[k] = true
			r := row(k)
			r.Tickets++
			if t.CSAT != nil {
				r.RatedTickets++
				sums[k] += t.CSAT.Score
				if t.CSAT.Score >= 4 {
					r.SatisfiedShare++
				}
			}
		}
	}
	out := map[string]Row{}
	for k, r := range rows {
		if r.UnitsSold < int64(q.MinUnits) {
			continue
		}
		if r.UnitsSold > 0 {
			r.ReturnRate = float64(r.UnitsReturned) / float64(r.UnitsSold)
		}
		if r.Orders > 0 {
			r.TicketsPer100 = 100 * float64(r.Tickets) / float64(r.Orders)
		}
		if r.RatedTickets > 0 {
			r.AverageCSAT = float64(sums[k]) / float64(r.RatedTickets)
			r.SatisfiedShare /= float64(r.RatedTickets)
		}
		out[k] = *r
	}
	return out, orders, tickets, cur
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// check compares every row of the report (all pages) with the plain computation.
func (w *world) check(q Query) {
	w.t.Helper()
	want, orders, tickets, cur := w.expected(q)
	var got []Row
	q.First = 7
	for page := 0; ; page++ {
		pg, err := w.s.Report(q)
		if err != nil || !pg.Ready {
			w.t.Fatalf("report %+v: %+v %v", q, pg, err)
		}
		if pg.Orders != orders || pg.Tickets != tickets || pg.Currency != cur || pg.Total != len(want) {
			w.t.Fatalf("%+v: %d orders, %d tickets, %s, %d rows; want %d, %d, %s, %d", q, pg.Orders, pg.Tickets, pg.Currency, pg.Total, orders, tickets, cur, len(want))
		}
		got = append(got, pg.Rows...)
		if pg.Next == "" {
			break
		}
		q.After = pg.Next
	}
	if len(got) != len(want) {
		w.t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i, r := range got {
		e := want[r.Key]
		if r.Orders != e.Orders || r.UnitsSold != e.UnitsSold || r.UnitsReturned != e.UnitsReturned || !near(r.ReturnRate, e.ReturnRate) ||
			r.UnmatchedUnits != e.UnmatchedUnits || r.UnmatchedReturns != e.UnmatchedReturns ||
			r.NetRevenue != e.NetRevenue || r.Tickets != e.Tickets || r.RatedTickets != e.RatedTickets || !near(r.AverageCSAT, e.AverageCSAT) ||
			!near(r.SatisfiedShare, e.SatisfiedShare) || !near(r.TicketsPer100, e.TicketsPer100) {
			w.t.Fatalf("%+v row %s:\n got %+v\nwant %+v", q, r.Key, r, e)
		}
		if i > 0 && !inOrder(got[i-1], r, q.OrderBy) {
			w.t.Fatalf("rows %s and %s out of order for %v", got[i-1].Key, r.Key, q.OrderBy)
		}
	}
}

func inOrder(a, b Row, by Ordering) bool {
	switch by {
	case ByCSAT:
		if a.RatedTickets == 0 {
			return b.RatedTickets == 0
		}
		return b.RatedTickets == 0 || a.AverageCSAT <= b.AverageCSAT
	case ByTicketRate:
		return a.TicketsPer100 >= b.TicketsPer100
	case ByRevenue:
		return a.NetRevenue >= b.NetRevenue
	}
	return a.ReturnRate >= b.ReturnRate
}

func (w *world) checkAll() {
	w.t.Helper()
	for _, by := range []Grouping{ByProduct, ByCategory} {
		for _, ob := range []Ordering{ByReturnRate, ByCSAT, ByTicketRate, ByRevenue} {
			w.check(Query{By: by, OrderBy: ob})
		}
		w.check(Query{By: by, MinUnits: 40, From: base.AddDate(0, 2, 0), To: base.AddDate(0, 7, 0), TicketWindowDays: 60})
		w.check(Query{By: by, Currency: "EUR", TicketWindowDays: 7})
	}
}

// TestReportAgainstPlainComputation: a report built at start and kept current by new
// and replaced orders, tickets, ratings, catalogue writes, merges moving orders and an
// erasure matches a plain computation over the same data at every step.
func TestReportAgainstPlainComputation(t *testing.T) {
	for seed := range uint64(4) {
		w := newWorld(t, seed)
		custs := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}
		for range 150 {
			c := ""
			if w.r.IntN(10) > 0 {
				c = custs[w.r.IntN(len(custs))]
			}
			w.putOrder(w.order(c), false)
		}
		for i := range 80 {
			w.ticket(fmt.Sprint("t", i), custs[w.r.IntN(len(custs))], false)
		}
		w.src.products["SKU1"] = Product{SKU: "SKU1", Name: "Lantern", Category: "Lights"}
		w.src.products["SKU2"] = Product{SKU: "SKU2", Name: "Mug", Category: "Kitchen"}
		w.src.redirects["p7"] = "p6" // merged before the start (its orders moved then)
		for id, o := range w.src.orders {
			if o.ProfileID == "p7" {
				o.ProfileID = "p6"
				w.src.orders[id] = o
			}
		}
		if pg, _ := w.s.Report(Query{}); pg.Ready {
			t.Fatal("ready before the build")
		}
		if err := w.s.Agg.Build(ctx, w.src); err != nil {
			t.Fatal(err)
		}
		w.checkAll()

		// Then changes as they are made.
		for range 40 {
			w.putOrder(w.order(custs[w.r.IntN(6)]), true)
		}
		for i := range 30 {
			w.ticket(fmt.Sprint("u", i), custs[w.r.IntN(len(custs))], true)
		}
		// A replaced order (now refunded) and a rating added to an existing ticket.
		for _, o := range w.src.orders {
			if o.Status == commerce.Paid {
				o.Status = commerce.Refunded
				w.putOrder(o, true)
				break
			}
		}
		tk := w.src.tickets["t3"]
		tk.CSAT = &ticket.Rating{Score: 1}
		w.src.tickets["t3"] = tk
		w.s.Agg.TicketWritten("t3", &tk)
		delete(w.src.tickets, "t4")
		w.s.Agg.TicketWritten("t4", nil)
		if _, err := w.s.PutProducts(ctx, []Product{{SKU: "SKU3", Name: "Chair", Category: "Furniture"}, {SKU: "SKU1", Name: "Lantern", Category: "Garden"}}); err != nil {
			t.Fatal(err)
		}
		w.merge("p1", "p0")
		w.merge("p0", "p5") // a chain: p1's tickets follow to p5
		w.checkAll()

		// An erasure: the orders of p2 become guest orders.
		for id, o := range w.src.orders {
			if o.ProfileID == "p2" {
				o.ProfileID = ""
				w.src.orders[id] = o
			}
		}
		w.s.Forget([]string{"p2"})
		w.checkAll()

		// A rebuild from the source gives the same figures.
		if err := w.s.Agg.Build(ctx, w.src); err != nil {
			t.Fatal(err)
		}
		w.checkAll()
	}
}

// TestReturnsMatchWhateverTheArrivalOrder: orders heard one at a time in a random order
// (a report between arrivals, so the matching is redone piecemeal for the owners that
// changed) give the figures of a build that read them all at once, and the plain ones.
func TestReturnsMatchWhateverTheArrivalOrder(t *testing.T) {
	for seed := range uint64(3) {
		w := newWorld(t, 100+seed)
		var all []commerce.Order
		for range 200 {
			c := ""
			if w.r.IntN(10) > 0 {
				c = fmt.Sprint("p", w.r.IntN(4)) // few customers: many returns find a sale
			}
			o := w.order(c)
			w.src.orders[o.ID] = o
			all = append(all, o)
		}
		m, unmatched := int64(0), int64(0)
		for k, n := range matchedReturns(w.src.orders) {
			m += n
			for _, l := range w.src.orders[k.order].Lines {
				if l.SKU == k.sku && l.Category == k.cat && l.Quantity < 0 {
					unmatched -= l.Quantity
				}
			}
		}
		if unmatched -= m; m == 0 || unmatched == 0 {
			t.Fatalf("seed %d: %d matched and %d unmatched units; the data should have both", seed, m, unmatched)
		}
		live := &Service{Agg: NewAggregate(), Source: newFake()}
		if err := live.Agg.Build(ctx, live.Source); err != nil {
			t.Fatal(err)
		}
		w.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for i, o := range all {
			live.Observe([]commerce.Order{o})
			if i%7 == 0 {
				if _, err := live.Report(Query{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.s.Agg.Build(ctx, w.src); err != nil {
			t.Fatal(err)
		}
		for _, by := range []Grouping{ByProduct, ByCategory} {
			q := Query{By: by, MinUnits: 0, First: MaxFirst}
			a, _ := live.Report(q)
			b, _ := w.s.Report(q)
			if !slices.Equal(a.Rows, b.Rows) {
				t.Fatalf("seed %d by %v: heard in any order\n%+v\nbuilt at once\n%+v", seed, by, a.Rows, b.Rows)
			}
		}
		w.checkAll()
	}
}

// TestSplitRereadsRedirects: profiles of an unmerge have their redirects read again.
func TestSplitRereadsRedirects(t *testing.T) {
	w := newWorld(t, 9)
	w.src.redirects["p1"] = "p0"
	o := w.order("p0")
	o.Status, o.PlacedAt = commerce.Paid, base
	o.Lines = []commerce.Line{{SKU: "A", Quantity: 1, UnitPriceMinor: 100}}
	w.putOrder(o, false)
	w.src.tickets["t"] = ticket.Ticket{ID: "t", RequesterID: "p1", CreatedAt: base.Add(time.Hour)}
	if err := w.s.Agg.Build(ctx, w.src); err != nil {
		t.Fatal(err)
	}
	if pg, _ := w.s.Report(Query{}); pg.Tickets != 1 {
		t.Fatalf("tickets %d, want 1 (p1 merged into p0)", pg.Tickets)
	}
	delete(w.src.redirects, "p1") // split off again
	w.s.Agg.Split([]string{"p1"})
	ids := w.s.Agg.takeDirty()
	found, _ := w.src.MergedInto(ctx, ids)
	w.s.Agg.setRedirects(found)
	if pg, _ := w.s.Report(Query{}); pg.Tickets != 0 {
		t.Fatalf("tickets %d, want 0 after the split", pg.Tickets)
	}
}

func TestQueryChecks(t *testing.T) {
	w := newWorld(t, 1)
	if err := w.s.Agg.Build(ctx, w.src); err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{{MinUnits: -1}, {TicketWindowDays: -1}, {TicketWindowDays: 400}, {First: 201}, {First: -1}, {After: "zzz"},
		{Currency: "XXQ"}, {From: base, To: base.Add(-time.Hour)}} {
		if _, err := w.s.Report(q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
	if _, err := w.s.PutProducts(ctx, make([]Product, MaxProductsPerCall+1)); err == nil {
		t.Error("1001 products accepted")
	}
	if _, err := w.s.PutProducts(ctx, []Product{{SKU: " "}}); err == nil {
		t.Error("empty SKU accepted")
	}
	n, err := w.s.PutProducts(ctx, []Product{{SKU: "A", Name: "x"}, {SKU: "A", Name: "y"}})
	if err != nil || n != 1 || w.src.products["A"].Name != "y" {
		t.Fatalf("put %d %v %+v", n, err, w.src.products)
	}
	ps, err := w.s.Products(ctx, []string{"B", "A", "A"})
	if err != nil || len(ps) != 1 || ps[0].Name != "y" {
		t.Fatalf("products %+v %v", ps, err)
	}
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(0))
	f.Add(encodeCursor(40))
	f.Add("")
	f.Add("cTE")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := decodeCursor(s)
		if err != nil {
			return
		}
		if n < 0 || decodeAgain(encodeCursor(n)) != n {
			t.Fatalf("%q -> %d", s, n)
		}
	})
}

func decodeAgain(s string) int { n, _ := decodeCursor(s); return n }
