package dbkit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// IDs is the in-process list of the ids of one small collection (campaigns, journeys)
// where filters scan: built by one _id-only pass on first use, written through by Add.
// A store embeds it in a type of its own, so that Shared keeps one per collection.
type IDs struct {
	mu    sync.Mutex
	built bool
	ids   []string
}

// Add records a new document's id (before the first pass, the pass will find it).
func (x *IDs) Add(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.built && !slices.Contains(x.ids, id) {
		x.ids = append(x.ids, id)
	}
}

func (x *IDs) list(ctx context.Context, c *mongo.Collection) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built {
		docs, err := FindAll[struct {
			ID string `bson:"_id"`
		}](ctx, c, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return nil, err
		}
		x.ids = make([]string, len(docs))
		for i, d := range docs {
			x.ids[i] = d.ID
		}
		x.built = true
	}
	return slices.Clone(x.ids), nil
}

// ListAll reads every document of a small collection: one find where filters are
// indexed, else the ids kept in x and a point read each.
func ListAll[T any](ctx context.Context, b *Backend, c *mongo.Collection, x *IDs) ([]T, error) {
	if b.IndexedFilters {
		return FindAll[T](ctx, c, bson.D{})
	}
	ids, err := x.list(ctx, c)
	if err != nil {
		return nil, err
	}
	return PointReads[T](ctx, c, ids)
}

// UpdateByRev is a read-modify-write of the document id: under the backend's guard for
// kind where updates are not atomic, and where they are, conditional on the revision
// read (a lost race reads again, up to 20 times). get reads the value, change edits it,
// rev points at its revision (raised by one here) and doc is what is stored.
func UpdateByRev[V any](ctx context.Context, b *Backend, c *mongo.Collection, kind, id string,
	get func(context.Context, string) (V, error), change func(*V) error, rev func(*V) *int64, doc func(V) any) (V, error) {
	defer b.Guard(kind)()
	var zero V
	for range 20 {
		v, err := get(ctx, id)
		if err != nil {
			return zero, err
		}
		if err := change(&v); err != nil {
			return zero, err
		}
		r := rev(&v)
		prev := *r
		*r = prev + 1
		f := bson.D{{Key: "_id", Value: id}}
		if b.AtomicUpdates {
			f = append(f, bson.E{Key: "rev", Value: prev})
		}
		res, err := c.ReplaceOne(ctx, f, doc(v))
		if err != nil {
			return zero, err
		}
		if res.MatchedCount == 1 {
			return v, nil
		}
	}
	return zero, fmt.Errorf("%s %s: too many concurrent writers", kind, id)
}

// Secret is an installation's random 32-byte key, stored as {_id, key, createdAt} in
// collection c: created by the first instance to ask (a concurrent first use loses the
// insert and reads the winner's), then kept in process.
type Secret struct {
	mu  sync.Mutex
	key []byte
}

type secretDoc struct {
	ID        string    `bson:"_id"`
	Key       []byte    `bson:"key"`
	CreatedAt time.Time `bson:"createdAt"`
}

// Get returns the key of document id in c, creating it on first use.
func (x *Secret) Get(ctx context.Context, c *mongo.Collection, id string) ([]byte, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.key != nil {
		return x.key, nil
	}
	var d secretDoc
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if _, err := c.InsertOne(ctx, secretDoc{ID: id, Key: k, CreatedAt: time.Now().UTC()}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return nil, err
		}
		err = c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	}
	if err != nil {
		return nil, err
	}
	if len(d.Key) != 32 {
		return nil, fmt.Errorf("%s %s is %d bytes, want 32", c.Name(), id, len(d.Key))
	}
	x.key = d.Key
	return x.key, nil
}
