// Package analyticsstore reads what the report book (package analytics) is built from:
// one pass over the orders and one over the profiles' countries at start, then the
// profiles that changed by bare _id. It reads the commerce and identity collections by
// name and writes nothing.
package analyticsstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

var _ orderbook.Source = (*Store)(nil)

// Store reads orders and profiles of one database.
type Store struct{ db *mongo.Database }

// New wraps a database.
func New(db *mongo.Database) *Store { return &Store{db: db} }

// Book returns the database's report book, one per database in the process.
func Book(db *mongo.Database) *orderbook.Book { return dbkit.Shared(db, orderbook.NewBook) }

const batch = 1000

// EachOrder reads every order once, without its lines.
func (s *Store) EachOrder(ctx context.Context, fn func([]commerce.Order) error) error {
	cur, err := s.db.Collection(commercestore.OrdersCollection).Find(ctx, bson.D{}, options.Find().SetBatchSize(5000).
		SetProjection(bson.M{"source": 1, "profileId": 1, "status": 1, "totalMinor": 1, "currency": 1, "placedAt": 1}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var os []commerce.Order
	for cur.Next(ctx) {
		var o commerce.Order
		if err := cur.Decode(&o); err != nil {
			return err
		}
		if os = append(os, o); len(os) == batch {
			if err := fn(os); err != nil {
				return err
			}
			os = os[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if len(os) > 0 {
		return fn(os)
	}
	return nil
}

type profileDoc struct {
	ID         string `bson:"_id"`
	MergedInto string `bson:"mergedInto"`
	Traits     struct {
		Attributes struct {
			Country any `bson:"country"`
		} `bson:"attributes"`
	} `bson:"traits"`
}

var profileFields = bson.M{"mergedInto": 1, "traits.attributes.country": 1}

func (d *profileDoc) country() string {
	c, _ := d.Traits.Attributes.Country.(string)
	return c
}

// EachCountry reads the country attribute of every live profile once.
func (s *Store) EachCountry(ctx context.Context, fn func(id, country string)) error {
	cur, err := s.db.Collection("profiles").Find(ctx, bson.D{}, options.Find().SetBatchSize(5000).SetProjection(profileFields))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d profileDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if c := d.country(); d.MergedInto == "" && c != "" {
			fn(d.ID, c)
		}
	}
	return cur.Err()
}

// Profiles reads profiles by bare _id (their country, and whether they were merged).
func (s *Store) Profiles(ctx context.Context, ids []string) (map[string]orderbook.ProfileState, error) {
	ds, err := dbkit.PointReads[profileDoc](ctx, s.db.Collection("profiles"), ids, options.FindOne().SetProjection(profileFields))
	if err != nil {
		return nil, err
	}
	out := make(map[string]orderbook.ProfileState, len(ds))
	for _, d := range ds {
		out[d.ID] = orderbook.ProfileState{Country: d.country(), Merged: d.MergedInto != ""}
	}
	return out, nil
}
