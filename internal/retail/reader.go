// Package retail reads the UCI Online Retail data set (invoice lines of a UK online shop)
// and loads it as a demo: customers as source records, invoices as orders, and generated
// newsletter and support interactions.
package retail

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Invoice is one invoice of the UCI Online Retail file: the lines sharing an InvoiceNo.
type Invoice struct {
	No         string
	CustomerID string // "" for guests
	Country    string
	At         time.Time // of its first line
	Lines      []commerce.Line
	Rows       int // file rows read for it
	Rounded    int // unit prices below a penny, rounded
}

// Cancellation reports a "C" invoice (a credit note with negative quantities).
func (inv *Invoice) Cancellation() bool { return strings.HasPrefix(inv.No, "C") }

// Order converts the invoice into an order of source (GBP), placed by customer record
// recordID on profileID ("" for guests).
func (inv *Invoice) Order(source, profileID, recordID string) commerce.Order {
	o := commerce.Order{ID: source + ":" + inv.No, Source: source, ExternalID: inv.No, ProfileID: profileID, CustomerRecordID: recordID,
		Channel: "web", Status: commerce.Paid, Lines: inv.Lines, Currency: "GBP", PlacedAt: inv.At}
	if inv.Cancellation() {
		o.Status = commerce.Cancelled
	}
	// An invoice beyond the bounds keeps a zero total here and is refused by PutOrders.
	o.TotalMinor, _ = o.LinesTotal()
	return o
}

// Reader streams invoices from the retail CSV (already decompressed). Lines of an
// invoice are consecutive in the file, so one invoice is held in memory at a time.
type Reader struct {
	r       *csv.Reader
	col     map[string]int
	pending *Invoice
	row     []string
	Rows    int // data rows read so far
	Line    int
}

var columns = []string{"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"}

// NewReader reads the header and checks the columns.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("retail: header: %w", err)
	}
	rr := &Reader{r: cr, col: map[string]int{}}
	for i, h := range head {
		rr.col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, c := range columns {
		if _, ok := rr.col[c]; !ok {
			return nil, fmt.Errorf("retail: column %s missing", c)
		}
	}
	return rr, nil
}

func (rr *Reader) get(name string) string {
	if i := rr.col[name]; i < len(rr.row) {
		return strings.TrimSpace(rr.row[i])
	}
	return ""
}

// Next returns the next invoice, or io.EOF.
func (rr *Reader) Next() (*Invoice, error) {
	for {
		row, err := rr.r.Read()
		if errors.Is(err, io.EOF) {
			if p := rr.pending; p != nil {
				rr.pending = nil
				return p, nil
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("retail: %w", err)
		}
		rr.row = row
		rr.Rows++
		line, _ := rr.r.FieldPos(0)
		rr.Line = line
		no := rr.get("InvoiceNo")
		if rr.pending != nil && rr.pending.No != no {
			done := rr.pending
			rr.pending = nil
			if err := rr.add(no); err != nil {
				return nil, err
			}
			return done, nil
		}
		if err := rr.add(no); err != nil {
			return nil, err
		}
	}
}

func (rr *Reader) add(no string) error {
	fail := func(what string, err error) error { return fmt.Errorf("retail line %d: %s: %w", rr.Line, what, err) }
	qty, err := strconv.ParseInt(rr.get("Quantity"), 10, 64)
	if err != nil {
		return fail("quantity", err)
	}
	at, err := ParseRetailTime(rr.get("InvoiceDate"))
	if err != nil {
		return fail("invoice date", err)
	}
	rounded := 0
	price, err := money.ParseMinor(rr.get("UnitPrice"), 2)
	if errors.Is(err, money.ErrMoneyPrecision) {
		price, err = money.RoundMinor(rr.get("UnitPrice"), 2)
		rounded = 1
	}
	if err != nil {
		return fail("unit price", err)
	}
	cust, err := CustomerID(rr.get("CustomerID"))
	if err != nil {
		return fail("customer id", err)
	}
	if rr.pending == nil {
		rr.pending = &Invoice{No: no, CustomerID: cust, Country: rr.get("Country"), At: at}
	}
	inv := rr.pending
	if at.Before(inv.At) {
		inv.At = at
	}
	inv.Rows++
	inv.Rounded += rounded
	inv.Lines = append(inv.Lines, commerce.Line{SKU: rr.get("StockCode"), Description: rr.get("Description"), Quantity: qty, UnitPriceMinor: price})
	return nil
}

// CustomerID turns "17850.0" (how the file spells ids) into "17850"; "" is a guest.
func CustomerID(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".0")
	if s == "" {
		return "", nil
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return "", fmt.Errorf("customer id %q is not a whole number", s)
	}
	return s, nil
}

// ParseRetailTime reads the file's times: "2010-12-01 08:26:00" or the original
// spreadsheet's "12/1/2010 8:26" (month/day/year). They are shop-local times without a
// zone, read as UTC.
func ParseRetailTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "1/2/2006 15:04", "1/2/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want YYYY-MM-DD HH:MM:SS or M/D/YYYY H:MM", s)
}
