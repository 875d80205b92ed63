package matchjob_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/profile"
)

func (e *env) final(t *testing.T, id string) string {
	t.Helper()
	f, err := e.eng.Final(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) profile(t *testing.T, id string) profile.Profile {
	t.Helper()
	ps, err := e.st.GetProfiles(context.Background(), []string{e.final(t, id)})
	if err != nil || len(ps) != 1 {
		t.Fatalf("profile %s: %v", id, err)
	}
	return ps[0]
}

// mergeEvent finds the MERGE event of profile into that absorbed `absorbed`.
func (e *env) mergeEvent(t *testing.T, into, absorbed string) (profile.MergeEvent, bool) {
	t.Helper()
	for _, ev := range e.profile(t, into).History {
		if ev.Kind == profile.EventMerge && ev.Into == into && slices.Contains(ev.ProfileIDs, absorbed) {
			return ev, true
		}
	}
	return profile.MergeEvent{}, false
}

// suggestionsBy indexes suggestions by the current pair of their sides.
func (e *env) suggestions(t *testing.T, status matchjob.SuggestionStatus) map[string]matchjob.Suggestion {
	t.Helper()
	ss, err := e.svc.Suggestions(context.Background(), status, "", 500)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]matchjob.Suggestion{}
	for _, s := range ss {
		out[matchjob.PairID(s.CurrentA, s.CurrentB)] = s
	}
	return out
}

func checkDone(t *testing.T, j matchjob.Job) {
	t.Helper()
	if j.Status != matchjob.Succeeded || j.Phase != matchjob.PhaseDone || j.Processed != j.Total || j.FinishedAt == nil || j.Error != "" {
		t.Fatalf("job not finished cleanly: %+v", j)
	}
}

func hasSkipped(j matchjob.Job, a, b, reason string) bool {
	return slices.ContainsFunc(j.Skipped, func(s matchjob.SkippedPair) bool {
		return matchjob.PairID(s.A, s.B) == matchjob.PairID(a, b) && strings.Contains(s.Reason, reason)
	})
}

// A full run merges near-copies that share no identifier, suggests weak look-alikes and
// leaves strangers alone; a CONFLICT from the engine skips a pair without failing the job.
// Auto merges are undone by Unmerge and not redone; accepted suggestions merge; rejected
// pairs stay rejected across runs, also after a side merged into another profile; an
// incremental run compares only what changed and finds the new match.
func TestMatchScenario(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pop := e.population(t, 150)

	full, err := e.svc.Run(ctx, matchjob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, full)
	t.Logf("full run: %d profiles, %d pairs compared, %d scored, %d merged, %d suggested, %d skipped",
		full.Profiles, full.PairsCompared, full.PairsScored, full.AutoMerged, full.Suggested, full.SkippedCount)
	if full.AutoMerged != nTypo+1 { // the near-copies and the shop duplicate
		t.Errorf("auto merged %d, want %d", full.AutoMerged, nTypo+1)
	}
	if full.Suggested != nWeak {
		t.Errorf("suggested %d, want %d", full.Suggested, nWeak)
	}
	if !full.Baseline || full.Model == nil || full.Incremental {
		t.Errorf("full run: baseline %v model %v incremental %v", full.Baseline, full.Model != nil, full.Incremental)
	}
	// Auto merges: the older shop profile survives, history names rule, score and run.
	for copyID, orig := range pop.typo {
		if got := e.final(t, copyID); got != orig {
			t.Fatalf("%s not merged into %s (final %s)", pop.label[copyID], pop.label[orig], got)
		}
		ev, ok := e.mergeEvent(t, orig, copyID)
		if !ok || !strings.HasPrefix(ev.Rule, "match: score ") || !strings.Contains(ev.Rule, full.ID) || !strings.Contains(ev.Rule, "auto") || ev.Actor != "matcher" {
			t.Fatalf("merge event of %s: %+v (found %v)", pop.label[copyID], ev, ok)
		}
	}
	if e.final(t, pop.shopDup[1]) != pop.shopDup[0] {
		t.Error("shop duplicate not merged")
	}
	// The CONFLICT (two customer ids) is a skipped pair with the engine's reason.
	if e.final(t, pop.conflict[1]) != pop.conflict[1] || !hasSkipped(full, pop.conflict[0], pop.conflict[1], "customer_id") {
		t.Errorf("conflict pair: final %s, skipped %+v", e.final(t, pop.conflict[1]), full.Skipped)
	}
	// Weak look-alikes: pending suggestions with evidence; strangers: nothing.
	pending := e.suggestions(t, matchjob.Pending)
	for w, orig := range pop.weak {
		s, ok := pending[matchjob.PairID(w, orig)]
		if !ok {
			t.Fatalf("no suggestion for %s~%s", pop.label[w], pop.label[orig])
		}
		// Scored as a review pair, or high but held: a name and a city are too little to
		// merge without a person.
		held := s.Decision == matchjob.DecisionAuto && strings.HasPrefix(s.Note, "held for review")
		if s.Probability < 0.5 || (s.Decision != matchjob.DecisionReview && !held) || s.RunID != full.ID || s.CreatedAt.IsZero() || s.SameProfile {
			t.Fatalf("suggestion %+v", s)
		}
		var first *matchjob.Evidence
		for i := range s.Evidence {
			if s.Evidence[i].Field == "first_name" {
				first = &s.Evidence[i]
			}
		}
		wantA := e.profile(t, s.A).Traits.FirstName
		if first == nil || first.Level != "exact" || first.A != wantA || first.B != wantA || first.Weight < 0 {
			t.Fatalf("first name evidence %+v, want %q on both sides", first, wantA)
		}
	}
	for _, s := range pending {
		for _, x := range pop.strange {
			if s.A == x || s.B == x {
				t.Fatalf("stranger %s suggested: %+v", pop.label[x], s)
			}
		}
	}

	// Undo an auto merge; the next run must not redo it.
	var copy0 string
	for c, o := range pop.typo {
		if o == pop.shop[0] {
			copy0 = c
		}
	}
	split, _, err := e.eng.Unmerge(ctx, pop.shop[0], []string{"crm:typo0"}, "tester")
	if err != nil || len(split) != 1 || split[0] != copy0 || e.final(t, copy0) != copy0 {
		t.Fatalf("unmerge: split %v err %v, want %s back", split, err, copy0)
	}

	// Accept one suggestion, reject another.
	acceptID := matchjob.PairID(pop.shop[7], weakOf(pop, 7))
	acc, err := e.svc.Accept(ctx, acceptID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != matchjob.Accepted || acc.Survivor != pop.shop[7] || acc.DecidedBy != "alice" || !acc.SameProfile {
		t.Fatalf("accepted: %+v", acc)
	}
	ev, ok := e.mergeEvent(t, pop.shop[7], weakOf(pop, 7))
	if want := fmt.Sprintf("match review: accepted by alice (p=%.2f)", acc.Probability); !ok || ev.Rule != want {
		t.Fatalf("accept merge event %+v, want rule %q", ev, want)
	}
	if again, err := e.svc.Accept(ctx, acceptID, "bob"); err != nil || again.DecidedBy != "alice" {
		t.Fatalf("accepting twice: %+v, %v", again, err)
	}
	rejectID := matchjob.PairID(pop.shop[6], weakOf(pop, 6))
	rej, err := e.svc.Reject(ctx, rejectID, "alice", "different people, checked by phone")
	if err != nil || rej.Status != matchjob.Rejected || rej.Reason == "" {
		t.Fatalf("reject: %+v, %v", rej, err)
	}
	if _, err := e.svc.Accept(ctx, rejectID, "bob"); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("accepting a rejected suggestion: %v", err)
	}
	// The rejected crm profile is now merged into the older profile z by identifiers
	// (z has no traits of its own, so z looks exactly like the rejected look-alike).
	e.ingest(t, "news", map[string]any{"id": "bridge", "phone": zPhone, "email": "weak6@crm.example"})
	if e.final(t, weakOf(pop, 6)) != pop.z {
		t.Fatalf("bridge did not merge weak6 into z")
	}

	second, err := e.svc.Run(ctx, matchjob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, second)
	t.Logf("second run: %d pairs compared, %d merged, %d suggested, %d known rejected, skipped %+v",
		second.PairsCompared, second.AutoMerged, second.Suggested, second.KnownRejected, second.Skipped)
	if second.AutoMerged != 0 || e.final(t, copy0) != copy0 {
		t.Errorf("second run merged %d (unmerged copy now in %s)", second.AutoMerged, e.final(t, copy0))
	}
	if !hasSkipped(second, pop.shop[0], copy0, "kept apart") || !hasSkipped(second, pop.conflict[0], pop.conflict[1], "customer_id") {
		t.Errorf("second run skipped %+v", second.Skipped)
	}
	// The look-alikes not decided stay pending (re-suggested, or from the first run when
	// their score now falls under the lower threshold: the prior is re-estimated on data
	// with fewer duplicates left).
	stillPending := 0
	for w, orig := range pop.weak {
		if _, ok := e.suggestions(t, matchjob.Pending)[matchjob.PairID(e.final(t, w), e.final(t, orig))]; ok {
			stillPending++
		}
	}
	if second.KnownRejected != 1 || second.Suggested > nWeak-2 || stillPending != nWeak-2 {
		t.Errorf("second run: known rejected %d, suggested %d, pending look-alikes %d; want 1, at most %d and %d",
			second.KnownRejected, second.Suggested, stillPending, nWeak-2, nWeak-2)
	}
	if s, ok := e.suggestions(t, matchjob.Pending)[matchjob.PairID(pop.shop[6], pop.z)]; ok {
		t.Errorf("rejected pair suggested again through z: %+v", s)
	}
	if s, err := e.svc.Suggestion(ctx, rejectID); err != nil || s.Status != matchjob.Rejected || s.CurrentB != pop.z && s.CurrentA != pop.z {
		t.Errorf("rejected suggestion after the second run: %+v, %v", s, err)
	}

	// A new near-copy arrives; the incremental run compares only it.
	late := pop.people[20]
	late.first = late.first[:2] + late.first[3:]
	lateID := e.ingest(t, "crm", late.payload("late", "late@crm.example")).ProfileIDs[0]
	inc, err := e.svc.RunIncremental(ctx, matchjob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, inc)
	t.Logf("incremental run: focus %d, %d pairs compared (full: %d), %d merged", inc.Focus, inc.PairsCompared, second.PairsCompared, inc.AutoMerged)
	if !inc.Incremental || inc.ModelFrom != second.ID || inc.Focus == 0 || inc.PairsCompared == 0 || inc.PairsCompared >= second.PairsCompared/4 {
		t.Errorf("incremental: %+v", inc)
	}
	if inc.AutoMerged != 1 || e.final(t, lateID) != pop.shop[20] {
		t.Errorf("incremental run merged %d; late copy in %s, want %s", inc.AutoMerged, e.final(t, lateID), pop.shop[20])
	}
	jobs, err := e.svc.Jobs(ctx, 10)
	if err != nil || len(jobs) != 3 || jobs[0].ID != inc.ID || jobs[2].ID != full.ID {
		t.Fatalf("jobs: %v %v", jobs, err)
	}
}

func weakOf(pop *population, i int) string {
	for w, o := range pop.weak {
		if o == pop.shop[i] {
			return w
		}
	}
	return ""
}

// A dry run only suggests (auto-level pairs with decision AUTO); a source filter keeps
// only pairs with a side holding records of the source.
func TestDryRunAndSourceFilter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pop := e.population(t, 120)
	j, err := e.svc.Run(ctx, matchjob.Options{DryRun: true, SourceFilter: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, j)
	if j.AutoMerged != 0 || j.Baseline || j.PairsScored != nTypo+nWeak+1 { // +1: the conflict pair
		t.Errorf("dry crm run: %+v", j)
	}
	if _, ok := e.suggestions(t, matchjob.Pending)[matchjob.PairID(pop.shopDup[0], pop.shopDup[1])]; ok {
		t.Error("shop-only pair suggested by a crm-filtered run")
	}
	j, err = e.svc.Run(ctx, matchjob.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, j)
	s, ok := e.suggestions(t, matchjob.Pending)[matchjob.PairID(pop.shopDup[0], pop.shopDup[1])]
	if !ok || s.Decision != matchjob.DecisionAuto || j.AutoMerged != 0 {
		t.Errorf("dry run: suggestion %+v (found %v), merged %d", s, ok, j.AutoMerged)
	}
	for c := range pop.typo {
		if e.final(t, c) != c {
			t.Fatal("a dry run merged profiles")
		}
	}
	// With a baseline (a real run), a filtered run compares only the source's profiles.
	if _, err := e.svc.Run(ctx, matchjob.Options{Upper: 0.999999999, Lower: 0.9}); err != nil {
		t.Fatal(err)
	}
	j, err = e.svc.Run(ctx, matchjob.Options{SourceFilter: "news", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !j.Incremental || j.Focus != 1 || j.PairsScored != 0 {
		t.Errorf("news-filtered run: %+v", j)
	}
	if _, err := e.svc.Run(ctx, matchjob.Options{Upper: 0.4, Lower: 0.6}); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("bad thresholds: %v", err)
	}
}

// gate holds the first read of profiles until released.
type gate struct {
	matchjob.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gate) LiveProfiles(ctx context.Context, batch int, fn func([]profile.Profile) error) error {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Store.LiveProfiles(ctx, batch, fn)
}

// Start runs one job at a time in the background; its document and the progress hook
// follow it, at most every ProgressInterval, to SUCCEEDED with processed == total.
func TestStartProgressAndOneJobAtATime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.population(t, 60)
	g := &gate{Store: e.svc.Store, entered: make(chan struct{}), release: make(chan struct{})}
	e.svc.Store = g
	var mu sync.Mutex
	var seen []matchjob.Job
	e.svc.OnProgress = func(j matchjob.Job) {
		mu.Lock()
		seen = append(seen, j)
		mu.Unlock()
	}
	e.svc.ProgressInterval = 50 * time.Millisecond
	reqCtx, cancel := context.WithCancel(ctx)
	id, err := e.svc.Start(reqCtx, matchjob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the job outlives the request that started it
	<-g.entered
	if j, err := e.svc.Job(ctx, id); err != nil || j.Status != matchjob.Running {
		t.Fatalf("job while running: %+v, %v", j, err)
	}
	if _, err := e.svc.Start(ctx, matchjob.Options{}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("second Start: %v, want CONFLICT", err)
	}
	if _, err := e.svc.Run(ctx, matchjob.Options{}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("Run while a job runs: %v, want CONFLICT", err)
	}
	time.Sleep(120 * time.Millisecond) // a heartbeat-free wait: progress writes only when changed
	close(g.release)
	j, err := e.svc.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, j)
	if j.AutoMerged == 0 || j.Total != j.PairsScored {
		t.Errorf("job %+v", j)
	}
	e.svc.OnProgress = nil
	mu.Lock()
	seen = slices.Clone(seen)
	mu.Unlock()
	if len(seen) < 2 || seen[len(seen)-1].Status != matchjob.Succeeded || seen[0].Status != matchjob.Running {
		t.Fatalf("progress calls: %d, first %v last %v", len(seen), seen[0].Status, seen[len(seen)-1].Status)
	}
	for i := 1; i < len(seen)-1; i++ {
		if gap := seen[i].UpdatedAt.Sub(seen[i-1].UpdatedAt); gap < 45*time.Millisecond {
			t.Errorf("progress writes %v apart", gap)
		}
	}
	phases := map[matchjob.Phase]bool{}
	for _, s := range seen {
		phases[s.Phase] = true
	}
	t.Logf("%d progress writes, phases %v", len(seen), phases)
	// The slot is free again.
	if _, err := e.svc.Run(ctx, matchjob.Options{DryRun: true}); err != nil {
		t.Fatal(err)
	}
}

// A RUNNING job document of another instance blocks a new job while it is fresh; one
// that stopped moving (its process died) is marked FAILED by the next Start.
func TestJobOfAnotherInstance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Now().UTC()
	other := matchjob.Job{ID: "mj_other", Status: matchjob.Running, StartedAt: now, UpdatedAt: now}
	if err := e.svc.Store.SaveMatchJob(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Start(ctx, matchjob.Options{}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("start beside a live job: %v", err)
	}
	other.UpdatedAt = now.Add(-time.Hour)
	if err := e.svc.Store.SaveMatchJob(ctx, other); err != nil {
		t.Fatal(err)
	}
	id, err := e.svc.Start(ctx, matchjob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.svc.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, j)
	old, err := e.svc.Job(ctx, "mj_other")
	if err != nil || old.Status != matchjob.Failed || !strings.HasPrefix(old.Error, "interrupted") {
		t.Fatalf("stale job: %+v, %v", old, err)
	}
	if _, err := e.svc.Job(ctx, "mj_nope"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	if err := e.svc.Cancel(ctx, id); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("cancel a finished job: %v", err)
	}
}
