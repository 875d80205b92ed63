// Package commercestore keeps the commerce domain in MongoDB: orders, interactions and
// the per-customer value metrics maintained on write.
package commercestore

import (
	"context"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
)

var _ commerce.Store = (*Store)(nil)

// Store holds the commerce collections. Which profile a source record or a merged
// profile belongs to it asks the identity store (IdentityReader).
type Store struct {
	IdentityReader
	db *mongo.Database
	b  *dbkit.Backend
}

// IdentityReader answers where records and merged profiles went, and which customers
// carry an attribute (orders referenced by a shop's customer number).
type IdentityReader interface {
	RecordProfiles(ctx context.Context, ids []string) (map[string]string, error)
	MergedInto(ctx context.Context, ids []string) (map[string]string, error)
	ProfileIDsWithAttribute(ctx context.Context, key, value string, limit int) ([]string, error)
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend, ids IdentityReader) *Store {
	return &Store{IdentityReader: ids, db: db, b: b}
}

// Collections of the commerce domain.
const (
	OrdersCollection       = "orders"
	InteractionsCollection = "interactions"
	MetricsCollection      = "customer_metrics"
)

func (s *Store) orders() *mongo.Collection       { return s.db.Collection(OrdersCollection) }
func (s *Store) interactions() *mongo.Collection { return s.db.Collection(InteractionsCollection) }
func (s *Store) metrics() *mongo.Collection      { return s.db.Collection(MetricsCollection) }

// EnsureCommerceIndexes creates the indexes of the commerce queries (timeline pages by
// profile and time, re-attachment by source record).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.orders(): {{Keys: bson.D{{Key: "profileId", Value: 1}, {Key: "placedAt", Value: -1}, {Key: "_id", Value: -1}}},
			{Keys: bson.D{{Key: "customerRecordId", Value: 1}}}},
		s.interactions(): {{Keys: bson.D{{Key: "profileId", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
			{Keys: bson.D{{Key: "recordId", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}

func (s *Store) GetOrders(ctx context.Context, ids []string) ([]commerce.Order, error) {
	return dbkit.InBatches[commerce.Order](ctx, s.b, s.orders(), "_id", ids)
}

// PutOrders inserts in bulk (much faster than upserts on FerretDB) and replaces only
// changed orders and inserts that lost to a concurrent writer.
func (s *Store) PutOrders(ctx context.Context, inserts, replaces []commerce.Order) error {
	dups, err := dbkit.InsertNew(ctx, s.orders(), inserts)
	if err != nil {
		return err
	}
	for _, i := range dups {
		replaces = append(replaces, inserts[i])
	}
	ms := make([]mongo.WriteModel, len(replaces))
	for i, o := range replaces {
		ms[i] = mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": o.ID}).SetReplacement(o).SetUpsert(true)
	}
	return dbkit.Bulk(ctx, s.b, s.orders(), ms)
}

func (s *Store) OrdersOfProfiles(ctx context.Context, ids []string) ([]commerce.Order, error) {
	return dbkit.InBatches[commerce.Order](ctx, s.b, s.orders(), "profileId", ids)
}

func (s *Store) InsertInteractions(ctx context.Context, is []commerce.Interaction) ([]string, error) {
	dups, err := dbkit.InsertNew(ctx, s.interactions(), is)
	if err != nil {
		return nil, err
	}
	dup := map[int]bool{}
	for _, d := range dups {
		dup[d] = true
	}
	var inserted []string
	for i, it := range is {
		if !dup[i] {
			inserted = append(inserted, it.ID)
		}
	}
	return inserted, nil
}

func (s *Store) InteractionsOfProfiles(ctx context.Context, ids []string) ([]commerce.Interaction, error) {
	return dbkit.InBatches[commerce.Interaction](ctx, s.b, s.interactions(), "profileId", ids)
}

// pageFilter selects a profile's items before a position, newest first.
func pageFilter(profileID, timeField string, q commerce.PageQuery) bson.D {
	f := bson.D{{Key: "profileId", Value: profileID}}
	if !q.Before.IsZero() {
		switch {
		case q.Inclusive:
			f = append(f, bson.E{Key: timeField, Value: bson.M{"$lte": q.Before}})
		case q.BeforeID == "":
			f = append(f, bson.E{Key: timeField, Value: bson.M{"$lt": q.Before}})
		default:
			f = append(f, bson.E{Key: "$or", Value: bson.A{
				bson.M{timeField: bson.M{"$lt": q.Before}},
				bson.M{timeField: q.Before, "_id": bson.M{"$lt": q.BeforeID}},
			}})
		}
	}
	for field, vals := range map[string][]string{"channel": q.Channels, "type": q.Types, "status": q.Statuses} {
		if len(vals) > 0 {
			f = append(f, bson.E{Key: field, Value: bson.M{"$in": vals}})
		}
	}
	return f
}

func pageOptions(timeField string, limit int) *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: timeField, Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit))
}

func (s *Store) OrderPage(ctx context.Context, profileID string, q commerce.PageQuery) ([]commerce.Order, error) {
	q.Types = nil // orders filter by status
	return dbkit.FindAll[commerce.Order](ctx, s.orders(), pageFilter(profileID, "placedAt", q), pageOptions("placedAt", q.Limit))
}

func (s *Store) InteractionPage(ctx context.Context, profileID string, q commerce.PageQuery) ([]commerce.Interaction, error) {
	q.Statuses = nil
	return dbkit.FindAll[commerce.Interaction](ctx, s.interactions(), pageFilter(profileID, "at", q), pageOptions("at", q.Limit))
}

func (s *Store) MoveProfiles(ctx context.Context, from []string, to string) error {
	for _, c := range []*mongo.Collection{s.orders(), s.interactions()} {
		if _, err := c.UpdateMany(ctx, bson.M{"profileId": bson.M{"$in": from}}, bson.M{"$set": bson.M{"profileId": to}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) SetProfiles(ctx context.Context, orders, interactions map[string]string) error {
	for c, m := range map[*mongo.Collection]map[string]string{s.orders(): orders, s.interactions(): interactions} {
		var ms []mongo.WriteModel
		for id, p := range m {
			ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$set": bson.M{"profileId": p}}))
		}
		if err := dbkit.Bulk(ctx, s.b, c, ms); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) CommerceProfiles(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	// $group rather than distinct: distinct's result failed to decode ("error decoding
	// key arr: unexpected EOF") when Reconcile ran inside a GraphQL request on FerretDB,
	// cause not pinned down; a $group cursor decodes like any find, and is not bound
	// by distinct's 16 MB single-document result either.
	type group struct {
		ID string `bson:"_id"`
	}
	for _, c := range []*mongo.Collection{s.orders(), s.interactions()} {
		cur, err := c.Aggregate(ctx, mongo.Pipeline{
			{{Key: "$match", Value: bson.M{"profileId": bson.M{"$ne": ""}}}},
			{{Key: "$group", Value: bson.M{"_id": "$profileId"}}},
		})
		if err != nil {
			return nil, err
		}
		var gs []group
		if err := cur.All(ctx, &gs); err != nil {
			return nil, err
		}
		for _, g := range gs {
			if !seen[g.ID] {
				seen[g.ID] = true
				out = append(out, g.ID)
			}
		}
	}
	return out, nil
}

// metricsDoc is the stored form of commerce.Metrics. Ledger keys are order ids, escaped
// because MongoDB field names may not contain dots or start with $.
type metricsDoc struct {
	ID                string                    `bson:"_id"`
	Rev               int64                     `bson:"rev"`
	Orders            int                       `bson:"orders"`
	Cancellations     int                       `bson:"cancellations"`
	Currency          string                    `bson:"currency"`
	GrossMinor        int64                     `bson:"grossMinor"`
	ReturnsMinor      int64                     `bson:"returnsMinor"`
	NetMinor          int64                     `bson:"netMinor"`
	OtherNet          map[string]int64          `bson:"otherNet"`
	FirstOrderAt      time.Time                 `bson:"firstOrderAt"`
	LastOrderAt       time.Time                 `bson:"lastOrderAt"`
	Interactions      int                       `bson:"interactions"`
	LastInteractionAt time.Time                 `bson:"lastInteractionAt"`
	RFM               commerce.RFM              `bson:"rfm"`
	Ledger            map[string]commerce.Entry `bson:"ledger"`
}

var (
	keyEscaper   = strings.NewReplacer("%", "%25", ".", "%2E", "$", "%24")
	keyUnescaper = strings.NewReplacer("%25", "%", "%2E", ".", "%24", "$")
)

func (d *metricsDoc) domain() commerce.Metrics {
	m := commerce.Metrics{ProfileID: d.ID, Rev: d.Rev, Orders: d.Orders, Cancellations: d.Cancellations, Currency: d.Currency,
		GrossMinor: d.GrossMinor, ReturnsMinor: d.ReturnsMinor, NetMinor: d.NetMinor, OtherNet: d.OtherNet,
		FirstOrderAt: utcOrZero(d.FirstOrderAt), LastOrderAt: utcOrZero(d.LastOrderAt), Interactions: d.Interactions,
		LastInteractionAt: utcOrZero(d.LastInteractionAt), RFM: d.RFM}
	if d.Ledger != nil {
		m.Ledger = make(map[string]commerce.Entry, len(d.Ledger))
		for k, e := range d.Ledger {
			e.At = e.At.UTC()
			m.Ledger[keyUnescaper.Replace(k)] = e
		}
	}
	return m
}

// utcOrZero maps the stored zero date (and anything before year 2) back to time.Time{}.
func utcOrZero(t time.Time) time.Time {
	if t.Year() < 2 {
		return time.Time{}
	}
	return t.UTC()
}

func (s *Store) GetMetrics(ctx context.Context, ids []string) ([]commerce.Metrics, error) {
	docs, err := dbkit.InBatches[metricsDoc](ctx, s.b, s.metrics(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]commerce.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

func orderFields(w commerce.MetricsWrite) bson.M {
	m := w.M
	ledger := make(map[string]commerce.Entry, len(m.Ledger))
	for k, e := range m.Ledger {
		ledger[keyEscaper.Replace(k)] = e
	}
	f := bson.M{"orders": m.Orders, "cancellations": m.Cancellations, "currency": m.Currency, "grossMinor": m.GrossMinor,
		"returnsMinor": m.ReturnsMinor, "netMinor": m.NetMinor, "otherNet": m.OtherNet, "firstOrderAt": m.FirstOrderAt,
		"lastOrderAt": m.LastOrderAt, "ledger": ledger}
	if w.Full {
		f["interactions"], f["lastInteractionAt"] = m.Interactions, m.LastInteractionAt
	}
	return f
}

func (s *Store) SaveMetrics(ctx context.Context, ws []commerce.MetricsWrite) (bool, error) {
	var docs []any
	var ups []mongo.WriteModel
	for _, w := range ws {
		f := orderFields(w)
		if w.New {
			f["_id"], f["rev"], f["rfm"] = w.M.ProfileID, int64(1), w.M.RFM
			if !w.Full {
				f["interactions"], f["lastInteractionAt"] = 0, time.Time{}
			}
			docs = append(docs, f)
			continue
		}
		ups = append(ups, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": w.M.ProfileID, "rev": w.Prev}).
			SetUpdate(bson.M{"$set": f, "$inc": bson.M{"rev": 1}}))
	}
	dups, err := dbkit.InsertNew(ctx, s.metrics(), docs)
	if err != nil {
		return false, err
	}
	// Updates go through bulkMatched so they respect FerretDB's write-batch limit.
	matched, err := dbkit.BulkMatched(ctx, s.b, s.metrics(), ups)
	if err != nil {
		return false, err
	}
	conflict := len(dups) > 0 || matched < int64(len(ups))
	return conflict, nil
}

func (s *Store) AddInteractionStats(ctx context.Context, st []commerce.InteractionStat) error {
	var incs, maxes []mongo.WriteModel
	for _, x := range st {
		incs = append(incs, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": x.ProfileID}).SetUpsert(true).
			SetUpdate(bson.M{"$inc": bson.M{"interactions": x.Count, "rev": 1}}))
		// $max done as a conditional $set: FerretDB has no $max update operator.
		maxes = append(maxes, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": x.ProfileID, "$or": bson.A{
			bson.M{"lastInteractionAt": bson.M{"$exists": false}}, bson.M{"lastInteractionAt": bson.M{"$lt": x.LastAt}},
		}}).SetUpdate(bson.M{"$set": bson.M{"lastInteractionAt": x.LastAt}}))
	}
	if err := dbkit.Bulk(ctx, s.b, s.metrics(), incs); err != nil {
		return err
	}
	return dbkit.Bulk(ctx, s.b, s.metrics(), maxes)
}

func (s *Store) DeleteMetrics(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.metrics().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	return err
}

func (s *Store) MetricsPage(ctx context.Context, after string, limit int) ([]commerce.Metrics, error) {
	docs, err := dbkit.FindAll[metricsDoc](ctx, s.metrics(), bson.M{"_id": bson.M{"$gt": after}},
		options.Find().SetSort(bson.M{"_id": 1}).SetLimit(int64(limit)).SetProjection(bson.M{"ledger": 0}))
	if err != nil {
		return nil, err
	}
	out := make([]commerce.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

func (s *Store) SetRFM(ctx context.Context, scores map[string]commerce.RFM) error {
	var ms []mongo.WriteModel
	for id, r := range scores {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$set": bson.M{"rfm": r}}))
	}
	return dbkit.Bulk(ctx, s.b, s.metrics(), ms)
}
