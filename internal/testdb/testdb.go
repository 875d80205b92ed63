// Package testdb gives integration tests a real MongoDB wire server: one embedded,
// in-memory FerretDB per test package, and a fresh database per test.
package testdb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tessera-cdp/tessera/internal/embeddb"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	once   sync.Once
	shared *embeddb.DB
	client *mongo.Client
	err    error
	seq    atomic.Int64

	backendOnce sync.Once
	backend     *dbkit.Backend
	backendErr  error
)

// URI returns the URI of the package's database server, starting it on first use.
// TESSERA_TEST_MONGODB_URI runs the same tests against a real MongoDB, and
// TESSERA_TEST_POSTGRESQL_URL on the embedded FerretDB's PostgreSQL backend.
func URI(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if uri := os.Getenv("TESSERA_TEST_MONGODB_URI"); uri != "" {
			shared = &embeddb.DB{URI: uri}
			return
		}
		// TESSERA_TEST_POSTGRESQL_URL runs them on FerretDB's PostgreSQL backend.
		shared, err = embeddb.Start(embeddb.Config{Memory: true, PostgreSQLURL: os.Getenv("TESSERA_TEST_POSTGRESQL_URL"), Logger: slog.New(slog.DiscardHandler)})
	})
	if err != nil {
		t.Fatalf("start test database: %v", err)
	}
	return shared.URI
}

// Backend returns what the package's database server is (detected once), for the
// stores: a run against a real MongoDB takes the MongoDB branches.
func Backend(t testing.TB) *dbkit.Backend {
	t.Helper()
	c := Client(t)
	backendOnce.Do(func() { backend, backendErr = dbkit.Detect(context.Background(), c) })
	if backendErr != nil {
		t.Fatalf("detect backend: %v", backendErr)
	}
	return backend
}

// Client returns a driver client connected to the package's database server.
func Client(t testing.TB) *mongo.Client {
	t.Helper()
	uri := URI(t)
	if client == nil {
		c, err := mongo.Connect(options.Client().ApplyURI(uri))
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		client = c
	}
	return client
}

// DB returns a new, empty database for one test, dropped when the test ends.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", seq.Add(1), strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	db := Client(t).Database(name)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}
