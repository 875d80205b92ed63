// Package trackingstore keeps the tracking API's write keys and the ids of the messages
// it has processed, every read and write a bare _id operation:
//
//	write_keys          _id = SHA-256 of the secret: a request's key is one point read
//	write_key_sources   _id = source, the ids of its keys (listed before the key is
//	                    written; readers skip ids whose key is missing)
//	tracking_messages   _id = "source:messageId", one per processed message (dedupe)
package trackingstore

import (
	"context"
	"errors"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/tracking"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var _ tracking.Store = (*Store)(nil)

// Collections.
const (
	KeysCollection     = "write_keys"
	SourcesCollection  = "write_key_sources"
	MessagesCollection = "tracking_messages"
)

// Store holds the tracking collections.
type Store struct {
	keys, sources, messages *mongo.Collection
}

// New wraps a database.
func New(db *mongo.Database) *Store {
	return &Store{keys: db.Collection(KeysCollection), sources: db.Collection(SourcesCollection), messages: db.Collection(MessagesCollection)}
}

type sourceKeys struct {
	Source string   `bson:"_id"`
	KeyIDs []string `bson:"keyIds"`
}

type message struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// InsertWriteKey lists the key on its source first: a crash in between leaves an id
// listed without a key, which readers skip, never a key no one can see.
func (s *Store) InsertWriteKey(ctx context.Context, k tracking.WriteKey) error {
	if _, err := s.sources.UpdateOne(ctx, bson.D{{Key: "_id", Value: k.Source}},
		bson.M{"$addToSet": bson.M{"keyIds": k.ID}}, options.UpdateOne().SetUpsert(true)); err != nil {
		return err
	}
	_, err := s.keys.InsertOne(ctx, k)
	return err
}

func (s *Store) WriteKey(ctx context.Context, id string) (tracking.WriteKey, error) {
	var k tracking.WriteKey
	err := s.keys.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&k)
	return k, dbkit.NotFound(err, "write key not found")
}

func (s *Store) WriteKeysOf(ctx context.Context, source string) ([]tracking.WriteKey, error) {
	var sk sourceKeys
	err := s.sources.FindOne(ctx, bson.D{{Key: "_id", Value: source}}).Decode(&sk)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return []tracking.WriteKey{}, nil
	}
	if err != nil {
		return nil, err
	}
	// PointReads keeps the listed order, which is the order of creation.
	return dbkit.PointReads[tracking.WriteKey](ctx, s.keys, sk.KeyIDs)
}

// RevokeWriteKey sets revokedAt once: a second revocation returns the key as it is.
func (s *Store) RevokeWriteKey(ctx context.Context, id string, at time.Time) (tracking.WriteKey, error) {
	k, err := s.WriteKey(ctx, id)
	if err != nil || k.RevokedAt != nil {
		return k, err
	}
	at = at.UTC().Truncate(time.Millisecond)
	if _, err := s.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$set": bson.M{"revokedAt": at}}); err != nil {
		return tracking.WriteKey{}, err
	}
	k.RevokedAt = &at
	return k, nil
}

func (s *Store) SeenMessages(ctx context.Context, ids []string) ([]string, error) {
	got, err := dbkit.PointReads[message](ctx, s.messages, ids, options.FindOne().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(got))
	for i, m := range got {
		out[i] = m.ID
	}
	return out, nil
}

func (s *Store) MarkMessages(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	docs := make([]message, len(ids))
	for i, id := range ids {
		docs[i] = message{ID: id, At: at}
	}
	_, err := dbkit.InsertNew(ctx, s.messages, docs)
	return err
}
