package embeddb

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// routine does what every Tessera start does: list the indexes of collections that do
// not exist yet (FerretDB warns "ns does not exist"), then disconnect (endSessions).
func routine(t *testing.T, level slog.Leveler) string {
	t.Helper()
	var buf syncBuf
	db, err := Start(Config{Memory: true, Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), LogLevel: level})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(db.URI))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b", "c"} {
		cur, err := client.Database("quiet").Collection(c).Indexes().List(ctx)
		if err == nil {
			_ = cur.All(ctx, &[]bson.M{})
		}
	}
	_ = client.Disconnect(ctx)
	db.Close()
	return buf.String()
}

// Newcomer point: the embedded database keeps its routine warnings to itself unless its
// log level asks for them.
func TestEmbeddedDatabaseIsQuietByDefault(t *testing.T) {
	if out := routine(t, nil); out != "" {
		t.Fatalf("default level logged:\n%s", out)
	}
	if out := routine(t, slog.LevelDebug); !strings.Contains(out, "level=") {
		t.Fatalf("debug level logged nothing: %q", out)
	}
}
