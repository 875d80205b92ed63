package store

import (
	"context"
	"slices"

	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Reads and writes that span profiles and commerce data: customers by attribute, and
// erasure (which deletes across the domains' collections).

// Collections of the commerce domain that erasure and segment queries read (the
// commercestore package owns them).
func (s *Store) orders() *mongo.Collection { return s.DB.Collection(commercestore.OrdersCollection) }
func (s *Store) interactions() *mongo.Collection {
	return s.DB.Collection(commercestore.InteractionsCollection)
}
func (s *Store) metrics() *mongo.Collection { return s.DB.Collection(commercestore.MetricsCollection) }

// ProfileIDsWithAttribute lists live profiles whose custom attribute key equals value,
// at most limit.
func (s *Store) ProfileIDsWithAttribute(ctx context.Context, key, value string, limit int) ([]string, error) {
	type idDoc struct {
		ID string `bson:"_id"`
	}
	docs, err := dbkit.FindAll[idDoc](ctx, s.profiles, bson.M{"traits.attributes." + key: value, "mergedInto": bson.M{"$exists": false}},
		options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// Erased counts what EraseProfiles removed.
type Erased struct {
	ProfileIDs       []string
	SourceRecords    int64
	Identities       int64
	Interactions     int64
	OrdersAnonymised int64
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
