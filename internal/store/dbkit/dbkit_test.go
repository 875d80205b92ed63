package dbkit_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The backend is asked of the server: the embedded FerretDB is FerretDB (small write
// batches, no indexed filters, non-atomic updates); TESSERA_TEST_MONGODB_URI is MongoDB.
func TestDetect(t *testing.T) {
	b, err := dbkit.Detect(context.Background(), testdb.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "ferretdb"
	if os.Getenv("TESSERA_TEST_MONGODB_URI") != "" {
		want = "mongodb"
	}
	if b.Name != want {
		t.Fatalf("detected %q, want %q", b.Name, want)
	}
	if (b.Name == "ferretdb") == (b.IndexedFilters || b.AtomicUpdates || b.WriteBatch > 40) {
		t.Fatalf("capabilities do not fit %s: %+v", b.Name, b)
	}
	storage := ""
	if want == "ferretdb" {
		storage = "sqlite"
		if os.Getenv("TESSERA_TEST_POSTGRESQL_URL") != "" {
			storage = "postgresql"
		}
	}
	if b.Storage != storage || (b.Writers > 1) != (storage == "postgresql") {
		t.Fatalf("storage %q with %d writers, want %q (concurrent writers only on PostgreSQL)", b.Storage, b.Writers, storage)
	}
}

// With several writers, a Bulk on distinct documents is split into concurrent commands
// and applies every statement once; a Bulk naming one document twice keeps its order.
func TestBulkConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	b := *testdb.Backend(t)
	b.WriteBatch, b.Writers = 3, 4
	c := testdb.DB(t).Collection("concurrent")
	var ins []mongo.WriteModel
	for i := range 50 {
		ins = append(ins, mongo.NewInsertOneModel().SetDocument(bson.M{"_id": fmt.Sprint("d", i), "n": 0}))
	}
	if err := dbkit.Bulk(ctx, &b, c, ins); err != nil {
		t.Fatal(err)
	}
	var ups []mongo.WriteModel
	for i := range 50 {
		ups = append(ups, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": fmt.Sprint("d", i)}).SetUpdate(bson.M{"$inc": bson.M{"n": i}}))
	}
	matched, err := dbkit.BulkMatched(ctx, &b, c, ups)
	if err != nil || matched != 50 {
		t.Fatalf("matched %d, %v; want 50", matched, err)
	}
	// the same document first set to 1, then (ten statements on) to 2
	var same []mongo.WriteModel
	for i := range 12 {
		v := 1
		if i == 11 {
			v = 2
		}
		id := fmt.Sprint("d", i)
		if i == 0 || i == 11 {
			id = "d0"
		}
		same = append(same, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$set": bson.M{"last": v}}))
	}
	if err := dbkit.Bulk(ctx, &b, c, same); err != nil {
		t.Fatal(err)
	}
	docs, err := dbkit.FindAll[bson.M](ctx, c, bson.M{})
	if err != nil || len(docs) != 50 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	for _, d := range docs {
		var i int
		fmt.Sscanf(d["_id"].(string), "d%d", &i)
		if n := d["n"].(int32); int(n) != i {
			t.Errorf("%s: n = %d, want %d (each increment once)", d["_id"], n, i)
		}
		if d["_id"] == "d0" && d["last"] != int32(2) {
			t.Errorf("d0: last = %v, want 2 (the later statement last)", d["last"])
		}
	}
}

// Guard serialises one kind of change where updates are not atomic, and nothing else.
func TestGuard(t *testing.T) {
	b := dbkit.FerretDB()
	var in, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.Guard("profiles")()
			n := in.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			in.Add(-1)
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d changes ran at once under the guard", most.Load())
	}
	// Another kind is not held up by a held guard.
	release := b.Guard("profiles")
	b.Guard("tickets")()
	release()
	// MongoDB needs no guard: two holders at once.
	m := dbkit.MongoDB()
	r1 := m.Guard("profiles")
	m.Guard("profiles")()
	r1()
}

// InBatches on FerretDB reads by bare _id (no $in scan); Bulk splits commands.
func TestInBatchesAndBulk(t *testing.T) {
	ctx := context.Background()
	c := testdb.DB(t).Collection("things")
	b := testdb.Backend(t)
	var ms []mongo.WriteModel
	for i := range 95 {
		ms = append(ms, mongo.NewInsertOneModel().SetDocument(bson.M{"_id": string(rune('a'+i%26)) + string(rune('A'+i/26)), "n": i}))
	}
	if err := dbkit.Bulk(ctx, b, c, ms); err != nil {
		t.Fatal(err)
	}
	got, err := dbkit.InBatches[bson.M](ctx, b, c, "_id", []string{"aA", "bA", "aA", "zz"})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v %v, want the two existing documents once", got, err)
	}
	dups, err := dbkit.InsertNew(ctx, c, []bson.M{{"_id": "aA"}, {"_id": "new"}})
	if err != nil || len(dups) != 1 || dups[0] != 0 {
		t.Fatalf("InsertNew dups %v %v", dups, err)
	}
}

// Two instances asking for one secret get the same key; ListAll sees documents added
// through the id list; UpdateByRev raises the revision once per change.
func TestSmallCollectionHelpers(t *testing.T) {
	ctx := context.Background()
	db, b := testdb.DB(t), testdb.Backend(t)
	var s1, s2 dbkit.Secret
	k1, err := s1.Get(ctx, db.Collection("settings"), "key")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s2.Get(ctx, db.Collection("settings"), "key")
	if err != nil || len(k1) != 32 || string(k1) != string(k2) {
		t.Fatalf("keys %x and %x (%v): want one 32-byte key", k1, k2, err)
	}
	type doc struct {
		ID  string `bson:"_id"`
		N   int    `bson:"n"`
		Rev int64  `bson:"rev"`
	}
	c := db.Collection("small")
	var ids dbkit.IDs
	if got, err := dbkit.ListAll[doc](ctx, b, c, &ids); err != nil || len(got) != 0 {
		t.Fatalf("empty collection: %v %v", got, err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := c.InsertOne(ctx, doc{ID: id}); err != nil {
			t.Fatal(err)
		}
		ids.Add(id)
	}
	get := func(ctx context.Context, id string) (doc, error) {
		var d doc
		return d, c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	}
	for range 3 {
		if _, err := dbkit.UpdateByRev(ctx, b, c, "small", "a", get, func(d *doc) error { d.N++; return nil },
			func(d *doc) *int64 { return &d.Rev }, func(d doc) any { return d }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := dbkit.ListAll[doc](ctx, b, c, &ids)
	if err != nil || len(got) != 2 {
		t.Fatalf("listed %v, %v; want a and b", got, err)
	}
	if a, _ := get(ctx, "a"); a.N != 3 || a.Rev != 3 {
		t.Errorf("a after three updates: %+v, want n 3 rev 3", a)
	}
}
