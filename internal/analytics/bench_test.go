package analytics

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce"
)

// BenchmarkReports times each report on a book of 100,000 customers with 5 orders each
// on average, and reports the book's memory per order.
//
//	go test ./internal/analytics/ -run '^$' -bench Reports -benchtime 5x
func BenchmarkReports(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFake()
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		pid := fmt.Sprintf("cus_%08d", i)
		f.countries[pid] = []string{"GB", "FR", "DE", "US"}[i%4]
		at := start.Add(time.Duration(rng.Int64N(int64(600 * 24 * time.Hour))))
		for k := range 1 + rng.IntN(9) {
			id := fmt.Sprintf("shop:%d-%d", i, k)
			f.orders[id] = commerce.Order{ID: id, Source: "shop", ProfileID: pid, Status: commerce.Paid, TotalMinor: int64(500 + rng.IntN(20000)),
				Currency: "GBP", PlacedAt: at.Truncate(time.Millisecond)}
			at = at.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(orderbook.NewBook(), f, f.profiles, nil)
	s.Now = func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }
	if err := s.Book.Build(ctx, f); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("%d orders, %d customers: %.0f bytes an order", len(f.orders), len(f.countries), float64(after.HeapAlloc-before.HeapAlloc)/float64(len(f.orders)))
	for name, run := range map[string]func() error{ // each walks the whole book
		"trend-weekly": func() error { _, err := s.Trend(ctx, TrendQuery{Interval: Weekly, From: start}); return err },
		"cohorts":      func() error { _, err := s.Cohorts(ctx, CohortQuery{From: start}); return err },
		"rfm":          func() error { _, err := s.RFM(ctx, Scope{}); return err },
		"rfm-cell":     func() error { _, err := s.RFMCell(ctx, CellQuery{R: 1, F: 3}); return err },
		"distribution": func() error { _, err := s.ValueDistribution(ctx, Scope{Country: "FR"}); return err },
		"sales":        func() error { _, err := s.SalesForecast(ctx, SalesQuery{}); return err },
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("fit", func(b *testing.B) {
		if testing.Short() {
			b.Skip("a fit on 100,000 customers takes about 40 s")
		}
		for b.Loop() {
			q := valuemodel.ModelQuery{AsOf: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), Currency: "GBP"}
			if _, err := s.Refit(ctx, q); err != nil {
				b.Fatal(err)
			}
			s.values.FitDue(ctx)
			if m, err := s.Model(ctx, q); err != nil || m.Status != valuemodel.ModelReady {
				b.Fatal(err, m.Message)
			}
		}
	})
}
