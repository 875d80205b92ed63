package segmentquery_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/consentstore"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// factStore returns a store whose fact cache is loaded, or skips on a backend that
// keeps the query path (MongoDB).
func factStore(t testing.TB, db *mongo.Database) *segmentquery.Store {
	t.Helper()
	s := segmentquery.New(db, testdb.Backend(t))
	if s.Facts() == nil {
		t.Skip("the backend keeps the query path (indexed filters): no fact cache")
	}
	if err := s.LoadFacts(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !s.Facts().Loaded() {
		t.Fatal("fact cache not loaded")
	}
	return s
}

func allMembers(t *testing.T, s *segmentquery.Store, r segment.Rule, now time.Time, restrict []string) []string {
	t.Helper()
	var ids []string
	if err := s.SegmentMembers(context.Background(), r, now, restrict, func(b []string) error {
		if len(b) == 0 || len(b) > 1000 {
			t.Errorf("batch of %d", len(b))
		}
		ids = append(ids, b...)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return ids
}

// mutate changes the population in the database and in the structs the way the write
// paths do: trait and identifier changes, new profiles, merges, erasures, metrics
// written, changed and deleted. It returns the ids it touched.
func mutate(t *testing.T, db *mongo.Database, pop *segPop, r *rand.Rand, round int) []string {
	ctx := context.Background()
	other := genPopulation(rand.New(rand.NewPCG(uint64(round), 77)), len(pop.profiles)+20, pop.now)
	var touched []string
	profiles := db.Collection("profiles")
	metrics := db.Collection(commercestore.MetricsCollection)
	replace := func(c *mongo.Collection, id string, doc any) {
		if _, err := c.ReplaceOne(ctx, bson.M{"_id": id}, doc, options.Replace().SetUpsert(true)); err != nil {
			t.Fatal(err)
		}
	}
	del := func(c *mongo.Collection, id string) {
		if _, err := c.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			t.Fatal(err)
		}
	}
	var keep []profile.Profile
	for i := range pop.profiles {
		p := &pop.profiles[i]
		switch k := r.IntN(20); {
		case k < 3: // traits and identifiers change
			o := other.profiles[r.IntN(len(other.profiles))]
			p.Traits, p.Identifiers = o.Traits, o.Identifiers
			replace(profiles, p.ID, *p)
			touched = append(touched, p.ID)
		case k == 3 && p.MergedInto == "": // merged into another profile
			p.MergedInto = pick(r, pop.ids)
			replace(profiles, p.ID, *p)
			touched = append(touched, p.ID, p.MergedInto)
		case k == 4: // erased
			del(profiles, p.ID)
			del(metrics, p.ID)
			delete(pop.metrics, p.ID)
			touched = append(touched, p.ID)
			continue
		}
		switch k := r.IntN(20); {
		case k < 3: // metrics written or changed
			m := other.metrics[pick(r, other.ids)]
			if m == nil {
				m = &segMetric{Orders: ptr(r.IntN(4))}
			}
			cp := *m
			cp.ID = p.ID
			pop.metrics[p.ID] = &cp
			replace(metrics, p.ID, cp.doc())
			touched = append(touched, p.ID)
		case k == 3:
			delete(pop.metrics, p.ID)
			del(metrics, p.ID)
			touched = append(touched, p.ID)
		}
		switch k := r.IntN(20); { // consent stated or withdrawn, or the record erased
		case k < 3:
			pop.consent[p.ID] = some(r, segGrants, 3)
			replace(db.Collection(consentstore.Collection), p.ID, consentDoc(p.ID, pop.consent[p.ID]))
			touched = append(touched, p.ID)
		case k == 3:
			delete(pop.consent, p.ID)
			del(db.Collection(consentstore.Collection), p.ID)
			touched = append(touched, p.ID)
		}
		keep = append(keep, *p)
	}
	pop.profiles = keep
	for i := range 15 { // new profiles
		o := other.profiles[i]
		o.ID = fmt.Sprintf("n%d-%02d", round, i)
		o.MergedInto = ""
		pop.profiles = append(pop.profiles, o)
		pop.ids = append(pop.ids, o.ID)
		replace(profiles, o.ID, o)
		touched = append(touched, o.ID)
		if r.IntN(3) == 0 {
			pop.consent[o.ID] = some(r, segGrants, 2)
			replace(db.Collection(consentstore.Collection), o.ID, consentDoc(o.ID, pop.consent[o.ID]))
		}
		if r.IntN(2) == 0 {
			m := segMetric{ID: o.ID, Orders: ptr(1 + r.IntN(3)), Net: ptr(pick(r, segNets)), Currency: ptr(pick(r, segCurrency)),
				LastOrderAt: ptr(randTime(r, pop.now))}
			pop.metrics[o.ID] = &m
			replace(metrics, o.ID, m.doc())
		}
	}
	return touched
}

// TestSegmentFactsMatchEvaluator: random rules over a random population give the same
// members, counts and samples over the fact cache as the query path and as the
// independent evaluator of query_test.go, before and after rounds of changes (traits,
// identifiers, merges, erasures, new profiles, metrics) announced the way the write
// paths announce them. TESSERA_SEGMENT_SEED adds a seed, TESSERA_SEGMENT_RULES sets the
// rules per round (default 120).
func TestSegmentFactsMatchEvaluator(t *testing.T) {
	nRules := 120
	if s := os.Getenv("TESSERA_SEGMENT_RULES"); s != "" {
		nRules, _ = strconv.Atoi(s)
	}
	for _, seed := range segSeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(seed, seed^0xfac7))
			now := time.Date(2026, 3, 15, 12, 30, 0, 123_000_000, time.UTC)
			pop := genPopulation(r, 300, now)
			db := testdb.DB(t)
			pop.insert(t, db)
			s := factStore(t, db)
			q := segmentquery.New(db, testdb.Backend(t)) // never loaded: the query path
			g := &segGen{r: r, pop: pop}
			for round := range 3 {
				if round > 0 {
					touched := mutate(t, db, pop, r, round)
					s.ProfilesChanged(touched)
					if round == 2 { // as the membership queue does before a re-evaluation
						if err := s.RefreshProfiles(ctx, touched); err != nil {
							t.Fatal(err)
						}
						if n := s.Facts().DirtyCount(); n != 0 {
							t.Errorf("%d profiles still dirty after RefreshProfiles", n)
						}
					}
				}
				live := 0
				for _, p := range pop.profiles {
					if p.MergedInto == "" {
						live++
					}
				}
				interesting := 0
				for i := range nRules {
					rule := g.rule(1)
					want := pop.expected(rule)
					if len(want) > 0 && len(want) < live {
						interesting++
					}
					got := allMembers(t, s, rule, now, nil)
					if !slices.Equal(got, want) {
						t.Errorf("seed %d round %d rule %d, facts:\n%s\n%s", seed, round, i, rule, diff(want, got))
						continue
					}
					if s.Facts().Len() != live {
						t.Fatalf("round %d: cache holds %d profiles, %d live", round, s.Facts().Len(), live)
					}
					n, err := s.SegmentCount(ctx, rule, now)
					if err != nil || n != int64(len(want)) {
						t.Errorf("seed %d round %d rule %d: facts count %d, %v, want %d", seed, round, i, n, err, len(want))
					}
					if i%3 == 0 {
						qn, err := q.SegmentCount(ctx, rule, now)
						if err != nil || qn != n {
							t.Errorf("seed %d round %d rule %d %s: query path %d, %v; facts %d", seed, round, i, rule, qn, err, n)
						}
					}
					if i%5 == 0 {
						restrict := append(some(r, pop.ids, 40), "nobody", pick(r, pop.ids))
						var wantR []string
						for _, id := range want {
							if slices.Contains(restrict, id) {
								wantR = append(wantR, id)
							}
						}
						if got := allMembers(t, s, rule, now, restrict); !slices.Equal(got, wantR) {
							t.Errorf("seed %d round %d rule %d restricted:\n%s\n%s", seed, round, i, rule, diff(wantR, got))
						}
					}
					if i%10 == 0 {
						n, sample, err := s.SegmentPreview(ctx, rule, now, 5)
						if err != nil {
							t.Fatal(err)
						}
						var ids []string
						for _, p := range sample {
							ids = append(ids, p.ID)
							if p.MergedInto != "" || p.Provenance != nil {
								t.Errorf("sample profile %s: merged %q, provenance %v", p.ID, p.MergedInto, p.Provenance)
							}
						}
						if n != int64(len(want)) || !slices.Equal(ids, want[:min(5, len(want))]) {
							t.Errorf("seed %d round %d rule %d preview %d %v, want %d %v", seed, round, i, n, ids, len(want), want[:min(5, len(want))])
						}
					}
				}
				if interesting < nRules/3 {
					t.Errorf("round %d: only %d of %d rules select a proper subset", round, interesting, nRules)
				}
				t.Logf("seed %d round %d: %d live profiles, %d of %d rules select a proper subset", seed, round, live, interesting, nRules)
			}
		})
	}
}

// TestSegmentFactsPreviewNoScan: once the fact cache is loaded, a preview of a rule on
// traits, identifiers, consent and metrics sends only bare-_id reads (the sample, and
// the re-reads of changed profiles), as many at 200 profiles as at 2,000; a rule with an
// orders condition reads the orders (as the query path does) but never scans the
// profiles.
func TestSegmentFactsPreviewNoScan(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 12, 30, 0, 0, time.UTC)
	rule := segment.And(
		segment.Or(segment.Trait(segment.FieldCountry, segment.EQ, "France"), segment.Trait(segment.FieldFirstName, segment.StartsWith, "a")),
		segment.Not(segment.Rule{Identifier: &segment.IdentifierCond{Type: "crm", Value: "3"}}),
		segment.Rule{Consent: &segment.ConsentCond{Channel: "email", Granted: false}},
		segment.MetricIs(segment.MetricNetRevenue, segment.GTE, 0))
	withOrders := segment.And(rule, segment.Rule{Orders: &segment.CountCond{WithinDays: segment.Int(365)}})
	got := map[int][2]int{}
	for _, size := range []int{200, 2000} {
		r := rand.New(rand.NewPCG(uint64(size), 1))
		pop := genPopulation(r, size, now)
		db := testdb.DB(t)
		pop.insert(t, db)
		log := &testdb.CommandLog{}
		mdb := testdb.MonitoredClient(t, log).Database(db.Name())
		s := factStore(t, mdb)
		check := func(what string, cmds []testdb.Command, ordersAllowed bool) {
			for _, c := range cmds {
				bare := c.Name == "find" && len(c.Filters) == 1 && testdb.BareID(c.Filters[0])
				if !bare && !(ordersAllowed && c.Coll == "orders") {
					t.Errorf("%d profiles, %s: %s", size, what, c)
				}
			}
		}
		log.Record(true)
		n, sample, err := s.SegmentPreview(ctx, rule, now, 10)
		cmds := log.Record(false)
		if err != nil {
			t.Fatal(err)
		}
		if want := pop.expected(rule); n != int64(len(want)) || len(sample) != min(10, len(want)) {
			t.Fatalf("%d profiles: preview %d (%d sampled), want %d", size, n, len(sample), len(want))
		}
		check("preview", cmds, false)
		first := len(cmds)

		// A changed profile is re-read by bare _id before the next preview.
		p := pop.profiles[5]
		p.Traits.Addresses = []profile.Address{{City: "Paris", Country: "France"}}
		if _, err := db.Collection("profiles").ReplaceOne(ctx, bson.M{"_id": p.ID}, p); err != nil {
			t.Fatal(err)
		}
		s.ProfilesChanged([]string{p.ID})
		log.Record(true)
		if _, err := s.SegmentCount(ctx, segment.Trait(segment.FieldCountry, segment.EQ, "France"), now); err != nil {
			t.Fatal(err)
		}
		cmds = log.Record(false)
		check("count after a change", cmds, false)
		if len(cmds) != 3 { // the profile, its metrics and its consent
			t.Errorf("%d profiles: count after a change sent %d commands: %v", size, len(cmds), cmds)
		}
		if f, ok := s.Facts().Get(p.ID); p.MergedInto == "" && (!ok || !slices.Contains(f.Countries, "France")) {
			t.Errorf("changed profile not re-read: %+v", f)
		}

		log.Record(true)
		if _, err := s.SegmentCount(ctx, withOrders, now); err != nil {
			t.Fatal(err)
		}
		check("rule with orders", log.Record(false), true)
		got[size] = [2]int{first, len(cmds)}
	}
	if got[200] != got[2000] {
		t.Errorf("commands grow with the database: %v", got)
	}
	t.Logf("commands (preview with 10 sampled, count after one change): %v", got)
}

// TestSegmentFactsBeforeLoad: until LoadFacts has run, the store answers with the query
// path, and changes announced meanwhile are not lost.
func TestSegmentFactsBeforeLoad(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 12, 30, 0, 0, time.UTC)
	db := testdb.DB(t)
	s := segmentquery.New(db, testdb.Backend(t))
	if s.Facts() == nil {
		t.Skip("no fact cache on this backend")
	}
	if _, err := db.Collection("profiles").InsertMany(ctx, []any{
		profile.Profile{ID: "a", Traits: profile.Traits{FirstName: "Ann"}},
		profile.Profile{ID: "b", Traits: profile.Traits{FirstName: "Bob"}},
	}); err != nil {
		t.Fatal(err)
	}
	ann := segment.Trait(segment.FieldFirstName, segment.EQ, "Ann")
	if n, err := s.SegmentCount(ctx, ann, now); err != nil || n != 1 {
		t.Fatalf("query path before the load: %d, %v", n, err)
	}
	s.ProfilesChanged([]string{"a"}) // ignored: no load has begun
	if s.Facts().DirtyCount() != 0 {
		t.Error("marks recorded before the load began")
	}
	if err := s.LoadFacts(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("profiles").UpdateOne(ctx, bson.M{"_id": "b"}, bson.M{"$set": bson.M{"traits.firstName": "Ann"}}); err != nil {
		t.Fatal(err)
	}
	s.ProfilesChanged([]string{"b"})
	if n, err := s.SegmentCount(ctx, ann, now); err != nil || n != 2 {
		t.Fatalf("after a change: %d, %v", n, err)
	}
	if _, err := db.Collection("profiles").DeleteOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshProfiles(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SegmentCount(ctx, ann, now); err != nil || n != 1 || s.Facts().Len() != 1 {
		t.Fatalf("after an erasure: %d, %v, %d cached", n, err, s.Facts().Len())
	}
}
