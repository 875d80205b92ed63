package commercestore

// The ledger buckets (see internal/commerce/ledger.go): documents of customer_ledger
// keyed "<profile id>/<period>", the period being "o<year>" for the entries of the
// profile's orders of that year (field o, by escaped order id) and "i<year>" for the
// times of its interactions (field i, by escaped interaction id). Every read and write
// is by bare _id.

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

const (
	migrationsCollection = "schema_migrations"
	ledgerMigration      = "ledger_buckets_v1"
	// bucketWriters bounds the concurrent bucket writes of one ChangeLedger.
	bucketWriters = 8
)

type bucketDoc struct {
	ID           string                  `bson:"_id"`
	ProfileID    string                  `bson:"profileId"`
	Period       string                  `bson:"period"`
	Rev          int64                   `bson:"rev"`
	Orders       map[string]ledger.Entry `bson:"o"`
	Interactions map[string]time.Time    `bson:"i"`
}

func bucketID(k ledger.BucketKey) string { return k.ProfileID + "/" + k.Period }

func (d *bucketDoc) domain() ledger.Bucket {
	b := ledger.Bucket{BucketKey: ledger.BucketKey{ProfileID: d.ProfileID, Period: d.Period}, Rev: d.Rev,
		Orders: make(map[string]ledger.Entry, len(d.Orders)), Interactions: make(map[string]time.Time, len(d.Interactions))}
	for k, e := range d.Orders {
		e.At = e.At.UTC()
		b.Orders[keyUnescaper.Replace(k)] = e
	}
	for k, at := range d.Interactions {
		b.Interactions[keyUnescaper.Replace(k)] = at.UTC()
	}
	return b
}

// ChangeLedger changes each bucket with one findAndModify by bare _id ($set and $unset
// of single entries, $inc of rev; an upsert when it adds entries) that returns the
// bucket as it is after: atomic on MongoDB, and made safe on FerretDB by the caller's
// LockMetrics. A few buckets are changed at a time.
func (s *Store) ChangeLedger(ctx context.Context, cs []ledger.LedgerChange) ([]ledger.Bucket, error) {
	out := make([]*ledger.Bucket, len(cs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bucketWriters)
	for i, c := range cs {
		g.Go(func() error {
			set, unset := bson.M{}, bson.M{}
			for id, e := range c.SetOrders {
				set["o."+keyEscaper.Replace(id)] = e
			}
			for id, at := range c.SetInteractions {
				set["i."+keyEscaper.Replace(id)] = at
			}
			for _, id := range c.UnsetOrders {
				unset["o."+keyEscaper.Replace(id)] = ""
			}
			for _, id := range c.UnsetInteractions {
				unset["i."+keyEscaper.Replace(id)] = ""
			}
			up := bson.M{"$inc": bson.M{"rev": 1}, "$setOnInsert": bson.M{"profileId": c.ProfileID, "period": c.Period}}
			if len(set) > 0 {
				up["$set"] = set
			}
			if len(unset) > 0 {
				up["$unset"] = unset
			}
			var d bucketDoc
			err := s.ledger().FindOneAndUpdate(gctx, bson.D{{Key: "_id", Value: bucketID(c.BucketKey)}}, up,
				options.FindOneAndUpdate().SetUpsert(len(set) > 0).SetReturnDocument(options.After)).Decode(&d)
			switch {
			case errors.Is(err, mongo.ErrNoDocuments):
				return nil // only removals from a bucket that does not exist
			case err != nil:
				return err
			}
			b := d.domain()
			out[i] = &b
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var bs []ledger.Bucket
	for _, b := range out {
		if b != nil {
			bs = append(bs, *b)
		}
	}
	return bs, nil
}

// GetBuckets reads buckets by _id (point reads on FerretDB).
func (s *Store) GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = bucketID(k)
	}
	docs, err := dbkit.InBatches[bucketDoc](ctx, s.b, s.ledger(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Bucket, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// EnsureLedger moves a database written before the ledger buckets to them, once: if
// metrics documents without period summaries exist (they carried the whole ledger
// and the interaction ids), it reads every order and interaction that has a profile
// (one scan of each, projected), writes the buckets, rewrites the metrics of those
// profiles and of the old documents (keeping their RFM scores, dropping ledger and
// interactionIds), and records that it did. Call it at start, before serving; running
// it twice, or on two instances at once, writes the same thing twice.
func (s *Store) EnsureLedger(ctx context.Context) error {
	done := s.db.Collection(migrationsCollection)
	err := done.FindOne(ctx, bson.D{{Key: "_id", Value: ledgerMigration}}).Err()
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return err
	}
	unlock := s.LockMetrics()
	defer unlock()
	type idDoc struct {
		ID string `bson:"_id"`
	}
	olds, err := dbkit.FindAll[idDoc](ctx, s.metrics(), bson.M{"periods": bson.M{"$exists": false}}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return err
	}
	profiles := 0
	if len(olds) > 0 {
		ids := make([]string, len(olds))
		for i, d := range olds {
			ids[i] = d.ID
		}
		if profiles, err = s.rebuildAll(ctx, ids); err != nil {
			return err
		}
	}
	_, err = done.UpdateOne(ctx, bson.D{{Key: "_id", Value: ledgerMigration}},
		bson.M{"$set": bson.M{"at": time.Now().UTC(), "profiles": profiles}}, options.UpdateOne().SetUpsert(true))
	return err
}

// rebuildAll writes the buckets and metrics of every profile with orders or
// interactions, and of the old metrics documents olds; it returns how many profiles.
func (s *Store) rebuildAll(ctx context.Context, olds []string) (int, error) {
	orders, err := dbkit.FindAll[commerce.Order](ctx, s.orders(), bson.M{"profileId": bson.M{"$ne": ""}},
		options.Find().SetProjection(bson.M{"_id": 1, "profileId": 1, "status": 1, "totalMinor": 1, "currency": 1, "placedAt": 1}))
	if err != nil {
		return 0, err
	}
	inters, err := dbkit.FindAll[commerce.Interaction](ctx, s.interactions(), bson.M{"profileId": bson.M{"$ne": ""}},
		options.Find().SetProjection(bson.M{"_id": 1, "profileId": 1, "at": 1}))
	if err != nil {
		return 0, err
	}
	buckets := map[ledger.BucketKey]*bucketDoc{}
	bucket := func(k ledger.BucketKey) *bucketDoc {
		if buckets[k] == nil {
			buckets[k] = &bucketDoc{ID: bucketID(k), ProfileID: k.ProfileID, Period: k.Period, Rev: 1,
				Orders: map[string]ledger.Entry{}, Interactions: map[string]time.Time{}}
		}
		return buckets[k]
	}
	for i := range orders {
		o := &orders[i]
		o.PlacedAt = o.PlacedAt.UTC()
		bucket(ledger.OrderBucket(o.ProfileID, o.PlacedAt)).Orders[keyEscaper.Replace(o.ID)] = commerce.EntryOf(o)
	}
	for _, it := range inters {
		bucket(ledger.InteractionBucket(it.ProfileID, it.At)).Interactions[keyEscaper.Replace(it.ID)] = it.At.UTC()
	}
	byProfile := map[string][]ledger.Bucket{}
	var bms []mongo.WriteModel
	for _, d := range buckets {
		bms = append(bms, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: d.ID}}).SetReplacement(d).SetUpsert(true))
		byProfile[d.ProfileID] = append(byProfile[d.ProfileID], d.domain())
	}
	if err := dbkit.Bulk(ctx, s.b, s.ledger(), bms); err != nil {
		return 0, err
	}
	for _, id := range olds {
		if _, ok := byProfile[id]; !ok {
			byProfile[id] = nil
		}
	}
	var mms []mongo.WriteModel
	for pid, bs := range byProfile {
		m := ledger.Metrics{ProfileID: pid}
		m.Apply(bs)
		f := metricsFields(m)
		mms = append(mms, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: pid}}).SetUpsert(true).SetUpdate(bson.M{
			"$set": f, "$unset": bson.M{"ledger": "", "interactionIds": ""}, "$inc": bson.M{"rev": 1},
			"$setOnInsert": bson.M{"rfm": ledger.RFM{}}}))
	}
	return len(byProfile), dbkit.Bulk(ctx, s.b, s.metrics(), mms)
}
