package embeddb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
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

// pgTest starts the embedded database on TESSERA_TEST_POSTGRESQL_URL with one collection
// of n documents in a database of its own, and returns the collection, a direct
// connection to PostgreSQL, the schema and FerretDB's table name, once the indexer has
// indexed the table.
func pgTest(t *testing.T, n int) (*DB, *mongo.Collection, *pgx.Conn, string, string) {
	t.Helper()
	url := os.Getenv("TESSERA_TEST_POSTGRESQL_URL")
	if url == "" {
		t.Skip("TESSERA_TEST_POSTGRESQL_URL not set (scripts/postgres.sh starts one)")
	}
	db, err := Start(Config{PostgreSQLURL: url, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(db.URI))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(ctx) })
	name := fmt.Sprintf("pgset%d", time.Now().UnixNano()%1e9)
	mdb := client.Database(name)
	t.Cleanup(func() { mdb.Drop(ctx) })
	c := mdb.Collection("people")
	var docs []any
	for i := range n {
		docs = append(docs, bson.M{"_id": fmt.Sprint("p", i), "n": i})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close(ctx) })
	var table string
	if err := pg.QueryRow(ctx, fmt.Sprintf(`SELECT _jsonb->>'table' FROM %s WHERE _jsonb->>'_id' = 'people'`,
		pgx.Identifier{name, "_ferretdb_database_metadata"}.Sanitize())).Scan(&table); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the GIN _id index", func() bool {
		db.IndexNow()
		var n int
		err := pg.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`, name, table+idIndexSuffix).Scan(&n)
		return err == nil && n == 1
	})
	return db, c, pg, name, table
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The GIN _id index is built without a pending list (fastupdate off: with it on, every
// point read scans all entries inserted since the last vacuum) and with jsonb_path_ops;
// an index an earlier version built with the pending list is switched over.
func TestPostgreSQLIDIndexHasNoPendingList(t *testing.T) {
	db, _, pg, schema, table := pgTest(t, 10)
	ctx := context.Background()
	index := pgx.Identifier{schema, table + idIndexSuffix}.Sanitize()
	var def string
	var opts []string
	if err := pg.QueryRow(ctx, `SELECT pg_get_indexdef(c.oid), coalesce(c.reloptions, '{}') FROM pg_class c WHERE c.oid = $1::regclass`, index).Scan(&def, &opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "USING gin") || !strings.Contains(def, "jsonb_path_ops") || !slices.Contains(opts, "fastupdate=off") {
		t.Fatalf("index %s WITH %v", def, opts)
	}

	// An index as an earlier version built it: the indexer turns its pending list off.
	// Dropped and made again in one transaction (one simple-protocol query): the indexer,
	// which runs every second, would otherwise create its own in between.
	if _, err := pg.Exec(ctx, fmt.Sprintf(`DROP INDEX %s; CREATE INDEX %s ON %s USING gin ((_jsonb->'_id'))`, index,
		pgx.Identifier{table + idIndexSuffix}.Sanitize(), pgx.Identifier{schema, table}.Sanitize())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "fastupdate=off on the old index", func() bool {
		db.IndexNow()
		var off bool
		err := pg.QueryRow(ctx, `SELECT coalesce('fastupdate=off' = ANY(reloptions), false) FROM pg_class WHERE oid = $1::regclass`, index).Scan(&off)
		return err == nil && off
	})
}

// FerretDB's own point reads (its statement, run on its connections with the settings
// the URL gives them) are served by the GIN index, also after a prepared statement has
// run more than five times while the table was small (PostgreSQL's default then keeps a
// generic plan, which cannot use an index on `_jsonb->'_id'` for `_jsonb->$1`).
func TestPostgreSQLFerretDBPointReadsUseTheIndex(t *testing.T) {
	_, c, pg, schema, table := pgTest(t, 10)
	ctx := context.Background()
	read := func(id string) {
		t.Helper()
		var got bson.M
		if err := c.FindOne(ctx, bson.M{"_id": id}).Decode(&got); err != nil {
			t.Fatal(id, err)
		}
	}
	stats := func() (idx, seq int64) {
		_ = pg.QueryRow(ctx, `SELECT coalesce((SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = $2), 0),
			coalesce((SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $3), 0)`,
			schema, table+idIndexSuffix, table).Scan(&idx, &seq)
		return idx, seq
	}
	idx0, seq0 := stats()
	for i := range 10 {
		read(fmt.Sprint("p", i))
	}
	var docs []any
	for i := 10; i < 3000; i++ {
		docs = append(docs, bson.M{"_id": fmt.Sprint("p", i), "n": i})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	const reads = 40
	for i := range reads {
		read(fmt.Sprint("p", 10+i*71))
	}
	// Backends report their counters within seconds of going idle. The first ten reads
	// may have been either; the last forty must all be index scans.
	var idx, seq int64
	waitFor(t, 30*time.Second, "index scans in the statistics", func() bool {
		idx, seq = stats()
		return idx-idx0 >= reads || seq-seq0 >= reads
	})
	if idx-idx0 < reads {
		t.Fatalf("%d point reads: %d index scans, %d sequential scans", reads, idx-idx0, seq-seq0)
	}
}

// The indexer keeps its connection between passes and opens a new one when it breaks.
func TestPostgreSQLIndexerKeepsItsConnection(t *testing.T) {
	url := os.Getenv("TESSERA_TEST_POSTGRESQL_URL")
	if url == "" {
		t.Skip("TESSERA_TEST_POSTGRESQL_URL not set (scripts/postgres.sh starts one)")
	}
	ctx := context.Background()
	x := &pgIndexer{url: url}
	defer x.close()
	if err := x.index(ctx); err != nil {
		t.Fatal(err)
	}
	pid := x.conn.PgConn().PID()
	if err := x.index(ctx); err != nil {
		t.Fatal(err)
	}
	if x.conn.PgConn().PID() != pid {
		t.Fatal("the indexer reconnected between passes")
	}
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	var app string
	if err := pg.QueryRow(ctx, `SELECT application_name FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&app); err != nil || app != indexerAppName {
		t.Fatalf("indexer connection: application_name %q, %v", app, err)
	}
	if _, err := pg.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the indexer to reconnect", func() bool {
		return x.index(ctx) == nil && x.conn.PgConn().PID() != pid
	})
}
