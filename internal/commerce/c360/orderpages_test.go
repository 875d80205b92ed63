package c360_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// fakeOrders serves orders and ledgers from memory and counts the reads.
type fakeOrders struct {
	orders      map[string]commerce.Order
	getCalls    int
	metricCalls int
	bucketCalls int
	fail        error
}

func (f *fakeOrders) profileOrders(pid string) []commerce.Order {
	var out []commerce.Order
	for _, o := range f.orders {
		if o.ProfileID == pid {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b commerce.Order) int {
		if c := b.PlacedAt.Compare(a.PlacedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out
}

func (f *fakeOrders) GetMetrics(_ context.Context, ids []string) ([]ledger.Metrics, error) {
	f.metricCalls++
	if f.fail != nil {
		return nil, f.fail
	}
	var out []ledger.Metrics
	for _, id := range ids {
		m := ledger.Metrics{ProfileID: id}
		var bs []ledger.Bucket
		for _, b := range f.buckets(id) {
			bs = append(bs, b)
		}
		m.Apply(bs)
		out = append(out, m)
	}
	return out, nil
}

// buckets are a profile's ledger buckets, by period.
func (f *fakeOrders) buckets(pid string) map[string]ledger.Bucket {
	out := map[string]ledger.Bucket{}
	for _, o := range f.profileOrders(pid) {
		k := ledger.OrderBucket(pid, o.PlacedAt)
		b, ok := out[k.Period]
		if !ok {
			b = ledger.Bucket{BucketKey: k, Rev: 1, Orders: map[string]ledger.Entry{}}
		}
		b.Orders[o.ID] = commerce.EntryOf(&o)
		out[k.Period] = b
	}
	return out
}

func (f *fakeOrders) GetBuckets(_ context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error) {
	f.bucketCalls++
	var out []ledger.Bucket
	for _, k := range keys {
		if b, ok := f.buckets(k.ProfileID)[k.Period]; ok {
			out = append(out, b)
		}
	}
	return out, nil
}

func (f *fakeOrders) GetOrders(_ context.Context, ids []string) ([]commerce.Order, error) {
	f.getCalls++
	var out []commerce.Order
	for _, id := range ids {
		if o, ok := f.orders[id]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

func ordersFixture() *fakeOrders {
	f := &fakeOrders{orders: map[string]commerce.Order{}}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for p, n := range map[string]int{"p1": 5, "p2": 2, "p3": 0} {
		for i := range n {
			id := fmt.Sprintf("shop:%s-%d", p, i)
			// Orders a year apart from the second on: several ledger buckets.
			f.orders[id] = commerce.Order{ID: id, ProfileID: p, Status: commerce.Paid, Currency: "GBP", TotalMinor: 100,
				PlacedAt: t0.Add(time.Duration(i)*time.Hour).AddDate(max(0, i-1), 0, 0)}
		}
	}
	return f
}

func ids(os []commerce.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

func TestOrderPagesOneRequest(t *testing.T) {
	f := ordersFixture()
	ctx := context.Background()
	pgs, errs := c360.OrderPages(ctx, f, []c360.OrdersRequest{{ProfileID: "p1", First: 2}})
	if errs[0] != nil || !pgs[0].HasNext || !slices.Equal(ids(pgs[0].Orders), []string{"shop:p1-4", "shop:p1-3"}) {
		t.Fatalf("page 1: %v %v %v", ids(pgs[0].Orders), pgs[0].HasNext, errs[0])
	}
	last := pgs[0].Orders[1]
	after := c360.EncodeCursor(c360.Position{At: last.PlacedAt, Kind: c360.ItemOrder, ID: last.ID})
	pgs, errs = c360.OrderPages(ctx, f, []c360.OrdersRequest{{ProfileID: "p1", First: 10, After: after}})
	if errs[0] != nil || pgs[0].HasNext || !slices.Equal(ids(pgs[0].Orders), []string{"shop:p1-2", "shop:p1-1", "shop:p1-0"}) {
		t.Fatalf("page 2: %v %v %v", ids(pgs[0].Orders), pgs[0].HasNext, errs[0])
	}
	// Issue 14: one request reads by id too (metrics, buckets, orders), never by profile.
	if f.metricCalls != 2 || f.getCalls != 2 || f.bucketCalls != 2 {
		t.Errorf("reads: metrics %d buckets %d get %d, want three reads by id per request", f.metricCalls, f.bucketCalls, f.getCalls)
	}
}

func TestOrderPagesBatch(t *testing.T) {
	f := ordersFixture()
	ctx := context.Background()
	o3 := f.orders["shop:p1-3"]
	after := c360.EncodeCursor(c360.Position{At: o3.PlacedAt, Kind: c360.ItemOrder, ID: o3.ID})
	pgs, errs := c360.OrderPages(ctx, f, []c360.OrdersRequest{
		{ProfileID: "p1", First: 2},
		{ProfileID: "p2", First: 2},
		{ProfileID: "p3", First: 2},
		{ProfileID: "p1", First: 2, After: after},
		{ProfileID: "p1", First: 2, After: "not a cursor"},
	})
	want := []struct {
		ids  []string
		next bool
	}{
		{[]string{"shop:p1-4", "shop:p1-3"}, true},
		{[]string{"shop:p2-1", "shop:p2-0"}, false},
		{nil, false},
		{[]string{"shop:p1-2", "shop:p1-1"}, true},
	}
	for i, w := range want {
		if errs[i] != nil || !slices.Equal(ids(pgs[i].Orders), w.ids) || pgs[i].HasNext != w.next {
			t.Errorf("request %d: %v next=%v err=%v, want %v next=%v", i, ids(pgs[i].Orders), pgs[i].HasNext, errs[i], w.ids, w.next)
		}
	}
	if errs[4] == nil {
		t.Error("a bad cursor gave no error")
	}
	// Three round trips for the whole batch: the metrics, the ledger buckets, the orders.
	if f.metricCalls != 1 || f.bucketCalls != 1 || f.getCalls != 1 {
		t.Errorf("reads: metrics %d buckets %d get %d", f.metricCalls, f.bucketCalls, f.getCalls)
	}

	f.fail = errors.New("db down")
	_, errs = c360.OrderPages(ctx, f, []c360.OrdersRequest{{ProfileID: "p1", First: 1}, {ProfileID: "p2", First: 1}})
	for i, err := range errs {
		if !errors.Is(err, f.fail) {
			t.Errorf("errs[%d] = %v, want the read's error for every request", i, err)
		}
	}
}
