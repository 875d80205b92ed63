package campaign

import (
	"math"
	"time"
)

// Report is a campaign's outcome so far.
type Report struct {
	Campaign Campaign
	// Planned recipients; Pending ones have no ledger entry yet.
	Planned, Pending               int
	HeldOut, Suppressed            int
	SuppressedBy                   map[string]int
	Sent, Failed, Unconfirmed      int
	Bounced, Complained, Delivered int
	Opened, Clicked, Unsubscribed  int
	// The attribution window: orders placed in [From, To] count.
	From, To         time.Time
	Treated, Holdout Group
	// Uplift compares the groups' conversion rates (nil until both have customers).
	Uplift *Uplift
}

// Group is the treated or the holdout customers and their orders in the window.
type Group struct {
	Customers int
	Converted int
	Rate      float64
	// Revenue is the net of their counted orders in the window, per currency, in
	// minor units.
	Revenue map[string]int64
}

// Uplift is the difference of conversion rates (treated minus holdout), with a 95%
// confidence interval (normal approximation, unpooled standard error) and the
// two-sided p-value of the two-proportion z-test (pooled standard error).
type Uplift struct {
	Difference, Low, High float64
	// Relative is Difference over the holdout's rate (nil when that rate is 0).
	Relative  *float64
	Z, PValue float64
}

// Significant reports a difference significant at the 5% level (two-sided).
func (u Uplift) Significant() bool { return u.PValue < 0.05 }

// z975 is the 97.5th percentile of the standard normal distribution.
const z975 = 1.959963984540054

// TwoProportions compares x1 of n1 (treated) with x0 of n0 (holdout); n1, n0 > 0.
func TwoProportions(x1, n1, x0, n0 int) Uplift {
	p1, p0 := float64(x1)/float64(n1), float64(x0)/float64(n0)
	d := p1 - p0
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p0*(1-p0)/float64(n0))
	u := Uplift{Difference: d, Low: d - z975*se, High: d + z975*se, PValue: 1}
	if p0 > 0 {
		r := d / p0
		u.Relative = &r
	}
	p := float64(x1+x0) / float64(n1+n0)
	if sp := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n0))); sp > 0 {
		u.Z = d / sp
		u.PValue = math.Erfc(math.Abs(u.Z) / math.Sqrt2)
	}
	return u
}
