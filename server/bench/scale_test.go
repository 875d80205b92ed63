package bench

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/embeddb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// testOpen starts the embedded database in memory, as `tessera bench` does by default.
func testOpen(_ DB, log *slog.Logger) (*mongo.Client, func(), error) {
	db, err := embeddb.Start(embeddb.Config{Memory: true, Logger: log, LogLevel: slog.LevelError})
	if err != nil {
		return nil, nil, err
	}
	c, err := mongo.Connect(options.Client().ApplyURI(db.URI))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return c, func() { _ = c.Disconnect(context.Background()); db.Close() }, nil
}

// `tessera bench scale` at a tiny size prints every figure, at both sizes, with its
// target, and the peak RSS.
func TestBenchScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two small databases")
	}
	var out bytes.Buffer
	err := Scale([]string{"-customers", "300", "-small", "100", "-orders-per", "2", "-ingest", "50",
		"-budget", "100ms", "-rps-for", "200ms", "-quiet"}, testOpen, &out, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	t.Log("\n" + got)
	for _, fig := range []string{"360 query p50", "360 query p99", "raw FindOne({_id}) p50", "raw FindOne({_id}) p99", "360 p99 / raw p99",
		"search p50", "search p99", "{ me { id } }", "GET /healthz", "me / healthz",
		"trait preview p50", "trait raw count p50", "trait preview / raw count", "metric preview p50", "metric raw count p50", "metric preview / raw count",
		"ingestRecords through the app", "raw InsertMany", "ingest / raw"} {
		line := ""
		for _, l := range strings.Split(got, "\n") {
			if strings.Contains(l, fig) {
				line = l
				break
			}
		}
		// name, a small and a large figure, the growth ratio
		if !regexp.MustCompile(`\d(\.\d+)?( ms| /s| rec/s|x) +\d+(\.\d+)?( ms| /s| rec/s|x) +\d+\.\d\dx`).MatchString(line) {
			t.Errorf("figure %q missing or incomplete: %q", fig, line)
		}
	}
	for _, want := range []string{"COUNTS DIFFER"} {
		if strings.Contains(got, want) {
			t.Errorf("report contains %q", want)
		}
	}
	for _, want := range []string{"<= 3x", "< 50 ms", ">= 0.5", "< 300 ms", "<= 1.5x", ">= 0.25", "lg/sm <= 1.5", "lg/sm >= 0.67", "targets met"} {
		if !strings.Contains(got, want) {
			t.Errorf("target %q not printed", want)
		}
	}
	if !regexp.MustCompile(`peak RSS .* [1-9]\d* MiB`).MatchString(got) {
		t.Error("peak RSS missing")
	}
}
