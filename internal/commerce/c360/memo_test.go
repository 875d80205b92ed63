package c360_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/reqmemo"
)

// TestMemoReadsEachDocumentOnce: within one request (commerce.WithMemo), the metrics,
// ledger buckets and orders that several fields need are read once, also when the
// fields resolve concurrently; a failed read is not remembered.
func TestMemoReadsEachDocumentOnce(t *testing.T) {
	f := ordersFixture()
	ctx := reqmemo.With(context.Background())
	var wg sync.WaitGroup
	pages := make([]c360.OrdersPage, 4)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pgs, errs := c360.OrderPages(ctx, f, []c360.OrdersRequest{{ProfileID: "p1", First: 2}})
			if errs[0] != nil {
				t.Error(errs[0])
			}
			pages[i] = pgs[0]
		}()
	}
	wg.Wait()
	for _, p := range pages {
		if !slices.Equal(ids(p.Orders), []string{"shop:p1-4", "shop:p1-3"}) || !p.HasNext {
			t.Fatalf("page %v %v", ids(p.Orders), p.HasNext)
		}
	}
	if f.metricCalls != 1 || f.bucketCalls != 1 || f.getCalls != 1 {
		t.Errorf("reads: metrics %d buckets %d orders %d, want one each", f.metricCalls, f.bucketCalls, f.getCalls)
	}
	// Without a memo every call reads.
	c360.OrderPages(context.Background(), f, []c360.OrdersRequest{{ProfileID: "p1", First: 2}})
	if f.metricCalls != 2 {
		t.Errorf("metrics reads without a memo: %d", f.metricCalls)
	}

	g := ordersFixture()
	g.fail = errors.New("db down")
	ctx = reqmemo.With(context.Background())
	if _, errs := c360.OrderPages(ctx, g, []c360.OrdersRequest{{ProfileID: "p2", First: 1}}); !errors.Is(errs[0], g.fail) {
		t.Fatalf("err %v", errs[0])
	}
	g.fail = nil
	if pgs, errs := c360.OrderPages(ctx, g, []c360.OrdersRequest{{ProfileID: "p2", First: 1}}); errs[0] != nil || len(pgs[0].Orders) != 1 {
		t.Fatalf("after a failed read: %v %v", pgs, errs[0])
	}
}
