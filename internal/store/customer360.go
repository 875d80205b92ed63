package store

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Reads and writes of the Customer 360 view that span profiles and commerce data.

var _ commerce.RankStore = (*Store)(nil)

// MetricsSummaries reads metrics documents without their ledgers: the 360 view needs
// the aggregates only, and a ledger grows with the customer's orders.
func (s *Store) MetricsSummaries(ctx context.Context, ids []string) ([]commerce.Metrics, error) {
	var out []commerce.Metrics
	for start := 0; start < len(ids); start += 2000 {
		docs, err := dbkit.FindAll[metricsDoc](ctx, s.metrics(), bson.M{"_id": bson.M{"$in": ids[start:min(start+2000, len(ids))]}},
			options.Find().SetProjection(bson.M{"ledger": 0}))
		if err != nil {
			return nil, err
		}
		for i := range docs {
			out = append(out, docs[i].domain())
		}
	}
	return out, nil
}

func rankFilter(f commerce.RankFilter) bson.M {
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

// RankMetrics pages metrics (without ledgers) in descending order of the rank key,
// then profile id, after a keyset position.
func (s *Store) RankMetrics(ctx context.Context, q commerce.RankQuery) ([]commerce.Metrics, error) {
	f := rankFilter(q.Filter)
	field := ""
	switch q.Order {
	case commerce.RankRevenue:
		field = "netMinor"
	case commerce.RankLastOrder:
		field = "lastOrderAt"
	}
	sort := bson.D{{Key: "_id", Value: -1}}
	if field != "" {
		sort = bson.D{{Key: field, Value: -1}, {Key: "_id", Value: -1}}
	}
	if a := q.After; a != nil {
		var v any = a.Value
		if q.Order == commerce.RankLastOrder {
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
	o := options.Find().SetSort(sort).SetProjection(bson.M{"ledger": 0})
	if q.Limit > 0 {
		o.SetLimit(int64(q.Limit))
	}
	docs, err := dbkit.FindAll[metricsDoc](ctx, s.metrics(), f, o)
	if err != nil {
		return nil, err
	}
	out := make([]commerce.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

func (s *Store) CountRanked(ctx context.Context, f commerce.RankFilter) (int64, error) {
	return s.metrics().CountDocuments(ctx, rankFilter(f))
}

// ProfileIDsWithAttribute lists live profiles whose custom attribute key equals value,
// at most limit.
func (s *Store) ProfileIDsWithAttribute(ctx context.Context, key, value string, limit int) ([]string, error) {
	type idDoc struct {
		ID string `bson:"_id"`
	}
	docs, err := dbkit.FindAll[idDoc](ctx, s.profiles, bson.M{"traits.attributes." + key: value, "mergedInto": bson.M{"$exists": false}},
		options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// Erased counts what EraseProfiles removed.
type Erased struct {
	ProfileIDs       []string
	SourceRecords    int64
	Identities       int64
	Interactions     int64
	OrdersAnonymised int64
}

// ErasureScope lists a live profile and every profile merged into it (directly or
// through a chain): what an erasure of the profile deletes.
func (s *Store) ErasureScope(ctx context.Context, id string) ([]string, error) {
	ids := []string{id}
	for frontier := ids; len(frontier) > 0; {
		absorbed, err := dbkit.FindAll[profile.Profile](ctx, s.profiles, bson.M{"mergedInto": bson.M{"$in": frontier}},
			options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			return nil, err
		}
		frontier = nil
		for _, p := range absorbed {
			if !slices.Contains(ids, p.ID) {
				ids = append(ids, p.ID)
				frontier = append(frontier, p.ID)
			}
		}
	}
	return ids, nil
}

// EraseProfiles deletes profiles (an ErasureScope) with their source records,
// identities, interactions and metrics. Orders are kept as guest orders without any
// link to the person, so the shop's revenue figures stay whole. Each step is
// idempotent: a failed erasure is finished by running it again.
func (s *Store) EraseProfiles(ctx context.Context, ids []string) (Erased, error) {
	e := Erased{ProfileIDs: ids}
	in := bson.M{"profileId": bson.M{"$in": ids}}
	// Record ids can carry personal data (a source keyed by e-mail address): orders and
	// interactions that name one of the person's records lose that link too.
	recs, err := dbkit.FindAll[profile.Record](ctx, s.records, in, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return e, err
	}
	recIDs := make([]string, len(recs))
	for i, r := range recs {
		recIDs[i] = r.ID
	}
	anon := bson.M{"$set": bson.M{"profileId": ""}, "$unset": bson.M{"customerRecordId": ""}}
	r, err := s.orders().UpdateMany(ctx, in, anon)
	if err != nil {
		return e, err
	}
	e.OrdersAnonymised = r.ModifiedCount
	if len(recIDs) > 0 {
		if r, err = s.orders().UpdateMany(ctx, bson.M{"customerRecordId": bson.M{"$in": recIDs}}, anon); err != nil {
			return e, err
		}
		e.OrdersAnonymised += r.ModifiedCount
		d, err := s.interactions().DeleteMany(ctx, bson.M{"recordId": bson.M{"$in": recIDs}})
		if err != nil {
			return e, err
		}
		e.Interactions += d.DeletedCount
	}
	for _, step := range []struct {
		n *int64
		c func() (int64, error)
	}{
		{&e.Interactions, func() (int64, error) { d, err := s.interactions().DeleteMany(ctx, in); return count(d, err) }},
		{&e.Identities, func() (int64, error) { d, err := s.identities.DeleteMany(ctx, in); return count(d, err) }},
		{&e.SourceRecords, func() (int64, error) { d, err := s.records.DeleteMany(ctx, in); return count(d, err) }},
	} {
		n, err := step.c()
		if err != nil {
			return e, err
		}
		*step.n += n
	}
	if _, err := s.metrics().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}}); err != nil {
		return e, err
	}
	// The profile goes last: until then a retry can still find what is left.
	_, err = s.profiles.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	return e, err
}

func count(d *mongo.DeleteResult, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return d.DeletedCount, nil
}
