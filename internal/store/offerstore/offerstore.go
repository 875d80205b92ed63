// Package offerstore reads what the offers recommender (internal/offers) loads at start:
// every order, in one projected scan of the orders collection (commercestore owns it;
// this package only reads it). Nothing here runs per request.
package offerstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/offers"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
)

// Store reads the orders of a database.
type Store struct{ db *mongo.Database }

var _ offers.OrderSource = (*Store)(nil)

// New wraps a database.
func New(db *mongo.Database) *Store { return &Store{db: db} }

// projection is what the recommender reads of an order.
var projection = bson.D{{Key: "profileId", Value: 1}, {Key: "status", Value: 1}, {Key: "placedAt", Value: 1}, {Key: "lines", Value: 1}}

// EachOrder calls fn with every order (id, profile, status, time and lines only), in
// batches of one projected scan.
func (s *Store) EachOrder(ctx context.Context, fn func(commerce.Order)) error {
	cur, err := s.db.Collection(commercestore.OrdersCollection).Find(ctx, bson.D{}, options.Find().SetProjection(projection).SetBatchSize(5000))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var o commerce.Order
		if err := cur.Decode(&o); err != nil {
			return err
		}
		fn(o)
	}
	return cur.Err()
}
