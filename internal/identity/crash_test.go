package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var errKilled = errors.New("injected crash")

// faultStore lets the first budget write steps through and "kills the process" at the
// next one: a step taking a list applies its first half, then every call fails, as if
// the process had died in the middle of a bulk write.
type faultStore struct {
	identity.Store
	mu     sync.Mutex
	budget int // -1: never fail
	steps  int
	dead   bool
}

// step says how much of a write of n items to apply (n: all of it) and whether it fails.
func (f *faultStore) step(n int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return 0, errKilled
	}
	f.steps++
	if f.budget >= 0 && f.steps > f.budget {
		f.dead = true
		return n / 2, errKilled
	}
	return n, nil
}

func partial[T any](f *faultStore, ctx context.Context, xs []T, write func(context.Context, []T) error) error {
	n, err := f.step(len(xs))
	if n > 0 {
		if werr := write(ctx, xs[:n]); werr != nil {
			return werr
		}
	}
	return err
}

func whole(f *faultStore, write func() error) error {
	if _, err := f.step(0); err != nil {
		return err
	}
	return write()
}

func (f *faultStore) InsertProfiles(ctx context.Context, ps []profile.Profile) error {
	return partial(f, ctx, ps, f.Store.InsertProfiles)
}
func (f *faultStore) DeleteProfiles(ctx context.Context, ids []string) error {
	return partial(f, ctx, ids, f.Store.DeleteProfiles)
}
func (f *faultStore) InsertRecords(ctx context.Context, rs []profile.Record) ([]string, error) {
	var dups []string
	err := partial(f, ctx, rs, func(ctx context.Context, rs []profile.Record) (err error) {
		dups, err = f.Store.InsertRecords(ctx, rs)
		return err
	})
	return dups, err
}
func (f *faultStore) UpsertRecords(ctx context.Context, rs []profile.Record) error {
	return partial(f, ctx, rs, f.Store.UpsertRecords)
}
func (f *faultStore) ClaimIdentities(ctx context.Context, ids []profile.Identity) ([]string, error) {
	var taken []string
	err := partial(f, ctx, ids, func(ctx context.Context, ids []profile.Identity) (err error) {
		taken, err = f.Store.ClaimIdentities(ctx, ids)
		return err
	})
	return taken, err
}
func (f *faultStore) AddIdentitySources(ctx context.Context, s map[string][]string) error {
	return whole(f, func() error { return f.Store.AddIdentitySources(ctx, s) })
}
func (f *faultStore) SetIdentityOwners(ctx context.Context, ids []profile.Identity) error {
	return partial(f, ctx, ids, f.Store.SetIdentityOwners)
}
func (f *faultStore) MarkMerged(ctx context.Context, a, s string, at time.Time) (bool, error) {
	var ok bool
	err := whole(f, func() (err error) { ok, err = f.Store.MarkMerged(ctx, a, s, at); return err })
	return ok, err
}
func (f *faultStore) Repoint(ctx context.Context, from []string, to string, keys []string) error {
	return whole(f, func() error { return f.Store.Repoint(ctx, from, to, keys) })
}
func (f *faultStore) AssignRecords(ctx context.Context, as []identity.Assignment) error {
	return partial(f, ctx, as, f.Store.AssignRecords)
}
func (f *faultStore) UpdateProfiles(ctx context.Context, ds []identity.Delta) error {
	return partial(f, ctx, ds, f.Store.UpdateProfiles)
}
func (f *faultStore) ReplaceProfiles(ctx context.Context, ps []profile.Profile) error {
	return partial(f, ctx, ps, f.Store.ReplaceProfiles)
}
func (f *faultStore) SaveComputed(ctx context.Context, ps []profile.Profile) ([]string, error) {
	var stale []string
	err := partial(f, ctx, ps, func(ctx context.Context, ps []profile.Profile) (err error) {
		stale, err = f.Store.SaveComputed(ctx, ps)
		return err
	})
	return stale, err
}
func (f *faultStore) IncSourceRecords(ctx context.Context, name string, n int64) error {
	return whole(f, func() error { return f.Store.IncSourceRecords(ctx, name, n) })
}
func (f *faultStore) PutJournal(ctx context.Context, j identity.Journal) error {
	return whole(f, func() error { return f.Store.PutJournal(ctx, j) })
}
func (f *faultStore) DeleteJournal(ctx context.Context, id string) error {
	return whole(f, func() error { return f.Store.DeleteJournal(ctx, id) })
}

// crashInput is a prefix batch and a second batch that joins, merges (also in a chain),
// changes a known record and starts new profiles, some of them within the batch.
func crashInput() (first, second []map[string]any) {
	for i := range 12 {
		first = append(first, rec(fmt.Sprint("a", i), "email", fmt.Sprintf("p%d@example.com", i), "firstName", fmt.Sprint("First", i),
			"phone", fmt.Sprintf("07911 1234%02d", i)))
	}
	second = []map[string]any{
		rec("b0", "email", "p0@example.com", "lastName", "Joined"),                            // joins a0
		rec("b1", "email", "p1@example.com", "phone", "07911 123402"),                         // merges a1, a2
		rec("b2", "phone", "07911 123402", "cid", "C-3"),                                      // same group
		rec("b3", "email", "p3@example.com", "cid", "C-3"),                                    // chain: a3 joins a1+a2
		rec("a4", "email", "p4@example.com", "firstName", "Changed", "phone", "07911 123404"), // known record, new content
		rec("b5", "email", "new5@example.com", "firstName", "New"),                            // new profile
		rec("b6", "email", "new5@example.com", "phone", "07911 123499"),                       // joins b5 in the batch
		rec("b7", "phone", "07911 123499", "email", "p6@example.com"),                         // merges the new one with a6
		rec("b8", "email", "new8@example.com", "cid", "C-8"),                                  // another new one
		rec("b9", "email", "p9@example.com", "phone", "07911 123410", "firstName", "Nine"),    // merges a9, a10
		rec("b10", "email", "new10@example.com"),                                              // new, alone
		rec("b11", "cid", "C-8", "email", "new11@example.com", "phone", "07911 123411"),       // joins b8, merges a11
	}
	return first, second
}

type crashView struct {
	partition   []string
	counts      string
	profileView []string // per live profile: its records, identifiers, traits and history size
	recordCount []int64
}

func takeCrashView(t *testing.T, e *env) crashView {
	t.Helper()
	ctx := context.Background()
	var sn crashView
	sn.partition = e.partition()
	db := e.st.DB
	count := func(coll string, f bson.M) int64 {
		n, err := db.Collection(coll).CountDocuments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sn.counts = fmt.Sprintf("records=%d identities=%d profiles=%d live=%d journal=%d", count("source_records", bson.M{}), count("identities", bson.M{}),
		count("profiles", bson.M{}), count("profiles", bson.M{"mergedInto": bson.M{"$exists": false}}), count("identity_journal", bson.M{}))
	recs, err := e.st.RecordsBySource(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	byFinal := map[string][]string{}
	for _, r := range recs {
		f, err := e.eng.Final(ctx, r.ProfileID)
		if err != nil {
			t.Fatal(err)
		}
		byFinal[f] = append(byFinal[f], r.ID)
	}
	for f, ids := range byFinal {
		p := e.profile(f)
		sort.Strings(ids)
		idents := append([]string(nil), p.Identifiers...)
		sort.Strings(idents)
		traits, _ := json.Marshal(p.Traits)
		merges := 0
		for _, h := range p.History {
			if h.Kind == profile.EventMerge {
				merges++
			}
		}
		sort.Strings(p.RecordIDs)
		sn.profileView = append(sn.profileView, fmt.Sprintf("%s | ids %s | traits %s | merges %d | count %d",
			strings.Join(ids, ","), strings.Join(idents, ","), traits, merges, p.RecordCount))
	}
	sort.Strings(sn.profileView)
	srcs, err := e.st.ListSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		sn.recordCount = append(sn.recordCount, s.RecordCount)
	}
	return sn
}

func (a crashView) diff(b crashView) string {
	var out []string
	if strings.Join(a.partition, " ") != strings.Join(b.partition, " ") {
		out = append(out, fmt.Sprintf("partition\n  got  %v\n  want %v", a.partition, b.partition))
	}
	if a.counts != b.counts {
		out = append(out, fmt.Sprintf("counts: got %s, want %s", a.counts, b.counts))
	}
	if strings.Join(a.profileView, "\n") != strings.Join(b.profileView, "\n") {
		out = append(out, fmt.Sprintf("profiles\n  got  %s\n  want %s", strings.Join(a.profileView, "\n       "), strings.Join(b.profileView, "\n       ")))
	}
	if fmt.Sprint(a.recordCount) != fmt.Sprint(b.recordCount) {
		out = append(out, fmt.Sprintf("source record counts: got %v, want %v", a.recordCount, b.recordCount))
	}
	return strings.Join(out, "\n")
}

func newFaultEnv(t *testing.T, st *identitystore.Store, budget int) (*env, *faultStore) {
	fs := &faultStore{Store: st, budget: budget}
	eng := identity.NewEngine(fs)
	eng.Exclusive = !testdb.Backend(t).AtomicUpdates // as the app runs it
	return &env{t, st, eng, ingest.NewService(st, eng, normalize.Default())}, fs
}

// TestCrashAtEveryWriteStep kills the second batch after each of its write steps in
// turn (the step itself half applied), "restarts" (a new engine on the same database,
// which recovers first), re-sends the whole input and compares everything with a run
// that was never interrupted: partition, record/identity/profile counts, every live
// profile's identifiers, traits and merge history, and the sources' record counts.
func TestCrashAtEveryWriteStep(t *testing.T) {
	first, second := crashInput()
	ctx := context.Background()

	clean := newEnv(t)
	clean.ingest("shop", first...)
	counting, fs := newFaultEnv(t, clean.st, -1)
	counting.ingest("shop", second...)
	steps := fs.steps
	want := takeCrashView(t, counting)
	if steps < 10 {
		t.Fatalf("the second batch took only %d write steps: the scenario is too small", steps)
	}
	t.Logf("second batch: %d write steps; clean result: %s, %d profiles", steps, want.counts, len(want.partition))

	for k := 0; k <= steps; k++ {
		t.Run(fmt.Sprint("after_", k), func(t *testing.T) {
			e := newEnv(t)
			e.ingest("shop", first...)
			crashing, _ := newFaultEnv(t, e.st, k)
			var in []ingest.Input
			for _, r := range second {
				in = append(in, ingest.Input{ExternalID: fmt.Sprint(r["id"]), Payload: r})
			}
			_, err := crashing.svc.Ingest(ctx, "shop", in, "")
			if k < steps && !errors.Is(err, errKilled) {
				t.Fatalf("crash after %d steps: ingest returned %v", k, err)
			}
			// Restart: a new process recovers, then the importer sends everything again.
			restarted, _ := newFaultEnv(t, e.st, -1)
			if _, err := restarted.eng.Recover(ctx, time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("recover: %v", err)
			}
			restarted.ingest("shop", first...)
			restarted.ingest("shop", second...)
			if d := takeCrashView(t, restarted).diff(want); d != "" {
				t.Fatalf("crash after %d of %d write steps, recovered and re-sent:\n%s", k, steps, d)
			}
		})
	}
}
