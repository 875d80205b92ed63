package c360

import (
	"context"
	"errors"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// rankPredicted pages through customers by predicted value from the ranking the
// analytics service keeps: the text query restricts it as for the other orders (at most
// MaxSearchMatches matches); the country and the metric filters are applied by the
// service from its order book, so the request reads nothing but the page's profiles.
func (c *Customer360) rankPredicted(ctx context.Context, q RankRequest) (RankPage, error) {
	if c.Predicted == nil {
		return RankPage{}, errors.New("commerce: Customer360 needs Predicted")
	}
	ids, restrict, err := RankCandidates(ctx, c.Search, c.WithAttribute, q.Query, nil)
	if err != nil {
		return RankPage{}, err
	}
	f := q.Filter
	pg, err := c.Predicted(ctx, valuemodel.ValueRankQuery{Days: q.Days, AsOf: q.AsOf, Currency: f.Currency, MinNetMinor: f.MinNetMinor,
		MinOrders: f.MinOrders, Country: q.Country, ProfileIDs: ids, Restrict: restrict, After: q.After, Limit: q.Limit})
	if err != nil {
		return RankPage{}, err
	}
	out := RankPage{Metrics: make([]ledger.Metrics, len(pg.IDs)), Cursors: pg.Cursors, HasNext: pg.HasNext, Total: int64(pg.Total), Predicted: &pg}
	for i, id := range pg.IDs {
		out.Metrics[i].ProfileID = id
	}
	return out, nil
}
