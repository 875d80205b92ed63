// Package authstore keeps API keys in MongoDB: the keys, a pointer from each key's hash
// to it (so a request's key is found by _id), and the revocation notices instances poll.
package authstore

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
)

var _ auth.Store = (*Store)(nil)

// Store holds the key collections.
type Store struct {
	db   *mongo.Database
	b    *dbkit.Backend
	keys *mongo.Collection
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store {
	return &Store{db: db, b: b, keys: db.Collection("api_keys")}
}

// EnsureIndexes creates what the queries need on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return dbkit.EnsureIndexes(ctx, map[*mongo.Collection][]mongo.IndexModel{
		s.keys: {{Keys: bson.D{{Key: "hash", Value: 1}}, Options: options.Index().SetUnique(true)}},
	})
}

// Keys are looked up by the hash of their secret on every request, so that lookup must
// be a bare _id point read (anything else scans the collection on FerretDB): the
// api_key_hashes collection holds one document per key, _id = hash, pointing to the key.
func (s *Store) keyHashes() *mongo.Collection { return s.db.Collection("api_key_hashes") }

func (s *Store) keyRevocations() *mongo.Collection { return s.db.Collection("api_key_revocations") }

type keyHashDoc struct {
	Hash  string `bson:"_id"`
	KeyID string `bson:"keyId"`
}

// InsertKey writes the hash pointer first: a crash in between leaves a pointer to no key,
// which authenticates nothing and which the next insert of that secret (a bootstrap key
// given again at restart) takes over.
func (s *Store) InsertKey(ctx context.Context, k auth.Key) error {
	_, err := s.keyHashes().InsertOne(ctx, keyHashDoc{Hash: k.Hash, KeyID: k.ID})
	if mongo.IsDuplicateKeyError(err) {
		var p keyHashDoc
		if err := s.keyHashes().FindOne(ctx, bson.D{{Key: "_id", Value: k.Hash}}).Decode(&p); err != nil {
			return err
		}
		if _, err := s.KeyByID(ctx, p.KeyID); !apperr.IsNotFound(err) {
			if err == nil {
				return apperr.Conflictf("an API key with this secret exists already")
			}
			return err
		}
		_, err = s.keyHashes().UpdateOne(ctx, bson.D{{Key: "_id", Value: k.Hash}}, bson.M{"$set": bson.M{"keyId": k.ID}})
	}
	if err != nil {
		return err
	}
	_, err = s.keys.InsertOne(ctx, k)
	return err
}

// EnsureKeyHashes gives every stored key its hash pointer (keys written before the
// pointers existed); idempotent, run at start.
func (s *Store) EnsureKeyHashes(ctx context.Context) error {
	keys, err := dbkit.FindAll[auth.Key](ctx, s.keys, bson.M{}, options.Find().SetProjection(bson.M{"hash": 1}))
	if err != nil {
		return err
	}
	models := make([]mongo.WriteModel, 0, len(keys))
	for _, k := range keys {
		if k.Hash == "" {
			continue
		}
		models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: k.Hash}}).
			SetUpdate(bson.M{"$setOnInsert": bson.M{"keyId": k.ID}}).SetUpsert(true))
	}
	return dbkit.Bulk(ctx, s.b, s.keyHashes(), models)
}

func (s *Store) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	var p keyHashDoc
	if err := s.keyHashes().FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&p); err != nil {
		return auth.Key{}, dbkit.NotFound(err, "API key not found")
	}
	k, err := s.KeyByID(ctx, p.KeyID)
	if err == nil && k.Hash != hash {
		return auth.Key{}, apperr.NotFoundf("API key not found")
	}
	return k, err
}

func (s *Store) KeyByID(ctx context.Context, id string) (auth.Key, error) {
	var k auth.Key
	err := s.keys.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&k)
	return k, dbkit.NotFound(err, "API key %q not found", id)
}

func (s *Store) ListKeys(ctx context.Context) ([]auth.Key, error) {
	return dbkit.FindAll[auth.Key](ctx, s.keys, bson.M{}, options.Find().SetSort(bson.M{"createdAt": 1}))
}

// RevokeKey sets revokedAt once: a second revocation returns the key as it is.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) (auth.Key, error) {
	k, err := s.KeyByID(ctx, id)
	if err != nil || k.RevokedAt != nil {
		return k, err
	}
	if _, err := s.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "revokedAt", Value: bson.M{"$exists": false}}},
		bson.M{"$set": bson.M{"revokedAt": at}}); err != nil {
		return auth.Key{}, err
	}
	return s.KeyByID(ctx, id)
}

func (s *Store) CountKeys(ctx context.Context) (int64, error) {
	return s.keys.CountDocuments(ctx, bson.M{})
}

func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$set": bson.M{"lastUsedAt": at}})
	return err
}

func (s *Store) AddRevocation(ctx context.Context, r auth.Revocation) error {
	_, err := s.keyRevocations().InsertOne(ctx, r)
	return err
}

func (s *Store) RevocationsAfter(ctx context.Context, after string, limit int) ([]auth.Revocation, error) {
	return dbkit.FindAll[auth.Revocation](ctx, s.keyRevocations(), bson.M{"_id": bson.M{"$gt": after}},
		options.Find().SetSort(bson.M{"_id": 1}).SetLimit(int64(limit)))
}

func (s *Store) PruneRevocations(ctx context.Context, before string) error {
	_, err := s.keyRevocations().DeleteMany(ctx, bson.M{"_id": bson.M{"$lt": before}})
	return err
}
