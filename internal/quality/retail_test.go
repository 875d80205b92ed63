package quality

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/retail"
)

// retailFile is the UCI Online Retail file, beside the repository (not in it).
var retailFile = filepath.Join("..", "..", "..", "shared", "data", "retail", "online_retail_2010-2011.csv.gz")

// TestRetailFigures builds the aggregate from the retail file (as the demo stores it)
// and logs its build time, its memory per order line and the products with the highest
// return rate (at least 100 units sold); it checks the totals against the file's.
// TESSERA_QUALITY_RETAIL=1 runs it.
func TestRetailFigures(t *testing.T) {
	if os.Getenv("TESSERA_QUALITY_RETAIL") == "" {
		t.Skip("set TESSERA_QUALITY_RETAIL=1 to read the 541,909 rows")
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
	src := newFake()
	var rows, sold, returned int64
	for {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pid := ""
		if inv.CustomerID != "" {
			pid = "c" + inv.CustomerID
		}
		o := inv.Order("webshop", pid, "")
		if prev, ok := src.orders[o.ID]; ok { // an invoice the file splits is one order, as in the demo
			prev.Lines = append(prev.Lines, o.Lines...)
			prev.TotalMinor, _ = prev.LinesTotal()
			o = prev
		}
		src.orders[o.ID] = o
		for _, l := range inv.Lines {
			if l.Quantity == 0 {
				continue
			}
			rows++
			if l.Quantity > 0 {
				sold += l.Quantity
			} else {
				returned -= l.Quantity
			}
		}
	}
	heap := func() float64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc)
	}
	without := heap()
	s := &Service{Agg: NewAggregate(), Source: src}
	start := time.Now()
	if err := s.Agg.Build(ctx, src); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	bytes := heap() - without
	st := s.Status()
	t.Logf("aggregate: %d orders, %d file lines (%d items), %d products; built in %v; %.1f MB, %.1f bytes per file line",
		st.Orders, rows, st.Lines, st.Products, took.Round(time.Millisecond), bytes/1e6, bytes/float64(rows))

	start = time.Now()
	pg, err := s.Report(Query{MinUnits: 100, First: 15})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report (by product, return rate, minUnits 100) in %v: %d orders, %d rows over the threshold", time.Since(start).Round(time.Microsecond), pg.Orders, pg.Total)
	for _, r := range pg.Rows {
		t.Logf("  %-7s %-36.36s sold %6d returned %5d (%5.1f%%) in %4d orders; unmatched %5d units in %3d credit notes; net £%.2f", r.SKU, r.Name,
			r.UnitsSold, r.UnitsReturned, 100*r.ReturnRate, r.Orders, r.UnmatchedUnits, r.UnmatchedReturns, float64(r.NetRevenue)/100)
	}
	// Over the whole file no product gives back more than it sold.
	every, err := s.Report(Query{MinUnits: 0, First: 1})
	if err != nil {
		t.Fatal(err)
	}
	if every.Total > 0 && every.Rows[0].ReturnRate > 1 {
		t.Fatalf("return rate %+v over 100%%", every.Rows[0])
	}
	// One more credit note of the customer with the most orders: the next report
	// matches that customer's returns again, and only theirs.
	var top commerce.Order
	n := map[string]int{}
	for _, o := range src.orders {
		if n[o.ProfileID]++; o.ProfileID != "" && n[o.ProfileID] > n[top.ProfileID] {
			top = o
		}
	}
	credit := commerce.Order{ID: "webshop:Cextra", ProfileID: top.ProfileID, Status: commerce.Refunded, Currency: top.Currency,
		PlacedAt: top.PlacedAt.Add(time.Hour), Lines: []commerce.Line{{SKU: top.Lines[0].SKU, Quantity: -1, UnitPriceMinor: top.Lines[0].UnitPriceMinor}}}
	credit.TotalMinor, _ = credit.LinesTotal()
	s.Observe([]commerce.Order{credit})
	start = time.Now()
	if _, err := s.Report(Query{MinUnits: 100, First: 15}); err != nil {
		t.Fatal(err)
	}
	t.Logf("report after a credit note of a customer with %d orders: %v", n[top.ProfileID], time.Since(start).Round(time.Microsecond))
	s.Observe([]commerce.Order{{ID: credit.ID, ProfileID: credit.ProfileID, Status: commerce.Cancelled, Currency: credit.Currency, PlacedAt: credit.PlacedAt}})
	all, err := s.Report(Query{By: ByCategory})
	if err != nil || len(all.Rows) != 1 {
		t.Fatalf("categories %+v %v", all, err)
	}
	// Every unit of the file is in the one category; credit notes' units are returns,
	// matched or not, and the file marks no other order cancelled.
	r := all.Rows[0]
	if r.UnitsSold != sold || r.UnitsReturned+r.UnmatchedUnits != returned || r.Key != Uncategorised {
		t.Fatalf("category row %+v; the file sells %d and returns %d", r, sold, returned)
	}
	t.Logf("the file: sold %d, returned %d: %d matched (%.2f%%), %d unmatched in %d credit notes", sold, returned, r.UnitsReturned,
		100*r.ReturnRate, r.UnmatchedUnits, r.UnmatchedReturns)
}
