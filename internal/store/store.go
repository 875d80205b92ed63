// Package store is the MongoDB implementation of the domain stores. It keeps to the
// query subset that works on both MongoDB and FerretDB (see DESIGN.md): point reads by
// _id, $in batches, bulk writes, no transactions, no aggregation beyond $match/$group.
package store

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Store holds the collections.
type Store struct {
	DB         *mongo.Database
	profiles   *mongo.Collection
	identities *mongo.Collection
	records    *mongo.Collection
	sources    *mongo.Collection
	keys       *mongo.Collection
	jobs       *mongo.Collection

	// suppression holds the installation key of the suppression list once read (see
	// suppression.go).
	suppression suppressionKey
}

// New wraps a database.
func New(db *mongo.Database) *Store {
	return &Store{DB: db,
		profiles: db.Collection("profiles"), identities: db.Collection("identities"),
		records: db.Collection("source_records"), sources: db.Collection("sources"),
		keys: db.Collection("api_keys"), jobs: db.Collection("ingest_jobs"),
	}
}

// EnsureIndexes creates the indexes the queries need on MongoDB (FerretDB accepts them
// and scans anyway).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.identities: {{Keys: bson.D{{Key: "profileId", Value: 1}}}},
		s.records:    {{Keys: bson.D{{Key: "profileId", Value: 1}}}, {Keys: bson.D{{Key: "source", Value: 1}}}},
		s.profiles:   {{Keys: bson.D{{Key: "searchTokens", Value: 1}}}, {Keys: bson.D{{Key: "mergedInto", Value: 1}}}},
		s.keys:       {{Keys: bson.D{{Key: "hash", Value: 1}}, Options: options.Index().SetUnique(true)}},
	}
	return createMissingIndexes(ctx, idx)
}

// notFound maps the driver's no-document error to a domain error.
func notFound(err error, format string, a ...any) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return apperr.NotFoundf(format, a...)
	}
	return err
}

func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// inBatches splits $in lookups: FerretDB and MongoDB both take large $in lists, but a
// bounded size keeps each round trip's document size in check. On FerretDB an $in on _id
// is not pushed down to SQLite (every document of the collection is decoded), while a
// bare {_id: "..."} is an index lookup (see embeddb's _id index), so there the ids are
// read one by one by a few concurrent readers: O(keys) instead of O(collection).
func inBatches[T any](ctx context.Context, c *mongo.Collection, field string, ids []string) ([]T, error) {
	if field == "_id" && !RealMongoDB() {
		return pointReads[T](ctx, c, ids)
	}
	var out []T
	for start := 0; start < len(ids); start += 2000 {
		part := ids[start:min(start+2000, len(ids))]
		got, err := findAll[T](ctx, c, bson.M{field: bson.M{"$in": part}})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// pointReaders bounds the concurrent point reads of one lookup.
const pointReaders = 8

func pointReads[T any](ctx context.Context, c *mongo.Collection, ids []string) ([]T, error) {
	ids = uniq(ids)
	found := make([]*T, len(ids))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(pointReaders)
	for i, id := range ids {
		g.Go(func() error {
			var v T
			err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&v)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			found[i] = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ids))
	for _, v := range found {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func unordered() options.Lister[options.BulkWriteOptions] {
	return options.BulkWrite().SetOrdered(false)
}

// writeBatch caps the statements per bulk write command. FerretDB v1.24 keeps every
// update statement's cursor open until the whole command ends (a defer in a loop), so
// one command of 100 updates exhausts its 100 SQLite connections and deadlocks.
var writeBatch = 40

// UseMongoDBBatches lifts the FerretDB workaround when the server is a real MongoDB.
func UseMongoDBBatches() { writeBatch = 1000 }

// RealMongoDB reports whether UseMongoDBBatches was called: the server is MongoDB, with
// atomic document updates, rather than FerretDB.
func RealMongoDB() bool { return writeBatch > 40 }

// bulk writes models in commands of at most writeBatch statements and returns how many
// documents matched.
func bulk(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) error {
	_, err := bulkMatched(ctx, c, models)
	return err
}

func bulkMatched(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) (int64, error) {
	var matched int64
	for start := 0; start < len(models); start += writeBatch {
		r, err := c.BulkWrite(ctx, models[start:min(start+writeBatch, len(models))], unordered())
		if err != nil {
			return matched, err
		}
		matched += r.MatchedCount
	}
	return matched, nil
}
