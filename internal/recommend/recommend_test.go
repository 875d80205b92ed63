package recommend

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)

func buy(cust string, day int, products ...string) Order {
	o := Order{Customer: cust, At: t0.AddDate(0, 0, day)}
	for _, p := range products {
		o.Lines = append(o.Lines, Line{Product: p, Name: "name " + p, Quantity: 1})
	}
	return o
}

func ret(cust string, day int, products ...string) Order {
	o := buy(cust, day, products...)
	o.Returned = true
	for i := range o.Lines {
		o.Lines[i].Quantity = -1
	}
	return o
}

// shop: A and B always go together; C and D each share one customer with A; E sells alone.
//
//	c1: A B C   c2: A B   c3: A B D   c4: C D   c5: E
func shop() []Order {
	return []Order{
		buy("c1", 0, "A", "B", "C"),
		buy("c2", 1, "A", "B"),
		buy("c3", 2, "A", "B", "D"),
		buy("c4", 3, "C", "D"),
		buy("c5", 4, "E"),
	}
}

func build(orders []Order, opt Options) *Model { return Build(slices.Values(orders), opt) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestNeighboursCosine(t *testing.T) {
	m := build(shop(), Options{Method: Cosine})
	got := m.Neighbours("A")
	// cos(A,B) = 3/√(3·3); cos(A,C) = cos(A,D) = 1/√(3·2), tied: C before D by id.
	want := []struct {
		p string
		s float64
	}{{"B", 1}, {"C", 1 / math.Sqrt(6)}, {"D", 1 / math.Sqrt(6)}}
	if len(got) != len(want) {
		t.Fatalf("neighbours of A = %+v", got)
	}
	for i, w := range want {
		if got[i].Product != w.p || !near(got[i].Similarity, w.s) || got[i].Name != "name "+w.p {
			t.Fatalf("neighbour %d of A = %+v, want %s %.4f", i, got[i], w.p, w.s)
		}
	}
	if n := m.Neighbours("E"); len(n) != 0 {
		t.Fatalf("E was bought alone, neighbours %+v", n)
	}
}

func TestCustomerWeighting(t *testing.T) {
	// d: c1 3, c2 2, c3 3, c4 2. ‖A‖² = 1/3+1/2+1/3 = 7/6, ‖C‖² = 1/3+1/2 = 5/6, and
	// A·C = 1/3 (c1), so sim(A,C) = (1/3)/√(35/36) = 2/√35.
	m := build(shop(), Options{Method: WeightedCosine})
	n := m.Neighbours("A")
	if n[0].Product != "B" || !near(n[0].Similarity, 1) || n[1].Product != "C" || !near(n[1].Similarity, 2/math.Sqrt(35)) {
		t.Fatalf("weighted neighbours of A = %+v", n)
	}
	// The default scales each row to sum 1.
	m = build(shop(), Options{})
	sum := 0.0
	for _, nb := range m.Neighbours("A") {
		sum += nb.Similarity
	}
	if !near(sum, 1) || !near(m.Neighbours("A")[0].Similarity, 1/(1+4/math.Sqrt(35))) {
		t.Fatalf("normalised neighbours of A = %+v (sum %v)", m.Neighbours("A"), sum)
	}

	// A wholesaler buying everything makes E look like A under the plain cosine only.
	orders := append(shop(), buy("big", 5, "A", "B", "C", "D", "E", "F", "G", "H", "I", "J"))
	plain := build(orders, Options{Method: Cosine})
	weighted := build(orders, Options{Method: WeightedCosine})
	sim := func(m *Model, a, b string) float64 {
		for _, nb := range m.Neighbours(a) {
			if nb.Product == b {
				return nb.Similarity
			}
		}
		return 0
	}
	if p, w := sim(plain, "E", "A"), sim(weighted, "E", "A"); !(w < p/2) {
		t.Fatalf("sim(E,A): plain %.3f, weighted %.3f: the wholesaler should count less", p, w)
	}
}

func TestRecommendExcludesBoughtAndReturned(t *testing.T) {
	orders := append(shop(),
		buy("x", 5, "A", "C"),
		ret("x", 6, "B"), // B returned (bought before the data began)
	)
	m := build(orders, Options{Method: Cosine})
	recs := m.ForCustomer("x", 10)
	for _, r := range recs {
		if r.Product == "A" || r.Product == "B" || r.Product == "C" {
			t.Fatalf("recommended %s, which x bought or returned: %+v", r.Product, recs)
		}
	}
	// D: from A 1/√(4·2) with x counted, from C cos(C,D) = 1/√(3·2); then E by popularity.
	if len(recs) != 2 || recs[0].Product != "D" || recs[0].Kind != KindCoPurchase || recs[1].Product != "E" || recs[1].Kind != KindPopular {
		t.Fatalf("recs = %+v", recs)
	}
	if !near(recs[0].Score, 1/math.Sqrt(8)+1/math.Sqrt(6)) || recs[0].Because != "C" || recs[0].Reason != "bought with name C" {
		t.Fatalf("D = %+v", recs[0])
	}
	if recs[1].Reason != "popular: bought by 1 customers" || !near(recs[1].Score, 1.0/6) {
		t.Fatalf("E = %+v", recs[1])
	}

	// Bought then returned is excluded as well, also when repeats are allowed.
	m.Add(buy("y", 7, "D"))
	m.Add(ret("y", 8, "D"))
	for _, q := range []Query{{N: 10}, {N: 10, Repeats: true}, {N: 10, PopularOnly: true, Repeats: true}} {
		for _, r := range m.Query(m.History("y"), q) {
			if r.Product == "D" {
				t.Fatalf("%+v recommends D, which y returned", q)
			}
		}
	}
	// Repeats allowed: A's own purchase may come back, scored from C.
	recs = m.Query(m.History("x"), Query{N: 10, Repeats: true})
	if !slices.ContainsFunc(recs, func(r Rec) bool { return r.Product == "A" }) || slices.ContainsFunc(recs, func(r Rec) bool { return r.Product == "B" }) {
		t.Fatalf("repeats = %+v", recs)
	}
}

func TestPopularityFallback(t *testing.T) {
	m := build(shop(), Options{})
	// No history: buyers A 3, B 3, C 2, D 2, E 1; ties by id.
	var got []string
	for _, r := range m.Recommend(History{}, 4) {
		if r.Kind != KindPopular {
			t.Fatalf("%+v is not popular", r)
		}
		got = append(got, r.Product)
	}
	if !reflect.DeepEqual(got, []string{"A", "B", "C", "D"}) {
		t.Fatalf("popular = %v", got)
	}
	// Few candidates: E's buyer gets no co-purchase, then every other product once.
	got = got[:0]
	for _, r := range m.ForCustomer("c5", 10) {
		got = append(got, r.Product)
	}
	if !reflect.DeepEqual(got, []string{"A", "B", "C", "D"}) {
		t.Fatalf("c5 = %v", got)
	}
	// c4 (C, D): co-purchase candidates A and B first, nothing twice.
	recs := m.ForCustomer("c4", 10)
	if len(recs) != 3 || recs[0].Kind != KindCoPurchase || recs[1].Kind != KindCoPurchase || recs[2].Product != "E" || recs[2].Kind != KindPopular {
		t.Fatalf("c4 = %+v", recs)
	}
	if r := m.Recommend(History{}, 0); r != nil {
		t.Fatalf("n = 0 gave %+v", r)
	}
}

func TestDeterministicTies(t *testing.T) {
	// C and D tie for a customer who bought only A; the order is by id whatever the
	// order of ingestion.
	base := build(shop(), Options{}).Recommend(History{Bought: map[string]int{"A": 1}}, 3)
	if base[1].Product != "C" || base[2].Product != "D" || base[1].Score != base[2].Score {
		t.Fatalf("tie = %+v", base)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		orders := shop()
		rng.Shuffle(len(orders), func(i, j int) { orders[i], orders[j] = orders[j], orders[i] })
		for _, o := range orders {
			rng.Shuffle(len(o.Lines), func(i, j int) { o.Lines[i], o.Lines[j] = o.Lines[j], o.Lines[i] })
		}
		got := build(orders, Options{}).Recommend(History{Bought: map[string]int{"A": 1}}, 3)
		for i := range got {
			if got[i].Product != base[i].Product || !near(got[i].Score, base[i].Score) || got[i].Reason != base[i].Reason {
				t.Fatalf("order %v gave %+v, want %+v", orders, got, base)
			}
		}
	}
}

// randomShop is a few hundred orders over a small catalogue, with returns and guests.
func randomShop(seed uint64) []Order {
	rng := rand.New(rand.NewPCG(seed, 7))
	var orders []Order
	for i := range 400 {
		cust := fmt.Sprintf("c%d", rng.IntN(60))
		if rng.IntN(10) == 0 {
			cust = ""
		}
		var ps []string
		for range 1 + rng.IntN(6) {
			ps = append(ps, fmt.Sprintf("p%02d", min(rng.IntN(40), rng.IntN(40))))
		}
		o := buy(cust, i, ps...)
		if rng.IntN(12) == 0 {
			o = ret(cust, i, ps[0])
		}
		orders = append(orders, o)
	}
	return orders
}

func TestIncrementalMatchesBuild(t *testing.T) {
	orders := randomShop(3)
	full := build(orders, Options{})
	m := build(orders[:150], Options{})
	for _, o := range orders[150:] {
		m.Add(o)
	}
	// Exclusions are current before any Refresh.
	for _, o := range orders[150:] {
		if o.Customer == "" {
			continue
		}
		for _, r := range m.ForCustomer(o.Customer, 10) {
			if h := full.History(o.Customer); h.Bought[r.Product] > 0 || h.Returned[r.Product] {
				t.Fatalf("%s: %s recommended before Refresh though bought or returned", o.Customer, r.Product)
			}
		}
	}
	if m.Stats().Dirty == 0 {
		t.Fatal("new co-purchases left no row dirty")
	}
	m.Rebuild()
	if !reflect.DeepEqual(m.Stats(), full.Stats()) {
		t.Fatalf("stats %+v, built %+v", m.Stats(), full.Stats())
	}
	for i := range 40 {
		p := fmt.Sprintf("p%02d", i)
		if !reflect.DeepEqual(m.Neighbours(p), full.Neighbours(p)) {
			t.Fatalf("neighbours of %s: incremental %+v, built %+v", p, m.Neighbours(p), full.Neighbours(p))
		}
	}
	for i := range 60 {
		c := fmt.Sprintf("c%d", i)
		if !reflect.DeepEqual(m.ForCustomer(c, 10), full.ForCustomer(c, 10)) {
			t.Fatalf("%s: incremental %+v, built %+v", c, m.ForCustomer(c, 10), full.ForCustomer(c, 10))
		}
	}
}

func TestRefreshRecomputesChangedRows(t *testing.T) {
	m := build(shop(), Options{Method: Cosine})
	m.Add(buy("c6", 9, "E", "D"))
	if len(m.Neighbours("E")) != 0 {
		t.Fatalf("E changed before Refresh: %+v", m.Neighbours("E"))
	}
	m.Refresh()
	if n := m.Neighbours("E"); len(n) != 1 || n[0].Product != "D" || !near(n[0].Similarity, 1/math.Sqrt(2*3)) {
		t.Fatalf("E after Refresh = %+v", n)
	}
	// A repeat purchase and a return change no co-purchase.
	m.Add(buy("c6", 10, "E"))
	m.Add(ret("c6", 11, "D"))
	if d := m.Stats().Dirty; d != 0 {
		t.Fatalf("%d rows dirty after a repeat and a return", d)
	}
}

func TestNeighbourBound(t *testing.T) {
	m := build(randomShop(5), Options{Neighbours: 3})
	for i := range 40 {
		if n := m.Neighbours(fmt.Sprintf("p%02d", i)); len(n) > 3 {
			t.Fatalf("p%02d keeps %d neighbours", i, len(n))
		}
	}
	if s := m.Stats(); s.Neighbours > 3*s.Products {
		t.Fatalf("stats %+v", s)
	}
}

func TestNames(t *testing.T) {
	m := New(Options{})
	at := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	m.Add(Order{Customer: "a", At: at(5), Lines: []Line{{Product: "P", Name: "NEW NAME", Quantity: 1}}})
	m.Add(Order{Customer: "b", At: at(1), Lines: []Line{{Product: "P", Name: "OLD NAME", Quantity: 1}}}) // arrives late
	m.Add(Order{At: at(9), Lines: []Line{{Product: "P", Name: "damaged", Quantity: -3}}})                // stock adjustment
	m.Add(Order{Customer: "a", At: at(8), Returned: true, Lines: []Line{{Product: "P", Name: "credit", Quantity: -1}}})
	m.Add(Order{Customer: "a", At: at(9), Lines: []Line{{Product: "P", Quantity: 1}}}) // no description
	if n := m.Name("P"); n != "NEW NAME" {
		t.Fatalf("name = %q", n)
	}
	// A product never sold to a customer keeps its latest description of any kind.
	m.Add(Order{At: at(1), Lines: []Line{{Product: "Q", Name: "first", Quantity: 1}}})
	m.Add(Order{At: at(2), Lines: []Line{{Product: "Q", Name: "second", Quantity: 1}}})
	if n := m.Name("Q"); n != "second" {
		t.Fatalf("name = %q", n)
	}
	if s := m.Stats(); s.Customers != 2 {
		t.Fatalf("guests became customers: %+v", s)
	}
}

func TestIgnoreAndHistoryOf(t *testing.T) {
	orders := []Order{
		buy("a", 0, "P1", "POST", "P2"),
		buy("a", 1, "P1"),
		ret("a", 2, "P3"),
		buy("b", 3, "P1", "POST", "P4"),
	}
	m := build(orders, Options{Ignore: ServiceCode})
	for _, r := range m.Recommend(History{}, 10) {
		if r.Product == "POST" {
			t.Fatal("postage recommended")
		}
	}
	want := History{Bought: map[string]int{"P1": 2, "P2": 1}, Returned: map[string]bool{"P3": true}}
	if h := m.History("a"); !reflect.DeepEqual(h, want) {
		t.Fatalf("model history %+v", h)
	}
	if h := HistoryOf(orders[:3]); h.Bought["P1"] != 2 || h.Bought["P2"] != 1 || !h.Returned["P3"] || h.Bought["POST"] != 1 {
		t.Fatalf("HistoryOf %+v", h)
	}
	if !ServiceCode("BANK CHARGES") || !ServiceCode("gift_0001_20") || ServiceCode("85123A") || ServiceCode("DCGSSGIRL") {
		t.Fatal("ServiceCode")
	}
}

func TestConcurrentUse(t *testing.T) {
	orders := randomShop(9)
	m := build(orders[:100], Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, o := range orders[100:] {
			m.Add(o)
			if i%25 == 0 {
				m.Refresh()
			}
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
			m.ForCustomer(fmt.Sprintf("c%d", i%60), 5)
		}
	}
}
