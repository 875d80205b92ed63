package identitystore

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Customers by attribute (orders referenced by a shop's customer number).

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
