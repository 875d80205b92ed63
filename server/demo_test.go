package main

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/retail"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Newcomer point: the hint printed after `tessera demo` is a command that works as
// typed: the binary that ran (or go run), with -dev and the demo's database flags.
func TestBrowseHint(t *testing.T) {
	for _, c := range []struct {
		exe, wd string
		flags   []string
		want    string
	}{
		{"/tmp/go-build123/b001/exe/server", "/src/tessera", []string{"-data", "demo-data"}, "go run ./server serve -dev -data demo-data"},
		{"/src/tessera/bin/tessera", "/src/tessera", []string{"-data", "demo-data"}, "./bin/tessera serve -dev -data demo-data"},
		{"/opt/tessera", "/home/me", nil, "/opt/tessera serve -dev"},
		{"/src/tessera/bin/tessera", "/src/tessera", []string{"-dev", "-data", "my data"}, "./bin/tessera serve -dev -data 'my data'"},
		{"", "", []string{"--dev=false"}, "go run ./server serve --dev=false"},
	} {
		if got := browseHint(c.exe, c.wd, c.flags); got != c.want {
			t.Errorf("browseHint(%q, %q, %q) = %q, want %q", c.exe, c.wd, c.flags, got, c.want)
		}
	}
}

func TestServeFlags(t *testing.T) {
	c, err := parseServe([]string{"-webhook-allow", "127.0.0.1/32,localhost:9000"})
	if err != nil || c.WebhookAllow != "127.0.0.1/32,localhost:9000" || c.DBLogLevel != "error" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := parseServe([]string{"-db-log-level", "loud"}); err == nil {
		t.Fatal("a bad database log level was accepted")
	}
	t.Setenv("TESSERA_WEBHOOK_ALLOW", "10.0.0.0/8")
	t.Setenv("TESSERA_DB_LOG_LEVEL", "warn")
	if c, err := parseServe(nil); err != nil || c.WebhookAllow != "10.0.0.0/8" || c.DBLogLevel != "warn" || c.RequestTimeout != 60*time.Second {
		t.Fatalf("environment: %+v %v", c, err)
	}
}

// The retail demo loads a slice of the real file with its orders on live profiles only
// (they are written after identity resolution merged people), and loading it again
// changes nothing.
func TestRetailDemoIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 3,000 rows")
	}
	const file = "../../shared/data/retail/online_retail_2010-2011.csv.gz"
	if _, err := os.Stat(file); err != nil {
		t.Skip("retail file not here:", err)
	}
	ctx := context.Background()
	db := testdb.DB(t)
	a, err := app.New(ctx, db, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int64 {
		out := map[string]int64{}
		for _, c := range []string{"profiles", "identities", "source_records", "orders", "interactions", "customer_metrics"} {
			n, err := db.Collection(c).CountDocuments(ctx, bson.D{})
			if err != nil {
				t.Fatal(err)
			}
			out[c] = n
		}
		return out
	}
	deps := retail.Deps{Ingest: a.Ingest, Commerce: a.Commerce}
	first, err := retail.LoadDemo(ctx, deps, file, 3000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Merged == 0 || first.Orders == 0 || first.GuestOrders == 0 || first.Interactions == 0 || first.Redirected == 0 {
		t.Fatalf("summary: %+v", first)
	}
	c1 := counts()
	if c1["orders"] != int64(first.Orders+first.GuestOrders) || c1["interactions"] != int64(first.Interactions) {
		t.Errorf("counts %v, summary %+v", c1, first)
	}
	// Orders and interactions sit on live profiles only.
	absorbed := map[string]bool{}
	cur, err := db.Collection("profiles").Find(ctx, bson.D{{Key: "mergedInto", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		absorbed[p.ID] = true
	}
	if len(absorbed) != first.Merged {
		t.Errorf("%d absorbed profiles, %d merges", len(absorbed), first.Merged)
	}
	for _, c := range []string{"orders", "interactions", "customer_metrics"} {
		field := "profileId"
		if c == "customer_metrics" {
			field = "_id"
		}
		ids, err := db.Collection(c).Distinct(ctx, field, bson.D{}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		vals, _ := ids.Values()
		for _, v := range vals {
			if absorbed[v.StringValue()] {
				t.Errorf("%s of absorbed profile %s", c, v.StringValue())
			}
		}
	}
	again, err := retail.LoadDemo(ctx, deps, file, 3000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c2 := counts(); !maps.Equal(c1, c2) || again.Merged != 0 || again.Interactions != 0 {
		t.Errorf("second load: counts %v then %v; summary %+v", c1, c2, again)
	}
}
