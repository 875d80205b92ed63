package identity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// recorder is a Follower that remembers what it heard and fails while fail is set.
type recorder struct {
	mu     sync.Mutex
	fail   bool
	merges []identity.MergeEvent
	splits []identity.SplitEvent
}

var errFollower = errors.New("follower failed")

func (r *recorder) FollowMerges(_ context.Context, ms []identity.MergeEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.merges = append(r.merges, ms...)
	if r.fail {
		return errFollower
	}
	return nil
}

func (r *recorder) FollowSplit(_ context.Context, s identity.SplitEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.splits = append(r.splits, s)
	if r.fail {
		return errFollower
	}
	return nil
}

func (r *recorder) take() ([]identity.MergeEvent, []identity.SplitEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, s := r.merges, r.splits
	r.merges, r.splits = nil, nil
	return m, s
}

// TestMergesAndSplitsAreReported: Resolve returns its merges as events and reports them
// to the follower; a chain within one batch names the last survivor; MergeWithRule and
// Unmerge report theirs.
func TestMergesAndSplitsAreReported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fol := &recorder{}
	e.eng.Follower = fol
	p1 := e.ingest("shop", rec("1", "email", "a@example.com")).ProfileIDs[0]
	p2 := e.ingest("shop", rec("2", "email", "b@example.com")).ProfileIDs[0]
	p3 := e.ingest("shop", rec("3", "email", "c@example.com")).ProfileIDs[0]
	if m, _ := fol.take(); len(m) != 0 {
		t.Fatalf("merges reported for new profiles: %+v", m)
	}
	// One batch, a chain: y merges 3 into 2, then z merges 2 into 1. Both events name
	// 1, which holds the records once the batch is done.
	res := e.ingest("crm", rec("x", "email", "c@example.com", "phone", "07911 100001"), rec("y", "email", "b@example.com", "phone", "07911 100001"),
		rec("z", "email", "a@example.com", "phone", "07911 100001"))
	heard, _ := fol.take()
	if res.Merged != 2 || len(res.Merges) != 2 || !slices.EqualFunc(heard, res.Merges, func(a, b identity.MergeEvent) bool {
		return a.Absorbed == b.Absorbed && a.Survivor == b.Survivor && a.Rule == b.Rule
	}) {
		t.Fatalf("outcome %+v, follower heard %+v", res.Merges, heard)
	}
	for i, want := range [][2]string{{p3, "shop:3"}, {p2, "shop:2"}} {
		m := res.Merges[i]
		if m.Absorbed != want[0] || m.Survivor != p1 || !slices.Equal(m.Records, want[1:]) || m.RecordID == "" || m.Actor != identity.SystemActor {
			t.Fatalf("merge %d: %+v, want %s absorbed, %s surviving, records %v", i, m, want[0], p1, want[1:])
		}
	}

	p4 := e.ingest("news", rec("4", "email", "d@example.com")).ProfileIDs[0]
	if _, err := e.eng.MergeWithRule(ctx, []string{p4, p2}, "match: test", "matcher"); err != nil {
		t.Fatal(err)
	}
	heard, _ = fol.take()
	if len(heard) != 1 || heard[0].Absorbed != p4 || heard[0].Survivor != p1 || heard[0].Rule != "match: test" || heard[0].Actor != "matcher" {
		t.Fatalf("MergeWithRule reported %+v", heard)
	}

	split, remaining, err := e.eng.Unmerge(ctx, p1, []string{"news:4"}, "tester")
	if err != nil {
		t.Fatal(err)
	}
	_, splits := fol.take()
	if len(splits) != 1 || splits[0].From != p1 || !slices.Equal(splits[0].Split, split) || !slices.Equal(splits[0].Remaining, remaining) ||
		!slices.Equal(splits[0].Records, []string{"news:4"}) || splits[0].Actor != "tester" {
		t.Fatalf("unmerge %v / %v reported %+v", split, remaining, splits)
	}
	if got := splits[0].Profiles(); got[0] != p1 || !slices.Contains(got, p4) {
		t.Fatalf("split profiles %v", got)
	}
}

// TestFailedFollowerHearsItAgain: a follower that fails leaves the change's journal; the
// next change of the process, or Recover in a new one, reports the merge again, and
// the journal goes only when the follower succeeded.
func TestFailedFollowerHearsItAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fol := &recorder{fail: true}
	e.eng.Follower = fol
	pa := e.ingest("shop", rec("1", "email", "a@example.com")).ProfileIDs[0]
	pb := e.ingest("shop", rec("2", "email", "b@example.com")).ProfileIDs[0]
	in := inputsOf(rec("x", "email", "a@example.com", "phone", "07911 100001"), rec("y", "email", "b@example.com", "phone", "07911 100001"))
	if _, err := e.svc.Ingest(ctx, "crm", in, ""); !errors.Is(err, errFollower) {
		t.Fatalf("ingest with a failing follower: %v", err)
	}
	journals := func() int64 {
		n, err := e.st.DB.Collection("identity_journal").CountDocuments(ctx, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if heard, _ := fol.take(); len(heard) != 1 || heard[0].Absorbed != pb || heard[0].Survivor != pa || journals() != 1 {
		t.Fatalf("heard %+v, %d journals", heard, journals())
	}
	// The graph change stands.
	if e.profile(pb).ID != pa {
		t.Fatal("the merge was not written")
	}
	// The next change of this process replays the journal first: the follower hears the
	// merge again (failing again, the journal stays).
	if _, err := e.svc.Ingest(ctx, "news", inputsOf(rec("n", "email", "n@example.com")), ""); !errors.Is(err, errFollower) {
		t.Fatalf("next ingest: %v", err)
	}
	if heard, _ := fol.take(); len(heard) == 0 || heard[0].Absorbed != pb || journals() == 0 {
		t.Fatalf("replay in process: heard %+v, %d journals", heard, journals())
	}
	// A new process recovers with a working follower: it hears the merge, the journals go.
	fol.fail = false
	eng := identity.NewEngine(e.st)
	eng.Follower = fol
	if _, err := eng.Recover(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	heard, _ := fol.take()
	if !slices.ContainsFunc(heard, func(m identity.MergeEvent) bool { return m.Absorbed == pb && m.Survivor == pa }) || journals() != 0 {
		t.Fatalf("recovery: heard %+v, %d journals", heard, journals())
	}
}

func inputsOf(recs ...map[string]any) []ingest.Input {
	var in []ingest.Input
	for _, r := range recs {
		in = append(in, ingest.Input{ExternalID: fmt.Sprint(r["id"]), Payload: r})
	}
	return in
}
