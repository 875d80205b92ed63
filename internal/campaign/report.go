package campaign

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
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

// Report computes a campaign's report from its plan, its ledger entries and the order
// ledgers of its recipients: reads by _id bounded by the campaign's size (chunks, one
// entry per recipient, the merge redirects of the recipients, and per customer the
// order buckets of the window's years), whatever the size of the database.
func (s *Service) Report(ctx context.Context, id string) (Report, error) {
	c, err := s.Store.GetCampaign(ctx, id)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Campaign: c, Planned: c.Planned, SuppressedBy: map[string]int{},
		Treated: Group{Revenue: map[string]int64{}}, Holdout: Group{Revenue: map[string]int64{}}}
	if c.PlannedAt.IsZero() {
		return rep, nil
	}
	ns := make([]int, c.Chunks)
	for i := range ns {
		ns[i] = i
	}
	chunks, err := s.Store.GetChunks(ctx, id, ns)
	if err != nil {
		return Report{}, err
	}
	var keys []string
	planned := map[string]bool{} // entry keys of recipients
	for _, ch := range chunks {
		for _, pid := range append(slices.Clone(ch.Treated), ch.Holdout...) {
			if m := ch.Moved[pid]; m != "" {
				pid = m
			}
			k := EntryID(id, pid)
			if !planned[k] {
				planned[k] = true
				keys = append(keys, k)
			}
		}
	}
	es, err := s.Store.GetEntries(ctx, keys)
	if err != nil {
		return Report{}, err
	}
	found := 0
	var units []string
	treatedOf := map[string]bool{}
	for _, e := range es {
		if planned[e.ID] {
			found++
		}
		switch e.State {
		case HeldOut:
			rep.HeldOut++
		case Suppressed:
			rep.Suppressed++
			rep.SuppressedBy[e.Reason]++
			continue
		case Delivered:
			rep.Sent++
		case Failed:
			rep.Failed++
		case Claimed, Unconfirmed:
			rep.Unconfirmed++
		}
		if e.State == Delivered && e.BouncedAt.IsZero() {
			rep.Delivered++
		}
		for _, x := range []struct {
			at time.Time
			n  *int
		}{{e.BouncedAt, &rep.Bounced}, {e.ComplainedAt, &rep.Complained}, {e.OpenedAt, &rep.Opened}, {e.ClickedAt, &rep.Clicked}, {e.UnsubscribedAt, &rep.Unsubscribed}} {
			if !x.at.IsZero() {
				*x.n++
			}
		}
		units = append(units, e.ProfileID)
		if e.State.Treated() {
			treatedOf[e.ProfileID] = true
		}
	}
	rep.Pending = len(keys) - found // recipients merged into another share its entry
	rep.From = c.StartedAt
	rep.To = c.StartedAt.Add(time.Duration(c.AttributionDays) * 24 * time.Hour)
	// Customers as they are now: a merge since the send makes two recipients one
	// customer (treated if either was), whose orders count once.
	live, err := s.Profiles.Final(ctx, units)
	if err != nil {
		return Report{}, err
	}
	group := map[string]bool{} // live profile -> treated
	for _, u := range units {
		if l := live[u]; l != "" {
			group[l] = group[l] || treatedOf[u]
		}
	}
	var bkeys []ledger.BucketKey
	for l := range group {
		bkeys = append(bkeys, ledger.OrderBucket(l, rep.From))
		if ledger.OrderPeriod(rep.To) != ledger.OrderPeriod(rep.From) {
			bkeys = append(bkeys, ledger.OrderBucket(l, rep.To))
		}
	}
	bs, err := s.Commerce.GetBuckets(ctx, bkeys)
	if err != nil {
		return Report{}, err
	}
	converted := map[string]bool{}
	for _, b := range bs {
		g := &rep.Holdout
		if group[b.ProfileID] {
			g = &rep.Treated
		}
		for _, o := range b.Orders {
			if o.Kind != ledger.KindOrder || o.At.Before(rep.From) || o.At.After(rep.To) {
				continue
			}
			converted[b.ProfileID] = true
			g.Revenue[o.Currency] += o.NetMinor
		}
	}
	for l, treated := range group {
		g := &rep.Holdout
		if treated {
			g = &rep.Treated
		}
		g.Customers++
		if converted[l] {
			g.Converted++
		}
	}
	for _, g := range []*Group{&rep.Treated, &rep.Holdout} {
		if g.Customers > 0 {
			g.Rate = float64(g.Converted) / float64(g.Customers)
		}
	}
	if rep.Treated.Customers > 0 && rep.Holdout.Customers > 0 {
		u := TwoProportions(rep.Treated.Converted, rep.Treated.Customers, rep.Holdout.Converted, rep.Holdout.Customers)
		rep.Uplift = &u
	}
	return rep, nil
}
