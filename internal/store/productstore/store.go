// Package productstore keeps the product catalogue (collection products, _id the SKU:
// name and category) and reads what the product-quality aggregate (package quality) is
// built from: one pass over the orders with their lines, the tickets, the catalogue and
// the merged profiles at start, then profiles by bare _id. It reads the commerce,
// ticket and identity collections by name and writes only products.
package productstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/quality"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

var (
	_ quality.Catalogue = (*Store)(nil)
	_ quality.Source    = (*Store)(nil)
)

// Collection is the product catalogue's collection.
const Collection = "products"

// Store is the catalogue and the aggregate's source on one database.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend
}

// New wraps a database.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

// Aggregate returns the database's aggregate, one per database in the process.
func Aggregate(db *mongo.Database) *quality.Aggregate { return dbkit.Shared(db, quality.NewAggregate) }

type productDoc struct {
	SKU      string `bson:"_id"`
	Name     string `bson:"name"`
	Category string `bson:"category"`
}

// PutProducts replaces products by SKU in bulk (upserts by bare _id: idempotent).
func (s *Store) PutProducts(ctx context.Context, ps []quality.Product) error {
	ms := make([]mongo.WriteModel, len(ps))
	for i, p := range ps {
		ms[i] = mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": p.SKU}).SetReplacement(productDoc(p)).SetUpsert(true)
	}
	return dbkit.Bulk(ctx, s.b, s.db.Collection(Collection), ms)
}

// GetProducts reads products by SKU (point reads where only _id is indexed).
func (s *Store) GetProducts(ctx context.Context, skus []string) ([]quality.Product, error) {
	ds, err := dbkit.InBatches[productDoc](ctx, s.b, s.db.Collection(Collection), "_id", skus)
	if err != nil {
		return nil, err
	}
	out := make([]quality.Product, len(ds))
	for i, d := range ds {
		out[i] = quality.Product(d)
	}
	return out, nil
}

const batch = 1000

// each streams a collection in batches of T.
func each[T any](ctx context.Context, c *mongo.Collection, filter any, projection bson.M, fn func([]T) error) error {
	o := options.Find().SetBatchSize(5000)
	if projection != nil {
		o.SetProjection(projection)
	}
	cur, err := c.Find(ctx, filter, o)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var xs []T
	for cur.Next(ctx) {
		var x T
		if err := cur.Decode(&x); err != nil {
			return err
		}
		if xs = append(xs, x); len(xs) == batch {
			if err := fn(xs); err != nil {
				return err
			}
			xs = nil
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if len(xs) > 0 {
		return fn(xs)
	}
	return nil
}

// EachOrder reads every order once, with its lines.
func (s *Store) EachOrder(ctx context.Context, fn func([]commerce.Order) error) error {
	return each(ctx, s.db.Collection(commercestore.OrdersCollection), bson.D{}, bson.M{"profileId": 1, "status": 1, "totalMinor": 1,
		"currency": 1, "placedAt": 1, "lines": 1}, fn)
}

// EachTicket reads every ticket once: requester, time, rating, order, merge.
func (s *Store) EachTicket(ctx context.Context, fn func([]ticket.Ticket) error) error {
	return each(ctx, s.db.Collection("tickets"), bson.D{}, bson.M{"requesterId": 1, "createdAt": 1, "csat.score": 1, "orderId": 1, "mergedInto": 1},
		func(ds []ticketdoc.Ticket) error {
			ts := make([]ticket.Ticket, len(ds))
			for i := range ds {
				ts[i] = ds[i].Ticket()
			}
			return fn(ts)
		})
}

// EachProduct reads the catalogue once.
func (s *Store) EachProduct(ctx context.Context, fn func([]quality.Product) error) error {
	return each(ctx, s.db.Collection(Collection), bson.D{}, nil, func(ds []productDoc) error {
		ps := make([]quality.Product, len(ds))
		for i, d := range ds {
			ps[i] = quality.Product(d)
		}
		return fn(ps)
	})
}

type profileDoc struct {
	ID         string `bson:"_id"`
	MergedInto string `bson:"mergedInto"`
}

// EachRedirect reads the merged profiles once (a projected pass over the profiles).
func (s *Store) EachRedirect(ctx context.Context, fn func(id, into string)) error {
	return each(ctx, s.db.Collection("profiles"), bson.D{}, bson.M{"mergedInto": 1}, func(ds []profileDoc) error {
		for _, d := range ds {
			if d.MergedInto != "" {
				fn(d.ID, d.MergedInto)
			}
		}
		return nil
	})
}

// MergedInto reads profiles by bare _id: what each was merged into ("" live).
func (s *Store) MergedInto(ctx context.Context, ids []string) (map[string]string, error) {
	ds, err := dbkit.PointReads[profileDoc](ctx, s.db.Collection("profiles"), ids, options.FindOne().SetProjection(bson.M{"mergedInto": 1}))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ds))
	for _, d := range ds {
		out[d.ID] = d.MergedInto
	}
	return out, nil
}
