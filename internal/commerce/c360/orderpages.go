package c360

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// OrderPageReader is what paging customers' orders needs from the database.
type OrderPageReader interface {
	// GetMetrics reads metrics documents with their period summaries; missing ids are
	// left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]ledger.Metrics, error)
	GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error)
	GetOrders(ctx context.Context, ids []string) ([]commerce.Order, error)
}

// OrdersRequest asks for one page of a profile's orders: at most First, newest first,
// after the cursor After ("" from the newest).
type OrdersRequest struct {
	ProfileID string
	First     int
	After     string
}

// OrdersPage is one page of a profile's orders.
type OrdersPage struct {
	Orders  []commerce.Order
	HasNext bool
}

// OrderPages answers a batch of order page requests (errs[i] belongs to reqs[i]): it
// takes each page's order ids from the profiles' ledger buckets (the newest periods up
// to the cursor that hold enough orders, known from the metrics' period summaries) and
// reads them by id, so the round trips stay at three whatever the number of customers
// and every read is by _id (point reads where only those avoid a scan).
func OrderPages(ctx context.Context, st OrderPageReader, reqs []OrdersRequest) ([]OrdersPage, []error) {
	out := make([]OrdersPage, len(reqs))
	errs := make([]error, len(reqs))
	froms := make([]*Position, len(reqs))
	for i, k := range reqs {
		froms[i], errs[i] = DecodeCursor(k.After)
	}
	var pids []string
	for _, k := range reqs {
		pids = append(pids, k.ProfileID)
	}
	ms, err := getMetrics(ctx, st, pids)
	if err != nil {
		return out, fillErrs(errs, err)
	}
	periods := map[string]map[string]ledger.Period{}
	for _, m := range ms {
		periods[m.ProfileID] = m.Periods
	}
	var need []ledger.BucketKey
	for i, k := range reqs {
		if errs[i] != nil {
			continue
		}
		// Newest order bucket first; one after the cursor's holds nothing of the page.
		n := 0
		var ps []string
		for _, p := range slices.Sorted(maps.Keys(periods[k.ProfileID])) {
			if strings.HasPrefix(p, ledger.OrderPrefix) {
				ps = append(ps, p)
			}
		}
		for j := len(ps) - 1; j >= 0 && n <= k.First; j-- {
			if froms[i] != nil && ps[j] > ledger.OrderPeriod(froms[i].At) {
				continue
			}
			need = append(need, ledger.BucketKey{ProfileID: k.ProfileID, Period: ps[j]})
			if froms[i] == nil || ps[j] < ledger.OrderPeriod(froms[i].At) {
				n += periods[k.ProfileID][ps[j]].Entries()
			}
		}
	}
	bs, err := getBuckets(ctx, st, uniqKeys(need))
	if err != nil {
		return out, fillErrs(errs, err)
	}
	ledgers := map[string]map[string]ledger.Entry{}
	for _, b := range bs {
		if ledgers[b.ProfileID] == nil {
			ledgers[b.ProfileID] = map[string]ledger.Entry{}
		}
		for id, e := range b.Orders {
			ledgers[b.ProfileID][id] = e
		}
	}
	wanted := make([][]string, len(reqs))
	hasNext := make([]bool, len(reqs))
	var all []string
	for i, k := range reqs {
		if errs[i] != nil {
			continue
		}
		var items []TimelineItem
		for id, e := range ledgers[k.ProfileID] {
			it := TimelineItem{Kind: ItemOrder, ID: id, At: e.At}
			if froms[i].Includes(it) {
				items = append(items, it)
			}
		}
		slices.SortFunc(items, newestFirst)
		// The ledger tells whether a next page exists: the page's orders are all we read.
		hasNext[i] = len(items) > k.First
		for _, it := range items[:min(len(items), k.First)] {
			wanted[i] = append(wanted[i], it.ID)
		}
		all = append(all, wanted[i]...)
	}
	os, err := getOrders(ctx, st, all)
	if err != nil {
		return out, fillErrs(errs, err)
	}
	byID := map[string]commerce.Order{}
	for _, o := range os {
		byID[o.ID] = o
	}
	for i, ids := range wanted {
		var page []commerce.Order
		for _, id := range ids {
			if o, ok := byID[id]; ok {
				page = append(page, o)
			}
		}
		out[i] = OrdersPage{Orders: page, HasNext: hasNext[i]}
	}
	return out, errs
}

// fillErrs sets every entry of errs to err.
func fillErrs(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func uniqKeys(ks []ledger.BucketKey) []ledger.BucketKey {
	seen := map[ledger.BucketKey]bool{}
	var out []ledger.BucketKey
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
