// Package c360 serves the Customer 360 reads built on the commerce ledger: a profile's
// timeline (orders, interactions and extension sources such as help-desk tickets), its
// order pages, its metrics with the churn risk as of now, and the customer lists in value
// order. They read by _id the metrics documents, ledger buckets, orders and interactions
// that package commerce writes, and the fields of one request share those reads (memo.go).
package c360

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Reader is what the Customer 360 reads need from the database: ranking, metrics and
// order pages.
type Reader interface {
	RankStore
	OrderPageReader
}

// Customer360 serves the reads behind the Customer 360 view and the customer lists in
// value order: metrics with churn risk computed now, order pages, the timeline, and
// rankings restricted by a text search and a country.
type Customer360 struct {
	// Service gives the clock, the churn model's prior and, through its Store, the
	// timeline's orders and interactions.
	Service *commerce.Service
	Store   Reader
	// TimelineSources are further timeline kinds (support tickets...) merged into Timeline.
	TimelineSources []TimelineSource
	// Search and WithAttribute restrict a ranking (the customer domain serves them).
	Search        ProfileSearch
	WithAttribute AttributeLookup
	// Profiles reads the profiles of a ranking's page (the customer domain's).
	Profiles func(ctx context.Context, ids []string) ([]profile.Profile, error)
	// Predicted serves the RankPredicted order (analytics.Service.RankPredicted).
	Predicted func(ctx context.Context, q valuemodel.ValueRankQuery) (valuemodel.ValueRankPage, error)
}

// RankRequest asks for one page of customers with commerce data in a value order,
// restricted by Filter, by the profiles matching Query ("" any) and by Country (nil any).
type RankRequest struct {
	Order   RankOrder
	Filter  RankFilter
	Query   string
	Country *string
	After   string
	Limit   int
	// Days and AsOf are the horizon and as-of date of RankPredicted (zero: defaults).
	Days int
	AsOf time.Time
}

// Rank pages through customers with commerce data in a value order (rank), restricted
// to the candidates of the query and country (RankCandidates).
func (c *Customer360) Rank(ctx context.Context, q RankRequest) (RankPage, error) {
	if c.Search == nil || c.WithAttribute == nil {
		return RankPage{}, errors.New("commerce: Customer360 needs Search and WithAttribute")
	}
	if q.Order == RankPredicted {
		return c.rankPredicted(ctx, q)
	}
	f := q.Filter
	var err error
	if f.ProfileIDs, f.Restrict, err = RankCandidates(ctx, c.Search, c.WithAttribute, q.Query, q.Country); err != nil {
		return RankPage{}, err
	}
	return rank(ctx, c.Service, c.Store, q.Order, f, q.After, q.Limit)
}

// RankedCustomers is Rank with the page's profiles; a profile absorbed by a merge (not
// followed by commerce yet) is left out of Profiles, and the caller leaves it out.
func (c *Customer360) RankedCustomers(ctx context.Context, q RankRequest) (RankPage, []profile.Profile, error) {
	pg, err := c.Rank(ctx, q)
	if err != nil {
		return RankPage{}, nil, err
	}
	ids := make([]string, len(pg.Metrics))
	for i, m := range pg.Metrics {
		ids[i] = m.ProfileID
	}
	ps, err := c.Profiles(ctx, ids)
	if err != nil {
		return RankPage{}, nil, err
	}
	return pg, slices.DeleteFunc(ps, func(p profile.Profile) bool { return p.MergedInto != "" }), nil
}

// Metrics returns the metrics (without ledgers) of each profile, in the order of ids,
// with the churn risk computed now; a profile without orders or interactions gets
// empty metrics.
func (c *Customer360) Metrics(ctx context.Context, ids []string) ([]ledger.Metrics, error) {
	ms, err := getMetrics(ctx, c.Store, ids) // the order page and timeline read the same documents
	if err != nil {
		return nil, err
	}
	have := make(map[string]ledger.Metrics, len(ms))
	for _, m := range ms {
		have[m.ProfileID] = m
	}
	now := c.Service.MetricsAsOf()
	out := make([]ledger.Metrics, len(ids))
	for i, id := range ids {
		m, ok := have[id]
		if !ok {
			m = ledger.Metrics{ProfileID: id} // no orders or interactions yet
		}
		m.Churn = ledger.ChurnRisk(&m, now, c.Service.PriorIntervalDays)
		out[i] = m
	}
	return out, nil
}

// OrderPages answers a batch of order page requests (see OrderPages).
func (c *Customer360) OrderPages(ctx context.Context, reqs []OrdersRequest) ([]OrdersPage, []error) {
	return OrderPages(ctx, c.Store, reqs)
}
