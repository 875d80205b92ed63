// Package matchstore keeps probabilistic matching in MongoDB: jobs, suggestions with
// their evidence, and rejections; it reads live profiles and records to match them.
package matchstore

import (
	"context"
	"errors"
	"slices"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/profile"
)

var _ matchjob.Store = (*Store)(nil)

// Store holds the matching collections, and reads profiles and source records.
// Reads of other domains it answers by delegation: profiles by id (the identity
// store) and the suppression list (the privacy store).
type Store struct {
	ProfileReader
	SuppressionReader
	db                *mongo.Database
	b                 *dbkit.Backend
	profiles, records *mongo.Collection
}

// ProfileReader reads profiles by id.
type ProfileReader interface {
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
}

// SuppressionReader checks identity keys against the suppression list.
type SuppressionReader interface {
	SuppressionFilter(ctx context.Context) (func(identityKey string) bool, error)
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend, profiles ProfileReader, suppression SuppressionReader) *Store {
	return &Store{ProfileReader: profiles, SuppressionReader: suppression, db: db, b: b,
		profiles: db.Collection("profiles"), records: db.Collection("source_records")}
}

// Collections of probabilistic matching.
const (
	MatchSuggestionsCollection = "match_suggestions"
	MatchRejectionsCollection  = "match_rejections"
	MatchJobsCollection        = "match_jobs"
)

func (s *Store) matchSuggestions() *mongo.Collection {
	return s.db.Collection(MatchSuggestionsCollection)
}
func (s *Store) matchRejections() *mongo.Collection {
	return s.db.Collection(MatchRejectionsCollection)
}
func (s *Store) matchJobs() *mongo.Collection { return s.db.Collection(MatchJobsCollection) }

// EnsureMatchIndexes creates the indexes of the review list and the job queries.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.matchSuggestions(): {{Keys: bson.D{{Key: "status", Value: 1}, {Key: "probability", Value: -1}, {Key: "_id", Value: 1}}}},
		s.matchJobs():        {{Keys: bson.D{{Key: "status", Value: 1}, {Key: "baseline", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}

var liveProfile = bson.M{"mergedInto": bson.M{"$exists": false}}

func (s *Store) CountLiveProfiles(ctx context.Context) (int, error) {
	n, err := s.profiles.CountDocuments(ctx, liveProfile)
	return int(n), err
}

// LiveProfiles reads the profiles that were not merged with one find, in cursor
// batches: on FerretDB every filtered find scans the collection, so paging with
// {_id: {$gt: last}} would scan it once per page.
func (s *Store) LiveProfiles(ctx context.Context, batch int, fn func([]profile.Profile) error) error {
	cur, err := s.profiles.Find(ctx, liveProfile, options.Find().SetBatchSize(int32(batch)).
		SetProjection(bson.M{"traits": 1, "identifiers": 1, "keepApart": 1, "createdAt": 1, "updatedAt": 1, "rev": 1}))
	if err != nil {
		return err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	page := make([]profile.Profile, 0, batch)
	for cur.Next(ctx) {
		var p profile.Profile
		if err := cur.Decode(&p); err != nil {
			return err
		}
		if page = append(page, p); len(page) == batch {
			if err := fn(page); err != nil {
				return err
			}
			page = make([]profile.Profile, 0, batch)
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if len(page) > 0 {
		return fn(page)
	}
	return nil
}

// ProfileIDsOfSource lists the distinct profiles the source's records are resolved into.
func (s *Store) ProfileIDsOfSource(ctx context.Context, source string) ([]string, error) {
	var ids []string
	if err := s.records.Distinct(ctx, "profileId", bson.M{"source": source}).Decode(&ids); err != nil {
		return nil, err
	}
	out := ids[:0]
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out, nil
}

// UpsertSuggestions writes suggestions as pending, keeping the creation time of those
// that exist and clearing an earlier decision.
func (s *Store) UpsertSuggestions(ctx context.Context, ss []matchjob.Suggestion) error {
	ms := make([]mongo.WriteModel, 0, len(ss))
	for _, sg := range ss {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": sg.ID}).SetUpsert(true).SetUpdate(bson.M{
			"$set": bson.M{"a": sg.A, "b": sg.B, "status": matchjob.Pending, "probability": sg.Probability, "weight": sg.Weight,
				"decision": sg.Decision, "note": sg.Note, "evidence": sg.Evidence, "runId": sg.RunID, "updatedAt": sg.UpdatedAt},
			"$setOnInsert": bson.M{"createdAt": sg.CreatedAt},
			"$unset":       bson.M{"decidedBy": "", "decidedAt": "", "reason": "", "survivor": ""},
		}))
	}
	return dbkit.Bulk(ctx, s.b, s.matchSuggestions(), ms)
}

func (s *Store) GetSuggestions(ctx context.Context, ids []string) ([]matchjob.Suggestion, error) {
	return dbkit.InBatches[matchjob.Suggestion](ctx, s.b, s.matchSuggestions(), "_id", ids)
}

// ListSuggestions pages by probability (highest first), then _id; the cursor is the id
// of the previous page's last suggestion.
func (s *Store) ListSuggestions(ctx context.Context, status matchjob.SuggestionStatus, after string, limit int) ([]matchjob.Suggestion, error) {
	f := bson.M{}
	if status != "" {
		f["status"] = status
	}
	if after != "" {
		var last matchjob.Suggestion
		err := s.matchSuggestions().FindOne(ctx, bson.M{"_id": after}).Decode(&last)
		if err != nil {
			return nil, dbkit.NotFound(err, "match suggestion %q not found", after)
		}
		f["$or"] = bson.A{
			bson.M{"probability": bson.M{"$lt": last.Probability}},
			bson.M{"probability": last.Probability, "_id": bson.M{"$gt": after}},
		}
	}
	o := options.Find().SetSort(bson.D{{Key: "probability", Value: -1}, {Key: "_id", Value: 1}})
	if limit > 0 {
		o.SetLimit(int64(limit))
	}
	return dbkit.FindAll[matchjob.Suggestion](ctx, s.matchSuggestions(), f, o)
}

// DecideSuggestion records a decision on a suggestion that is still pending.
func (s *Store) DecideSuggestion(ctx context.Context, sg matchjob.Suggestion) (bool, error) {
	set := bson.M{"status": sg.Status, "decidedBy": sg.DecidedBy, "updatedAt": sg.UpdatedAt}
	unset := bson.M{}
	for k, v := range map[string]string{"reason": sg.Reason, "survivor": sg.Survivor} {
		if v != "" {
			set[k] = v
		} else {
			unset[k] = ""
		}
	}
	if sg.DecidedAt != nil {
		set["decidedAt"] = *sg.DecidedAt
	}
	u := bson.M{"$set": set}
	if len(unset) > 0 {
		u["$unset"] = unset
	}
	r, err := s.matchSuggestions().UpdateOne(ctx, bson.M{"_id": sg.ID, "status": matchjob.Pending}, u)
	if err != nil {
		return false, err
	}
	return r.MatchedCount == 1, nil
}

func (s *Store) DeleteSuggestions(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.matchSuggestions().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	return err
}

func (s *Store) AddRejection(ctx context.Context, r matchjob.Rejection) error {
	_, err := s.matchRejections().ReplaceOne(ctx, bson.M{"_id": r.ID}, r, options.Replace().SetUpsert(true))
	return err
}

func (s *Store) Rejections(ctx context.Context) ([]matchjob.Rejection, error) {
	return dbkit.FindAll[matchjob.Rejection](ctx, s.matchRejections(), bson.M{})
}

func (s *Store) SaveMatchJob(ctx context.Context, j matchjob.Job) error {
	_, err := s.matchJobs().ReplaceOne(ctx, bson.M{"_id": j.ID}, j, options.Replace().SetUpsert(true))
	return err
}

func (s *Store) GetMatchJob(ctx context.Context, id string) (matchjob.Job, error) {
	var j matchjob.Job
	err := s.matchJobs().FindOne(ctx, bson.M{"_id": id}).Decode(&j)
	return j, dbkit.NotFound(err, "match job %q not found", id)
}

// ListMatchJobs lists the newest jobs first (ids are time-ordered).
func (s *Store) ListMatchJobs(ctx context.Context, limit int) ([]matchjob.Job, error) {
	return dbkit.FindAll[matchjob.Job](ctx, s.matchJobs(), bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

func (s *Store) RunningMatchJobs(ctx context.Context) ([]matchjob.Job, error) {
	return dbkit.FindAll[matchjob.Job](ctx, s.matchJobs(), bson.M{"status": matchjob.Running})
}

func (s *Store) LastBaselineMatchJob(ctx context.Context) (*matchjob.Job, error) {
	var j matchjob.Job
	err := s.matchJobs().FindOne(ctx, bson.M{"status": matchjob.Succeeded, "baseline": true},
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&j)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// ForgetMatches deletes the match suggestions (with their evidence, the values of both
// sides) and the rejections that involve any of the profiles, and drops them from the
// skipped pairs listed on match jobs. It returns the suggestions deleted.
func (s *Store) ForgetMatches(ctx context.Context, ids []string) (int64, error) {
	either := bson.M{"$or": bson.A{bson.M{"a": bson.M{"$in": ids}}, bson.M{"b": bson.M{"$in": ids}}}}
	d, err := s.matchSuggestions().DeleteMany(ctx, either)
	if err != nil {
		return 0, err
	}
	if _, err := s.matchRejections().DeleteMany(ctx, either); err != nil {
		return d.DeletedCount, err
	}
	// $pull with a condition does nothing on FerretDB: rewrite the lists. Job documents
	// are one per run, few enough to read.
	jobs, err := dbkit.FindAll[matchjob.Job](ctx, s.matchJobs(), bson.M{"skipped": bson.M{"$exists": true}},
		options.Find().SetProjection(bson.M{"_id": 1, "skipped": 1}))
	if err != nil {
		return d.DeletedCount, err
	}
	for _, j := range jobs {
		kept := slices.DeleteFunc(slices.Clone(j.Skipped), func(p matchjob.SkippedPair) bool {
			return slices.Contains(ids, p.A) || slices.Contains(ids, p.B)
		})
		if len(kept) == len(j.Skipped) {
			continue
		}
		u := bson.M{"$set": bson.M{"skipped": kept}}
		if len(kept) == 0 {
			u = bson.M{"$unset": bson.M{"skipped": ""}}
		}
		if _, err := s.matchJobs().UpdateOne(ctx, bson.D{{Key: "_id", Value: j.ID}}, u); err != nil {
			return d.DeletedCount, err
		}
	}
	return d.DeletedCount, nil
}
