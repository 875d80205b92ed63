package embeddb

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The indexer must give every collection table an index that SQLite uses for the
// expression FerretDB looks documents up by; without it, updates by _id scan the table.
func TestIDIndexIsUsedForLookups(t *testing.T) {
	db, err := Start(Config{Memory: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(db.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	c := client.Database("idx").Collection("people")
	if _, err := c.InsertMany(ctx, []any{bson.M{"_id": "a", "n": 1}, bson.M{"_id": "b", "n": 2}}); err != nil {
		t.Fatal(err)
	}
	db.IndexNow()

	lite, err := sql.Open("sqlite", "file:"+filepath.Join(db.tmp, "idx.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	var table string
	if err := lite.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'people'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := lite.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='index' AND name = ?`, table+idIndexSuffix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the _id index was not created")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var plan strings.Builder
	rows, err := lite.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"a"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "USING INDEX "+table+idIndexSuffix) {
		t.Fatalf("lookup by _id does not use the index:\n%s", plan.String())
	}

	// FerretDB keeps working with the extra index: updates by _id and reads agree.
	if _, err := c.UpdateOne(ctx, bson.M{"_id": "b"}, bson.M{"$set": bson.M{"n": 3}}); err != nil {
		t.Fatal(err)
	}
	var got struct{ N int }
	if err := c.FindOne(ctx, bson.M{"_id": "b"}).Decode(&got); err != nil || got.N != 3 {
		t.Fatalf("after update: %+v %v", got, err)
	}
	// Dropping the collection drops the index with its table; a new one is indexed again.
	if err := c.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "c"}); err != nil {
		t.Fatal(err)
	}
}
