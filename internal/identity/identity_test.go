package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type env struct {
	t   *testing.T
	st  *identitystore.Store
	eng *identity.Engine
	svc *ingest.Service
}

func newEnv(t *testing.T) *env {
	st := identitystore.New(testdb.DB(t), testdb.Backend(t))
	eng := identity.NewEngine(st)
	eng.Exclusive = !testdb.Backend(t).AtomicUpdates // as the app runs it
	if err := st.BuildExistenceHints(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := ingest.NewService(st, eng, normalize.Default())
	e := &env{t, st, eng, svc}
	for i, name := range []string{"shop", "crm", "news"} {
		_, err := svc.CreateSource(context.Background(), ingest.Source{Name: name, Kind: "OTHER", Priority: i * 10,
			IdentifierFields: map[string]string{"email": "email", "phone": "phone", "cid": "customer_id"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) ingest(src string, recs ...map[string]any) ingest.Result {
	e.t.Helper()
	var in []ingest.Input
	for _, r := range recs {
		in = append(in, ingest.Input{ExternalID: fmt.Sprint(r["id"]), Payload: r})
	}
	res, err := e.svc.Ingest(context.Background(), src, in, "")
	if err != nil {
		e.t.Fatalf("ingest: %v", err)
	}
	return res
}

// partition returns the live profiles as sorted lists of record ids.
func (e *env) partition() []string {
	e.t.Helper()
	ctx := context.Background()
	var all []profile.Record
	for _, src := range []string{"shop", "crm", "news"} {
		recs, err := e.st.RecordsBySource(ctx, src)
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, recs...)
	}
	// The RecordIDs hint that RecordsOfProfiles reads on FerretDB must find exactly the
	// records that point at each profile.
	byProfile := map[string][]string{}
	for _, r := range all {
		byProfile[r.ProfileID] = append(byProfile[r.ProfileID], r.ID)
	}
	for pid, ids := range byProfile {
		got, err := e.st.RecordsOfProfiles(ctx, []string{pid})
		if err != nil {
			e.t.Fatal(err)
		}
		var gotIDs []string
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		sort.Strings(ids)
		sort.Strings(gotIDs)
		if strings.Join(ids, ",") != strings.Join(gotIDs, ",") {
			e.t.Fatalf("records of %s: RecordsOfProfiles gives %v, records point at it: %v", pid, gotIDs, ids)
		}
	}
	groups := map[string][]string{}
	for _, r := range all {
		f, err := e.eng.Final(ctx, r.ProfileID)
		if err != nil {
			e.t.Fatal(err)
		}
		groups[f] = append(groups[f], r.ID)
	}
	var out []string
	for _, g := range groups {
		sort.Strings(g)
		out = append(out, strings.Join(g, ","))
	}
	sort.Strings(out)
	return out
}

func (e *env) profile(id string) profile.Profile {
	e.t.Helper()
	f, err := e.eng.Final(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.st.GetProfiles(context.Background(), []string{f})
	if err != nil || len(ps) != 1 {
		e.t.Fatalf("profile %s: %v", f, err)
	}
	return ps[0]
}

func rec(id string, kv ...string) map[string]any {
	m := map[string]any{"id": id}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestTransitiveMergeInAnyOrder(t *testing.T) {
	a := rec("a", "email", "ann@example.com", "firstName", "Ann")
	b := rec("b", "email", "ann@example.com", "phone", "07911 123456")
	c := rec("c", "phone", "+44 7911 123456", "cid", "C-1")
	orders := [][]map[string]any{{a, b, c}, {c, a, b}, {a, c, b}}
	for i, order := range orders {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t)
			for _, r := range order {
				e.ingest("shop", r)
			}
			if got := e.partition(); len(got) != 1 || got[0] != "shop:a,shop:b,shop:c" {
				t.Fatalf("partition = %v, want one profile", got)
			}
			p := e.profile(e.ingest("shop", a).ProfileIDs[0])
			if len(p.Identifiers) != 3 || p.RecordCount != 3 || p.Traits.FirstName != "Ann" {
				t.Fatalf("profile = %+v", p)
			}
		})
	}
}

func TestOldestProfileSurvivesAndAbsorbedRedirects(t *testing.T) {
	e := newEnv(t)
	pa := e.ingest("shop", rec("a", "email", "a@example.com")).ProfileIDs[0]
	pb := e.ingest("shop", rec("b", "email", "b@example.com")).ProfileIDs[0]
	res := e.ingest("crm", rec("x", "email", "b@example.com", "phone", "07911 123456"), rec("y", "email", "a@example.com", "phone", "07911123456"))
	if res.Merged != 1 {
		t.Fatalf("merged = %d, want 1", res.Merged)
	}
	if got := e.profile(pb).ID; got != pa || pa > pb {
		t.Fatalf("survivor = %s, want oldest %s (absorbed %s)", got, pa, pb)
	}
	p := e.profile(pa)
	if len(p.History) != 1 || p.History[0].ProfileIDs[0] != pb || p.History[0].RecordID != "crm:y" {
		t.Fatalf("history = %+v", p.History)
	}
}

func TestLimitRulePreventsOverMerge(t *testing.T) {
	e := newEnv(t)
	p1 := e.ingest("shop", rec("1", "cid", "C-1", "email", "shared@example.com")).ProfileIDs[0]
	p2 := e.ingest("shop", rec("2", "cid", "C-2", "email", "other@example.com")).ProfileIDs[0]
	// Shares an e-mail with C-1's profile but carries customer id C-2: the e-mail is the
	// lower-priority identifier and is dropped, so the two accounts stay apart.
	res := e.ingest("crm", rec("3", "cid", "C-2", "email", "shared@example.com"))
	if res.Merged != 0 || res.ProfileIDs[0] != p2 {
		t.Fatalf("record 3 -> %s (merged %d), want %s with no merge", res.ProfileIDs[0], res.Merged, p2)
	}
	if len(e.partition()) != 2 || e.profile(p1).ID != p1 {
		t.Fatalf("partition = %v", e.partition())
	}
	recs, _ := e.st.GetRecords(context.Background(), []string{"crm:3"})
	if len(recs[0].Dropped) != 1 || recs[0].Dropped[0].Type != "email" {
		t.Fatalf("dropped = %+v", recs[0].Dropped)
	}
}

func TestBlockedIdentifiersNeverLink(t *testing.T) {
	e := newEnv(t)
	e.ingest("shop", rec("1", "email", "test@example.com", "firstName", "A"), rec("2", "email", "TEST@example.com", "firstName", "B"),
		rec("3", "cid", "unknown"), rec("4", "cid", "unknown"))
	if got := e.partition(); len(got) != 4 {
		t.Fatalf("blocked values merged profiles: %v", got)
	}
	ids, _ := e.st.GetIdentities(context.Background(), []string{"email:test@example.com", "customer_id:unknown"})
	if len(ids) != 0 {
		t.Fatalf("blocked identities stored: %+v", ids)
	}
}

func TestIdempotentReingest(t *testing.T) {
	e := newEnv(t)
	r := rec("1", "email", "ann@example.com", "firstName", "Ann")
	first := e.ingest("shop", r)
	again := e.ingest("shop", rec("1", "firstName", "Ann", "email", "ann@example.com"))
	if first.Created != 1 || again.Unchanged != 1 || again.Created+again.Updated != 0 || again.ProfileIDs[0] != first.ProfileIDs[0] {
		t.Fatalf("first %+v again %+v", first.Counts, again.Counts)
	}
	before := e.profile(first.ProfileIDs[0])
	changed := e.ingest("shop", rec("1", "firstName", "Anna", "email", "ann@example.com"))
	after := e.profile(first.ProfileIDs[0])
	if changed.Updated != 1 || after.Traits.FirstName != "Anna" || after.RecordCount != 1 || before.Rev >= after.Rev {
		t.Fatalf("changed %+v, profile %+v", changed.Counts, after)
	}
}

func TestInvalidValuesKeptNotIdentifiers(t *testing.T) {
	e := newEnv(t)
	res := e.ingest("shop", rec("1", "email", "not-an-email", "phone", "12", "firstName", "Ann"), rec("2", "email", "not-an-email"))
	if len(e.partition()) != 2 {
		t.Fatal("invalid e-mail linked two records")
	}
	p := e.profile(res.ProfileIDs[0])
	if len(p.Invalid) != 2 || p.Invalid[0].Reason == "" {
		t.Fatalf("invalid = %+v", p.Invalid)
	}
}

// Ingests overlapping records from 8 goroutines in shuffled batches; the partition must
// equal the sequential one and no profile may be duplicated.
func TestConcurrentIngestMatchesSequential(t *testing.T) { testConcurrent(t, true) }

// Without the engine's write lock the identity graph relies on atomic document updates,
// which MongoDB has and FerretDB v1 has not; run with TESSERA_TEST_MONGODB_URI.
func TestConcurrentIngestLockFreeOnMongoDB(t *testing.T) {
	if os.Getenv("TESSERA_TEST_MONGODB_URI") == "" {
		t.Skip("needs a real MongoDB (TESSERA_TEST_MONGODB_URI): FerretDB v1 updates are not atomic per document")
	}
	testConcurrent(t, false)
}

func testConcurrent(t *testing.T, serialize bool) {
	var recs []map[string]any
	for i := range 60 {
		person := i / 3 // three records per person, linked in a chain
		switch i % 3 {
		case 0:
			recs = append(recs, rec(fmt.Sprint(i), "email", fmt.Sprintf("p%d@example.com", person)))
		case 1:
			recs = append(recs, rec(fmt.Sprint(i), "email", fmt.Sprintf("p%d@example.com", person), "phone", fmt.Sprintf("+4479111%05d", person)))
		case 2:
			recs = append(recs, rec(fmt.Sprint(i), "phone", fmt.Sprintf("+4479111%05d", person), "cid", fmt.Sprintf("C%d", person)))
		}
	}
	seq := newEnv(t)
	for _, r := range recs {
		seq.ingest("shop", r)
	}
	want := seq.partition()
	if len(want) != 20 {
		t.Fatalf("sequential partition has %d profiles, want 20", len(want))
	}
	for round := range 3 {
		con := newEnv(t)
		if !serialize {
			con.eng.Guard = nil
		}
		shuffled := append([]map[string]any(nil), recs...)
		rand.New(rand.NewPCG(uint64(round), 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w * 2; i < len(shuffled); i += 16 {
					var in []ingest.Input
					for _, r := range shuffled[i:min(i+2, len(shuffled))] {
						in = append(in, ingest.Input{ExternalID: r["id"].(string), Payload: r})
					}
					if _, err := con.svc.Ingest(context.Background(), "shop", in, ""); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := con.partition()
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d: concurrent partition differs:\n got %v\nwant %v", round, got, want)
		}
		// No duplicate or empty profiles: every live profile holds records.
		live, err := con.st.DB.Collection("profiles").CountDocuments(context.Background(), bson.M{"mergedInto": bson.M{"$exists": false}})
		if err != nil || live != int64(len(want)) {
			cur, _ := con.st.DB.Collection("profiles").Find(context.Background(), bson.M{"mergedInto": bson.M{"$exists": false}})
			var all []bson.M
			_ = cur.All(context.Background(), &all)
			recs, _ := con.st.RecordsBySource(context.Background(), "shop")
			used := map[string]bool{}
			for _, r := range recs {
				f, _ := con.eng.Final(context.Background(), r.ProfileID)
				used[f] = true
			}
			for _, p := range all {
				if !used[p["_id"].(string)] {
					ids, _ := con.st.IdentitiesOfProfiles(context.Background(), []string{p["_id"].(string)})
					rs, _ := con.st.RecordsOfProfiles(context.Background(), []string{p["_id"].(string)})
					t.Logf("unused live profile %v identifiers=%v history=%v rc=%v; identities %v; records %v", p["_id"], p["identifiers"], p["history"], p["recordCount"], ids, rs)
				}
			}
			t.Fatalf("round %d: %d live profiles (%v), want %d", round, live, err, len(want))
		}
	}
}

// snapshot is what an unmerge must restore: identities, traits with provenance, history.
type snapshot struct {
	Identities []string
	Traits     profile.Traits
	Provenance []profile.Provenance
	History    []profile.MergeEvent
	KeyRecords []string
}

func (e *env) snapshot(id string) snapshot {
	e.t.Helper()
	p := e.profile(id)
	ids, err := e.st.IdentitiesOfProfiles(context.Background(), []string{p.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	var s snapshot
	for _, i := range ids {
		s.Identities = append(s.Identities, i.ID+"@"+strings.Join(i.Sources, "+"))
	}
	sort.Strings(s.Identities)
	recs, _ := e.st.RecordsOfProfiles(context.Background(), []string{p.ID})
	for _, r := range recs {
		s.KeyRecords = append(s.KeyRecords, r.ID)
	}
	sort.Strings(s.KeyRecords)
	s.Traits, s.Provenance, s.History = p.Traits, p.Provenance, p.History
	return s
}

func TestUnmergeRestoresExactPriorState(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pa := e.ingest("shop", rec("a1", "email", "a@example.com", "firstName", "Ann"), rec("a2", "email", "a@example.com", "phone", "07911 111111")).ProfileIDs[0]
	pb := e.ingest("crm", rec("b1", "email", "b@example.com", "firstName", "Bob", "phone", "07922 222222")).ProfileIDs[0]
	beforeA, beforeB := e.snapshot(pa), e.snapshot(pb)

	// A newsletter record carrying both e-mails bridges the two people.
	bridge := e.ingest("news", rec("x", "email", "a@example.com", "cid", "N-1"), rec("y", "email", "b@example.com", "cid", "N-1"))
	if bridge.Merged != 1 || e.profile(pb).ID != pa {
		t.Fatalf("bridge did not merge: %+v", bridge.Counts)
	}
	split, remaining, err := e.eng.Unmerge(ctx, pb, []string{"news:x", "news:y"}, "tester")
	if err != nil {
		t.Fatal(err)
	}
	if len(split) != 1 || len(remaining) != 2 {
		t.Fatalf("split %v remaining %v", split, remaining)
	}
	if got := e.snapshot(pa); !equalJSON(got, beforeA) {
		t.Fatalf("A not restored:\n got %+v\nwant %+v", got, beforeA)
	}
	if got := e.snapshot(pb); !equalJSON(got, beforeB) {
		t.Fatalf("B not restored (same id %s):\n got %+v\nwant %+v", pb, got, beforeB)
	}
	sp := e.profile(split[0])
	if sp.RecordCount != 2 || len(sp.History) != 1 || sp.History[0].Kind != profile.EventUnmerge {
		t.Fatalf("split-off profile = %+v", sp)
	}
	// Re-ingesting the split-off records, even changed, keeps them apart.
	again := e.ingest("news", rec("x", "email", "a@example.com", "cid", "N-1", "firstName", "Nina"))
	if again.Merged != 0 || again.ProfileIDs[0] != split[0] {
		t.Fatalf("re-ingest merged again: %+v -> %v", again.Counts, again.ProfileIDs)
	}
	if len(e.partition()) != 3 {
		t.Fatalf("partition = %v", e.partition())
	}
}

func TestUnmergeValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.ingest("shop", rec("1", "email", "a@example.com"), rec("2", "email", "a@example.com")).ProfileIDs[0]
	for name, recs := range map[string][]string{"none": nil, "all": {"shop:1", "shop:2"}, "foreign": {"shop:9"}} {
		if _, _, err := e.eng.Unmerge(ctx, p, recs, "t"); err == nil || !strings.Contains(err.Error(), "") {
			t.Errorf("%s: want error, got nil", name)
		}
	}
	if _, _, err := e.eng.Unmerge(ctx, "cus_nope", []string{"shop:1"}, "t"); err == nil {
		t.Error("unknown profile: want error")
	}
}

func TestManualMergeAndLimits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p1 := e.ingest("shop", rec("1", "email", "a@example.com", "firstName", "Ann")).ProfileIDs[0]
	p2 := e.ingest("crm", rec("2", "email", "b@example.com", "lastName", "Lee")).ProfileIDs[0]
	p3 := e.ingest("crm", rec("3", "cid", "C-1")).ProfileIDs[0]
	p4 := e.ingest("crm", rec("4", "cid", "C-2")).ProfileIDs[0]
	if _, err := e.eng.Merge(ctx, []string{p1}, "dup", "t"); err == nil {
		t.Fatal("merging one profile must fail")
	}
	if _, err := e.eng.Merge(ctx, []string{p1, p2}, "", "t"); err == nil {
		t.Fatal("a reason is required")
	}
	got, err := e.eng.Merge(ctx, []string{p2, p1}, "same person, confirmed by phone", "agent 7")
	if err != nil || got != p1 {
		t.Fatalf("merge -> %s, %v; want survivor %s", got, err, p1)
	}
	p := e.profile(p2)
	if p.ID != p1 || p.Traits.FirstName != "Ann" || p.Traits.LastName != "Lee" || p.History[0].Actor != "agent 7" {
		t.Fatalf("merged profile = %+v", p)
	}
	if _, err := e.eng.Merge(ctx, []string{p3, p4}, "x", "t"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("merging two customer ids: want limit conflict, got %v", err)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// A batch that creates a profile and, later in the same batch, merges it into an older
// one leaves every identifier it claimed pointing at the survivor: the survivor's
// identities list (read by profile) holds them all.
func TestSameBatchMergeRepointsNewIdentities(t *testing.T) {
	e := newEnv(t)
	e.ingest("shop", rec("1", "cid", "U-1"))
	e.ingest("shop", rec("2", "email", "a1@example.com"), rec("3", "cid", "U-1", "email", "a1@example.com"))
	if got := e.partition(); len(got) != 1 {
		t.Fatalf("partition %v, want one profile", got)
	}
	p := e.profile(e.profileOfRecord("shop:1"))
	its, err := e.st.IdentitiesOfProfiles(context.Background(), []string{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range its {
		keys = append(keys, it.ID)
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "customer_id:U-1 email:a1@example.com" {
		t.Errorf("identities of the survivor %s: %v, want customer_id:U-1 and email:a1@example.com (identifiers %v)", p.ID, keys, p.Identifiers)
	}
}

func (e *env) profileOfRecord(id string) string {
	e.t.Helper()
	recs, err := e.st.GetRecords(context.Background(), []string{id})
	if err != nil || len(recs) != 1 {
		e.t.Fatalf("record %s: %v", id, err)
	}
	return recs[0].ProfileID
}
