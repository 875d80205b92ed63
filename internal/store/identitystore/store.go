// Package identitystore keeps the identity graph in MongoDB: profiles, identities
// (keyed "type:value" for point reads), source records, sources, ingest jobs and the
// journal of graph changes in flight. The other domains' stores are its siblings under
// internal/store; the plumbing they share is internal/store/dbkit.
package identitystore

import (
	"context"
	"sync"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Store holds the collections.
type Store struct {
	DB         *mongo.Database
	b          *dbkit.Backend
	profiles   *mongo.Collection
	identities *mongo.Collection
	records    *mongo.Collection
	sources    *mongo.Collection
	jobs       *mongo.Collection
	// search is the in-process search index where filters are not indexed (search.go).
	search *searchIndex
	// known are the existence hints of identities and records (known.go).
	known *knownSets
	// prio caches the source priorities where filters are not indexed (SourcePriorities).
	prioMu sync.Mutex
	prio   map[string]int
}

// New wraps a database on the given backend (dbkit.Detect tells which).
func New(db *mongo.Database, b *dbkit.Backend) *Store {
	return &Store{DB: db, b: b,
		profiles: db.Collection("profiles"), identities: db.Collection("identities"),
		records: db.Collection("source_records"), sources: db.Collection("sources"),
		jobs: db.Collection("ingest_jobs"), search: indexOf(db), known: knownOf(db),
	}
}

// Backend is what the database can do.
func (s *Store) Backend() *dbkit.Backend { return s.b }

// EnsureIndexes creates the indexes the queries need on MongoDB (FerretDB accepts them
// and scans anyway).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.identities: {{Keys: bson.D{{Key: "profileId", Value: 1}}}},
		s.records:    {{Keys: bson.D{{Key: "profileId", Value: 1}}}, {Keys: bson.D{{Key: "source", Value: 1}}}},
		s.profiles:   {{Keys: bson.D{{Key: "searchTokens", Value: 1}}}, {Keys: bson.D{{Key: "mergedInto", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}
