// Package privacystore keeps what GDPR erasure needs in MongoDB: the suppression list
// (keyed hashes of erased people's identifiers), the erasure journal, and the deletion
// of a person across the domains' collections (the one place that writes to all of
// them, so that nothing of the person is left).
package privacystore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// ErasuresCollection keeps one document per erasure: the profile ids it covers (so a
// retry after a crash finishes it even once the profiles are gone), who asked and when.
// It holds no personal data.
const ErasuresCollection = "erasures"

func (s *Store) erasures() *mongo.Collection { return s.db.Collection(ErasuresCollection) }

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

// Store holds the privacy collections; the person's documents it reads through the
// identity store (PersonReader).
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend
	PersonReader
	profiles, identities, records *mongo.Collection
	// suppression holds the installation key of the suppression list once read.
	suppression suppressionKey
}

// PersonReader reads profiles and what hangs off them.
type PersonReader interface {
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
	RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error)
	IdentitiesOfProfiles(ctx context.Context, ids []string) ([]profile.Identity, error)
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend, people PersonReader) *Store {
	return &Store{db: db, b: b, PersonReader: people, profiles: db.Collection("profiles"),
		identities: db.Collection("identities"), records: db.Collection("source_records")}
}

func (s *Store) orders() *mongo.Collection { return s.db.Collection(commercestore.OrdersCollection) }
func (s *Store) interactions() *mongo.Collection {
	return s.db.Collection(commercestore.InteractionsCollection)
}
func (s *Store) metrics() *mongo.Collection { return s.db.Collection(commercestore.MetricsCollection) }

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

// ErasureScope lists a live profile and every profile merged into it (directly or
// through a chain): what an erasure of the profile deletes.
func (s *Store) ErasureScope(ctx context.Context, id string) ([]string, error) {
	ids := []string{id}
	for frontier := ids; len(frontier) > 0; {
		absorbed, err := dbkit.FindAll[profile.Profile](ctx, s.profiles, bson.M{"mergedInto": bson.M{"$in": frontier}},
			options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			return nil, err
		}
		frontier = nil
		for _, p := range absorbed {
			if !slices.Contains(ids, p.ID) {
				ids = append(ids, p.ID)
				frontier = append(frontier, p.ID)
			}
		}
	}
	return ids, nil
}

// EraseProfiles deletes profiles (an ErasureScope) with their source records,
// identities, interactions and metrics. Orders are kept as guest orders without any
// link to the person, so the shop's revenue figures stay whole. Each step is
// idempotent: a failed erasure is finished by running it again.
func (s *Store) EraseProfiles(ctx context.Context, ids []string) (Erased, error) {
	e := Erased{ProfileIDs: ids}
	in := bson.M{"profileId": bson.M{"$in": ids}}
	// Record ids can carry personal data (a source keyed by e-mail address): orders and
	// interactions that name one of the person's records lose that link too.
	recs, err := dbkit.FindAll[profile.Record](ctx, s.records, in, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return e, err
	}
	recIDs := make([]string, len(recs))
	for i, r := range recs {
		recIDs[i] = r.ID
	}
	anon := bson.M{"$set": bson.M{"profileId": ""}, "$unset": bson.M{"customerRecordId": ""}}
	r, err := s.orders().UpdateMany(ctx, in, anon)
	if err != nil {
		return e, err
	}
	e.OrdersAnonymised = r.ModifiedCount
	if len(recIDs) > 0 {
		if r, err = s.orders().UpdateMany(ctx, bson.M{"customerRecordId": bson.M{"$in": recIDs}}, anon); err != nil {
			return e, err
		}
		e.OrdersAnonymised += r.ModifiedCount
		d, err := s.interactions().DeleteMany(ctx, bson.M{"recordId": bson.M{"$in": recIDs}})
		if err != nil {
			return e, err
		}
		e.Interactions += d.DeletedCount
	}
	for _, step := range []struct {
		n *int64
		c func() (int64, error)
	}{
		{&e.Interactions, func() (int64, error) { d, err := s.interactions().DeleteMany(ctx, in); return count(d, err) }},
		{&e.Identities, func() (int64, error) { d, err := s.identities.DeleteMany(ctx, in); return count(d, err) }},
		{&e.SourceRecords, func() (int64, error) { d, err := s.records.DeleteMany(ctx, in); return count(d, err) }},
	} {
		n, err := step.c()
		if err != nil {
			return e, err
		}
		*step.n += n
	}
	// The ledger buckets list the person's order and interaction ids by profile.
	if _, err := s.db.Collection(commercestore.LedgerCollection).DeleteMany(ctx, in); err != nil {
		return e, err
	}
	if _, err := s.metrics().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}}); err != nil {
		return e, err
	}
	// The profile goes last: until then a retry can still find what is left.
	_, err = s.profiles.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	return e, err
}

func count(d *mongo.DeleteResult, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return d.DeletedCount, nil
}

// Erased counts what EraseProfiles removed.
type Erased struct {
	ProfileIDs       []string
	SourceRecords    int64
	Identities       int64
	Interactions     int64
	OrdersAnonymised int64
}
