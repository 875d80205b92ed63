package analytics

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Band is one score's range of an RFM axis: Min to Max inclusive (Max 0: no upper bound).
type Band struct {
	Score    int
	Min, Max int
}

// The RFM grid uses fixed bands rather than quintiles: a band means the same thing at
// every as-of date and in every scope (quintiles of a frequency where most customers
// ordered once collapse into one or two scores), and a cell's drill-down is stable.
var (
	// RecencyBands are days since the last order; a more recent order scores higher.
	RecencyBands = []Band{{5, 0, 30}, {4, 31, 90}, {3, 91, 180}, {2, 181, 365}, {1, 366, 0}}
	// FrequencyBands are counted orders.
	FrequencyBands = []Band{{1, 1, 1}, {2, 2, 2}, {3, 3, 5}, {4, 6, 10}, {5, 11, 0}}
)

func score(bands []Band, v int) int {
	for _, b := range bands {
		if v >= b.Min && (b.Max == 0 || v <= b.Max) {
			return b.Score
		}
	}
	return 0
}

// rfmRow is a customer's position in the grid.
type rfmRow struct {
	c                  *orderbook.Customer
	recency, frequency int   // days, orders
	last               int64 // Unix ms
	net                int64
}

const dayMs = int64(24 * time.Hour / time.Millisecond)

// rfmRows walks the customers with a counted order before the as-of date.
func rfmRows(st *orderbook.State, v view, fn func(rfmRow)) {
	v.each(st, false, func(c *orderbook.Customer, es []orderbook.Entry) {
		r := rfmRow{c: c}
		for _, e := range es {
			if e.Kind == orderbook.KindOrder {
				r.frequency++
				r.last = e.At
			}
			if v.cur >= 0 && int(e.Cur) == v.cur {
				r.net = money.SatAdd(r.net, e.Net)
			}
		}
		if r.frequency == 0 {
			return
		}
		r.recency = int((v.asOf - r.last) / dayMs)
		fn(r)
	})
}

// Cell is one recency × frequency cell.
type Cell struct {
	R, F         int
	Customers    int
	RevenueMinor int64 // net, in the report currency
}

// RFMGrid is the recency × frequency grid.
type RFMGrid struct {
	Resolved
	Customers      int
	RevenueMinor   int64
	RecencyBands   []Band
	FrequencyBands []Band
	Cells          []Cell // all 25, by R descending then F ascending
}

// RFM counts customers and their net revenue in each cell of the fixed recency and
// frequency bands, as of the as-of date. One walk of the book. On MongoDB the
// customer_metrics documents hold last order, order count and net per customer (kept
// on write), so a $group over them is O(customers) per request without reading orders
// — but only as of now: an earlier as-of date needs the orders.
func (s *Service) RFM(_ context.Context, sc Scope) (RFMGrid, error) {
	out := RFMGrid{RecencyBands: RecencyBands, FrequencyBands: FrequencyBands, Cells: []Cell{}}
	var err error
	out.Resolved, err = s.report(sc, func(st *orderbook.State, v view, _ Resolved) error {
		cells := map[[2]int]*Cell{}
		for _, rb := range RecencyBands {
			for _, fb := range FrequencyBands {
				out.Cells = append(out.Cells, Cell{R: rb.Score, F: fb.Score})
			}
		}
		for i := range out.Cells {
			cells[[2]int{out.Cells[i].R, out.Cells[i].F}] = &out.Cells[i]
		}
		rfmRows(st, v, func(r rfmRow) {
			c := cells[[2]int{score(RecencyBands, r.recency), score(FrequencyBands, r.frequency)}]
			c.Customers++
			c.RevenueMinor = money.SatAdd(c.RevenueMinor, r.net)
			out.Customers++
			out.RevenueMinor = money.SatAdd(out.RevenueMinor, r.net)
		})
		return nil
	})
	return out, err
}

// CellQuery asks for a page of the customers of one cell, highest net revenue first.
type CellQuery struct {
	Scope
	R, F  int
	First int
	After string
}

// MaxCellPage is the largest page of a cell's customers.
const MaxCellPage = 100

// CellCustomer is a customer of a cell with the figures that put them there.
type CellCustomer struct {
	ID           string
	Profile      *profile.Profile // nil when the profile is gone (erased meanwhile)
	RecencyDays  int
	Orders       int
	LastOrderAt  time.Time
	RevenueMinor int64
	Cursor       string
}

// CellPage is one page of a cell.
type CellPage struct {
	Resolved
	R, F      int
	Total     int
	Customers []CellCustomer
	HasNext   bool
	EndCursor string
}

// RFMCell lists a cell's customers: the cell's members are found in the book (one
// walk), sorted by net revenue then id, and the page's profiles read by _id. On MongoDB
// the members would be a find on customer_metrics by last order and order count ranges
// (indexed), sorted by net.
func (s *Service) RFMCell(ctx context.Context, q CellQuery) (CellPage, error) {
	if q.R < 1 || q.R > 5 || q.F < 1 || q.F > 5 {
		return CellPage{}, apperr.Invalidf("r and f must be scores from 1 to 5")
	}
	if q.First == 0 {
		q.First = 20
	}
	if q.First < 1 || q.First > MaxCellPage {
		return CellPage{}, apperr.Invalidf("first must be between 1 and %d", MaxCellPage)
	}
	var after *cellCursor
	if q.After != "" {
		c, err := parseCellCursor(q.After)
		if err != nil {
			return CellPage{}, err
		}
		after = &c
	}
	out := CellPage{R: q.R, F: q.F, Customers: []CellCustomer{}}
	var err error
	out.Resolved, err = s.report(q.Scope, func(st *orderbook.State, v view, _ Resolved) error {
		var rows []rfmRow
		rfmRows(st, v, func(r rfmRow) {
			if score(RecencyBands, r.recency) == q.R && score(FrequencyBands, r.frequency) == q.F {
				rows = append(rows, r)
			}
		})
		slices.SortFunc(rows, func(a, b rfmRow) int {
			if c := cmp.Compare(b.net, a.net); c != 0 {
				return c
			}
			return cmp.Compare(a.c.ID, b.c.ID)
		})
		out.Total = len(rows)
		i := 0
		if after != nil {
			i, _ = slices.BinarySearchFunc(rows, *after, func(r rfmRow, c cellCursor) int {
				if d := cmp.Compare(c.net, r.net); d != 0 {
					return d
				}
				return cmp.Compare(r.c.ID, c.id)
			})
			if i < len(rows) && rows[i].net == after.net && rows[i].c.ID == after.id {
				i++
			}
		}
		for _, r := range rows[i:min(len(rows), i+q.First)] {
			out.Customers = append(out.Customers, CellCustomer{ID: r.c.ID, RecencyDays: r.recency, Orders: r.frequency,
				LastOrderAt: time.UnixMilli(r.last).UTC(), RevenueMinor: r.net, Cursor: cellCursor{r.net, r.c.ID}.String()})
		}
		out.HasNext = i+q.First < len(rows)
		return nil
	})
	if err != nil || len(out.Customers) == 0 {
		return out, err
	}
	out.EndCursor = out.Customers[len(out.Customers)-1].Cursor
	ids := make([]string, len(out.Customers))
	for i, c := range out.Customers {
		ids[i] = c.ID
	}
	ps, err := s.Profiles(ctx, ids)
	if err != nil {
		return out, err
	}
	byID := map[string]*profile.Profile{}
	for i := range ps {
		if ps[i].MergedInto == "" {
			byID[ps[i].ID] = &ps[i]
		}
	}
	var gone []string
	for i := range out.Customers {
		if out.Customers[i].Profile = byID[out.Customers[i].ID]; out.Customers[i].Profile == nil {
			gone = append(gone, out.Customers[i].ID)
		}
	}
	if len(gone) > 0 { // missing or merged meanwhile: read again (an erased one is forgotten)
		s.Book.ProfilesChanged(gone)
	}
	return out, nil
}

type cellCursor struct {
	net int64
	id  string
}

func (c cellCursor) String() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", c.net, c.id))
}

func parseCellCursor(s string) (cellCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		n, id, ok := strings.Cut(string(raw), ":")
		if v, perr := strconv.ParseInt(n, 10, 64); ok && perr == nil && id != "" {
			return cellCursor{v, id}, nil
		}
	}
	return cellCursor{}, apperr.Invalidf("invalid cursor")
}
