package commerce

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/reqmemo"
)

// The Customer 360 fields share their reads within a request (reqmemo): the metrics
// field, the order page and the timeline all start from the profile's metrics
// document and ledger buckets, and the timeline's newest orders are the order page's.

// pointReader is what the shared reads go to.
type pointReader interface {
	GetMetrics(ctx context.Context, profileIDs []string) ([]Metrics, error)
	GetBuckets(ctx context.Context, keys []BucketKey) ([]Bucket, error)
	GetOrders(ctx context.Context, ids []string) ([]Order, error)
}

func getMetrics(ctx context.Context, st pointReader, ids []string) ([]Metrics, error) {
	return reqmemo.Read(ctx, "commerce.metrics", ids, st.GetMetrics, func(x Metrics) string { return x.ProfileID })
}

func getBuckets(ctx context.Context, st pointReader, keys []BucketKey) ([]Bucket, error) {
	return reqmemo.Read(ctx, "commerce.buckets", keys, st.GetBuckets, func(b Bucket) BucketKey { return b.BucketKey })
}

func getOrders(ctx context.Context, st pointReader, ids []string) ([]Order, error) {
	return reqmemo.Read(ctx, "commerce.orders", ids, st.GetOrders, func(o Order) string { return o.ID })
}
