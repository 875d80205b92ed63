// Package exportstore reads whole collections for the full exports (internal/export):
// profiles, orders and interactions, each by one cursor in batches, read only. An export
// is the one path allowed to read a collection whole; it never holds more than a batch.
package exportstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/export"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
)

var _ export.Reader = Store{}

// Store reads the collections of one database.
type Store struct{ DB *mongo.Database }

// profileFields leaves out what an export does not carry (provenance, history, search
// tokens, record ids): less to decode per profile.
var profileFields = bson.M{"createdAt": 1, "updatedAt": 1, "mergedInto": 1, "traits": 1, "recordCount": 1}

func (s Store) EachProfiles(ctx context.Context, batch int, fn func([]profile.Profile) error) error {
	return each(ctx, s.DB.Collection("profiles"), batch, profileFields, func(p profile.Profile) bool { return p.MergedInto == "" }, fn)
}

func (s Store) EachOrders(ctx context.Context, batch int, fn func([]commerce.Order) error) error {
	return each(ctx, s.DB.Collection(commercestore.OrdersCollection), batch, nil, nil, fn)
}

func (s Store) EachInteractions(ctx context.Context, batch int, fn func([]commerce.Interaction) error) error {
	return each(ctx, s.DB.Collection(commercestore.InteractionsCollection), batch, nil, nil, fn)
}

// each runs one cursor over c (no filter, no sort: neither is free on FerretDB) and
// hands keep's documents to fn in batches.
func each[T any](ctx context.Context, c *mongo.Collection, batch int, proj bson.M, keep func(T) bool, fn func([]T) error) error {
	o := options.Find().SetBatchSize(int32(batch))
	if proj != nil {
		o.SetProjection(proj)
	}
	cur, err := c.Find(ctx, bson.D{}, o)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	buf := make([]T, 0, batch)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return err
		}
		if keep != nil && !keep(v) {
			continue
		}
		if buf = append(buf, v); len(buf) == batch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}
