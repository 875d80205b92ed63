package analytics

import (
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/forecast"
	"github.com/tessera-cdp/tessera/internal/retail"
)

// retailFile is the UCI Online Retail file, beside the repository (not in it).
var retailFile = filepath.Join("..", "..", "..", "shared", "data", "retail", "online_retail_2010-2011.csv.gz")

// TestRetailAgainstBacktest: on the retail file, the default as-of date is the end of the
// data's last day, the monthly new customers are the plain count, and the model fitted as
// of 2011-09-09 with a customer's prediction are those of forecast.Backtest on the same
// invoices (which computes its summaries itself; its amounts are in pounds, the book's in
// pence).
func TestRetailAgainstBacktest(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 541,909 rows")
	}
	f, err := os.Open(retailFile)
	if err != nil {
		t.Skipf("no retail file: %v", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := retail.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	var invoices []*retail.Invoice
	byNo := map[string]*retail.Invoice{}
	for {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if prev := byNo[inv.No]; prev != nil { // an invoice the file splits is one order, as in the demo
			prev.Lines = append(prev.Lines, inv.Lines...)
			continue
		}
		byNo[inv.No] = inv
		invoices = append(invoices, inv)
	}
	src := newFake()
	var orders []forecast.CustomerOrder
	firstMonth := map[string]time.Time{}
	for _, inv := range invoices {
		pid := ""
		if inv.CustomerID != "" {
			pid = "c" + inv.CustomerID
			src.countries[pid] = inv.Country
		}
		o := inv.Order("webshop", pid, "")
		src.orders[o.ID] = o
		// Cancellations go to the backtest as returns, as the book gives them to the model.
		orders = append(orders, forecast.CustomerOrder{Customer: inv.CustomerID, Order: forecast.Order{At: inv.At, Value: float64(o.TotalMinor) / 100}})
		if inv.Cancellation() {
			continue
		}
		if m := time.Date(inv.At.Year(), inv.At.Month(), 1, 0, 0, 0, 0, time.UTC); pid != "" && (firstMonth[pid].IsZero() || m.Before(firstMonth[pid])) {
			firstMonth[pid] = m
		}
	}
	s := newService(t, src, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if st := s.Status(); !st.DefaultAsOf.Equal(time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)) || st.Currencies[0] != "GBP" {
		t.Fatalf("status %+v", st)
	}

	tr, err := s.Trend(ctx, TrendQuery{Interval: Monthly, From: time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(tr.Periods) != 13 {
		t.Fatalf("trend: %d periods, %v", len(tr.Periods), err)
	}
	for _, p := range tr.Periods {
		n := 0
		for _, m := range firstMonth {
			if m.Equal(p.Start) {
				n++
			}
		}
		if p.New != n {
			t.Errorf("%s: %d new customers, want %d", p.Start.Format("2006-01"), p.New, n)
		}
	}

	cut := time.Date(2011, 9, 9, 0, 0, 0, 0, time.UTC)
	bt, err := forecast.Backtest(orders, forecast.BacktestConfig{Cutoff: cut, Horizon: 90, Weeks: 13, Level: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	s.Model(ctx, valuemodel.ModelQuery{AsOf: cut})
	s.values.FitDue(ctx)
	m, _ := s.Model(ctx, valuemodel.ModelQuery{AsOf: cut})
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }
	got, want := m.Model, bt.Model
	if m.Status != valuemodel.ModelReady || m.Customers != bt.Customers || got.Purchases != want.Purchases || !near(got.Spend.P, want.Spend.P) ||
		!near(got.Spend.Q, want.Spend.Q) || !near(got.Spend.Gamma, 100*want.Spend.Gamma) {
		t.Fatalf("model %+v on %d customers, backtest %+v on %d", m, m.Customers, want, bt.Customers)
	}
	top := bt.Top[0] // the highest predicted value (customer 14646)
	p, err := s.PredictedValue(ctx, valuemodel.PredictQuery{ProfileID: "c" + top.Customer, Days: 90, AsOf: cut})
	if err != nil || p.Status != valuemodel.PredictionReady || p.X != top.X || p.Tx != top.Tx || p.T != top.T || !near(p.Purchases, top.Purchases) ||
		!near(p.Value, 100*top.Value) || !near(p.PAlive, top.PAlive) {
		t.Fatalf("customer %s: %+v %v, backtest %+v", top.Customer, p, err, top.Prediction)
	}
}
