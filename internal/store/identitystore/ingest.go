package identitystore

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/profile"
)

var _ ingest.Store = (*Store)(nil)

func (s *Store) CreateSource(ctx context.Context, src ingest.Source) error {
	if _, err := s.sources.InsertOne(ctx, src); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return apperr.Conflictf("source %q exists already", src.Name)
		}
		return err
	}
	s.prioMu.Lock()
	if s.prio != nil {
		s.prio[src.Name] = src.Priority
	}
	s.prioMu.Unlock()
	return nil
}

func (s *Store) GetSource(ctx context.Context, name string) (ingest.Source, error) {
	var src ingest.Source
	err := s.sources.FindOne(ctx, bson.M{"_id": name}).Decode(&src)
	return src, dbkit.NotFound(err, "source %q not found", name)
}

func (s *Store) ListSources(ctx context.Context) ([]ingest.Source, error) {
	return dbkit.FindAll[ingest.Source](ctx, s.sources, bson.M{}, options.Find().SetSort(bson.M{"_id": 1}))
}

func (s *Store) IncSourceRecords(ctx context.Context, name string, n int64) error {
	defer s.b.Guard("sources")() // ReplaceSource writes the same documents
	_, err := s.sources.UpdateOne(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"recordCount": n}})
	return err
}

func (s *Store) GetRecords(ctx context.Context, ids []string) ([]profile.Record, error) {
	return dbkit.InBatches[profile.Record](ctx, s.b, s.records, "_id", ids)
}

// UpsertRecords never touches profileId: that is resolution's to set.
func (s *Store) UpsertRecords(ctx context.Context, rs []profile.Record) error {
	var ms []mongo.WriteModel
	for _, r := range rs {
		s.knowRecords(r.ID)
		set := bson.M{"source": r.Source, "externalId": r.ExternalID, "payload": r.Payload, "hash": r.Hash,
			"observedAt": r.ObservedAt, "identifiers": r.Identifiers, "traits": r.Traits, "invalid": r.Invalid}
		if r.PinnedProfile != "" {
			set["pinnedProfile"] = r.PinnedProfile
		}
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": r.ID}).SetUpsert(true).
			SetUpdate(bson.M{"$set": set, "$setOnInsert": bson.M{"receivedAt": r.ReceivedAt}}))
	}
	return dbkit.Bulk(ctx, s.b, s.records, ms)
}

func (s *Store) CreateJob(ctx context.Context, j ingest.Job) error {
	_, err := s.jobs.InsertOne(ctx, j)
	return err
}

func (s *Store) GetJob(ctx context.Context, id string) (ingest.Job, error) {
	var j ingest.Job
	err := s.jobs.FindOne(ctx, bson.M{"_id": id}).Decode(&j)
	return j, dbkit.NotFound(err, "ingest job %q not found", id)
}

func (s *Store) ListJobs(ctx context.Context, limit int) ([]ingest.Job, error) {
	return dbkit.FindAll[ingest.Job](ctx, s.jobs, bson.M{}, options.Find().SetSort(bson.M{"_id": -1}).SetLimit(int64(limit)))
}

func (s *Store) AddJobCounts(ctx context.Context, id string, c ingest.Counts, at time.Time) error {
	_, err := s.jobs.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"updatedAt": at, "interrupted": false}, "$inc": bson.M{
		"counts.created": c.Created, "counts.updated": c.Updated, "counts.unchanged": c.Unchanged,
		"counts.merged": c.Merged, "counts.rejected": c.Rejected,
	}})
	return err
}

func (s *Store) FinishJob(ctx context.Context, id string, at time.Time) (ingest.Job, error) {
	var j ingest.Job
	err := s.jobs.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"done": true, "finishedAt": at, "updatedAt": at}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&j)
	return j, dbkit.NotFound(err, "ingest job %q not found", id)
}

// MarkJobsInterrupted scans the jobs collection (small, and only at start).
func (s *Store) MarkJobsInterrupted(ctx context.Context) error {
	_, err := s.jobs.UpdateMany(ctx, bson.M{"done": false}, bson.M{"$set": bson.M{"interrupted": true}})
	return err
}

// RecordsBySource lists a source's records (tests and exports).
func (s *Store) RecordsBySource(ctx context.Context, source string) ([]profile.Record, error) {
	return dbkit.FindAll[profile.Record](ctx, s.records, bson.M{"source": source}, options.Find().SetSort(bson.M{"_id": 1}))
}
