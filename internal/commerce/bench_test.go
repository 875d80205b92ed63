package commerce_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/retail"
)

const retailFile = "../../../shared/data/retail/online_retail_2010-2011.csv.gz"

// BenchmarkLoadRetail loads the first 20,000 rows of the retail file (customers through
// ingest, orders, generated people and interactions) into a fresh embedded database per
// iteration: go test -run X -bench LoadRetail -benchtime 1x ./internal/commerce/
func BenchmarkLoadRetail(b *testing.B) {
	if _, err := os.Stat(retailFile); err != nil {
		b.Skip("retail file not found:", err)
	}
	rows := 0
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		sum, err := retail.LoadDemo(e.ctx, e.deps, retailFile, 20000, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkIngestGrowth times batches of 1,000 orders (100 customers, 10 each) and of
// 100 interactions (50 customers) on a database of 100 customers and on a large one
// (TESSERA_BENCH_LARGE customers, 2,000 unless set), each customer with 10 orders and
// an interaction, beside a raw bulk insert of the same documents into the same
// database, all in one run:
//
//	go test -run X -bench IngestGrowth -benchtime 1x ./internal/commerce/
func BenchmarkIngestGrowth(b *testing.B) {
	large := 2000
	if v, err := strconv.Atoi(os.Getenv("TESSERA_BENCH_LARGE")); err == nil && v > 100 {
		large = v
	}
	const orderBatches, interactionBatches = 3, 5
	for b.Loop() {
		b.StopTimer()
		for _, size := range []int{100, large} {
			m := newMonitored(b)
			ctx := context.Background()
			seed := shopOrders(0, size, 10, "seed")
			for start := 0; start < len(seed); start += 1000 {
				if _, err := m.svc.PutOrders(ctx, seed[start:min(start+1000, len(seed))]); err != nil {
					b.Fatal(err)
				}
			}
			is := visits(size, size, "seed")
			for start := 0; start < len(is); start += 1000 {
				if _, err := m.svc.AddInteractions(ctx, is[start:min(start+1000, len(is))]); err != nil {
					b.Fatal(err)
				}
			}
			var tOrders, tInter, rawOrders, rawInter time.Duration
			for g := range orderBatches {
				batch := shopOrders(g*100, g*100+100, 10, fmt.Sprint("b", g))
				raw := make([]any, len(batch))
				for i, o := range batch {
					o.ID += "-raw"
					o.UpdatedAt = time.Now().UTC()
					raw[i] = o
				}
				s := time.Now()
				if _, err := m.svc.PutOrders(ctx, batch); err != nil {
					b.Fatal(err)
				}
				tOrders += time.Since(s)
				s = time.Now()
				if _, err := m.db.Collection("raw_orders").InsertMany(ctx, raw); err != nil {
					b.Fatal(err)
				}
				rawOrders += time.Since(s)
			}
			for g := range interactionBatches {
				batch := visits(100, 50, fmt.Sprint("b", g))
				raw := make([]any, len(batch))
				for i, it := range batch {
					it.ID += "-raw"
					raw[i] = it
				}
				s := time.Now()
				if _, err := m.svc.AddInteractions(ctx, batch); err != nil {
					b.Fatal(err)
				}
				tInter += time.Since(s)
				s = time.Now()
				if _, err := m.db.Collection("raw_interactions").InsertMany(ctx, raw); err != nil {
					b.Fatal(err)
				}
				rawInter += time.Since(s)
			}
			rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
			no, ni := orderBatches*1000, interactionBatches*100
			b.ReportMetric(rate(no, tOrders), fmt.Sprintf("orders/s@%d", size))
			b.ReportMetric(rate(no, rawOrders), fmt.Sprintf("raw-orders/s@%d", size))
			b.ReportMetric(rate(ni, tInter), fmt.Sprintf("interactions/s@%d", size))
			b.ReportMetric(rate(ni, rawInter), fmt.Sprintf("raw-interactions/s@%d", size))
			b.Logf("%d customers: 1,000 orders in %v (raw insert %v, ratio %.2f); 100 interactions in %v (raw insert %v, ratio %.2f)",
				size, tOrders/orderBatches, rawOrders/orderBatches, rawOrders.Seconds()/tOrders.Seconds(),
				tInter/interactionBatches, rawInter/interactionBatches, rawInter.Seconds()/tInter.Seconds())
		}
		b.StartTimer()
	}
}
