package retail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/retail"
)

func TestRetailReader(t *testing.T) {
	csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n" +
		"536365,71053,\"LANTERN, METAL\",6,12/1/2010 8:27,3.39,17850.0,United Kingdom\n" +
		"C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527.0,United Kingdom\n" +
		"550193,PADS,PADS,1,2011-04-15 09:27:00,0.001,,United Kingdom\n"
	rr, err := retail.NewReader(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := rr.Next()
	b, _ := rr.Next()
	g, _ := rr.Next()
	if _, err := rr.Next(); err == nil {
		t.Fatal("no EOF")
	}
	o := a.Order("webshop", "cus_1", "webshop:17850")
	if a.CustomerID != "17850" || len(a.Lines) != 2 || o.TotalMinor != 6*255+6*339 || !a.At.Equal(time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)) || a.Lines[1].Description != "LANTERN, METAL" {
		t.Errorf("invoice a: %+v", a)
	}
	if c := b.Order("webshop", "cus_2", ""); !b.Cancellation() || c.Status != commerce.Cancelled || c.TotalMinor != -2750 || commerce.EntryOf(&c).Kind != ledger.KindCredit {
		t.Errorf("cancellation: %+v", c)
	}
	if g.CustomerID != "" || g.Rounded != 1 || g.Lines[0].UnitPriceMinor != 0 || rr.Rows != 4 {
		t.Errorf("guest: %+v rows %d", g, rr.Rows)
	}
}
