package commercestore

// Each profile's interaction ids, listed on its metrics document (field interactionIds),
// so commerce follows a merge by reading and moving the absorbed profile's interactions
// by _id. It only adds that field and reads interactions by _id.

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Collections the interaction index uses: commercestore's interactions and metrics
// (their names are part of the stored data), and a collection of one-time migrations.
const (
	indexInteractionsCollection = "interactions"
	indexMetricsCollection      = "customer_metrics"
	migrationsCollection        = "schema_migrations"
	interactionIndexMigration   = "interaction_ids_v1"
)

// InteractionIndex implements commerce.InteractionIndex on the customer_metrics
// documents: field interactionIds lists the profile's interaction ids. Erasing a
// profile deletes its metrics document, and the list with it.
type InteractionIndex struct {
	db *mongo.Database
	b  *dbkit.Backend
}

var _ commerce.InteractionIndex = (*InteractionIndex)(nil)

// NewInteractionIndex wraps a database on the given backend.
func NewInteractionIndex(db *mongo.Database, b *dbkit.Backend) *InteractionIndex {
	return &InteractionIndex{db: db, b: b}
}

func (x *InteractionIndex) metrics() *mongo.Collection {
	return x.db.Collection(indexMetricsCollection)
}

// AddInteractionIDs adds ids with $addToSet, one bulk of updates by _id; a missing
// metrics document is created with rev 0, which the metrics compare-and-set accepts.
func (x *InteractionIndex) AddInteractionIDs(ctx context.Context, byProfile map[string][]string) error {
	var ms []mongo.WriteModel
	for pid, ids := range byProfile {
		if pid == "" || len(ids) == 0 {
			continue
		}
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: pid}}).SetUpsert(true).SetUpdate(bson.M{
			"$addToSet":    bson.M{"interactionIds": bson.M{"$each": dbkit.Uniq(ids)}},
			"$setOnInsert": bson.M{"rev": int64(0)},
		}))
	}
	return dbkit.Bulk(ctx, x.b, x.metrics(), ms)
}

// InteractionIDs reads the lists by _id (point reads on FerretDB).
func (x *InteractionIndex) InteractionIDs(ctx context.Context, profileIDs []string) (map[string][]string, error) {
	type listDoc struct {
		ID             string   `bson:"_id"`
		InteractionIDs []string `bson:"interactionIds"`
	}
	docs, err := dbkit.InBatches[listDoc](ctx, x.b, x.metrics(), "_id", profileIDs)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, d := range docs {
		if len(d.InteractionIDs) > 0 {
			out[d.ID] = d.InteractionIDs
		}
	}
	return out, nil
}

// GetInteractions reads interactions by _id (point reads on FerretDB).
func (x *InteractionIndex) GetInteractions(ctx context.Context, ids []string) ([]commerce.Interaction, error) {
	return dbkit.InBatches[commerce.Interaction](ctx, x.b, x.db.Collection(indexInteractionsCollection), "_id", ids)
}

// EnsureBuilt lists the interactions stored before the index existed, once per
// database: it reads every interaction's id and profile (one scan) and adds them to
// their profiles' lists, then records that it did. Call it at start, before serving;
// running it twice, or on two instances at once, adds nothing twice.
func (x *InteractionIndex) EnsureBuilt(ctx context.Context) error {
	done := x.db.Collection(migrationsCollection)
	err := done.FindOne(ctx, bson.D{{Key: "_id", Value: interactionIndexMigration}}).Err()
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return err
	}
	type row struct {
		ID        string `bson:"_id"`
		ProfileID string `bson:"profileId"`
	}
	rows, err := dbkit.FindAll[row](ctx, x.db.Collection(indexInteractionsCollection), bson.M{},
		options.Find().SetProjection(bson.M{"_id": 1, "profileId": 1}))
	if err != nil {
		return err
	}
	lists := map[string][]string{}
	for _, r := range rows {
		if r.ProfileID != "" {
			lists[r.ProfileID] = append(lists[r.ProfileID], r.ID)
		}
	}
	if err := x.AddInteractionIDs(ctx, lists); err != nil {
		return err
	}
	_, err = done.UpdateOne(ctx, bson.D{{Key: "_id", Value: interactionIndexMigration}},
		bson.M{"$set": bson.M{"at": time.Now().UTC(), "interactions": len(rows)}}, options.UpdateOne().SetUpsert(true))
	return err
}
