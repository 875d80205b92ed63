package analytics

import (
	"context"
	"math"
	"slices"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Quantile is the customer value at or below which a share Q of the customers lie.
type Quantile struct {
	Q          float64
	ValueMinor int64
}

// ValueBucket counts the customers whose value is in [Lower, Upper) (no Lower: every
// negative value; no Upper: no bound).
type ValueBucket struct {
	Lower, Upper *int64
	Customers    int
	RevenueMinor int64
}

// Distribution is the distribution of customer value: each customer's net revenue in
// the report currency up to the as-of date (historic CLV), over the customers with a
// counted order in that currency.
type Distribution struct {
	Resolved
	Customers          int
	TotalMinor         int64
	MeanMinor          int64
	MinMinor, MaxMinor int64
	Quantiles          []Quantile // 0.1 … 0.9 and 0.99, nearest rank
	TopDecileShare     *float64   // of the total, from the highest-value tenth; nil unless the total is positive
	Buckets            []ValueBucket
}

// QuantileLevels are the quantiles the distribution reports.
var QuantileLevels = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99}

// ValueDistribution gives quantiles and a histogram in 1-2-5 steps of the currency's
// major unit (1, 2, 5, 10, 20, …), plus one bucket for negative values (more returned
// than bought). One walk of the book and a sort of the customers' values. On MongoDB the
// customer_metrics documents hold each customer's net (as of now) and a $bucket
// aggregation over them would be O(customers) per request.
func (s *Service) ValueDistribution(_ context.Context, sc Scope) (Distribution, error) {
	out := Distribution{Quantiles: []Quantile{}, Buckets: []ValueBucket{}}
	var err error
	out.Resolved, err = s.report(sc, func(st *orderbook.State, v view, r Resolved) error {
		var vals []int64
		v.each(st, false, func(c *orderbook.Customer, es []orderbook.Entry) {
			counted, net := false, int64(0)
			for _, e := range es {
				if v.cur < 0 || int(e.Cur) != v.cur {
					continue
				}
				counted = counted || e.Kind == orderbook.KindOrder
				net = money.SatAdd(net, e.Net)
			}
			if counted {
				vals = append(vals, net)
			}
		})
		exp, _ := money.Exponent(r.Currency)
		distribution(&out, vals, exp)
		return nil
	})
	return out, err
}

func distribution(out *Distribution, vals []int64, exp int) {
	n := len(vals)
	out.Customers = n
	if n == 0 {
		return
	}
	slices.Sort(vals)
	for _, v := range vals {
		out.TotalMinor = money.SatAdd(out.TotalMinor, v)
	}
	out.MeanMinor = int64(math.Round(float64(out.TotalMinor) / float64(n)))
	out.MinMinor, out.MaxMinor = vals[0], vals[n-1]
	for _, q := range QuantileLevels {
		out.Quantiles = append(out.Quantiles, Quantile{q, vals[nearestRank(q, n)]})
	}
	if out.TotalMinor > 0 {
		top := int64(0)
		for _, v := range vals[n-int(math.Ceil(0.1*float64(n))):] {
			top = money.SatAdd(top, v)
		}
		share := float64(top) / float64(out.TotalMinor)
		out.TopDecileShare = &share
	}
	// Buckets: negative values, then [0, 1 unit), [1, 2), [2, 5), [5, 10), …
	unit := int64(1)
	for range exp {
		unit *= 10
	}
	i := 0
	if vals[0] < 0 {
		b := ValueBucket{Upper: ptr(int64(0))}
		for ; i < n && vals[i] < 0; i++ {
			b.Customers++
			b.RevenueMinor = money.SatAdd(b.RevenueMinor, vals[i])
		}
		out.Buckets = append(out.Buckets, b)
	}
	lower := int64(0)
	upper := unit
	steps := []int64{2, 5, 10} // the next upper bound is upper / 1, 2 or 5 times these
	for k := 0; i < n; k++ {
		b := ValueBucket{Lower: ptr(lower), Upper: ptr(upper)}
		for ; i < n && vals[i] < upper; i++ {
			b.Customers++
			b.RevenueMinor = money.SatAdd(b.RevenueMinor, vals[i])
		}
		out.Buckets = append(out.Buckets, b)
		decade := unit
		for decade*10 <= upper {
			decade *= 10
		}
		next, ok := money.MulMinor(decade, steps[k%3])
		if !ok {
			// Beyond int64: the rest in one open bucket.
			last := ValueBucket{Lower: ptr(upper)}
			for ; i < n; i++ {
				last.Customers++
				last.RevenueMinor = money.SatAdd(last.RevenueMinor, vals[i])
			}
			out.Buckets = append(out.Buckets, last)
			break
		}
		lower, upper = upper, next
	}
}

// nearestRank is the index of the q-quantile of n sorted values: rank ⌈q·n⌉.
func nearestRank(q float64, n int) int {
	return max(0, min(n-1, int(math.Ceil(q*float64(n)-1e-9))-1))
}

func ptr[T any](v T) *T { return &v }
