package analytics

import (
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
)

// The oracle computes every report the plain way, from the list of orders, without the
// book: each figure by its definition, period by period and customer by customer.

type oracle struct {
	orders    []commerce.Order
	countries map[string]string
	asOf      time.Time
	country   string
	source    string
	currency  string
}

func newOracle(f *fakeSource, asOf time.Time, sc Scope, currency string) *oracle {
	o := &oracle{countries: f.countries, asOf: asOf, country: sc.Country, source: sc.Source, currency: currency}
	for _, x := range f.orders {
		o.orders = append(o.orders, x)
	}
	return o
}

// visible reports whether an order is in the scope; guests only without a country.
func (o *oracle) visible(x commerce.Order) bool {
	if !x.PlacedAt.Before(o.asOf) || o.source != "" && x.Source != o.source {
		return false
	}
	if o.country != "" {
		return x.ProfileID != "" && o.countries[x.ProfileID] == o.country
	}
	return true
}

func counted(x commerce.Order) bool {
	return x.Status != commerce.Cancelled && x.Status != commerce.Refunded
}

// net is what the order adds to revenue in the oracle's currency.
func (o *oracle) net(x commerce.Order) int64 {
	if x.Currency != o.currency || !counted(x) && x.TotalMinor >= 0 {
		return 0
	}
	return x.TotalMinor
}

func in(t, s, e time.Time) bool { return !t.Before(s) && t.Before(e) }

// customers returns the visible orders of each customer (not guests).
func (o *oracle) customers() map[string][]commerce.Order {
	out := map[string][]commerce.Order{}
	for _, x := range o.orders {
		if x.ProfileID != "" && o.visible(x) {
			out[x.ProfileID] = append(out[x.ProfileID], x)
		}
	}
	return out
}

func firstCounted(xs []commerce.Order) (time.Time, bool) {
	var first time.Time
	for _, x := range xs {
		if counted(x) && (first.IsZero() || x.PlacedAt.Before(first)) {
			first = x.PlacedAt
		}
	}
	return first, !first.IsZero()
}

func (o *oracle) trend(starts []time.Time, churnDays int) []Counts {
	byCustomer := o.customers()
	out := make([]Counts, len(starts)-1)
	for i := range out {
		s, e := starts[i], starts[i+1]
		c := &out[i]
		for _, x := range o.orders {
			if !o.visible(x) || !in(x.PlacedAt, s, e) {
				continue
			}
			if counted(x) {
				c.Orders++
			}
			c.RevenueMinor += o.net(x)
		}
		for _, xs := range byCustomer {
			first, ok := firstCounted(xs)
			if !ok {
				continue
			}
			active := false
			var times []time.Time
			for _, x := range xs {
				if counted(x) {
					active = active || in(x.PlacedAt, s, e)
					times = append(times, x.PlacedAt)
				}
			}
			if active {
				c.Active++
				if in(first, s, e) {
					c.New++
				} else {
					c.Returning++
				}
			}
			// Churned: some order t with no order in (t, t+W] and t+W in [s, e), before asOf.
			for _, t := range times {
				m := t.AddDate(0, 0, churnDays)
				again := false
				for _, u := range times {
					again = again || u.After(t) && !u.After(m)
				}
				if !again && m.Before(o.asOf) && in(m, s, e) {
					c.Churned++
					break
				}
			}
		}
	}
	return out
}

// cohort is the oracle's cohort: per month offset, active customers and revenue.
type cohortFigures struct {
	size    int
	active  []int
	revenue []int64
	total   int64
}

func months(a, b time.Time) int { return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month()) }

func (o *oracle) cohorts(first time.Time, n int) []cohortFigures {
	end := o.asOf.Add(-time.Millisecond)
	out := make([]cohortFigures, n)
	for i := range out {
		m := first.AddDate(0, i, 0)
		k := max(0, months(m, end)+1)
		out[i] = cohortFigures{active: make([]int, k), revenue: make([]int64, k)}
	}
	for _, xs := range o.customers() {
		f, ok := firstCounted(xs)
		if !ok {
			continue
		}
		ci := months(first, f)
		if ci < 0 || ci >= n {
			continue
		}
		c := &out[ci]
		c.size++
		cm := first.AddDate(0, ci, 0)
		for k := range c.active {
			ms, me := cm.AddDate(0, k, 0), cm.AddDate(0, k+1, 0)
			active := false
			for _, x := range xs {
				if in(x.PlacedAt, ms, me) {
					active = active || counted(x)
					c.revenue[k] += o.net(x)
					c.total += o.net(x)
				}
			}
			if active {
				c.active[k]++
			}
		}
	}
	return out
}

type rfmFigures struct {
	id            string
	r, f          int
	recency, freq int
	net           int64
}

func (o *oracle) rfm() []rfmFigures {
	var out []rfmFigures
	for id, xs := range o.customers() {
		x := rfmFigures{id: id}
		var last time.Time
		for _, y := range xs {
			if counted(y) {
				x.freq++
				if y.PlacedAt.After(last) {
					last = y.PlacedAt
				}
			}
			x.net += o.net(y)
		}
		if x.freq == 0 {
			continue
		}
		x.recency = int(o.asOf.Sub(last) / (24 * time.Hour))
		switch d := x.recency; {
		case d <= 30:
			x.r = 5
		case d <= 90:
			x.r = 4
		case d <= 180:
			x.r = 3
		case d <= 365:
			x.r = 2
		default:
			x.r = 1
		}
		switch n := x.freq; {
		case n == 1:
			x.f = 1
		case n == 2:
			x.f = 2
		case n <= 5:
			x.f = 3
		case n <= 10:
			x.f = 4
		default:
			x.f = 5
		}
		out = append(out, x)
	}
	return out
}

// values are the customers' net revenue in the currency, over those with a counted
// order in it, sorted.
func (o *oracle) values() []int64 {
	var out []int64
	for _, xs := range o.customers() {
		has, net := false, int64(0)
		for _, x := range xs {
			if x.Currency == o.currency {
				has = has || counted(x)
				net += o.net(x)
			}
		}
		if has {
			out = append(out, net)
		}
	}
	slices.Sort(out)
	return out
}

// weeks are the whole weeks ending at asOf from the first counted visible order's day.
func (o *oracle) weeks() []SalesWeek {
	var first time.Time
	for _, x := range o.orders {
		if o.visible(x) && counted(x) && (first.IsZero() || x.PlacedAt.Before(first)) {
			first = x.PlacedAt
		}
	}
	y, m, d := first.Date()
	firstDay := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	n := 0
	for !o.asOf.AddDate(0, 0, -7*(n+1)).Before(firstDay) {
		n++
	}
	out := make([]SalesWeek, n)
	for i := range out {
		s := o.asOf.AddDate(0, 0, -7*(n-i))
		out[i].Start = s
		for _, x := range o.orders {
			if o.visible(x) && in(x.PlacedAt, s, s.AddDate(0, 0, 7)) {
				if counted(x) {
					out[i].Orders++
				}
				out[i].RevenueMinor += o.net(x)
				if !counted(x) && o.net(x) < 0 { // a credit note: returned
					out[i].ReturnedMinor -= o.net(x)
				}
			}
		}
	}
	return out
}
