package c360

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/reqmemo"
)

// The Customer 360 fields share their reads within a request (reqmemo): the metrics
// field, the order page and the timeline all start from the profile's metrics
// document and ledger buckets, and the timeline's newest orders are the order page's.

// pointReader is what the shared reads go to.
type pointReader interface {
	GetMetrics(ctx context.Context, profileIDs []string) ([]ledger.Metrics, error)
	GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error)
	GetOrders(ctx context.Context, ids []string) ([]commerce.Order, error)
}

func getMetrics(ctx context.Context, st pointReader, ids []string) ([]ledger.Metrics, error) {
	return reqmemo.Read(ctx, "commerce.metrics", ids, st.GetMetrics, func(x ledger.Metrics) string { return x.ProfileID })
}

func getBuckets(ctx context.Context, st pointReader, keys []ledger.BucketKey) ([]ledger.Bucket, error) {
	return reqmemo.Read(ctx, "commerce.buckets", keys, st.GetBuckets, func(b ledger.Bucket) ledger.BucketKey { return b.BucketKey })
}

func getOrders(ctx context.Context, st pointReader, ids []string) ([]commerce.Order, error) {
	return reqmemo.Read(ctx, "commerce.orders", ids, st.GetOrders, func(o commerce.Order) string { return o.ID })
}
