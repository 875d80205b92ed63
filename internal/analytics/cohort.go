package analytics

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/money"
)

// CohortQuery asks for the cohorts whose first-order month is in [From, To) (the months
// containing them; default: the 12 months up to the as-of date's).
type CohortQuery struct {
	Scope
	From, To time.Time
}

// CohortMonth is one month of a cohort's life: Offset months after its first.
type CohortMonth struct {
	Offset       int
	Month        time.Time
	Partial      bool // the as-of date falls inside it
	Customers    int  // of the cohort with a counted order in the month
	Share        float64
	RevenueMinor int64
}

// Cohort is the customers whose first counted order was in Month.
type Cohort struct {
	Month        time.Time
	Customers    int
	RevenueMinor int64 // net revenue of the cohort from its first month to the as-of date
	Months       []CohortMonth
}

// Cohorts is the cohort-retention report.
type Cohorts struct {
	Resolved
	Cohorts []Cohort
}

// monthIndex numbers UTC months consecutively.
func monthIndex(ms int64) int {
	t := time.UnixMilli(ms).UTC()
	return t.Year()*12 + int(t.Month()) - 1
}

func monthStart(i int) time.Time { return time.Date(i/12, time.Month(i%12+1), 1, 0, 0, 0, 0, time.UTC) }

// Cohorts groups customers by the month of their first counted order (within the
// scope) and gives, for each following month up to the as-of date, the share of the
// cohort that ordered in it and the cohort's net revenue in it. Month 0 is the first
// month (share 1).
//
// One walk of the book: O(orders) in memory. On MongoDB: a $group of each customer's
// first order month, then of the orders by (cohort, month) — two aggregations over all
// orders per request; kept on write it would be a cohort × month counter per order, to
// be moved between cohorts when a merge changes a customer's first order.
func (s *Service) Cohorts(_ context.Context, q CohortQuery) (Cohorts, error) {
	out := Cohorts{Cohorts: []Cohort{}}
	var err error
	out.Resolved, err = s.report(q.Scope, func(st *orderbook.State, v view, r Resolved) error {
		first, last, err := cohortRange(q, r.AsOf)
		if err != nil {
			return err
		}
		out.Cohorts = cohorts(st, v, first, last)
		return nil
	})
	if err == nil && !out.Ready {
		_, _, err = cohortRange(q, out.AsOf)
	}
	return out, err
}

// cohortRange returns the month indexes of the first and last cohort.
func cohortRange(q CohortQuery, asOf time.Time) (first, last int, err error) {
	to := q.To
	if to.IsZero() {
		to = asOf
	}
	last = monthIndex(to.Add(-time.Millisecond).UnixMilli())
	first = last - 11
	if !q.From.IsZero() {
		if !q.From.Before(to) {
			return 0, 0, apperr.Invalidf("from must be before to")
		}
		first = monthIndex(q.From.UnixMilli())
	}
	if last-first+1 > MaxCohorts {
		return 0, 0, apperr.Invalidf("at most %d cohorts", MaxCohorts)
	}
	return first, last, nil
}

func cohorts(st *orderbook.State, v view, first, last int) []Cohort {
	end := monthIndex(v.asOf - 1) // the last month with data
	n := last - first + 1
	out := make([]Cohort, n)
	for i := range out {
		m := first + i
		out[i].Month = monthStart(m)
		months := max(0, end-m+1)
		out[i].Months = make([]CohortMonth, months)
		for k := range out[i].Months {
			out[i].Months[k] = CohortMonth{Offset: k, Month: monthStart(m + k), Partial: m+k == end && monthStart(m+k+1).UnixMilli() > v.asOf}
		}
	}
	v.each(st, false, func(c *orderbook.Customer, es []orderbook.Entry) {
		start := -1
		for _, e := range es {
			if e.Kind == orderbook.KindOrder {
				start = monthIndex(e.At)
				break
			}
		}
		if start < first || start > last {
			return
		}
		co := &out[start-first]
		co.Customers++
		seen := -1
		for _, e := range es {
			k := monthIndex(e.At) - start
			if k < 0 || k >= len(co.Months) {
				continue // a credit note before the first order
			}
			cm := &co.Months[k]
			if e.Kind == orderbook.KindOrder && k != seen {
				cm.Customers++
				seen = k
			}
			if v.cur >= 0 && int(e.Cur) == v.cur {
				cm.RevenueMinor = money.SatAdd(cm.RevenueMinor, e.Net)
				co.RevenueMinor = money.SatAdd(co.RevenueMinor, e.Net)
			}
		}
	})
	for i := range out {
		for k := range out[i].Months {
			if out[i].Customers > 0 {
				out[i].Months[k].Share = float64(out[i].Months[k].Customers) / float64(out[i].Customers)
			}
		}
	}
	return out
}
