package commerce

import (
	"context"
	"errors"
)

// Reader is what the Customer 360 reads need from the database: ranking, metrics with
// and without ledgers, and order pages.
type Reader interface {
	RankStore
	OrderPageReader
	// MetricsSummaries reads metrics without ledgers; missing ids are left out.
	MetricsSummaries(ctx context.Context, ids []string) ([]Metrics, error)
}

// Customer360 serves the reads behind the Customer 360 view and the customer lists in
// value order: metrics with churn risk computed now, order pages, and rankings
// restricted by a text search and a country.
type Customer360 struct {
	// Service gives the clock and the churn model's prior.
	Service *Service
	Store   Reader
	// Search and WithAttribute restrict a ranking (the customer domain serves them).
	Search        ProfileSearch
	WithAttribute AttributeLookup
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
}

// Rank pages through customers with commerce data in a value order (Service.Rank),
// restricted to the candidates of the query and country (RankCandidates).
func (c *Customer360) Rank(ctx context.Context, q RankRequest) (RankPage, error) {
	if c.Search == nil || c.WithAttribute == nil {
		return RankPage{}, errors.New("commerce: Customer360 needs Search and WithAttribute")
	}
	f := q.Filter
	var err error
	if f.ProfileIDs, f.Restrict, err = RankCandidates(ctx, c.Search, c.WithAttribute, q.Query, q.Country); err != nil {
		return RankPage{}, err
	}
	return c.Service.Rank(ctx, c.Store, q.Order, f, q.After, q.Limit)
}

// Metrics returns the metrics (without ledgers) of each profile, in the order of ids,
// with the churn risk computed now; a profile without orders or interactions gets
// empty metrics.
func (c *Customer360) Metrics(ctx context.Context, ids []string) ([]Metrics, error) {
	ms, err := c.Store.MetricsSummaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	have := make(map[string]Metrics, len(ms))
	for _, m := range ms {
		have[m.ProfileID] = m
	}
	now := c.Service.Now()
	out := make([]Metrics, len(ids))
	for i, id := range ids {
		m, ok := have[id]
		if !ok {
			m = Metrics{ProfileID: id} // no orders or interactions yet
		}
		m.Churn = ChurnRisk(&m, now, c.Service.PriorIntervalDays)
		out[i] = m
	}
	return out, nil
}

// OrderPages answers a batch of order page requests (see OrderPages).
func (c *Customer360) OrderPages(ctx context.Context, reqs []OrdersRequest) ([]OrdersPage, []error) {
	return OrderPages(ctx, c.Store, reqs)
}
