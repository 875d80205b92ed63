package embeddb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// On the PostgreSQL backend, FerretDB's find by _id (`_jsonb->$1 @> $2`, key as a
// parameter) must be served by the GIN index the indexer adds, not a sequential scan.
func TestPostgreSQLIDIndexIsUsedForLookups(t *testing.T) {
	url := os.Getenv("TESSERA_TEST_POSTGRESQL_URL")
	if url == "" {
		t.Skip("TESSERA_TEST_POSTGRESQL_URL not set (scripts/postgres.sh starts one)")
	}
	db, err := Start(Config{PostgreSQLURL: url, Logger: slog.New(slog.DiscardHandler)})
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
	name := fmt.Sprintf("pgidx%d", time.Now().UnixNano()%1e9)
	mdb := client.Database(name)
	defer mdb.Drop(ctx)
	c := mdb.Collection("people")
	var docs []any
	for i := range 3000 {
		docs = append(docs, bson.M{"_id": fmt.Sprint("p", i), "n": i})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	db.IndexNow()
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	var table string
	if err := pg.QueryRow(ctx, fmt.Sprintf(`SELECT _jsonb->>'table' FROM %s WHERE _jsonb->>'_id' = 'people'`,
		pgx.Identifier{name, "_ferretdb_database_metadata"}.Sanitize())).Scan(&table); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := pg.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`, name, table+idIndexSuffix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the GIN _id index was not created")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := pg.Exec(ctx, "ANALYZE "+pgx.Identifier{name, table}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	rows, err := pg.Query(ctx, fmt.Sprintf(`EXPLAIN SELECT _jsonb FROM %s WHERE _jsonb->$1 @> $2`, pgx.Identifier{name, table}.Sanitize()),
		"_id", `"p1234"`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, table+idIndexSuffix) {
		t.Fatalf("lookup by _id does not use the GIN index:\n%s", plan)
	}
	var got bson.M
	if err := c.FindOne(ctx, bson.M{"_id": "p1234"}).Decode(&got); err != nil || got["n"] != int32(1234) {
		t.Fatalf("find by _id: %v %v", got, err)
	}
}
