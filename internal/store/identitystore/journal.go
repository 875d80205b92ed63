package identitystore

import (
	"context"
	"errors"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/identity"
)

// The identity journal holds the intent of graph changes in flight (see identity.Journal):
// a handful of documents at any time, so listing it is cheap even where it scans.

func (s *Store) journal() *mongo.Collection { return s.DB.Collection("identity_journal") }

func (s *Store) PutJournal(ctx context.Context, j identity.Journal) error {
	_, err := s.journal().ReplaceOne(ctx, bson.M{"_id": j.ID}, j, options.Replace().SetUpsert(true))
	return err
}

func (s *Store) DeleteJournal(ctx context.Context, id string) error {
	_, err := s.journal().DeleteOne(ctx, bson.M{"_id": id})
	return err
}

func (s *Store) GetJournal(ctx context.Context, id string) (identity.Journal, bool, error) {
	var j identity.Journal
	err := s.journal().FindOne(ctx, bson.M{"_id": id}).Decode(&j)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return j, false, nil
	}
	return j, err == nil, err
}

func (s *Store) Journals(ctx context.Context, before time.Time) ([]identity.Journal, error) {
	return dbkit.FindAll[identity.Journal](ctx, s.journal(), bson.M{"at": bson.M{"$lt": before}}, options.Find().SetSort(bson.M{"_id": 1}))
}

// RecountSourceRecords sets sources' record counts to the records stored (a scan of the
// source's records on FerretDB: only recovery after a crash calls it).
func (s *Store) RecountSourceRecords(ctx context.Context, names []string) error {
	for _, n := range names {
		c, err := s.records.CountDocuments(ctx, bson.M{"source": n})
		if err != nil {
			return err
		}
		if _, err := s.sources.UpdateOne(ctx, bson.M{"_id": n}, bson.M{"$set": bson.M{"recordCount": c}}); err != nil {
			return err
		}
	}
	return nil
}
