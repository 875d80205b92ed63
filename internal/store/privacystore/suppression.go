package privacystore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/privacy"
)

// The suppression list: one document per identity key of an erased person, keyed by
// the key's HMAC under the installation key, so a check is a point read by _id and the
// list never holds the value.
const (
	SuppressionsCollection = "suppressions"
	// InstallationCollection holds per-installation secrets, created once.
	InstallationCollection = "installation"
	suppressionKeyID       = "suppression-hmac-key"
)

func (s *Store) suppressions() *mongo.Collection { return s.db.Collection(SuppressionsCollection) }

type suppressionKey struct {
	mu  sync.Mutex
	key []byte
	// inUse caches the key document's InUse once seen true (it never goes back).
	inUse atomic.Bool
}

type secretDoc struct {
	ID        string    `bson:"_id"`
	Key       []byte    `bson:"key"`
	CreatedAt time.Time `bson:"createdAt"`
	// InUse is set before the first entry is written: until then, and that is most
	// installations most of the time, a check costs one point read per call instead of
	// one per identifier.
	InUse bool `bson:"inUse,omitempty"`
}

type suppressionDoc struct {
	Hash      string    `bson:"_id"`
	Type      string    `bson:"type"`
	CreatedAt time.Time `bson:"createdAt"`
	Actor     string    `bson:"actor"`
}

func (d suppressionDoc) domain() privacy.Suppression {
	return privacy.Suppression{Hash: d.Hash, Type: d.Type, CreatedAt: d.CreatedAt, Actor: d.Actor}
}

// EnsureSuppressionKey reads the installation's suppression key, creating it on the
// first start. Every instance on the database reads the same key: a concurrent first
// start loses the insert and reads the winner's.
func (s *Store) EnsureSuppressionKey(ctx context.Context) error {
	_, err := s.suppressionKey(ctx)
	return err
}

func (s *Store) suppressionKey(ctx context.Context) ([]byte, error) {
	k := &s.suppression
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	c := s.db.Collection(InstallationCollection)
	var d secretDoc
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: suppressionKeyID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if _, err := c.InsertOne(ctx, secretDoc{ID: suppressionKeyID, Key: key, CreatedAt: time.Now().UTC()}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return nil, err
		}
		err = c.FindOne(ctx, bson.D{{Key: "_id", Value: suppressionKeyID}}).Decode(&d)
	}
	if err != nil {
		return nil, err
	}
	if len(d.Key) != 32 {
		return nil, fmt.Errorf("suppression key in %s is %d bytes, want 32", InstallationCollection, len(d.Key))
	}
	k.key = d.Key
	return k.key, nil
}

func (s *Store) hashes(ctx context.Context, keys []string) (map[string]string, error) {
	key, err := s.suppressionKey(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[privacy.Hash(key, k)] = k
	}
	return out, nil
}

// Suppress adds identity keys to the suppression list. A key listed already keeps its
// entry (creation time and actor), so repeating it is harmless.
func (s *Store) Suppress(ctx context.Context, keys []string, actor string, at time.Time) error {
	hs, err := s.hashes(ctx, keys)
	if err != nil || len(hs) == 0 {
		return err
	}
	if !s.suppression.inUse.Load() {
		_, err := s.db.Collection(InstallationCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: suppressionKeyID}},
			bson.M{"$set": bson.M{"inUse": true}})
		if err != nil {
			return err
		}
		s.suppression.inUse.Store(true)
	}
	ms := make([]mongo.WriteModel, 0, len(hs))
	for h, k := range hs {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: h}}).SetUpsert(true).SetUpdate(bson.M{
			"$setOnInsert": bson.M{"type": privacy.KeyType(k), "createdAt": at, "actor": actor}}))
	}
	return dbkit.Bulk(ctx, s.b, s.suppressions(), ms)
}

// Suppressed returns the identity keys among keys that are on the suppression list:
// one point read per key.
func (s *Store) Suppressed(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if !s.suppression.inUse.Load() {
		var d secretDoc
		if err := s.db.Collection(InstallationCollection).FindOne(ctx, bson.D{{Key: "_id", Value: suppressionKeyID}},
			options.FindOne().SetProjection(bson.M{"inUse": 1})).Decode(&d); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, err
		}
		if !d.InUse {
			return nil, nil
		}
		s.suppression.inUse.Store(true)
	}
	hs, err := s.hashes(ctx, keys)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(hs))
	for h := range hs {
		ids = append(ids, h)
	}
	docs, err := dbkit.InBatches[suppressionDoc](ctx, s.b, s.suppressions(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, hs[d.Hash])
	}
	return out, nil
}

// SuppressionFilter reads the whole list once (for batch jobs that check every
// profile) and returns a check of identity keys against it.
func (s *Store) SuppressionFilter(ctx context.Context) (func(identityKey string) bool, error) {
	key, err := s.suppressionKey(ctx)
	if err != nil {
		return nil, err
	}
	docs, err := dbkit.FindAll[suppressionDoc](ctx, s.suppressions(), bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(docs))
	for _, d := range docs {
		set[d.Hash] = true
	}
	return func(k string) bool { return len(set) > 0 && set[privacy.Hash(key, k)] }, nil
}

// LiftSuppression removes an identity key from the list and returns its entry.
func (s *Store) LiftSuppression(ctx context.Context, identityKey string) (privacy.Suppression, error) {
	key, err := s.suppressionKey(ctx)
	if err != nil {
		return privacy.Suppression{}, err
	}
	var d suppressionDoc
	err = s.suppressions().FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: privacy.Hash(key, identityKey)}}).Decode(&d)
	if err != nil {
		return privacy.Suppression{}, dbkit.NotFound(err, "%s identifier is not suppressed", privacy.KeyType(identityKey))
	}
	return d.domain(), nil
}

// Suppressions pages the list, newest first, then by hash; after is the hash of the
// last entry of the previous page.
func (s *Store) Suppressions(ctx context.Context, after string, limit int) ([]privacy.Suppression, error) {
	f := bson.M{}
	if after != "" {
		var last suppressionDoc
		if err := s.suppressions().FindOne(ctx, bson.D{{Key: "_id", Value: after}}).Decode(&last); err != nil {
			return nil, dbkit.NotFound(err, "suppression %q not found", after)
		}
		f["$or"] = bson.A{
			bson.M{"createdAt": bson.M{"$lt": last.CreatedAt}},
			bson.M{"createdAt": last.CreatedAt, "_id": bson.M{"$gt": after}},
		}
	}
	o := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: 1}})
	if limit > 0 {
		o.SetLimit(int64(limit))
	}
	docs, err := dbkit.FindAll[suppressionDoc](ctx, s.suppressions(), f, o)
	if err != nil {
		return nil, err
	}
	out := make([]privacy.Suppression, len(docs))
	for i, d := range docs {
		out[i] = d.domain()
	}
	return out, nil
}
