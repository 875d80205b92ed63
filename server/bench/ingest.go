// Package bench holds `tessera bench`: the ingest benchmark (resolution next to the raw
// insert of the same documents) and the scale benchmark (user-facing paths at two
// database sizes). The server's main package opens the database for it.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DB says which database a benchmark opens: embedded FerretDB on SQLite (in memory),
// on PostgreSQL, or a MongoDB.
type DB struct {
	Memory        bool
	PostgreSQLURL string
	MongoURI      string
}

// Opener opens the database (the server's own way of doing it) and returns its close.
type Opener func(DB, *slog.Logger) (*mongo.Client, func(), error)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Cmd runs `tessera bench ingest`: resolution throughput of synthetic records next
// to the raw bulk-insert throughput of the same documents, on the same database, in the
// same run, so the ratio says what identity resolution costs.
func Cmd(args []string, open Opener) error {
	if len(args) > 0 && args[0] == "scale" {
		return Scale(args[1:], open, os.Stdout, os.Stderr)
	}
	if len(args) == 0 || args[0] != "ingest" {
		return errors.New("usage: tessera bench ingest|scale [flags]")
	}
	fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
	n := fs.Int("n", 100000, "records")
	overlap := fs.Float64("overlap", 0.3, "fraction of records describing a person already seen")
	batch := fs.Int("batch", 1000, "records per ingest call")
	pg := fs.String("postgresql-url", env("TESSERA_POSTGRESQL_URL", ""), "embedded FerretDB on PostgreSQL instead of SQLite")
	uri := fs.String("mongodb-uri", env("MONGODB_URI", ""), "a MongoDB to measure instead of the embedded database")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the ingest phase to this file (with -both: FILE.sqlite and FILE.postgresql)")
	both := fs.Bool("both", false, "with -postgresql-url: run the benchmark on SQLite, then on PostgreSQL, and compare the two")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	b := ingestBench{open: open, n: *n, overlap: *overlap, batch: *batch, cpuprofile: *cpuprofile}
	if !*both {
		_, err := b.run(DB{Memory: *pg == "", PostgreSQLURL: *pg, MongoURI: *uri})
		return err
	}
	if *pg == "" || *uri != "" {
		return errors.New("-both compares the embedded database on SQLite and on PostgreSQL: give -postgresql-url, not -mongodb-uri")
	}
	var rates [2]float64
	for i, c := range []DB{{Memory: true}, {PostgreSQLURL: *pg}} {
		if *cpuprofile != "" {
			b.cpuprofile = *cpuprofile + []string{".sqlite", ".postgresql"}[i]
		}
		var err error
		if rates[i], err = b.run(c); err != nil {
			return err
		}
	}
	fmt.Printf("same run: SQLite %.0f records/s, PostgreSQL %.0f records/s, PostgreSQL/SQLite %.2f\n", rates[0], rates[1], rates[1]/rates[0])
	return nil
}

type ingestBench struct {
	open       Opener
	n, batch   int
	overlap    float64
	cpuprofile string
}

// run measures one backend and returns the ingest rate in records/s.
func (b ingestBench) run(cfg DB) (float64, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, closeDB, err := b.open(cfg, log)
	if err != nil {
		return 0, err
	}
	defer closeDB()
	ctx := context.Background()
	dbName := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	db := client.Database(dbName)
	defer db.Drop(context.Background())
	recs := ingest.Synthesize(b.n, b.overlap, 1)
	persons := map[int]bool{}
	for _, r := range recs {
		persons[r.Person] = true
	}
	expected := components(recs)
	backend := "embedded FerretDB on SQLite"
	switch {
	case cfg.MongoURI != "":
		backend = "MongoDB " + cfg.MongoURI
	case cfg.PostgreSQLURL != "":
		backend = "embedded FerretDB on PostgreSQL"
	}
	fmt.Printf("bench ingest: %d records of %d people (overlap %.0f%%) in batches of %d, %s\n", b.n, len(persons), b.overlap*100, b.batch, backend)

	// Baseline: the same payload documents, bulk-inserted as they are.
	raw := db.Collection("bench_raw")
	start := time.Now()
	for i := 0; i < len(recs); i += b.batch {
		var docs []any
		for _, r := range recs[i:min(i+b.batch, len(recs))] {
			docs = append(docs, bson.M{"_id": r.Source + ":" + r.Input.ExternalID, "source": r.Source, "payload": r.Input.Payload})
		}
		if _, err := raw.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
			return 0, err
		}
	}
	rawRate := float64(len(recs)) / time.Since(start).Seconds()
	fmt.Printf("raw bulk insert:    %9.0f records/s\n", rawRate)

	a, err := app.New(ctx, db, app.Options{Log: log})
	if err != nil {
		return 0, err
	}
	// As a serving process does in the background (App.Start).
	if err := a.Store.BuildExistenceHints(ctx); err != nil {
		return 0, err
	}
	for _, s := range ingest.SynthSources {
		if _, err := a.Ingest.CreateSource(ctx, s); err != nil {
			return 0, err
		}
	}
	bar := progressbar.NewOptions(len(recs), progressbar.OptionSetDescription("ingest"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetWriter(os.Stderr), progressbar.OptionThrottle(500*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }))
	var sum ingest.Counts
	var ms runtime.MemStats
	var peak uint64
	if b.cpuprofile != "" {
		f, err := os.Create(b.cpuprofile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start = time.Now()
	for i := 0; i < len(recs); i += b.batch {
		bySrc := map[string][]ingest.Input{}
		for _, r := range recs[i:min(i+b.batch, len(recs))] {
			bySrc[r.Source] = append(bySrc[r.Source], r.Input)
		}
		for _, s := range ingest.SynthSources {
			if len(bySrc[s.Name]) == 0 {
				continue
			}
			res, err := a.Ingest.Ingest(ctx, s.Name, bySrc[s.Name], "")
			if err != nil {
				return 0, err
			}
			sum.Created += res.Created
			sum.Merged += res.Merged
			bar.Add(len(bySrc[s.Name]))
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	el := time.Since(start)
	rate := float64(len(recs)) / el.Seconds()
	live, err := db.Collection("profiles").CountDocuments(ctx, bson.M{"mergedInto": bson.M{"$exists": false}})
	if err != nil {
		return 0, err
	}
	fmt.Printf("ingest + resolution: %9.0f records/s (%s)\n", rate, el.Round(time.Millisecond))
	fmt.Printf("ratio ingest/raw:    %9.3f\n", rate/rawRate)
	fmt.Printf("profiles: %d live, %d expected from shared identifiers (%d people), %d merges; peak Go heap in use %.0f MiB\n",
		live, expected, len(persons), sum.Merged, float64(peak)/(1<<20))
	if int(live) != expected {
		return 0, fmt.Errorf("resolution produced %d profiles, shared identifiers give %d", live, expected)
	}
	return rate, nil
}

// components counts groups of records linked by a shared identifier value: what
// deterministic resolution must produce (no limits are hit by the synthetic data).
func components(recs []ingest.SynthRecord) int {
	parent := make([]int, len(recs))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{}
	for i, r := range recs {
		for _, f := range []string{"email", "phone", "customer_no"} {
			if v, ok := r.Input.Payload[f].(string); ok {
				k := f + ":" + v
				if j, seen := first[k]; seen {
					parent[find(i)] = find(j)
				} else {
					first[k] = i
				}
			}
		}
	}
	n := 0
	for i := range recs {
		if find(i) == i {
			n++
		}
	}
	return n
}
