// Package consentstore keeps customer consent (internal/consent): one document per
// profile in the consent collection, keyed by the bare profile id, holding the current
// state per channel and purpose, the bounded history, and the granted keys segment
// conditions read (granted: ["email:marketing", ...]). Every read and write is by bare
// _id; the granted index serves the segment query path on MongoDB.
package consentstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

const (
	// Collection holds a consent document per profile.
	Collection = "consent"
	// GrantedField lists a document's granted keys ("channel:purpose").
	GrantedField = "granted"
	// settingsCollection holds the confirmation token key.
	settingsCollection = "consent_settings"
	tokenKeyID         = "token-hmac-key"
	maxAttempts        = 20
)

// Store is the consent store.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend

	secret dbkit.Secret
}

var _ consent.Store = (*Store)(nil)

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

func (s *Store) coll() *mongo.Collection { return s.db.Collection(Collection) }

// doc is the stored form of a consent.Record.
type doc struct {
	ID        string          `bson:"_id"`
	States    []consent.State `bson:"states"`
	History   []consent.Entry `bson:"history"`
	Granted   []string        `bson:"granted"`
	Rev       int64           `bson:"rev"`
	UpdatedAt time.Time       `bson:"updatedAt"`
}

func (d doc) record() consent.Record {
	return consent.Record{ProfileID: d.ID, States: d.States, History: d.History, Rev: d.Rev}
}

func toDoc(r consent.Record, now time.Time) doc {
	g := r.Granted()
	if g == nil {
		g = []string{}
	}
	return doc{ID: r.ProfileID, States: r.States, History: r.History, Granted: g, Rev: r.Rev, UpdatedAt: now}
}

// EnsureIndexes creates the index of the granted keys (MongoDB's segment leaves; the
// embedded database scans anyway and uses the in-process facts).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return dbkit.EnsureIndexes(ctx, map[*mongo.Collection][]mongo.IndexModel{
		s.coll(): {{Keys: bson.D{{Key: GrantedField, Value: 1}}}},
	})
}

// Get reads a profile's record by bare _id.
func (s *Store) Get(ctx context.Context, id string) (consent.Record, bool, error) {
	var d doc
	err := s.coll().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return consent.Record{ProfileID: id}, false, nil
	}
	if err != nil {
		return consent.Record{}, false, err
	}
	return d.record(), true, nil
}

// GetMany reads records by bare _id, one point read each.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]consent.Record, error) {
	ds, err := dbkit.PointReads[doc](ctx, s.coll(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]consent.Record, len(ds))
	for i, d := range ds {
		out[i] = d.record()
	}
	return out, nil
}

// Update is a read-modify-write of one record. On FerretDB, whose updates are not
// atomic and whose filters other than a bare _id scan, the writers of this process take
// turns (Backend.Guard) and write by bare _id; on MongoDB the write is conditional on
// the rev read (a new record is an insert) and a lost race reads again.
func (s *Store) Update(ctx context.Context, id string, change func(*consent.Record) (bool, error)) (consent.Record, error) {
	defer s.b.Guard("consent")()
	for range maxAttempts {
		r, exists, err := s.Get(ctx, id)
		if err != nil {
			return consent.Record{}, err
		}
		r.ProfileID = id
		ok, err := change(&r)
		if err != nil || !ok {
			return r, err
		}
		prev := r.Rev
		r.Rev++
		d := toDoc(r, time.Now().UTC())
		switch {
		case !s.b.AtomicUpdates:
			_, err = s.coll().ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, d, options.Replace().SetUpsert(true))
			return r, err
		case !exists:
			_, err = s.coll().InsertOne(ctx, d)
			if mongo.IsDuplicateKeyError(err) {
				continue
			}
			return r, err
		default:
			res, err := s.coll().ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "rev", Value: prev}}, d)
			if err != nil {
				return r, err
			}
			if res.MatchedCount == 1 {
				return r, nil
			}
		}
	}
	return consent.Record{}, fmt.Errorf("consent of %s: too many concurrent writers", id)
}

// Delete deletes records: by bare _id on FerretDB, an $in on MongoDB.
func (s *Store) Delete(ctx context.Context, ids []string) error {
	ids = dbkit.Uniq(ids)
	if len(ids) == 0 {
		return nil
	}
	if s.b.IndexedFilters {
		_, err := s.coll().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
		return err
	}
	ms := make([]mongo.WriteModel, len(ids))
	for i, id := range ids {
		ms[i] = mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}})
	}
	return dbkit.Bulk(ctx, s.b, s.coll(), ms)
}

// TokenKey returns the installation's confirmation token key, created on first use;
// every instance on the database reads the same one (a concurrent first use loses the
// insert and reads the winner's).
func (s *Store) TokenKey(ctx context.Context) ([]byte, error) {
	return s.secret.Get(ctx, s.db.Collection(settingsCollection), tokenKeyID)
}
