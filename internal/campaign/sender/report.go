package sender

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/campaign"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// Report computes a campaign's report from its plan, its ledger entries and the order
// ledgers of its recipients: reads by _id bounded by the campaign's size (chunks, one
// entry per recipient, the merge redirects of the recipients, and per customer the
// order buckets of the window's years), whatever the size of the database.
func (s *Service) Report(ctx context.Context, id string) (campaign.Report, error) {
	c, err := s.Store.GetCampaign(ctx, id)
	if err != nil {
		return campaign.Report{}, err
	}
	rep := campaign.Report{Campaign: c, Planned: c.Planned, SuppressedBy: map[string]int{},
		Treated: campaign.Group{Revenue: map[string]int64{}}, Holdout: campaign.Group{Revenue: map[string]int64{}}}
	if c.PlannedAt.IsZero() {
		return rep, nil
	}
	ns := make([]int, c.Chunks)
	for i := range ns {
		ns[i] = i
	}
	chunks, err := s.Store.GetChunks(ctx, id, ns)
	if err != nil {
		return campaign.Report{}, err
	}
	var keys []string
	planned := map[string]bool{} // entry keys of recipients
	for _, ch := range chunks {
		for _, pid := range append(slices.Clone(ch.Treated), ch.Holdout...) {
			if m := ch.Moved[pid]; m != "" {
				pid = m
			}
			k := campaign.EntryID(id, pid)
			if !planned[k] {
				planned[k] = true
				keys = append(keys, k)
			}
		}
	}
	es, err := s.Store.GetEntries(ctx, keys)
	if err != nil {
		return campaign.Report{}, err
	}
	found := 0
	var units []string
	treatedOf := map[string]bool{}
	for _, e := range es {
		if planned[e.ID] {
			found++
		}
		switch e.State {
		case campaign.HeldOut:
			rep.HeldOut++
		case campaign.Suppressed:
			rep.Suppressed++
			rep.SuppressedBy[e.Reason]++
			continue
		case campaign.Delivered:
			rep.Sent++
		case campaign.Failed:
			rep.Failed++
		case campaign.Claimed, campaign.Unconfirmed:
			rep.Unconfirmed++
		}
		if e.State == campaign.Delivered && e.BouncedAt.IsZero() {
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
		return campaign.Report{}, err
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
		return campaign.Report{}, err
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
	for _, g := range []*campaign.Group{&rep.Treated, &rep.Holdout} {
		if g.Customers > 0 {
			g.Rate = float64(g.Converted) / float64(g.Customers)
		}
	}
	if rep.Treated.Customers > 0 && rep.Holdout.Customers > 0 {
		u := campaign.TwoProportions(rep.Treated.Converted, rep.Treated.Customers, rep.Holdout.Converted, rep.Holdout.Customers)
		rep.Uplift = &u
	}
	return rep, nil
}
