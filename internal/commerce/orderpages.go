package commerce

import (
	"context"
	"slices"
	"strings"
)

// OrderPageReader is what paging customers' orders needs from the database.
type OrderPageReader interface {
	// OrderPage returns one profile's orders newest first (see Store.OrderPage).
	OrderPage(ctx context.Context, profileID string, q PageQuery) ([]Order, error)
	// GetMetrics reads metrics documents with their period summaries; missing ids are
	// left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]Metrics, error)
	GetBuckets(ctx context.Context, keys []BucketKey) ([]Bucket, error)
	GetOrders(ctx context.Context, ids []string) ([]Order, error)
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
	Orders  []Order
	HasNext bool
}

// OrderPages answers a batch of order page requests (errs[i] belongs to reqs[i]). One
// request is one indexed query; several (a list of customers) take each page's order
// ids from the profiles' ledger buckets (the newest periods up to the cursor that hold
// enough orders, known from the metrics' period summaries) and read them by id, so the
// round trips stay at three whatever the number of customers.
func OrderPages(ctx context.Context, st OrderPageReader, reqs []OrdersRequest) ([]OrdersPage, []error) {
	out := make([]OrdersPage, len(reqs))
	errs := make([]error, len(reqs))
	froms := make([]*Position, len(reqs))
	for i, k := range reqs {
		froms[i], errs[i] = DecodeCursor(k.After)
	}
	if len(reqs) == 1 {
		if errs[0] == nil {
			os, err := st.OrderPage(ctx, reqs[0].ProfileID, froms[0].PageFor(ItemOrder, reqs[0].First+1))
			out[0], errs[0] = pageOf(os, reqs[0].First), err
		}
		return out, errs
	}
	var pids []string
	for _, k := range reqs {
		pids = append(pids, k.ProfileID)
	}
	ms, err := st.GetMetrics(ctx, pids)
	if err != nil {
		return out, fillErrs(errs, err)
	}
	periods := map[string]map[string]Period{}
	for _, m := range ms {
		periods[m.ProfileID] = m.Periods
	}
	var need []BucketKey
	for i, k := range reqs {
		if errs[i] != nil {
			continue
		}
		// Newest order bucket first; one after the cursor's holds nothing of the page.
		n := 0
		var ps []string
		for _, p := range keys(periods[k.ProfileID]) {
			if strings.HasPrefix(p, orderPeriod) {
				ps = append(ps, p)
			}
		}
		for j := len(ps) - 1; j >= 0 && n <= k.First; j-- {
			if froms[i] != nil && ps[j] > OrderPeriod(froms[i].At) {
				continue
			}
			need = append(need, BucketKey{ProfileID: k.ProfileID, Period: ps[j]})
			if froms[i] == nil || ps[j] < OrderPeriod(froms[i].At) {
				n += periods[k.ProfileID][ps[j]].Entries()
			}
		}
	}
	bs, err := st.GetBuckets(ctx, uniqKeys(need))
	if err != nil {
		return out, fillErrs(errs, err)
	}
	ledgers := map[string]map[string]Entry{}
	for _, b := range bs {
		if ledgers[b.ProfileID] == nil {
			ledgers[b.ProfileID] = map[string]Entry{}
		}
		for id, e := range b.Orders {
			ledgers[b.ProfileID][id] = e
		}
	}
	wanted := make([][]string, len(reqs))
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
		slices.SortFunc(items, func(a, b TimelineItem) int {
			if c := b.At.Compare(a.At); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		for _, it := range items[:min(len(items), k.First+1)] {
			wanted[i] = append(wanted[i], it.ID)
		}
		all = append(all, wanted[i]...)
	}
	os, err := st.GetOrders(ctx, all)
	if err != nil {
		return out, fillErrs(errs, err)
	}
	byID := map[string]Order{}
	for _, o := range os {
		byID[o.ID] = o
	}
	for i, ids := range wanted {
		var page []Order
		for _, id := range ids {
			if o, ok := byID[id]; ok {
				page = append(page, o)
			}
		}
		out[i] = pageOf(page, reqs[i].First)
	}
	return out, errs
}

func pageOf(os []Order, first int) OrdersPage {
	if len(os) > first {
		return OrdersPage{Orders: os[:first], HasNext: true}
	}
	return OrdersPage{Orders: os}
}

// fillErrs sets every entry of errs to err.
func fillErrs(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func uniqKeys(ks []BucketKey) []BucketKey {
	seen := map[BucketKey]bool{}
	var out []BucketKey
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
