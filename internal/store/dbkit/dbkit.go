// Package dbkit is the plumbing the per-domain stores share: what the database behind
// the driver can do (Backend, chosen once at start and passed to every store), bulk
// writes in batches, point-read fan-out, insert-ignoring-duplicates, index creation and
// the mapping of the driver's not-found error. It knows no domain.
package dbkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Backend describes the database server. The stores branch on its fields, never on a
// global, so a test run against a real MongoDB takes the MongoDB branches.
type Backend struct {
	// Name is "mongodb" or "ferretdb".
	Name string
	// WriteBatch caps the statements of one bulk write command. FerretDB v1.24 keeps
	// every update statement's cursor open until the command ends, so one command of 100
	// updates exhausts its 100 SQLite connections and deadlocks.
	WriteBatch int
	// IndexedFilters: filters other than a bare _id ($in, secondary fields, regexes) are
	// served by indexes. FerretDB scans the collection for all of them.
	IndexedFilters bool
	// AtomicUpdates: an update of one document is atomic, so a conditional update can
	// stand for a read-check-write. FerretDB applies updates as read, modify in Go, write
	// the whole document back, so concurrent writers of one document lose changes.
	AtomicUpdates bool
	// ServerGroup: grouping and counting on the server is cheaper than in process.
	ServerGroup bool
	// Storage is FerretDB's storage engine, "sqlite" or "postgresql" ("" on MongoDB).
	Storage string
	// Writers is how many bulk write commands of one Bulk may run at once when every
	// statement names a different document. On PostgreSQL, FerretDB's statements run in
	// PostgreSQL's own processes and a sequential ingest left a core idle (it was slower
	// than on SQLite); SQLite has one writer and lost throughput with more.
	Writers int

	mu     sync.Mutex
	guards map[string]*sync.Mutex
}

// MongoDB is a real MongoDB (replica set or sharded cluster).
func MongoDB() *Backend {
	return &Backend{Name: "mongodb", WriteBatch: 1000, IndexedFilters: true, AtomicUpdates: true, ServerGroup: true}
}

// FerretDB is FerretDB v1 on SQLite or PostgreSQL.
func FerretDB() *Backend {
	return &Backend{Name: "ferretdb", WriteBatch: 40, Writers: 1}
}

// FerretDBOnPostgreSQL writes in smaller commands, several at once. FerretDB holds a
// pooled PostgreSQL connection per update statement until its command ends, from a pool
// of 50: three concurrent commands of 40 updates deadlocked; 6 of 5 hold at most 30,
// leaving room for the concurrent point reads.
func FerretDBOnPostgreSQL() *Backend {
	return &Backend{Name: "ferretdb", Storage: "postgresql", WriteBatch: 5, Writers: 6}
}

// Detect asks the server what it is: FerretDB answers buildInfo with its own version.
func Detect(ctx context.Context, c *mongo.Client) (*Backend, error) {
	var info bson.M
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return nil, fmt.Errorf("ask the database what it is: %w", err)
	}
	if _, ok := info["ferretdbVersion"]; !ok {
		return MongoDB(), nil
	}
	// FerretDB names its storage only in its start-up warnings ("Powered by FerretDB
	// v1.24.0 and PostgreSQL 16.4."), once it has connected to it: listing databases does.
	if _, err := c.ListDatabaseNames(ctx, bson.D{}); err != nil {
		return nil, fmt.Errorf("ask FerretDB what it stores in: %w", err)
	}
	var warnings struct {
		Log []string `bson:"log"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "getLog", Value: "startupWarnings"}}).Decode(&warnings); err != nil {
		return nil, fmt.Errorf("ask FerretDB what it stores in: %w", err)
	}
	for _, w := range warnings.Log {
		if strings.Contains(w, "PostgreSQL") {
			return FerretDBOnPostgreSQL(), nil
		}
	}
	b := FerretDB()
	b.Storage = "sqlite"
	return b, nil
}

// Guard serialises, within this process, read-modify-write changes of one kind of
// document (named by kind, e.g. "profiles") where updates are not atomic, and returns
// its release. On MongoDB, whose updates are atomic, it does nothing: changes there are
// made safe by conditional updates and revisions instead. On the embedded database
// there is one process, so a process-wide guard is enough.
func (b *Backend) Guard(kind string) func() {
	if b.AtomicUpdates {
		return func() {}
	}
	b.mu.Lock()
	if b.guards == nil {
		b.guards = map[string]*sync.Mutex{}
	}
	m := b.guards[kind]
	if m == nil {
		m = &sync.Mutex{}
		b.guards[kind] = m
	}
	b.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// NewID returns a ULID: sortable by creation time, so _id order is creation order.
func NewID() string { return ulid.Make().String() }

// NotFound maps the driver's no-document error to a domain NOT_FOUND error.
func NotFound(err error, format string, a ...any) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return apperr.NotFoundf(format, a...)
	}
	return err
}

// FindAll runs a find and decodes every document.
func FindAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// InBatches reads the documents whose field is one of ids. Where only a bare _id is
// served without a scan (FerretDB: an $in on _id decodes every document of the
// collection, a bare {_id: ...} is an index lookup), ids are read one by one by a few
// concurrent readers: O(ids) instead of O(collection). Elsewhere $in in batches of 2000
// keeps each round trip's size in check.
func InBatches[T any](ctx context.Context, b *Backend, c *mongo.Collection, field string, ids []string) ([]T, error) {
	if field == "_id" && !b.IndexedFilters {
		return PointReads[T](ctx, c, ids)
	}
	var out []T
	for start := 0; start < len(ids); start += 2000 {
		part := ids[start:min(start+2000, len(ids))]
		got, err := FindAll[T](ctx, c, bson.M{field: bson.M{"$in": part}})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// pointReaders bounds the concurrent point reads of one lookup.
const pointReaders = 8

// PointReads reads documents by _id (with opts, e.g. a projection), one bare {_id} read
// each, a few at a time, in the order of ids; missing ids are skipped.
func PointReads[T any](ctx context.Context, c *mongo.Collection, ids []string, opts ...options.Lister[options.FindOneOptions]) ([]T, error) {
	ids = Uniq(ids)
	found := make([]*T, len(ids))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(pointReaders)
	for i, id := range ids {
		g.Go(func() error {
			var v T
			err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts...).Decode(&v)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			found[i] = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ids))
	for _, v := range found {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// Uniq drops repeated ids, keeping the first of each.
func Uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Bulk writes models unordered, in commands of at most WriteBatch statements.
func Bulk(ctx context.Context, b *Backend, c *mongo.Collection, models []mongo.WriteModel) error {
	_, err := BulkMatched(ctx, b, c, models)
	return err
}

// BulkMatched is Bulk, returning how many documents matched.
func BulkMatched(ctx context.Context, b *Backend, c *mongo.Collection, models []mongo.WriteModel) (int64, error) {
	if b.Writers > 1 && len(models) > b.WriteBatch && distinctDocuments(models) {
		return bulkConcurrent(ctx, b, c, models)
	}
	var matched int64
	for start := 0; start < len(models); start += b.WriteBatch {
		r, err := c.BulkWrite(ctx, models[start:min(start+b.WriteBatch, len(models))], options.BulkWrite().SetOrdered(false))
		if err != nil {
			return matched, err
		}
		matched += r.MatchedCount
	}
	return matched, nil
}

// bulkConcurrent runs the commands of one Bulk b.Writers at a time. Only for statements
// on different documents: their order then does not matter (an unordered bulk write
// promises none either), and each command's result is the same as in sequence.
func bulkConcurrent(ctx context.Context, b *Backend, c *mongo.Collection, models []mongo.WriteModel) (int64, error) {
	var matched atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.Writers)
	for start := 0; start < len(models); start += b.WriteBatch {
		part := models[start:min(start+b.WriteBatch, len(models))]
		g.Go(func() error {
			r, err := c.BulkWrite(gctx, part, options.BulkWrite().SetOrdered(false))
			if err != nil {
				return err
			}
			matched.Add(r.MatchedCount)
			return nil
		})
	}
	err := g.Wait()
	return matched.Load(), err
}

// distinctDocuments reports whether every model names one document by _id, each a
// different one.
func distinctDocuments(models []mongo.WriteModel) bool {
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		var doc any
		switch m := m.(type) {
		case *mongo.InsertOneModel:
			doc = m.Document
		case *mongo.UpdateOneModel:
			doc = m.Filter
		case *mongo.ReplaceOneModel:
			doc = m.Filter
		case *mongo.DeleteOneModel:
			doc = m.Filter
		default:
			return false
		}
		raw, err := bson.Marshal(doc)
		if err != nil {
			return false
		}
		id, err := bson.Raw(raw).LookupErr("_id")
		if err != nil {
			return false
		}
		if _, isDoc := id.DocumentOK(); isDoc { // an operator such as $in
			return false
		}
		k := id.String()
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// InsertNew inserts items unordered and returns the indexes of those whose _id existed
// already (duplicate key); any other error fails the call.
func InsertNew[T any](ctx context.Context, c *mongo.Collection, items []T) ([]int, error) {
	var dups []int
	for start := 0; start < len(items); start += 1000 {
		part := items[start:min(start+1000, len(items))]
		docs := make([]any, len(part))
		for i := range part {
			docs[i] = part[i]
		}
		_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		var bwe mongo.BulkWriteException
		switch {
		case err == nil:
		case errors.As(err, &bwe) && bwe.WriteConcernError == nil:
			for _, we := range bwe.WriteErrors {
				if we.Code != 11000 {
					return nil, err
				}
				dups = append(dups, start+we.Index)
			}
		default:
			return nil, err
		}
	}
	return dups, nil
}

// EnsureIndexes creates, per collection, only the indexes that do not exist yet.
// FerretDB v1.24 drops the connection when asked to create an index that exists
// already, which happens whenever a second instance starts on the same database.
func EnsureIndexes(ctx context.Context, idx map[*mongo.Collection][]mongo.IndexModel) error {
	for c, models := range idx {
		if err := ensureIndexesOf(ctx, c, models); err != nil {
			return err
		}
	}
	return nil
}

func ensureIndexesOf(ctx context.Context, c *mongo.Collection, models []mongo.IndexModel) error {
	specs, err := c.Indexes().ListSpecifications(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, s := range specs {
		have[s.KeysDocument.String()] = true
	}
	var missing []mongo.IndexModel
	for _, m := range models {
		raw, err := bson.Marshal(m.Keys)
		if err != nil {
			return err
		}
		if !have[bson.Raw(raw).String()] {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.Indexes().CreateMany(ctx, missing); err != nil {
		return fmt.Errorf("create indexes on %s: %w", c.Name(), err)
	}
	return nil
}

// The in-process structures of the embedded backend (search index, existence hints,
// queue index, segment membership index) are shared by every store value of one
// database in this process, so that one store's reads see another's writes: Shared
// keeps one value of each type per database, made by build the first time.
var (
	sharedMu sync.Mutex
	shared   = map[sharedKey]any{}
)

type sharedKey struct {
	client *mongo.Client
	name   string
	typ    string
}

func Shared[T any](db *mongo.Database, build func() *T) *T {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	k := sharedKey{db.Client(), db.Name(), fmt.Sprintf("%T", (*T)(nil))}
	if x, ok := shared[k].(*T); ok {
		return x
	}
	x := build()
	shared[k] = x
	return x
}
