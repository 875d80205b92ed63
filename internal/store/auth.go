package store

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/auth"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var _ auth.Store = (*Store)(nil)

func (s *Store) InsertKey(ctx context.Context, k auth.Key) error {
	_, err := s.keys.InsertOne(ctx, k)
	return err
}

func (s *Store) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	var k auth.Key
	err := s.keys.FindOne(ctx, bson.M{"hash": hash}).Decode(&k)
	return k, notFound(err, "API key not found")
}

func (s *Store) ListKeys(ctx context.Context) ([]auth.Key, error) {
	return findAll[auth.Key](ctx, s.keys, bson.M{}, options.Find().SetSort(bson.M{"createdAt": 1}))
}

func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) (auth.Key, error) {
	var k auth.Key
	err := s.keys.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"revokedAt": at}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&k)
	return k, notFound(err, "API key %q not found", id)
}

func (s *Store) CountKeys(ctx context.Context) (int64, error) {
	return s.keys.CountDocuments(ctx, bson.M{})
}

func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.keys.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"lastUsedAt": at}})
	return err
}
