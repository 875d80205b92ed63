package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// ErasuresCollection keeps one document per erasure: the profile ids it covers (so a
// retry after a crash finishes it even once the profiles are gone), who asked and when.
// It holds no personal data.
const ErasuresCollection = "erasures"

func (s *Store) erasures() *mongo.Collection { return s.DB.Collection(ErasuresCollection) }

// Erasure is the journal of one erasure, keyed by the erased (live) profile id.
type Erasure struct {
	ID         string     `bson:"_id"`
	ProfileIDs []string   `bson:"profileIds"`
	Actor      string     `bson:"actor"`
	StartedAt  time.Time  `bson:"startedAt"`
	FinishedAt *time.Time `bson:"finishedAt,omitempty"`
}

// GetErasure returns the journal of an erasure of id, if there is one.
func (s *Store) GetErasure(ctx context.Context, id string) (*Erasure, error) {
	var e Erasure
	err := s.erasures().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// BeginErasure writes (or widens) the journal of an erasure before its first step.
func (s *Store) BeginErasure(ctx context.Context, e Erasure) (Erasure, error) {
	prev, err := s.GetErasure(ctx, e.ID)
	if err != nil {
		return e, err
	}
	if prev != nil {
		ids := append(slices.Clone(prev.ProfileIDs), e.ProfileIDs...)
		slices.Sort(ids)
		e.ProfileIDs, e.StartedAt = slices.Compact(ids), prev.StartedAt
	}
	e.FinishedAt = nil
	_, err = s.erasures().ReplaceOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, e, options.Replace().SetUpsert(true))
	return e, err
}

// FinishErasure marks an erasure done.
func (s *Store) FinishErasure(ctx context.Context, id string, at time.Time) error {
	_, err := s.erasures().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$set": bson.M{"finishedAt": at}})
	return err
}

// PersonDocs reads what the profiles of an erasure hold about the person: the profiles,
// the records resolved into them and the identities they own.
func (s *Store) PersonDocs(ctx context.Context, ids []string) ([]profile.Profile, []profile.Record, []profile.Identity, error) {
	ps, err := s.GetProfiles(ctx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, err := s.RecordsOfProfiles(ctx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	is, err := s.IdentitiesOfProfiles(ctx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	return ps, rs, is, nil
}
