package quality

import (
	"cmp"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Grouping is what a row is: a product or a category.
type Grouping int

const (
	ByProduct Grouping = iota
	ByCategory
)

// Ordering is how rows are sorted; every one puts the weakest first.
type Ordering int

const (
	ByReturnRate Ordering = iota // highest return rate first
	ByCSAT                       // lowest average CSAT first; rows without ratings last
	ByTicketRate                 // most tickets per 100 orders first
	ByRevenue                    // highest net revenue first
)

// Uncategorised is the category of a line without one, of a product the catalogue
// gives none.
const Uncategorised = "Uncategorised"

// Defaults and bounds of a query.
const (
	DefaultTicketWindowDays = 30
	MaxTicketWindowDays     = 366
	DefaultFirst            = 20
	MaxFirst                = 200
)

// Query asks for a page of the report.
type Query struct {
	By      Grouping
	OrderBy Ordering
	// From and To bound the orders' placed time, both included (zero: open).
	From, To time.Time
	// Currency of the revenue ("" the one with the most orders).
	Currency string
	// MinUnits leaves out rows with fewer units sold.
	MinUnits int
	// TicketWindowDays: a ticket naming no order goes to its requester's most recent
	// order placed this many days before it at most (0: DefaultTicketWindowDays).
	TicketWindowDays int
	First            int // 0: DefaultFirst
	After            string
}

// Row is one product or category.
type Row struct {
	// Key is the SKU, or the category.
	Key       string
	SKU       string // "" for a category
	Name      string
	Category  string
	Orders    int
	UnitsSold int64
	// UnitsReturned are the returns matched to a sale: credit-note units the customer
	// had bought before, and the units of CANCELLED or REFUNDED orders.
	UnitsReturned int64
	ReturnRate    float64 // matched returned / sold (0 without sales)
	// UnmatchedUnits: credit-note units with no earlier sale of them to that customer
	// on record (returns of sales before the data, write-offs, guests' credit notes),
	// in UnmatchedReturns orders; not in the rate.
	UnmatchedUnits   int64
	UnmatchedReturns int
	NetRevenue       int64 // minor units of the page's currency
	Tickets          int
	TicketsPer100    float64
	RatedTickets     int
	AverageCSAT      float64 // 0 without ratings
	SatisfiedShare   float64 // ratings of 4 or 5 / ratings (0 without ratings)
}

// Page is a page of rows, with the scope they were computed over.
type Page struct {
	Ready            bool // false while the aggregate loads: no rows
	From, To         time.Time
	Currency         string
	MinUnits         int
	TicketWindowDays int
	// Orders placed in the range and tickets attributed to them, over all rows.
	Orders  int
	Tickets int
	Total   int // rows over the threshold
	Rows    []Row
	Next    string // cursor of the next page, "" on the last
}

// acc is what a walk adds up per product or category.
type acc struct {
	orders, tickets, rated, satisfied, scoreSum, unmatchedIn int
	sold, returned, unmatched, revenue                       int64
	lastOrder, lastTicket, lastUnmatched                     int32 // stamps: counted once per order and ticket
}

// Report computes a page of the report: one walk of the orders and of the tickets.
func (s *Service) Report(q Query) (Page, error) {
	if q.MinUnits < 0 {
		return Page{}, apperr.Invalidf("minUnits may not be negative")
	}
	window := q.TicketWindowDays
	if window == 0 {
		window = DefaultTicketWindowDays
	}
	if window < 0 || window > MaxTicketWindowDays {
		return Page{}, apperr.Invalidf("ticketWindowDays must be between 1 and %d", MaxTicketWindowDays)
	}
	first := q.First
	if first == 0 {
		first = DefaultFirst
	}
	if first < 1 || first > MaxFirst {
		return Page{}, apperr.Invalidf("first must be between 1 and %d", MaxFirst)
	}
	offset, err := decodeCursor(q.After)
	if err != nil {
		return Page{}, err
	}
	if _, ok := money.Exponent(q.Currency); q.Currency != "" && !ok {
		return Page{}, apperr.Invalidf("unknown currency %q", q.Currency)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return Page{}, apperr.Invalidf("to is before from")
	}
	pg := Page{From: q.From, To: q.To, Currency: q.Currency, MinUnits: q.MinUnits, TicketWindowDays: window, Rows: []Row{}}
	var rows []Row
	pg.Ready = s.Agg.read(func(st *state) {
		rows = st.report(q, window, &pg)
	})
	if !pg.Ready {
		return pg, nil
	}
	sortRows(rows, q.OrderBy)
	pg.Total = len(rows)
	if offset < len(rows) {
		end := min(offset+first, len(rows))
		pg.Rows = rows[offset:end]
		if end < len(rows) {
			pg.Next = encodeCursor(end)
		}
	}
	return pg, nil
}

// report walks the state; it fills pg's currency and totals.
func (st *state) report(q Query, window int, pg *Page) []Row {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		lo = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		hi = q.To.UnixMilli()
	}
	cur := -1
	if pg.Currency == "" {
		best := -1
		for i, n := range st.curOrders {
			if n > 0 && (n > best || n == best && st.curs.names[i] < st.curs.names[cur]) {
				best, cur = n, i
			}
		}
		if cur >= 0 {
			pg.Currency = st.curs.names[cur]
		}
	} else if i, ok := st.curs.idx[pg.Currency]; ok {
		cur = int(i)
	}
	byCat := q.By == ByCategory
	// The group of an order's item: its product, or its category.
	group := func(o *order, i int) int {
		if !byCat {
			return int(o.items[i].prod)
		}
		if o.cats != nil && o.cats[i] != 0 {
			return int(o.cats[i])
		}
		return int(st.prods[o.items[i].prod].cat)
	}
	n := len(st.prods)
	if byCat {
		n = len(st.cats.names)
	}
	accs := make([]acc, n)
	for i := range accs {
		accs[i].lastOrder, accs[i].lastTicket, accs[i].lastUnmatched = -1, -1, -1
	}
	stamp := int32(0)
	for _, o := range st.orders {
		if o.at < lo || o.at > hi {
			continue
		}
		if o.kind != kindCredit {
			pg.Orders++
		}
		stamp++
		for i, it := range o.items {
			a := &accs[group(o, i)]
			if it.qty > 0 {
				a.sold += int64(it.qty)
				if o.cancelled() {
					a.returned += int64(it.qty)
				}
			} else {
				m := int64(o.matched[i])
				a.returned += m
				if u := -int64(it.qty) - m; u > 0 {
					a.unmatched += u
					if a.lastUnmatched != stamp {
						a.lastUnmatched = stamp
						a.unmatchedIn++
					}
				}
			}
			if int(o.cur) == cur && o.kind != kindVoid {
				a.revenue += it.amount
			}
			if o.kind != kindCredit && a.lastOrder != stamp {
				a.lastOrder = stamp
				a.orders++
			}
		}
	}
	stamp = 0
	w := int64(window) * 24 * int64(time.Hour/time.Millisecond)
	for _, t := range st.tickets {
		o := st.attributed(t, w)
		if o == nil || o.at < lo || o.at > hi {
			continue
		}
		pg.Tickets++
		stamp++
		for i := range o.items {
			a := &accs[group(o, i)]
			if a.lastTicket == stamp {
				continue
			}
			a.lastTicket = stamp
			a.tickets++
			if t.score > 0 {
				a.rated++
				a.scoreSum += int(t.score)
				if t.score >= 4 {
					a.satisfied++
				}
			}
		}
	}
	var rows []Row
	for g := range accs {
		a := &accs[g]
		if a.sold == 0 && a.returned == 0 && a.unmatched == 0 || a.sold < int64(q.MinUnits) {
			continue
		}
		r := Row{Orders: a.orders, UnitsSold: a.sold, UnitsReturned: a.returned, UnmatchedUnits: a.unmatched, UnmatchedReturns: a.unmatchedIn,
			NetRevenue: a.revenue, Tickets: a.tickets, RatedTickets: a.rated}
		if a.sold > 0 {
			r.ReturnRate = float64(a.returned) / float64(a.sold)
		}
		if a.orders > 0 {
			r.TicketsPer100 = 100 * float64(a.tickets) / float64(a.orders)
		}
		if a.rated > 0 {
			r.AverageCSAT = float64(a.scoreSum) / float64(a.rated)
			r.SatisfiedShare = float64(a.satisfied) / float64(a.rated)
		}
		if byCat {
			r.Key = catName(st, uint16(g))
			r.Name, r.Category = r.Key, r.Key
		} else {
			p := &st.prods[g]
			r.Key, r.SKU, r.Name = p.sku, p.sku, p.name
			if r.Name == "" {
				r.Name = p.desc
			}
			c := p.cat
			if c == 0 {
				c = p.lineCat
			}
			r.Category = catName(st, c)
		}
		rows = append(rows, r)
	}
	return rows
}

func catName(st *state, c uint16) string {
	if c == 0 {
		return Uncategorised
	}
	return st.cats.names[c]
}

// sortRows puts the weakest first; ties by key.
func sortRows(rows []Row, by Ordering) {
	slices.SortFunc(rows, func(a, b Row) int {
		var c int
		switch by {
		case ByCSAT:
			if (a.RatedTickets == 0) != (b.RatedTickets == 0) {
				if a.RatedTickets == 0 {
					return 1
				}
				return -1
			}
			c = cmp.Compare(a.AverageCSAT, b.AverageCSAT)
		case ByTicketRate:
			c = cmp.Compare(b.TicketsPer100, a.TicketsPer100)
		case ByRevenue:
			c = cmp.Compare(b.NetRevenue, a.NetRevenue)
		default:
			c = cmp.Compare(b.ReturnRate, a.ReturnRate)
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("q" + strconv.Itoa(offset)))
}

func decodeCursor(after string) (int, error) {
	if after == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(after)
	if err == nil && len(b) > 1 && b[0] == 'q' {
		if n, err := strconv.Atoi(string(b[1:])); err == nil && n >= 0 && n < 1<<30 {
			return n, nil
		}
	}
	return 0, apperr.Invalidf("after: not a cursor of this report")
}
