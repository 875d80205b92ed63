package analytics

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Interval is the length of a trend period (UTC calendar).
type Interval string

const (
	Daily   Interval = "DAY"
	Weekly  Interval = "WEEK" // ISO weeks, from Monday
	Monthly Interval = "MONTH"
)

// floor returns the start of the period containing t.
func (iv Interval) floor(t time.Time) time.Time {
	d := orderbook.StartOfDay(t)
	switch iv {
	case Weekly:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case Monthly:
		return d.AddDate(0, 0, 1-d.Day())
	}
	return d
}

func (iv Interval) next(t time.Time) time.Time {
	switch iv {
	case Weekly:
		return t.AddDate(0, 0, 7)
	case Monthly:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// Limits of the reports' arguments.
const (
	MaxPeriods   = 1000
	MaxCohorts   = 240
	MaxChurnDays = 3650
)

// TrendQuery asks for customers and revenue per period from From to To (the periods
// containing them; default: the 12 periods up to the as-of date).
type TrendQuery struct {
	Scope
	Interval Interval
	From, To time.Time
	// ChurnDays: a customer churns when this many days pass without an order (default 90).
	ChurnDays int
}

// Counts are one period's figures.
type Counts struct {
	New, Active, Returning, Churned, Orders int
	RevenueMinor                            int64
}

// Change is the relative change of each figure from the previous period,
// (this − previous) / |previous|; nil when the previous is 0.
type Change struct {
	New, Active, Returning, Churned, Orders, Revenue *float64
}

// Period is one period of a trend.
type Period struct {
	Start, End time.Time
	Partial    bool // it ends after the as-of date
	Counts
	Change Change
}

// Trend is the customers-and-revenue report.
type Trend struct {
	Resolved
	Interval  Interval
	ChurnDays int
	Periods   []Period
}

// Trend counts, per period: new customers (first order in it), active (an order in it),
// returning (active, not new), churned (ChurnDays passed since their last order during
// it, the moment known before the as-of date), counted orders and net revenue (orders
// less credit notes). Customers are live profiles; guest orders count in orders and
// revenue unless a country is asked. With a source, only that source's orders are seen:
// a customer is new at their first order there.
//
// The book is walked once: O(orders in the book) in memory. On MongoDB the same figures
// would need an aggregation over every order per request (first order per customer,
// then per period), O(orders) on the server; a maintained per-period counter would have
// to be corrected whenever a merge changes a customer's first order.
func (s *Service) Trend(_ context.Context, q TrendQuery) (Trend, error) {
	if q.Interval == "" {
		q.Interval = Monthly
	}
	if !slices.Contains([]Interval{Daily, Weekly, Monthly}, q.Interval) {
		return Trend{}, apperr.Invalidf("unknown interval %q", q.Interval)
	}
	if q.ChurnDays == 0 {
		q.ChurnDays = 90
	}
	if q.ChurnDays < 1 || q.ChurnDays > MaxChurnDays {
		return Trend{}, apperr.Invalidf("churnDays must be between 1 and %d", MaxChurnDays)
	}
	out := Trend{Interval: q.Interval, ChurnDays: q.ChurnDays, Periods: []Period{}}
	var err error
	out.Resolved, err = s.report(q.Scope, func(st *orderbook.State, v view, r Resolved) error {
		bounds, err := periodBounds(q.Interval, q.From, q.To, r.AsOf)
		if err != nil {
			return err
		}
		out.Periods = trend(st, v, bounds, int64(q.ChurnDays)*int64(24*time.Hour/time.Millisecond))
		return nil
	})
	if err == nil && !out.Ready {
		// Check the arguments all the same, so a bad request fails while loading too.
		_, err = periodBounds(q.Interval, q.From, q.To, out.AsOf)
	}
	return out, err
}

// periodBounds returns the starts of the periods and the end of the last, with one
// period before the first asked (the base of the first change).
func periodBounds(iv Interval, from, to, asOf time.Time) ([]time.Time, error) {
	if to.IsZero() {
		to = asOf
	}
	last := iv.floor(to.Add(-time.Millisecond))
	if from.IsZero() {
		from = last
		for range 11 {
			from = iv.floor(from.Add(-time.Millisecond))
		}
	}
	if !from.Before(to) {
		return nil, apperr.Invalidf("from must be before to")
	}
	first := iv.floor(from)
	bounds := []time.Time{iv.floor(first.Add(-time.Millisecond))}
	for t := first; t.Before(to); t = iv.next(t) {
		if len(bounds) > MaxPeriods {
			return nil, apperr.Invalidf("at most %d periods: ask for a longer interval or a shorter range", MaxPeriods)
		}
		bounds = append(bounds, t)
	}
	return append(bounds, iv.next(bounds[len(bounds)-1])), nil
}

// periodOf returns the index of the period of t (Unix ms) among bounds, or -1.
func periodOf(bounds []int64, t int64) int {
	if t < bounds[0] || t >= bounds[len(bounds)-1] {
		return -1
	}
	i, found := slices.BinarySearch(bounds, t)
	if !found {
		i--
	}
	return i
}

func trend(st *orderbook.State, v view, bounds []time.Time, churn int64) []Period {
	ms := make([]int64, len(bounds))
	for i, b := range bounds {
		ms[i] = b.UnixMilli()
	}
	n := len(bounds) - 1
	cs := make([]Counts, n)
	v.each(st, true, func(c *orderbook.Customer, es []orderbook.Entry) {
		guest := c.ID == ""
		active, churned := -1, -1
		first := true
		for i, e := range es {
			p := periodOf(ms, e.At)
			if p >= 0 && v.cur >= 0 && int(e.Cur) == v.cur && e.Kind != orderbook.KindVoid {
				cs[p].RevenueMinor = money.SatAdd(cs[p].RevenueMinor, e.Net)
			}
			if e.Kind != orderbook.KindOrder {
				continue
			}
			if p >= 0 {
				cs[p].Orders++
			}
			if guest {
				continue
			}
			if p >= 0 && first {
				cs[p].New++
			}
			first = false
			if p >= 0 && p != active {
				cs[p].Active++
				active = p
			}
			// The churn moment after this order: ChurnDays without a next order.
			next := int64(1<<63 - 1)
			for _, f := range es[i+1:] {
				if f.Kind == orderbook.KindOrder {
					next = f.At
					break
				}
			}
			if m := e.At + churn; m < next && m < v.asOf {
				if q := periodOf(ms, m); q >= 0 && q != churned {
					cs[q].Churned++
					churned = q
				}
			}
		}
	})
	out := make([]Period, 0, n-1)
	for i := 1; i < n; i++ {
		c := cs[i]
		c.Returning = c.Active - c.New
		p := cs[i-1]
		p.Returning = p.Active - p.New
		out = append(out, Period{Start: bounds[i], End: bounds[i+1], Partial: ms[i+1] > v.asOf, Counts: c, Change: Change{
			New: change(p.New, c.New), Active: change(p.Active, c.Active), Returning: change(p.Returning, c.Returning),
			Churned: change(p.Churned, c.Churned), Orders: change(p.Orders, c.Orders), Revenue: change(p.RevenueMinor, c.RevenueMinor)}})
	}
	return out
}

func change[T int | int64](prev, cur T) *float64 {
	if prev == 0 {
		return nil
	}
	d := float64(cur-prev) / float64(prev)
	if prev < 0 {
		d = -d
	}
	return &d
}
