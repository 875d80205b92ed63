package commercestore

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Ranked reads of value metrics for the customer list and the 360 view.

var _ c360.RankStore = (*Store)(nil)

func rankFilter(f c360.RankFilter) bson.M {
	q := bson.M{}
	if f.Restrict {
		q["_id"] = bson.M{"$in": f.ProfileIDs}
	}
	if f.MinNetMinor != nil {
		q["netMinor"] = bson.M{"$gte": *f.MinNetMinor}
	}
	if f.MinOrders > 0 {
		q["orders"] = bson.M{"$gte": f.MinOrders}
	}
	if f.Currency != "" {
		q["currency"] = f.Currency
	}
	return q
}

// RankMetrics pages metrics (without period summaries) in descending order of the rank key,
// then profile id, after a keyset position.
func (s *Store) RankMetrics(ctx context.Context, q c360.RankQuery) ([]ledger.Metrics, error) {
	f := rankFilter(q.Filter)
	field := ""
	switch q.Order {
	case c360.RankRevenue:
		field = "netMinor"
	case c360.RankLastOrder:
		field = "lastOrderAt"
	}
	sort := bson.D{{Key: "_id", Value: -1}}
	if field != "" {
		sort = bson.D{{Key: field, Value: -1}, {Key: "_id", Value: -1}}
	}
	if a := q.After; a != nil {
		var v any = a.Value
		if q.Order == c360.RankLastOrder {
			v = time.UnixMilli(a.Value).UTC()
			if a.Value == 0 {
				v = time.Time{}
			}
		}
		if field == "" {
			f = bson.M{"$and": bson.A{f, bson.M{"_id": bson.M{"$lt": a.ID}}}}
		} else {
			f = bson.M{"$and": bson.A{f, bson.M{"$or": bson.A{
				bson.M{field: bson.M{"$lt": v}},
				bson.M{field: v, "_id": bson.M{"$lt": a.ID}},
			}}}}
		}
	}
	o := options.Find().SetSort(sort).SetProjection(heavyFields)
	if q.Limit > 0 {
		o.SetLimit(int64(q.Limit))
	}
	docs, err := dbkit.FindAll[metricsDoc](ctx, s.metrics(), f, o)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

func (s *Store) CountRanked(ctx context.Context, f c360.RankFilter) (int64, error) {
	return s.metrics().CountDocuments(ctx, rankFilter(f))
}
