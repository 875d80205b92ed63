// Package webhookstore keeps the event webhook subscriptions (webhook_subscriptions,
// a handful of documents read whole) and their outbox (webhook_outbox: one document per
// event and subscription, inserted if absent, removed once delivered; failed ones stay
// for diagnosis). It also keeps the feeds' cursors (webhook_cursors).
package webhookstore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/webhooks"
)

var _ webhooks.Store = (*Store)(nil)

// Store is the webhook collections of one database.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

func (s *Store) subs() *mongo.Collection    { return s.db.Collection("webhook_subscriptions") }
func (s *Store) outbox() *mongo.Collection  { return s.db.Collection("webhook_outbox") }
func (s *Store) cursors() *mongo.Collection { return s.db.Collection("webhook_cursors") }

// EnsureIndexes creates the index of the pending deliveries (MongoDB).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return dbkit.EnsureIndexes(ctx, map[*mongo.Collection][]mongo.IndexModel{
		s.outbox(): {{Keys: bson.D{{Key: "status", Value: 1}, {Key: "nextAt", Value: 1}}}},
	})
}

type subDoc struct {
	ID             string    `bson:"_id"`
	URL            string    `bson:"url"`
	Secret         string    `bson:"secret"`
	Events         []string  `bson:"events"`
	CreatedAt      time.Time `bson:"createdAt"`
	LastDeliveryAt time.Time `bson:"lastDeliveryAt,omitempty"`
	LastStatus     string    `bson:"lastStatus,omitempty"`
	Failures       int       `bson:"failures"`
}

func (d subDoc) sub() webhooks.Subscription {
	return webhooks.Subscription{ID: d.ID, URL: d.URL, Secret: d.Secret, Events: d.Events, CreatedAt: d.CreatedAt.UTC(),
		LastDeliveryAt: d.LastDeliveryAt.UTC(), LastStatus: d.LastStatus, Failures: d.Failures}
}

func (s *Store) InsertSubscription(ctx context.Context, w webhooks.Subscription) error {
	_, err := s.subs().InsertOne(ctx, subDoc{ID: w.ID, URL: w.URL, Secret: w.Secret, Events: w.Events, CreatedAt: w.CreatedAt})
	return err
}

func (s *Store) DeleteSubscription(ctx context.Context, id string) (webhooks.Subscription, error) {
	var d subDoc
	if err := s.subs().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return webhooks.Subscription{}, dbkit.NotFound(err, "webhook %s not found", id)
	}
	if _, err := s.subs().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return webhooks.Subscription{}, err
	}
	return d.sub(), nil
}

func (s *Store) Subscriptions(ctx context.Context) ([]webhooks.Subscription, error) {
	docs, err := dbkit.FindAll[subDoc](ctx, s.subs(), bson.D{})
	if err != nil {
		return nil, err
	}
	out := make([]webhooks.Subscription, len(docs))
	for i, d := range docs {
		out[i] = d.sub()
	}
	return out, nil
}

func (s *Store) SubscriptionResult(ctx context.Context, id, status string, at time.Time, failed bool) error {
	upd := bson.M{"$set": bson.M{"lastDeliveryAt": at, "lastStatus": status}}
	if failed {
		upd["$inc"] = bson.M{"failures": 1}
	} else {
		upd["$set"].(bson.M)["failures"] = 0
	}
	_, err := s.subs().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, upd)
	return err
}

type deliveryDoc struct {
	ID             string    `bson:"_id"`
	SubscriptionID string    `bson:"subscriptionId"`
	EventID        string    `bson:"eventId"`
	Body           string    `bson:"body"`
	Attempts       int       `bson:"attempts"`
	NextAt         time.Time `bson:"nextAt"`
	Status         string    `bson:"status"`
	LastError      string    `bson:"lastError,omitempty"`
	CreatedAt      time.Time `bson:"createdAt"`
}

func (s *Store) Enqueue(ctx context.Context, ds []webhooks.Delivery) error {
	docs := make([]deliveryDoc, len(ds))
	for i, d := range ds {
		docs[i] = deliveryDoc{ID: d.ID, SubscriptionID: d.SubscriptionID, EventID: d.EventID, Body: string(d.Body), Attempts: d.Attempts,
			NextAt: d.NextAt, Status: d.Status, CreatedAt: d.CreatedAt}
	}
	_, err := dbkit.InsertNew(ctx, s.outbox(), docs)
	return err
}

func (s *Store) UpdateDelivery(ctx context.Context, d webhooks.Delivery) error {
	if d.Status == webhooks.Delivered {
		_, err := s.outbox().DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}})
		return err
	}
	_, err := s.outbox().UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, bson.M{"$set": bson.M{
		"attempts": d.Attempts, "nextAt": d.NextAt, "status": d.Status, "lastError": d.LastError}})
	return err
}

// PendingDeliveries reads the pending deliveries: an indexed query on MongoDB, a scan of
// the outbox (pending and failed deliveries only) on the embedded database, where it
// runs once at start.
func (s *Store) PendingDeliveries(ctx context.Context, dueBefore time.Time) ([]webhooks.Delivery, error) {
	f := bson.M{"status": webhooks.Pending}
	if !dueBefore.IsZero() {
		f["nextAt"] = bson.M{"$lt": dueBefore}
	}
	docs, err := dbkit.FindAll[deliveryDoc](ctx, s.outbox(), f, options.Find().SetSort(bson.D{{Key: "nextAt", Value: 1}}).SetLimit(10000))
	if err != nil {
		return nil, err
	}
	out := make([]webhooks.Delivery, len(docs))
	for i, d := range docs {
		out[i] = d.delivery()
	}
	return out, nil
}

func (d deliveryDoc) delivery() webhooks.Delivery {
	return webhooks.Delivery{ID: d.ID, SubscriptionID: d.SubscriptionID, EventID: d.EventID, Body: []byte(d.Body), Attempts: d.Attempts,
		NextAt: d.NextAt.UTC(), Status: d.Status, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC()}
}

// Delivery reads one delivery of the outbox (tests and diagnostics).
func (s *Store) Delivery(ctx context.Context, id string) (webhooks.Delivery, error) {
	var d deliveryDoc
	if err := s.outbox().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return webhooks.Delivery{}, dbkit.NotFound(err, "delivery %s not found", id)
	}
	return d.delivery(), nil
}

// Cursor returns the position a feed has reached ("" at first).
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var d struct {
		At string `bson:"at"`
	}
	err := s.cursors().FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return d.At, err
}

// SetCursor records the position a feed has reached.
func (s *Store) SetCursor(ctx context.Context, name, at string) error {
	_, err := s.cursors().UpdateOne(ctx, bson.D{{Key: "_id", Value: name}}, bson.M{"$set": bson.M{"at": at}}, options.UpdateOne().SetUpsert(true))
	return err
}
