package commerce_test

import (
	"os"
	"testing"

	"github.com/tessera-cdp/tessera/internal/commerce"
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
		sum, err := commerce.LoadDemo(e.ctx, e.deps, retailFile, 20000, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
