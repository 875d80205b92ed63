package forecast

import (
	"errors"
	"math"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSummarize(t *testing.T) {
	asOf := day("2011-03-01 00:00")
	orders := []Order{
		{day("2011-01-10 15:00"), 30}, // unsorted on purpose
		{day("2011-01-01 09:00"), 10},
		{day("2011-01-01 17:00"), 5}, // same day as the first: one purchase
		{day("2011-01-10 08:00"), 20},
		{day("2011-02-28 23:59"), 50},
		{day("2011-03-01 00:00"), 999}, // at the as-of instant: not counted
	}
	s, ok := Summarize(orders, asOf)
	want := Summary{AsOf: asOf, X: 2, Tx: 58, T: 59, Monetary: 50, Orders: 5, Revenue: 115, First: day("2011-01-01 09:00")}
	if !ok || s != want {
		t.Errorf("summary %+v, want %+v", s, want)
	}
	// One order, as of later the same day: T is the part of the day observed.
	s, ok = Summarize(orders[1:2], day("2011-01-01 12:00"))
	if !ok || s.X != 0 || s.Tx != 0 || s.T != 0.5 || s.Monetary != 0 || s.Revenue != 10 {
		t.Errorf("one order: %+v", s)
	}
	if _, ok := Summarize(orders, day("2011-01-01 09:00")); ok {
		t.Error("no order before the as-of instant, yet ok")
	}
}

// TestSummarizeReturns: a return (negative value) is not a purchase; it lowers the
// mean repeat value by the share of the bought value that came back (retail customer
// 16446 bought £168,469.60 of paper craft birds and returned them the same day: the
// dashboard predicted £46,557 for the next 90 days before).
func TestSummarizeReturns(t *testing.T) {
	asOf := day("2011-03-01 00:00")
	orders := []Order{
		{day("2011-01-01 09:00"), 10},
		{day("2011-01-10 08:00"), 50},
		{day("2011-02-01 10:00"), 40},
		{day("2011-02-01 12:00"), -25}, // a return on a purchase day: still two repeat days
		{day("2011-02-15 10:00"), -5},
	}
	s, ok := Summarize(orders, asOf)
	// Bought 100, returned 30: kept 0.7 of it; repeat days 50 and 40 -> mean 45 × 0.7.
	want := Summary{AsOf: asOf, X: 2, Tx: 31, T: 59, Monetary: 45 * 0.7, Orders: 3, Revenue: 70, Returned: 30, First: day("2011-01-01 09:00")}
	if !ok || s.X != want.X || s.Tx != want.Tx || s.Orders != want.Orders || math.Abs(s.Monetary-want.Monetary) > 1e-9 ||
		s.Revenue != want.Revenue || s.Returned != want.Returned {
		t.Errorf("summary %+v, want %+v", s, want)
	}
	all := []Order{{day("2011-05-18 10:00"), 2.90}, {day("2011-12-09 09:15"), 168469.60}, {day("2011-12-09 09:27"), -168469.60}}
	s, ok = Summarize(all, day("2011-12-10 00:00"))
	// Kept 2.90 of 168,472.50: the repeat purchase is worth what was kept of it.
	if m := 168469.60 * 2.90 / 168472.50; !ok || s.X != 1 || math.Abs(s.Monetary-m) > 1e-6 || math.Abs(s.Revenue-2.90) > 1e-6 {
		t.Errorf("everything returned: %+v", s)
	}
	if _, ok := Summarize([]Order{{day("2011-01-01 09:00"), -5}}, asOf); ok {
		t.Error("only a return, yet ok")
	}
}

func TestEdgeCases(t *testing.T) {
	p := BGNBD{R: 0.5, Alpha: 20, A: 0.8, B: 3}
	// A one-order customer cannot have dropped out; at T = 0 it is a new customer, whose
	// expectation grows from r/α per day.
	one := Summary{T: 0}
	if p.PAlive(one) != 1 {
		t.Error("P(alive) of a one-order customer is not 1")
	}
	e0, err := p.ConditionalPurchases(one, 0)
	if err != nil || e0 != 0 {
		t.Errorf("E[Y(0)] = %g, %v", e0, err)
	}
	e, err := p.ConditionalPurchases(one, 1e-4)
	if err != nil || math.Abs(e/1e-4-p.R/p.Alpha) > 1e-3*p.R/p.Alpha {
		t.Errorf("E[Y(t)]/t for small t = %g, want r/α = %g (%v)", e/1e-4, p.R/p.Alpha, err)
	}
	// The longer a one-order customer has been silent, the fewer purchases expected.
	prev := math.Inf(1)
	for _, T := range []float64{0, 1, 30, 365, 3650} {
		e, err := p.ConditionalPurchases(Summary{T: T}, 90)
		if err != nil || !(e < prev) || e <= 0 {
			t.Errorf("T=%g: E=%g (previous %g), %v", T, e, prev, err)
		}
		prev = e
	}
	// Across a = 1, where the formula is 0/0, the expectation stays continuous.
	s := Summary{X: 3, Tx: 40, T: 100}
	var es []float64
	for _, a := range []float64{1 - 1e-3, 1 - 1e-9, 1, 1 + 1e-9, 1 + 1e-3} {
		q := p
		q.A = a
		e, err := q.ConditionalPurchases(s, 90)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	for i := 1; i < len(es); i++ {
		if math.Abs(es[i]-es[0]) > 1e-2*es[0] {
			t.Errorf("near a = 1: %v", es)
		}
	}
	// A very frequent buyer, whose untransformed 2F1 is 1.6e65:
	// eq. 10 by mpmath at 50 digits gives 141.00200011708433.
	big := Summary{X: 2000, Tx: 364, T: 365}
	if e, err = p.ConditionalPurchases(big, 30); err != nil || math.Abs(e-141.00200011708433) > 1e-9*e {
		t.Errorf("frequent buyer: E = %.17g, %v", e, err)
	}
	// A buyer silent since long ago is very likely gone.
	if pa := p.PAlive(Summary{X: 20, Tx: 50, T: 1000}); !(pa < 1e-6) {
		t.Errorf("P(alive) of a lapsed frequent buyer %g", pa)
	}
	for _, bad := range []Summary{{X: -1, T: 1}, {X: 1, Tx: 5, T: 4}, {T: math.NaN()}} {
		if _, err := p.ConditionalPurchases(bad, 10); err == nil {
			t.Errorf("summary %+v: no error", bad)
		}
		if _, _, err := FitBGNBD([]Summary{bad}); err == nil {
			t.Errorf("fit on %+v: no error", bad)
		}
	}
	if _, err := p.ConditionalPurchases(s, -1); err == nil {
		t.Error("negative horizon: no error")
	}
	if _, _, err := FitBGNBD([]Summary{{T: 10}, {T: 20}}); !errors.Is(err, errNoData) {
		t.Errorf("fit without repeat purchases: %v", err)
	}
	if _, _, err := FitGammaGamma([]Summary{{X: 1, Tx: 1, T: 2, Monetary: 5}}); !errors.Is(err, errNoData) {
		t.Errorf("Gamma-Gamma on one customer: %v", err)
	}
	// Spend: without repeat purchases the population mean; otherwise between it and the
	// customer's own mean, nearer the latter the more purchases there are.
	g := GammaGamma{P: 2, Q: 3, Gamma: 40}
	if g.ConditionalSpend(Summary{}) != 40 || g.ConditionalSpend(Summary{X: 2, Monetary: -3}) != 40 {
		t.Error("spend without repeat purchases is not the population mean")
	}
	s1, s50 := g.ConditionalSpend(Summary{X: 1, Monetary: 100}), g.ConditionalSpend(Summary{X: 50, Monetary: 100})
	if !(40 < s1 && s1 < s50 && s50 < 100) {
		t.Errorf("spend shrinkage: x=1 %g, x=50 %g", s1, s50)
	}
	pr, err := Model{p, g}.Predict(s, 90)
	if err != nil || pr.Summary != s || pr.Value != pr.Purchases*pr.Spend || pr.PAlive != p.PAlive(s) || pr.Horizon != 90 {
		t.Errorf("prediction %+v, %v", pr, err)
	}
}
