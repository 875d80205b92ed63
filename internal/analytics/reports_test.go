package analytics

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/forecast"
)

var ctx = context.Background()

// handFake is the hand example: A (GB) orders three times, B (FR, at the till) once
// and gets £10 back, C (GB) cancels an order and orders again, and a guest orders once.
func handFake() *fakeSource {
	f := newFake()
	f.countries = map[string]string{"A": "GB", "B": "FR", "C": "GB"}
	for _, o := range []commerce.Order{
		order("a1", "A", day(2024, 1, 5), 1000), order("a2", "A", day(2024, 1, 20), 2000), order("a3", "A", day(2024, 3, 10), 3000),
		order("b1", "B", day(2024, 2, 1), 5000, source("pos")), order("b2", "B", day(2024, 2, 15), -1000, source("pos"), status(commerce.Refunded)),
		order("c1", "C", day(2024, 3, 1), 500, status(commerce.Cancelled)), order("c2", "C", day(2024, 3, 2), 1500),
		order("g1", "", day(2024, 1, 10), 10000),
	} {
		f.orders[o.ID] = o
	}
	return f
}

func TestHandExample(t *testing.T) {
	f := handFake()
	asOf := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	s := newService(t, f, asOf.AddDate(0, 0, 3)) // now: three days later, the data is current
	tr, err := s.Trend(ctx, TrendQuery{Interval: Monthly, ChurnDays: 30, From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: asOf, Scope: Scope{AsOf: asOf}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Counts{
		{New: 1, Active: 1, Orders: 3, RevenueMinor: 13000},
		{New: 1, Active: 1, Churned: 1, Orders: 1, RevenueMinor: 4000},
		{New: 1, Active: 2, Returning: 1, Churned: 1, Orders: 2, RevenueMinor: 4500},
	}
	if !tr.Ready || tr.Currency != "GBP" || len(tr.Periods) != 3 {
		t.Fatalf("trend: %+v", tr)
	}
	for i, p := range tr.Periods {
		if p.Counts != want[i] || !p.Start.Equal(time.Date(2024, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)) || p.Partial {
			t.Errorf("period %d: %+v, want %+v", i, p, want[i])
		}
	}
	if c := tr.Periods[0].Change; c.New != nil || c.Revenue != nil {
		t.Errorf("January has no base: %+v", c)
	}
	if c := tr.Periods[1].Change; *c.New != 0 || math.Abs(*c.Orders+2.0/3) > 1e-12 || math.Abs(*c.Revenue+9.0/13) > 1e-12 || c.Churned != nil {
		t.Errorf("February's change: %+v", c)
	}
	if c := tr.Periods[2].Change; *c.Active != 1 || *c.Churned != 0 || c.Returning != nil {
		t.Errorf("March's change: %+v", c)
	}
	// Only GB customers: B and the guest order are out.
	gb, _ := s.Trend(ctx, TrendQuery{Interval: Monthly, ChurnDays: 30, From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Scope: Scope{AsOf: asOf, Country: "GB"}})
	if p := gb.Periods[len(gb.Periods)-3]; p.Counts != (Counts{New: 1, Active: 1, Orders: 2, RevenueMinor: 3000}) {
		t.Errorf("GB January: %+v", p)
	}

	co, err := s.Cohorts(ctx, CohortQuery{Scope: Scope{AsOf: asOf}, From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(co.Cohorts) != 3 {
		t.Fatalf("cohorts: %+v %v", co, err)
	}
	type cm struct {
		customers int
		revenue   int64
	}
	wantCohorts := [][]cm{{{1, 3000}, {0, 0}, {1, 3000}}, {{1, 4000}, {0, 0}}, {{1, 1500}}}
	for i, c := range co.Cohorts {
		var got []cm
		for _, m := range c.Months {
			got = append(got, cm{m.Customers, m.RevenueMinor})
		}
		if c.Customers != 1 || !slices.Equal(got, wantCohorts[i]) || c.Months[0].Share != 1 {
			t.Errorf("cohort %d: %+v, want %v", i, c, wantCohorts[i])
		}
	}

	g, err := s.RFM(ctx, Scope{AsOf: asOf})
	if err != nil || g.Customers != 3 || g.RevenueMinor != 11500 || len(g.Cells) != 25 {
		t.Fatalf("rfm: %+v %v", g, err)
	}
	for _, c := range g.Cells {
		want := map[[2]int]Cell{{5, 3}: {5, 3, 1, 6000}, {4, 1}: {4, 1, 1, 4000}, {5, 1}: {5, 1, 1, 1500}}[[2]int{c.R, c.F}]
		want.R, want.F = c.R, c.F
		if c != want {
			t.Errorf("cell %+v, want %+v", c, want)
		}
	}
	pg, err := s.RFMCell(ctx, CellQuery{Scope: Scope{AsOf: asOf}, R: 5, F: 1})
	if err != nil || pg.Total != 1 || len(pg.Customers) != 1 || pg.Customers[0].ID != "C" || pg.Customers[0].Profile == nil ||
		pg.Customers[0].RecencyDays != 29 || pg.Customers[0].RevenueMinor != 1500 || pg.HasNext {
		t.Fatalf("cell (5, 1): %+v %v", pg, err)
	}

	d, err := s.ValueDistribution(ctx, Scope{AsOf: asOf})
	if err != nil || d.Customers != 3 || d.TotalMinor != 11500 || d.MinMinor != 1500 || d.MaxMinor != 6000 || d.MeanMinor != 3833 ||
		d.Quantiles[4] != (Quantile{0.5, 4000}) || *d.TopDecileShare != 6000.0/11500 {
		t.Fatalf("distribution: %+v %v", d, err)
	}
	var bs []string
	for _, b := range d.Buckets {
		if b.Customers > 0 {
			bs = append(bs, fmt.Sprintf("[%d,%d):%d", *b.Lower, *b.Upper, b.Customers))
		}
	}
	if fmt.Sprint(bs) != "[[1000,2000):1 [2000,5000):1 [5000,10000):1]" {
		t.Errorf("buckets %v", bs)
	}
}

func TestLoadingAnswersNotReady(t *testing.T) {
	s := New(orderbook.NewBook(), newFake(), nil, nil)
	tr, err := s.Trend(ctx, TrendQuery{Interval: Daily})
	if err != nil || tr.Ready || len(tr.Periods) != 0 {
		t.Fatalf("trend while loading: %+v %v", tr, err)
	}
	if _, err := s.Trend(ctx, TrendQuery{Interval: Daily, From: time.Now().AddDate(-5, 0, 0)}); err == nil {
		t.Fatal("too many periods accepted while loading")
	}
	if g, err := s.RFM(ctx, Scope{}); err != nil || g.Ready || len(g.Cells) != 0 {
		t.Fatalf("rfm while loading: %+v %v", g, err)
	}
	if m, err := s.Model(ctx, valuemodel.ModelQuery{}); err != nil || m.Status != valuemodel.ModelLoading {
		t.Fatalf("model while loading: %+v %v", m, err)
	}
	if p, err := s.PredictedValue(ctx, valuemodel.PredictQuery{ProfileID: "x"}); err != nil || p.Status != valuemodel.PredictionLoading {
		t.Fatalf("prediction while loading: %+v %v", p, err)
	}
	if st := s.Status(); st.Ready || st.Orders != 0 {
		t.Fatalf("status: %+v", st)
	}
	if _, err := s.RFM(ctx, Scope{Currency: "XXY"}); err == nil {
		t.Fatal("unknown currency accepted")
	}
}

// mutate makes random changes, as commerce's writes would: new orders, status changes,
// orders moved to other profiles (merges, unmerges), erasures.
func mutate(rng *rand.Rand, f *fakeSource, s *Service, n int) {
	ids := slices.Sorted(maps.Keys(f.orders))
	pids := slices.Sorted(maps.Keys(f.countries))
	for i := range n {
		switch rng.IntN(5) {
		case 0: // new order, sometimes of a new customer
			pid := pids[rng.IntN(len(pids))]
			if _, live := f.countries[pid]; !live || rng.IntN(3) == 0 {
				pid = fmt.Sprint("new", i)
				f.countries[pid] = "FR"
			}
			f.put(s, order(fmt.Sprint("n", i), pid, time.Date(2024, 3, 1+rng.IntN(200), 0, 0, 0, 0, time.UTC), int64(100+rng.IntN(9000))))
		case 1: // cancelled
			o := f.orders[ids[rng.IntN(len(ids))]]
			o.Status = commerce.Cancelled
			f.put(s, o)
		case 2: // a merge: every order of one profile to another
			from, to := pids[rng.IntN(len(pids))], pids[rng.IntN(len(pids))]
			if _, live := f.countries[to]; !live {
				continue
			}
			var moved []commerce.Order
			for _, o := range f.orders {
				if o.ProfileID == from && from != to {
					o.ProfileID = to
					moved = append(moved, o)
				}
			}
			if len(moved) > 0 {
				delete(f.countries, from)
				f.put(s, moved...)
			}
		case 3: // an unmerge: one order to a new profile
			o := f.orders[ids[rng.IntN(len(ids))]]
			o.ProfileID = fmt.Sprint("split", i)
			f.countries[o.ProfileID] = "DE"
			f.put(s, o)
		case 4: // an erasure
			pid := pids[rng.IntN(len(pids))]
			if _, live := f.countries[pid]; !live {
				continue
			}
			delete(f.countries, pid)
			for id, o := range f.orders {
				if o.ProfileID == pid {
					o.ProfileID = ""
					f.orders[id] = o
				}
			}
			s.Forget([]string{pid})
		}
	}
	// The new profiles' countries are read by _id.
	s.refreshProfiles(ctx)
}

func TestReportsMatchPlainComputation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 17))
	f := newFake()
	generate(rng, f, 300)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newService(t, f, now)
	check := func(stage string) {
		t.Helper()
		var last time.Time
		for _, o := range f.orders {
			if counted(o) && o.PlacedAt.After(last) {
				last = o.PlacedAt
			}
		}
		// Historical data: the default as-of date is the end of the newest order's day.
		y, m, d := last.Date()
		wantDefault := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		if st := s.Status(); !st.Ready || !st.DefaultAsOf.Equal(wantDefault) || st.Orders != len(f.orders) || st.Currencies[0] != "GBP" {
			t.Fatalf("%s: status %+v, want default as-of %s and %d orders", stage, st, wantDefault, len(f.orders))
		}
		for _, sc := range []Scope{{}, {Country: "GB"}, {Source: "pos"}, {Currency: "EUR"}, {AsOf: time.Date(2024, 2, 14, 15, 0, 0, 0, time.UTC), Country: "FR"}} {
			asOf := sc.AsOf
			if asOf.IsZero() {
				asOf = wantDefault
			}
			cur := sc.Currency
			if cur == "" {
				cur = "GBP"
			}
			o := newOracle(f, asOf, sc, cur)
			name := fmt.Sprintf("%s, scope %+v", stage, sc)
			checkTrend(t, s, o, sc, name)
			checkCohorts(t, s, o, sc, name)
			checkRFM(t, s, o, sc, name)
			checkDistribution(t, s, o, sc, name)
			checkSales(t, s, o, sc, name)
		}
	}
	check("built")
	mutate(rng, f, s, 300)
	check("after changes")
	// A fresh build of the same data gives the same book.
	s2 := newService(t, f, now)
	a, _ := s.Trend(ctx, TrendQuery{Interval: Weekly, From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
	b, _ := s2.Trend(ctx, TrendQuery{Interval: Weekly, From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
	if len(a.Periods) != len(b.Periods) || len(a.Periods) < 50 {
		t.Fatalf("%d and %d weeks", len(a.Periods), len(b.Periods))
	}
	for i := range a.Periods {
		if a.Periods[i].Counts != b.Periods[i].Counts {
			t.Fatalf("the book kept by changes differs from a fresh build: %+v, fresh %+v", a.Periods[i], b.Periods[i])
		}
	}
}

func checkTrend(t *testing.T, s *Service, o *oracle, sc Scope, name string) {
	t.Helper()
	for _, q := range []TrendQuery{
		{Interval: Monthly, From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), ChurnDays: 60},
		{Interval: Weekly, From: time.Date(2023, 10, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)},
		{Interval: Daily, From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), ChurnDays: 20},
	} {
		q.Scope = sc
		got, err := s.Trend(ctx, q)
		if err != nil {
			t.Fatalf("%s: trend %+v: %v", name, q, err)
		}
		to := q.To
		if to.IsZero() {
			to = o.asOf
		}
		step := map[Interval]func(time.Time) time.Time{
			Monthly: func(t time.Time) time.Time { return t.AddDate(0, 1, 0) },
			Weekly:  func(t time.Time) time.Time { return t.AddDate(0, 0, 7) },
			Daily:   func(t time.Time) time.Time { return t.AddDate(0, 0, 1) },
		}[q.Interval]
		back := map[Interval]time.Time{Monthly: q.From.AddDate(0, -1, 0), Weekly: q.From.AddDate(0, 0, -7), Daily: q.From.AddDate(0, 0, -1)}[q.Interval]
		starts := []time.Time{back}
		for p := q.From; p.Before(to); p = step(p) {
			starts = append(starts, p)
		}
		starts = append(starts, step(starts[len(starts)-1]))
		churn := q.ChurnDays
		if churn == 0 {
			churn = 90
		}
		want := o.trend(starts, churn)
		if len(got.Periods) != len(want)-1 {
			t.Fatalf("%s: %s trend has %d periods, want %d", name, q.Interval, len(got.Periods), len(want)-1)
		}
		for i, p := range got.Periods {
			w := want[i+1]
			if p.Counts != w || !p.Start.Equal(starts[i+1]) {
				t.Errorf("%s: %s period %s: %+v, want %+v", name, q.Interval, p.Start, p.Counts, w)
			}
			if r := p.Change.Active; (want[i].Active == 0) != (r == nil) || r != nil && math.Abs(*r-float64(w.Active-want[i].Active)/float64(want[i].Active)) > 1e-12 {
				t.Errorf("%s: %s period %s: active change %v", name, q.Interval, p.Start, r)
			}
		}
	}
}

func checkCohorts(t *testing.T, s *Service, o *oracle, sc Scope, name string) {
	t.Helper()
	from := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := s.Cohorts(ctx, CohortQuery{Scope: sc, From: from, To: o.asOf})
	if err != nil {
		t.Fatal(err)
	}
	want := o.cohorts(from, len(got.Cohorts))
	if len(got.Cohorts) != months(from, o.asOf.Add(-time.Millisecond))+1 {
		t.Fatalf("%s: %d cohorts", name, len(got.Cohorts))
	}
	for i, c := range got.Cohorts {
		w := want[i]
		if c.Customers != w.size || c.RevenueMinor != w.total || len(c.Months) != len(w.active) {
			t.Fatalf("%s: cohort %s: %d customers, %d revenue, %d months; want %+v", name, c.Month, c.Customers, c.RevenueMinor, len(c.Months), w)
		}
		for k, m := range c.Months {
			if m.Customers != w.active[k] || m.RevenueMinor != w.revenue[k] || w.size > 0 && m.Share != float64(w.active[k])/float64(w.size) {
				t.Errorf("%s: cohort %s month %d: %+v, want %d customers, %d revenue", name, c.Month, k, m, w.active[k], w.revenue[k])
			}
		}
	}
}

func checkRFM(t *testing.T, s *Service, o *oracle, sc Scope, name string) {
	t.Helper()
	rows := o.rfm()
	g, err := s.RFM(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	type key [2]int
	count, revenue := map[key]int{}, map[key]int64{}
	for _, r := range rows {
		count[key{r.r, r.f}]++
		revenue[key{r.r, r.f}] += r.net
	}
	if g.Customers != len(rows) {
		t.Errorf("%s: rfm %d customers, want %d", name, g.Customers, len(rows))
	}
	for _, c := range g.Cells {
		if c.Customers != count[key{c.R, c.F}] || c.RevenueMinor != revenue[key{c.R, c.F}] {
			t.Errorf("%s: cell %d,%d: %+v, want %d, %d", name, c.R, c.F, c, count[key{c.R, c.F}], revenue[key{c.R, c.F}])
		}
	}
	// The busiest cell, paged by 7: every member once, highest revenue first.
	best := key{}
	for k, n := range count {
		if n > count[best] || n == count[best] && (k[0] > best[0] || k[0] == best[0] && k[1] > best[1]) {
			best = k
		}
	}
	if count[best] == 0 {
		return
	}
	var paged []string
	after := ""
	prev := int64(math.MaxInt64)
	for {
		pg, err := s.RFMCell(ctx, CellQuery{Scope: sc, R: best[0], F: best[1], First: 7, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Customers {
			if c.RevenueMinor > prev {
				t.Errorf("%s: cell not by revenue", name)
			}
			prev = c.RevenueMinor
			paged = append(paged, c.ID)
		}
		if !pg.HasNext {
			break
		}
		after = pg.EndCursor
	}
	var want []string
	for _, r := range rows {
		if (key{r.r, r.f}) == best {
			want = append(want, r.id)
		}
	}
	slices.Sort(want)
	slices.Sort(paged)
	if !slices.Equal(paged, want) {
		t.Errorf("%s: cell %v paged %v, want %v", name, best, paged, want)
	}
}

func checkDistribution(t *testing.T, s *Service, o *oracle, sc Scope, name string) {
	t.Helper()
	vals := o.values()
	d, err := s.ValueDistribution(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if d.Customers != len(vals) {
		t.Fatalf("%s: distribution of %d customers, want %d", name, d.Customers, len(vals))
	}
	if len(vals) == 0 {
		return
	}
	var total int64
	for _, v := range vals {
		total += v
	}
	if d.TotalMinor != total || d.MinMinor != vals[0] || d.MaxMinor != vals[len(vals)-1] {
		t.Errorf("%s: distribution %+v", name, d)
	}
	for i, q := range d.Quantiles {
		pct := []int{10, 20, 30, 40, 50, 60, 70, 80, 90, 99}[i]
		rank := (pct*len(vals) + 99) / 100 // ⌈p·n⌉
		if q.ValueMinor != vals[rank-1] {
			t.Errorf("%s: quantile %v = %d, want %d", name, q.Q, q.ValueMinor, vals[rank-1])
		}
	}
	// Buckets: 1-2-5 bounds in pounds.
	n := 0
	for _, b := range d.Buckets {
		for _, v := range vals {
			if (b.Lower == nil || v >= *b.Lower) && (b.Upper == nil || v < *b.Upper) {
				n++
			}
		}
		if b.Lower != nil && *b.Lower > 0 {
			l := *b.Lower / 100
			for l%10 == 0 {
				l /= 10
			}
			if l != 1 && l != 2 && l != 5 {
				t.Errorf("%s: bucket bound %d", name, *b.Lower)
			}
		}
	}
	if n != len(vals) {
		t.Errorf("%s: buckets hold %d values, want %d", name, n, len(vals))
	}
}

func checkSales(t *testing.T, s *Service, o *oracle, sc Scope, name string) {
	t.Helper()
	got, err := s.SalesForecast(ctx, SalesQuery{Scope: sc, Weeks: 6})
	if err != nil {
		t.Fatal(err)
	}
	want := o.weeks()
	if fmt.Sprint(got.History) != fmt.Sprint(want) {
		t.Fatalf("%s: weekly history\n%v, want\n%v", name, got.History, want)
	}
	if len(want) < 8 {
		if got.Message == "" || len(got.Forecast) != 0 {
			t.Errorf("%s: forecast on %d weeks: %+v", name, len(want), got)
		}
		return
	}
	ys, gross, returned := make([]float64, len(want)), make([]float64, len(want)), make([]float64, len(want))
	for i, w := range want {
		ys[i], gross[i], returned[i] = float64(w.Orders), float64(w.RevenueMinor+w.ReturnedMinor), float64(w.ReturnedMinor)
	}
	f, err := forecast.DampedTrend(ys, 6, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// Revenue: the gross sales' forecast times the share kept.
	fr, err := forecast.DampedTrend(gross, 6, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	var g, r float64
	for i := range gross {
		g, r = g+gross[i], r+returned[i]
	}
	kept := math.Min(1, math.Max(0, 1-r/g))
	for i, w := range got.Forecast {
		if w.Orders.Point != math.Max(0, f.Point[i]) || w.Orders.Upper != math.Max(0, f.Upper[i]) || !w.Start.Equal(o.asOf.AddDate(0, 0, 7*i)) ||
			!(w.Revenue.Lower <= w.Revenue.Point && w.Revenue.Point <= w.Revenue.Upper) ||
			math.Abs(w.Revenue.Point-math.Max(0, kept*fr.Point[i])) > 1e-6*math.Abs(fr.Point[i]) {
			t.Errorf("%s: forecast week %d: %+v, want orders %g, revenue %g", name, i, w, f.Point[i], kept*fr.Point[i])
		}
	}
}

func TestPredictedValueFromTheFittedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	f := newFake()
	generate(rng, f, 400)
	s := newService(t, f, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	asOf := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	m, err := s.Model(ctx, valuemodel.ModelQuery{AsOf: asOf.Add(5 * time.Hour)})
	if err != nil || m.Status != valuemodel.ModelFitting || !m.AsOf.Equal(asOf) || m.Currency != "GBP" {
		t.Fatalf("first ask: %+v %v", m, err)
	}
	p, err := s.PredictedValue(ctx, valuemodel.PredictQuery{ProfileID: "p0001", Days: 30, AsOf: asOf})
	if err != nil || p.Status != valuemodel.PredictionFitting && p.Status != valuemodel.PredictionNoOrders {
		t.Fatalf("before the fit: %+v %v", p, err)
	}
	s.values.FitDue(ctx)
	if m, _ = s.Model(ctx, valuemodel.ModelQuery{AsOf: asOf}); m.Status != valuemodel.ModelReady || m.Refitting {
		t.Fatalf("after the fit: %+v", m)
	}

	// The same fit, made here from the plain order list.
	byCustomer := map[string][]forecast.Order{}
	for _, o := range f.orders {
		// Credit notes are returns: negative orders (forecast.Summarize).
		if o.ProfileID != "" && (counted(o) || o.IsCancellation() && o.TotalMinor < 0) && o.Currency == "GBP" {
			byCustomer[o.ProfileID] = append(byCustomer[o.ProfileID], forecast.Order{At: o.PlacedAt, Value: float64(o.TotalMinor)})
		}
	}
	var ss []forecast.Summary
	sums := map[string]forecast.Summary{}
	for _, id := range slices.Sorted(maps.Keys(byCustomer)) {
		if sm, ok := forecast.Summarize(byCustomer[id], asOf); ok {
			ss = append(ss, sm)
			sums[id] = sm
		}
	}
	model, _, _, err := forecast.FitModel(ss)
	if err != nil {
		t.Fatal(err)
	}
	if m.Customers != len(ss) || m.Model != model {
		t.Fatalf("model %+v on %d customers, want %+v on %d", m.Model, m.Customers, model, len(ss))
	}
	checked := 0
	for id := range f.countries {
		p, err := s.PredictedValue(ctx, valuemodel.PredictQuery{ProfileID: id, Days: 90, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		sm, has := sums[id]
		first := ""
		for _, o := range f.orders {
			if o.ProfileID == id && (first == "" || o.PlacedAt.Before(f.orders[first].PlacedAt)) {
				first = o.ID
			}
		}
		if first != "" && f.orders[first].Currency != "GBP" {
			continue // the customer's currency is EUR: another model
		}
		if !has {
			if p.Status != valuemodel.PredictionNoOrders {
				t.Errorf("%s: %+v, want no orders", id, p)
			}
			continue
		}
		want, _ := model.Predict(sm, 90)
		if p.Status != valuemodel.PredictionReady || p.Prediction != want || p.Currency != "GBP" {
			t.Errorf("%s: %+v, want %+v", id, p, want)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d customers checked", checked)
	}
	// The fit is kept while the book does not change; Refit asks for another at once.
	if m, _ = s.Refit(ctx, valuemodel.ModelQuery{AsOf: asOf}); m.Status != valuemodel.ModelReady || !m.Refitting {
		t.Fatalf("refit asked: %+v", m)
	}
	s.values.FitDue(ctx)
	if m2, _ := s.Model(ctx, valuemodel.ModelQuery{AsOf: asOf}); m2.Refitting || !m2.FittedAt.After(m.FittedAt) && !m2.FittedAt.Equal(m.FittedAt) {
		t.Fatalf("refitted: %+v", m2)
	}
}

// blockingSource holds a build half way until released.
type blockingSource struct {
	*fakeSource
	half, release chan struct{}
}

func (b blockingSource) EachOrder(ctx context.Context, fn func([]commerce.Order) error) error {
	n := 0
	return b.fakeSource.EachOrder(ctx, func(os []commerce.Order) error {
		if n++; n == 3 {
			close(b.half)
			<-b.release
		}
		return fn(os)
	})
}

func TestChangesDuringTheBuildAreKept(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	f := newFake()
	generate(rng, f, 60)
	src := blockingSource{f, make(chan struct{}), make(chan struct{})}
	s := New(orderbook.NewBook(), src, f.profiles, nil)
	s.Now = func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }
	done := make(chan error)
	go func() { done <- s.Book.Build(ctx, src) }()
	<-src.half
	if st := s.Status(); st.Ready || st.Loaded == 0 {
		t.Fatalf("half built: %+v", st)
	}
	mutate(rng, f, s, 80)
	close(src.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.refreshProfiles(ctx)
	fresh := newService(t, f, s.Now())
	for _, sc := range []Scope{{}, {Country: "FR"}, {Country: "DE"}} {
		a, _ := s.RFM(ctx, sc)
		b, _ := fresh.RFM(ctx, sc)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("scope %+v: built during changes %+v, fresh %+v", sc, a, b)
		}
	}
}

func TestCountriesFollowProfileChanges(t *testing.T) {
	f := handFake()
	asOf := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	s := newService(t, f, asOf)
	gb := func() int {
		g, _ := s.RFM(ctx, Scope{AsOf: asOf, Country: "GB"})
		return g.Customers
	}
	if gb() != 2 {
		t.Fatalf("GB customers %d", gb())
	}
	reads := f.reads
	// B moves to GB; a profile without orders changes too, and is not read.
	f.countries["B"] = "GB"
	f.countries["Z"] = "GB"
	s.ProfilesChanged([]string{"B", "Z"})
	s.refreshProfiles(ctx)
	if gb() != 3 || f.reads != reads+1 {
		t.Fatalf("after B moved: GB customers %d, %d reads", gb(), f.reads-reads)
	}
	// A profile found gone (erased elsewhere) leaves the book: its orders are guest orders.
	delete(f.countries, "A")
	s.ProfilesChanged([]string{"A"})
	s.refreshProfiles(ctx)
	if st := s.Status(); st.Customers != 2 || st.GuestOrders != 4 || gb() != 2 {
		t.Fatalf("after A went: %+v, GB %d", st, gb())
	}
}
