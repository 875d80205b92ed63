package main

import (
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRun runs the command on a small generated file in the retail format: customers
// buying at their own Poisson rates, some dropping out, guests and a cancellation.
func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "retail.csv.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	fmt.Fprintln(gz, "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country")
	rng := rand.New(rand.NewPCG(1, 2))
	start, end := time.Date(2010, 12, 1, 8, 0, 0, 0, time.UTC), time.Date(2011, 12, 9, 12, 0, 0, 0, time.UTC)
	inv := 536000
	invoice := func(at time.Time, customer string) {
		inv++
		for l := range 1 + rng.IntN(4) {
			fmt.Fprintf(gz, "%d,SKU%d,ITEM,%d,%s,%.2f,%s,United Kingdom\n", inv, l, 1+rng.IntN(12), at.Format(time.DateTime), 0.5+5*rng.Float64(), customer)
		}
	}
	type order struct {
		at       time.Time
		customer string
	}
	var orders []order
	for c := range 400 {
		rate := rng.ExpFloat64() / 40 // purchases a day
		at := start.Add(time.Duration(rng.Float64() * float64(end.Sub(start))))
		for at.Before(end) {
			orders = append(orders, order{at, fmt.Sprintf("%d.0", 12000+c)})
			if rng.Float64() < 0.1 {
				break
			}
			at = at.Add(time.Duration(rng.ExpFloat64() / rate * 24 * float64(time.Hour)))
		}
	}
	for range 300 {
		orders = append(orders, order{start.Add(time.Duration(rng.Float64() * float64(end.Sub(start)))), ""})
	}
	// The file is in time order, as the shop's is.
	slices.SortFunc(orders, func(a, b order) int { return a.at.Compare(b.at) })
	for _, o := range orders {
		invoice(o.at, o.customer)
	}
	fmt.Fprintln(gz, "C999999,SKU1,ITEM,-1,2011-05-05 10:00:00,3.00,12001.0,United Kingdom")
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var out strings.Builder
	if err := run([]string{"-data", path}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(1 of them cancellations: returns)", "BG/NBD (days)", "naive", "repeat purchases before", "Highest predicted value", "MAPE forecast", "2011-12-02"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run([]string{"-data", path, "-cutoff", "9 Sept"}, &out); err == nil {
		t.Error("bad cut-off: no error")
	}
}
