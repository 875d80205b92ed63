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
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
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
	// LedgerCollection holds the ledger buckets: per profile and year, the entries of
	// its orders, and apart the times of its interactions (field profileId names the
	// profile).
	LedgerCollection = "customer_ledger"
)

func (s *Store) orders() *mongo.Collection       { return s.db.Collection(OrdersCollection) }
func (s *Store) interactions() *mongo.Collection { return s.db.Collection(InteractionsCollection) }
func (s *Store) metrics() *mongo.Collection      { return s.db.Collection(MetricsCollection) }
func (s *Store) ledger() *mongo.Collection       { return s.db.Collection(LedgerCollection) }

// EnsureCommerceIndexes creates the indexes of the commerce queries (timeline pages by
// profile and time, re-attachment by source record).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.orders(): {{Keys: bson.D{{Key: "profileId", Value: 1}, {Key: "placedAt", Value: -1}, {Key: "_id", Value: -1}}},
			{Keys: bson.D{{Key: "customerRecordId", Value: 1}}}},
		s.interactions(): {{Keys: bson.D{{Key: "profileId", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
			{Keys: bson.D{{Key: "recordId", Value: 1}}}},
		s.ledger(): {{Keys: bson.D{{Key: "profileId", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}

func (s *Store) GetOrders(ctx context.Context, ids []string) ([]commerce.Order, error) {
	return dbkit.InBatches[commerce.Order](ctx, s.b, s.orders(), "_id", ids)
}

// InsertOrders inserts in bulk (much faster than upserts on FerretDB) and returns the
// ids that were taken.
func (s *Store) InsertOrders(ctx context.Context, os []commerce.Order) ([]string, error) {
	dups, err := dbkit.InsertNew(ctx, s.orders(), os)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(dups))
	for n, i := range dups {
		out[n] = os[i].ID
	}
	return out, nil
}

// ReplaceOrders replaces orders by bare _id, inserting missing ones.
func (s *Store) ReplaceOrders(ctx context.Context, os []commerce.Order) error {
	ms := make([]mongo.WriteModel, len(os))
	for i, o := range os {
		ms[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: o.ID}}).SetReplacement(o).SetUpsert(true)
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

// GetInteractions reads interactions by _id (point reads on FerretDB).
func (s *Store) GetInteractions(ctx context.Context, ids []string) ([]commerce.Interaction, error) {
	return dbkit.InBatches[commerce.Interaction](ctx, s.b, s.interactions(), "_id", ids)
}

func (s *Store) InteractionsOfProfiles(ctx context.Context, ids []string) ([]commerce.Interaction, error) {
	return dbkit.InBatches[commerce.Interaction](ctx, s.b, s.interactions(), "profileId", ids)
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

// metricsDoc is the stored form of ledger.Metrics: the aggregates (which segment
// rules and rankings filter and sort on) and, in periods, the summaries of the
// profile's ledger buckets they derive from. Documents written before the buckets
// carried the whole ledger (ledger) and the interaction ids (interactionIds);
// EnsureLedger moves them to buckets.
type metricsDoc struct {
	ID                string               `bson:"_id"`
	Rev               int64                `bson:"rev"`
	Orders            int                  `bson:"orders"`
	Cancellations     int                  `bson:"cancellations"`
	Currency          string               `bson:"currency"`
	GrossMinor        int64                `bson:"grossMinor"`
	ReturnsMinor      int64                `bson:"returnsMinor"`
	NetMinor          int64                `bson:"netMinor"`
	OtherNet          map[string]int64     `bson:"otherNet"`
	FirstOrderAt      time.Time            `bson:"firstOrderAt"`
	LastOrderAt       time.Time            `bson:"lastOrderAt"`
	Interactions      int                  `bson:"interactions"`
	LastInteractionAt time.Time            `bson:"lastInteractionAt"`
	RFM               ledger.RFM           `bson:"rfm"`
	Periods           map[string]periodDoc `bson:"periods,omitempty"`
}

// heavyFields are left out of summary reads: the period summaries and what documents
// written before the ledger buckets still carry.
var heavyFields = bson.M{"periods": 0, "ledger": 0, "interactionIds": 0}

// periodDoc is the stored form of ledger.Period.
type periodDoc struct {
	Rev               int64                 `bson:"r"`
	Orders            int                   `bson:"o"`
	Cancellations     int                   `bson:"x"`
	FirstOrderAt      time.Time             `bson:"f"`
	LastOrderAt       time.Time             `bson:"l"`
	EarliestAt        time.Time             `bson:"et"`
	EarliestID        string                `bson:"ei"`
	EarliestCurrency  string                `bson:"ec"`
	Amounts           map[string]amountsDoc `bson:"a,omitempty"`
	Interactions      int                   `bson:"n"`
	LastInteractionAt time.Time             `bson:"li"`
}

type amountsDoc struct {
	Gross   int64 `bson:"g"`
	Credits int64 `bson:"c"`
}

var (
	keyEscaper   = strings.NewReplacer("%", "%25", ".", "%2E", "$", "%24")
	keyUnescaper = strings.NewReplacer("%25", "%", "%2E", ".", "%24", "$")
)

func (d *metricsDoc) domain() ledger.Metrics {
	m := ledger.Metrics{ProfileID: d.ID, Rev: d.Rev, Orders: d.Orders, Cancellations: d.Cancellations, Currency: d.Currency,
		GrossMinor: d.GrossMinor, ReturnsMinor: d.ReturnsMinor, NetMinor: d.NetMinor, OtherNet: d.OtherNet,
		FirstOrderAt: utcOrZero(d.FirstOrderAt), LastOrderAt: utcOrZero(d.LastOrderAt), Interactions: d.Interactions,
		LastInteractionAt: utcOrZero(d.LastInteractionAt), RFM: d.RFM}
	if len(d.Periods) > 0 {
		m.Periods = make(map[string]ledger.Period, len(d.Periods))
		for k, p := range d.Periods {
			q := ledger.Period{Rev: p.Rev, Orders: p.Orders, Cancellations: p.Cancellations, FirstOrderAt: utcOrZero(p.FirstOrderAt),
				LastOrderAt: utcOrZero(p.LastOrderAt), EarliestAt: utcOrZero(p.EarliestAt), EarliestID: p.EarliestID,
				EarliestCurrency: p.EarliestCurrency, Interactions: p.Interactions, LastInteractionAt: utcOrZero(p.LastInteractionAt)}
			if len(p.Amounts) > 0 {
				q.Amounts = make(map[string]ledger.Amounts, len(p.Amounts))
				for c, a := range p.Amounts {
					q.Amounts[c] = ledger.Amounts{Gross: a.Gross, Credits: a.Credits}
				}
			}
			m.Periods[k] = q
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

func (s *Store) GetMetrics(ctx context.Context, ids []string) ([]ledger.Metrics, error) {
	docs, err := dbkit.InBatches[metricsDoc](ctx, s.b, s.metrics(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// metricsFields are the fields a metrics write sets: everything but rev and rfm.
func metricsFields(m ledger.Metrics) bson.M {
	periods := make(map[string]periodDoc, len(m.Periods))
	for k, p := range m.Periods {
		d := periodDoc{Rev: p.Rev, Orders: p.Orders, Cancellations: p.Cancellations, FirstOrderAt: p.FirstOrderAt, LastOrderAt: p.LastOrderAt,
			EarliestAt: p.EarliestAt, EarliestID: p.EarliestID, EarliestCurrency: p.EarliestCurrency, Interactions: p.Interactions,
			LastInteractionAt: p.LastInteractionAt}
		if len(p.Amounts) > 0 {
			d.Amounts = make(map[string]amountsDoc, len(p.Amounts))
			for c, a := range p.Amounts {
				d.Amounts[c] = amountsDoc{Gross: a.Gross, Credits: a.Credits}
			}
		}
		periods[k] = d
	}
	return bson.M{"orders": m.Orders, "cancellations": m.Cancellations, "currency": m.Currency, "grossMinor": m.GrossMinor,
		"returnsMinor": m.ReturnsMinor, "netMinor": m.NetMinor, "otherNet": m.OtherNet, "firstOrderAt": m.FirstOrderAt,
		"lastOrderAt": m.LastOrderAt, "interactions": m.Interactions, "lastInteractionAt": m.LastInteractionAt, "periods": periods}
}

// LockMetrics is the backend's guard of metrics documents and ledger buckets: on
// FerretDB an update reads, modifies in Go and writes back the whole document, so their
// writers in this process take turns; on MongoDB it does nothing (revisions and atomic
// updates order the writers there).
func (s *Store) LockMetrics() func() { return s.b.Guard("metrics") }

// SaveMetrics writes metrics documents. On MongoDB each write is conditional on the
// rev read ({_id, rev}; a new document is an insert) and a write that matches nothing
// is a lost race. On FerretDB a filter other than a bare _id scans the collection, so
// the check is made in Go instead: the caller read the documents by bare _id under
// LockMetrics and still holds it, so the rev it read is the rev it writes over, and the
// write is an update by bare _id.
func (s *Store) SaveMetrics(ctx context.Context, ws []commerce.MetricsWrite) (bool, error) {
	var docs []any
	var ups []mongo.WriteModel
	for _, w := range ws {
		f := metricsFields(w.M)
		if !s.b.AtomicUpdates {
			f["rev"] = w.Prev + 1
			ups = append(ups, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: w.M.ProfileID}}).SetUpsert(true).
				SetUpdate(bson.M{"$set": f, "$setOnInsert": bson.M{"rfm": ledger.RFM{}}}))
			continue
		}
		if w.New {
			f["_id"], f["rev"], f["rfm"] = w.M.ProfileID, int64(1), w.M.RFM
			docs = append(docs, f)
			continue
		}
		ups = append(ups, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: w.M.ProfileID}, {Key: "rev", Value: w.Prev}}).
			SetUpdate(bson.M{"$set": f, "$inc": bson.M{"rev": 1}}))
	}
	dups, err := dbkit.InsertNew(ctx, s.metrics(), docs)
	if err != nil {
		return false, err
	}
	// Updates go through BulkMatched so they respect FerretDB's write-batch limit.
	matched, err := dbkit.BulkMatched(ctx, s.b, s.metrics(), ups)
	if err != nil {
		return false, err
	}
	conflict := len(dups) > 0 || s.b.AtomicUpdates && matched < int64(len(ups))
	return conflict, nil
}

// DeleteMetrics deletes buckets, then metrics documents: by bare _id on FerretDB, an
// $in on MongoDB.
func (s *Store) DeleteMetrics(ctx context.Context, ids []string, buckets []ledger.BucketKey) error {
	bids := make([]string, len(buckets))
	for i, k := range buckets {
		bids[i] = bucketID(k)
	}
	if err := s.deleteByID(ctx, s.ledger(), bids); err != nil {
		return err
	}
	return s.deleteByID(ctx, s.metrics(), ids)
}

func (s *Store) deleteByID(ctx context.Context, c *mongo.Collection, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if s.b.IndexedFilters {
		_, err := c.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
		return err
	}
	var ms []mongo.WriteModel
	for _, id := range dbkit.Uniq(ids) {
		ms = append(ms, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
	}
	return dbkit.Bulk(ctx, s.b, c, ms)
}

func (s *Store) MetricsPage(ctx context.Context, after string, limit int) ([]ledger.Metrics, error) {
	docs, err := dbkit.FindAll[metricsDoc](ctx, s.metrics(), bson.M{"_id": bson.M{"$gt": after}},
		options.Find().SetSort(bson.M{"_id": 1}).SetLimit(int64(limit)).SetProjection(heavyFields))
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Metrics, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// SetRFM writes scores by bare _id, under LockMetrics (on FerretDB a concurrent ingest
// would otherwise lose its write or the score).
func (s *Store) SetRFM(ctx context.Context, scores map[string]ledger.RFM) error {
	unlock := s.LockMetrics()
	defer unlock()
	var ms []mongo.WriteModel
	for id, r := range scores {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).SetUpdate(bson.M{"$set": bson.M{"rfm": r}}))
	}
	return dbkit.Bulk(ctx, s.b, s.metrics(), ms)
}
