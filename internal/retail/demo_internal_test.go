package retail

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/commerce"
)

// The whole file has an invoice of 1,114 lines (573585, a guest's): its tail is folded
// into one line so PutOrders takes it, with the total and the order count unchanged.
func TestFoldLines(t *testing.T) {
	o := commerce.Order{ID: "webshop:573585", Currency: "GBP"}
	var want int64
	for i := range 1114 {
		l := commerce.Line{SKU: fmt.Sprint("sku", i), Quantity: int64(1 + i%7), UnitPriceMinor: int64(99 + i%300)}
		o.Lines = append(o.Lines, l)
		want += l.AmountMinor()
	}
	if !foldLines(&o) {
		t.Fatal("not folded")
	}
	got, err := o.LinesTotal()
	if err != nil || got != want || len(o.Lines) != commerce.MaxLines {
		t.Fatalf("folded: %d lines, total %d (want %d): %v", len(o.Lines), got, want, err)
	}
	if last := o.Lines[len(o.Lines)-1]; last.Quantity != 1 || !strings.Contains(last.Description, "115 more lines") {
		t.Errorf("folded line: %+v", last)
	}
	small := commerce.Order{Lines: o.Lines[:10]}
	if foldLines(&small) || len(small.Lines) != 10 {
		t.Error("an order within the bounds was changed")
	}
}

// readInvoices merges an invoice whose lines the file splits around others (542806
// in the real file) into one, and lists customers in the order the file first names them.
func TestReadInvoicesMergesSplitInvoice(t *testing.T) {
	csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"1,A,a,1,2011-02-01 11:19:00,7.95,12836.0,United Kingdom\n" +
		"2,B,b,2,2011-02-01 11:19:00,1.00,12000.0,France\n" +
		"1,C,c,2,2011-02-01 11:20:00,3.75,12836.0,United Kingdom\n" +
		"3,D,d,1,2011-02-02 10:00:00,2.00,,United Kingdom\n" +
		"4,E,e,1,2011-02-03 10:00:00,2.00,12000.0,Germany\n"
	path := filepath.Join(t.TempDir(), "r.csv.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	gz.Write([]byte(csv))
	gz.Close()
	f.Close()
	var sum Summary
	invs, custs, err := readInvoices(path, 0, &sum)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 4 || sum.Invoices != 4 || sum.Rows != 5 || invs[0].No != "1" || len(invs[0].Lines) != 2 || invs[0].Rows != 2 {
		t.Fatalf("invoices %d (%+v), summary %+v", len(invs), invs[0], sum)
	}
	if len(custs) != 2 || custs[0].id != "12836" || custs[1].id != "12000" || custs[1].country != "France" {
		t.Errorf("customers: %+v", custs)
	}
	if invs, _, _ = readInvoices(path, 2, &Summary{}); len(invs) != 2 {
		t.Errorf("a limit of 2 rows read %d invoices", len(invs))
	}
}
