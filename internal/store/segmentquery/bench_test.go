package segmentquery_test

// BenchmarkSegmentPreview: segment counts over generated profiles, metrics and orders
// (FerretDB v1.24 embedded, SQLite handler, 2 shared cores, other builds running).
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkSegmentPreview -benchtime 1x
//	TESSERA_BENCH_100K=1 go test ./internal/store/ -run '^$' -bench BenchmarkSegmentPreview -benchtime 1x -timeout 60m
//
// Measured 2026-11-25, one iteration each (ms per SegmentCount):
//
//	profiles  rule                 count   filter   raw     scan    sets   set-ids  members
//	10,000    3profile+metric      1,602   1,512    980     817     537    2,024    92
//	10,000    trait+metric+orders  2,298   2,506    1,303   817     1,302  4,827    352
//	100,000   3profile+metric      15,702  17,565   11,594  9,651   5,788  19,888   944
//	100,000   trait+metric+orders  22,336  41,827   29,849  10,238  12,679 47,880   3,414
//
// So on FerretDB a count costs the id-set leaves (one scan of metrics, one of orders)
// plus one scan of profiles; inlining ~48,000 ids as $in makes the profiles query 3×
// slower than the scan, which is why the automatic strategy combines id lists in Go
// there. Before the orders leaf counted in Go, FerretDB's $group (linear search of its
// groups) took 46 s of the 64 s of the 100k trait+metric+orders count.
//
// count-ms: SegmentCount (automatic strategy); filter-ms: the filter strategy (id sets
// inlined as $in); raw-ms: CountDocuments on that final filter alone, the baseline;
// sets-ms: evaluating the id-set leaves; set-ids: ids they hold; scan-ms: counting the
// live profiles ({mergedInto: {$exists: false}}), the cost of one scan of profiles.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

var benchCountries = []string{"United Kingdom", "United Kingdom", "United Kingdom", "France", "Germany", "Spain", "US", "Netherlands"}

// loadSegmentBench inserts n profiles, metrics for 70% of them and up to 3 orders per
// customer with orders, with InsertMany in batches of 1000.
func loadSegmentBench(b *testing.B, db *mongo.Database, n int, now time.Time) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(42, uint64(n)))
	var profiles, metrics, orders []any
	flush := func(coll string, docs *[]any, force bool) {
		if len(*docs) >= 1000 || force && len(*docs) > 0 {
			if _, err := db.Collection(coll).InsertMany(ctx, *docs); err != nil {
				b.Fatal(err)
			}
			*docs = (*docs)[:0]
		}
	}
	for i := range n {
		id := fmt.Sprintf("p%07d", i)
		p := profile.Profile{ID: id, CreatedAt: now, UpdatedAt: now, Rev: 1, RecordCount: 1,
			Traits: profile.Traits{FirstName: pick(r, segFirst), LastName: pick(r, segLast),
				Emails:     []string{fmt.Sprintf("c%d@example.com", i)},
				Addresses:  []profile.Address{{Line1: "1 High St", City: pick(r, segCities), Postcode: pick(r, segPostcodes), Country: pick(r, benchCountries)}},
				Attributes: map[string]any{"score": r.IntN(11), "consent_email": pick(r, []any{true, "yes", "no", false})}},
			Identifiers: []string{fmt.Sprintf("email:c%d@example.com", i), fmt.Sprintf("crm:%d", i)}}
		if r.IntN(50) == 0 {
			p.MergedInto = fmt.Sprintf("p%07d", r.IntN(n))
		}
		profiles = append(profiles, p)
		if r.IntN(10) < 7 {
			k := r.IntN(8)
			last := now.Add(-time.Duration(r.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Millisecond)
			metrics = append(metrics, bson.M{"_id": id, "rev": 1, "orders": k, "netMinor": int64(k) * r.Int64N(20000),
				"currency": "GBP", "lastOrderAt": last, "interactions": r.IntN(20), "rfm": bson.M{"r": r.IntN(6), "f": r.IntN(6), "m": r.IntN(6)}})
			for j := range min(k, 3) {
				orders = append(orders, commerce.Order{ID: fmt.Sprintf("shop:%s-%d", id, j), Source: "shop", ProfileID: id,
					Channel: "web", Status: pick(r, []string{"paid", "paid", "shipped", "cancelled"}), TotalMinor: 1000, Currency: "GBP",
					PlacedAt: last.Add(-time.Duration(j) * 40 * 24 * time.Hour)})
			}
		}
		flush("profiles", &profiles, false)
		flush(commercestore.MetricsCollection, &metrics, false)
		flush(commercestore.OrdersCollection, &orders, false)
	}
	flush("profiles", &profiles, true)
	flush(commercestore.MetricsCollection, &metrics, true)
	flush(commercestore.OrdersCollection, &orders, true)
}

func BenchmarkSegmentPreview(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("TESSERA_BENCH_100K") == "1" {
		sizes = append(sizes, 100_000)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	country := segment.Trait(segment.FieldCountry, segment.EQ, "United Kingdom")
	rules := []struct {
		name string
		rule segment.Rule
	}{
		// Three conditions on profiles plus one metric leaf.
		{"3profile+metric", segment.And(country, segment.TraitNumber("attributes.score", segment.GTE, 5),
			segment.Trait(segment.FieldLastName, segment.StartsWith, "s"), segment.MetricIs(segment.MetricNetRevenue, segment.GT, 500))},
		// A trait, a metric leaf and an orders leaf.
		{"trait+metric+orders", segment.And(country, segment.MetricIs(segment.MetricNetRevenue, segment.GT, 500),
			segment.Rule{Orders: &segment.CountCond{AtLeast: segment.Int(1), WithinDays: segment.Int(365)}})},
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("profiles=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := testdb.DB(b)
			t0 := time.Now()
			loadSegmentBench(b, db, n, now)
			b.Logf("loaded %d profiles in %v", n, time.Since(t0).Round(time.Millisecond))
			s := segmentquery.New(db, testdb.Backend(b))
			for _, rc := range rules {
				b.Run(rc.name, func(b *testing.B) {
					var count, filter, raw, sets, scan time.Duration
					var setIDs int
					var members int64
					strategy := ""
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						c, err := s.CompileSegment(ctx, rc.rule, now, segmentquery.SegmentOptions{})
						if err != nil {
							b.Fatal(err)
						}
						k, err := c.Count(ctx)
						if err != nil {
							b.Fatal(err)
						}
						count += time.Since(t0)
						members, strategy = k, c.Strategy.String()

						t0 = time.Now()
						fc, err := s.CompileSegment(ctx, rc.rule, now, segmentquery.SegmentOptions{Strategy: segmentquery.SegmentFilter})
						if err != nil {
							b.Fatal(err)
						}
						sets += fc.SetTime
						setIDs = fc.SetIDs
						k2, err := fc.Count(ctx)
						if err != nil {
							b.Fatal(err)
						}
						filter += time.Since(t0)

						t0 = time.Now()
						var k3 int64
						for _, f := range fc.Filters() {
							x, err := db.Collection("profiles").CountDocuments(ctx, f)
							if err != nil {
								b.Fatal(err)
							}
							k3 += x
						}
						raw += time.Since(t0)
						t0 = time.Now()
						if _, err := db.Collection("profiles").CountDocuments(ctx, bson.D{{Key: "mergedInto", Value: bson.D{{Key: "$exists", Value: false}}}}); err != nil {
							b.Fatal(err)
						}
						scan += time.Since(t0)
						if k2 != k || k3 != k {
							b.Fatalf("counts differ: auto %d, filter %d, raw %d", k, k2, k3)
						}
					}
					ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
					b.ReportMetric(ms(count), "count-ms/op")
					b.ReportMetric(ms(filter), "filter-ms/op")
					b.ReportMetric(ms(raw), "raw-ms/op")
					b.ReportMetric(ms(sets), "sets-ms/op")
					b.ReportMetric(ms(scan), "scan-ms/op")
					b.ReportMetric(float64(setIDs), "set-ids")
					b.ReportMetric(float64(members), "members")
					b.Logf("auto strategy: %s", strategy)
				})
			}
		})
	}
}
