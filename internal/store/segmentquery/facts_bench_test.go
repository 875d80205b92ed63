package segmentquery_test

// BenchmarkSegmentPreviewFacts: segment preview over the fact cache beside a raw
// CountDocuments of the equivalent compiled filter on the same database.
//
//	TESSERA_BENCH_LARGE=100000 go test ./internal/store/segmentquery/ -run '^$' -bench SegmentPreviewFacts -benchtime 5x -timeout 30m
//
// Without TESSERA_BENCH_LARGE it runs at 10,000 profiles. Seeding uses
// loadSegmentBench (bulk inserts of profile, metrics and order documents).
//
// preview-ms: SegmentPreview (count + the first 10 profiles by bare _id reads);
// count-ms: SegmentCount over the cache; raw-ms: CountDocuments of the query path's
// final filter (filter strategy, id sets inlined) alone; load-s: LoadFacts; rss-MB: the
// process's resident set after the load (the embedded database runs in the same
// process); rss-load-MB: what the load added; facts-heap-MB: live Go heap the cache
// holds (after GC, with and without it).

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// rssMB reads the resident set size of the process (Linux), 0 elsewhere.
func rssMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func BenchmarkSegmentPreviewFacts(b *testing.B) {
	n := 10_000
	if v := os.Getenv("TESSERA_BENCH_LARGE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			n = 100_000
		}
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	db := testdb.DB(b)
	t0 := time.Now()
	loadSegmentBench(b, db, n, now)
	b.Logf("seeded %d profiles in %v", n, time.Since(t0).Round(time.Millisecond))
	heap0, rss0 := heapMB(), rssMB()
	s := segmentquery.New(db, testdb.Backend(b))
	if s.Facts() == nil {
		b.Skip("no fact cache on this backend")
	}
	t0 = time.Now()
	if err := s.LoadFacts(ctx, nil); err != nil {
		b.Fatal(err)
	}
	load := time.Since(t0)
	heap1, rss1 := heapMB(), rssMB()
	b.Logf("facts of %d live profiles loaded in %v; heap %.1f -> %.1f MB, RSS %.1f -> %.1f MB", s.Facts().Len(), load.Round(time.Millisecond), heap0, heap1, rss0, rss1)
	q := segmentquery.New(db, testdb.Backend(b)) // never loaded: the query path

	country := segment.Trait(segment.FieldCountry, segment.EQ, "United Kingdom")
	rules := []struct {
		name string
		rule segment.Rule
	}{
		{"country", country},
		{"3profile+metric", segment.And(country, segment.TraitNumber("attributes.score", segment.GTE, 5),
			segment.Trait(segment.FieldLastName, segment.StartsWith, "s"), segment.MetricIs(segment.MetricNetRevenue, segment.GT, 500))},
		{"or+not+consent+aov", segment.Or(segment.And(segment.Trait(segment.FieldCity, segment.Contains, "on"), segment.Not(segment.Rule{Consent: &segment.ConsentCond{Channel: "email", Granted: true}})),
			segment.MetricIs(segment.MetricAOV, segment.GT, 150), segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.LT, 30))},
		{"trait+metric+orders", segment.And(country, segment.MetricIs(segment.MetricNetRevenue, segment.GT, 500),
			segment.Rule{Orders: &segment.CountCond{AtLeast: segment.Int(1), WithinDays: segment.Int(365)}})},
	}
	for _, rc := range rules {
		b.Run(rc.name, func(b *testing.B) {
			var preview, count, raw time.Duration
			var members int64
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				k, sample, err := s.SegmentPreview(ctx, rc.rule, now, 10)
				if err != nil {
					b.Fatal(err)
				}
				preview += time.Since(t0)
				if len(sample) != int(min(k, 10)) {
					b.Fatalf("sample of %d for %d members", len(sample), k)
				}
				t0 = time.Now()
				k2, err := s.SegmentCount(ctx, rc.rule, now)
				if err != nil {
					b.Fatal(err)
				}
				count += time.Since(t0)
				members = k
				if i == 0 {
					// The raw baseline: the query path's final filter, counted alone.
					fc, err := q.CompileSegment(ctx, rc.rule, now, segmentquery.SegmentOptions{Strategy: segmentquery.SegmentFilter})
					if err != nil {
						b.Fatal(err)
					}
					t0 = time.Now()
					var k3 int64
					for _, f := range fc.Filters() {
						x, err := db.Collection("profiles").CountDocuments(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						k3 += x
					}
					raw = time.Since(t0) * time.Duration(b.N)
					if k3 != k || k2 != k {
						b.Fatalf("counts differ: preview %d, count %d, raw %d", k, k2, k3)
					}
				}
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(preview), "preview-ms/op")
			b.ReportMetric(ms(count), "count-ms/op")
			b.ReportMetric(ms(raw), "raw-ms/op")
			b.ReportMetric(float64(members), "members")
			b.ReportMetric(load.Seconds(), "load-s")
			b.ReportMetric(rss1, "rss-MB")
			b.ReportMetric(rss1-rss0, "rss-load-MB")
			b.ReportMetric(heap1-heap0, "facts-heap-MB")
			b.ReportMetric(float64(n), "profiles")
		})
	}
}
