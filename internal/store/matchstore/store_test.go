package matchstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/matching/estimate"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestMatchSuggestionsPagingAndDecisions(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t), nil, nil)
	now := time.Now().UTC().Truncate(time.Millisecond)
	probs := []float64{0.8, 0.6, 0.8, 0.7, 0.55, 0.8}
	var in []matchjob.Suggestion
	for i, p := range probs {
		a, b := fmt.Sprintf("cus_%02d", i), fmt.Sprintf("cus_%02d", 50+i)
		in = append(in, matchjob.Suggestion{ID: matchjob.PairID(a, b), A: a, B: b, Probability: p, Decision: matchjob.DecisionReview,
			Evidence: []matchjob.Evidence{{Field: "first_name", A: "Ann", B: "Anne", Level: "close", Weight: 3.5}}, RunID: "mj_1", CreatedAt: now, UpdatedAt: now})
	}
	if err := s.UpsertSuggestions(ctx, in); err != nil {
		t.Fatal(err)
	}
	// Pages of 2 by probability, then id: the cursor is the last id of a page.
	var got []string
	after := ""
	for range 10 {
		page, err := s.ListSuggestions(ctx, matchjob.Pending, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range page {
			got = append(got, fmt.Sprintf("%.2f %s", sg.Probability, sg.ID))
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	want := []string{"0.80 cus_00|cus_50", "0.80 cus_02|cus_52", "0.80 cus_05|cus_55", "0.70 cus_03|cus_53", "0.60 cus_01|cus_51", "0.55 cus_04|cus_54"}
	if !slices.Equal(got, want) {
		t.Fatalf("pages:\n got %v\nwant %v", got, want)
	}
	one, err := s.GetSuggestions(ctx, []string{in[0].ID, "nope|nope"})
	if err != nil || len(one) != 1 || one[0].Status != matchjob.Pending || !one[0].CreatedAt.Equal(now) || one[0].Evidence[0] != in[0].Evidence[0] {
		t.Fatalf("get: %+v, %v", one, err)
	}
	// A decision is written once; a second writer loses.
	d := one[0]
	at := now.Add(time.Minute)
	d.Status, d.DecidedBy, d.DecidedAt, d.Survivor, d.UpdatedAt = matchjob.Accepted, "alice", &at, "cus_00", at
	if ok, err := s.DecideSuggestion(ctx, d); !ok || err != nil {
		t.Fatalf("decide: %v %v", ok, err)
	}
	d.Status, d.DecidedBy = matchjob.Rejected, "bob"
	if ok, err := s.DecideSuggestion(ctx, d); ok || err != nil {
		t.Fatalf("second decision: %v %v", ok, err)
	}
	acc, err := s.ListSuggestions(ctx, matchjob.Accepted, "", 0)
	if err != nil || len(acc) != 1 || acc[0].DecidedBy != "alice" || acc[0].Survivor != "cus_00" || !acc[0].DecidedAt.Equal(at) {
		t.Fatalf("accepted: %+v, %v", acc, err)
	}
	// Suggesting the pair again reopens it, keeps its creation time, clears the decision.
	again := in[0]
	again.Probability, again.CreatedAt, again.UpdatedAt, again.RunID = 0.65, at, at, "mj_2"
	if err := s.UpsertSuggestions(ctx, []matchjob.Suggestion{again}); err != nil {
		t.Fatal(err)
	}
	re, _ := s.GetSuggestions(ctx, []string{again.ID})
	if r := re[0]; r.Status != matchjob.Pending || !r.CreatedAt.Equal(now) || r.DecidedBy != "" || r.DecidedAt != nil || r.Survivor != "" || r.RunID != "mj_2" || r.Probability != 0.65 {
		t.Fatalf("reopened: %+v", r)
	}
	if _, err := s.ListSuggestions(ctx, "", "nope|nope", 2); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown cursor: %v", err)
	}
	// Rejections are keyed by pair.
	for _, by := range []string{"alice", "bob"} {
		if err := s.AddRejection(ctx, matchjob.Rejection{ID: "a|b", A: "a", B: "b", By: by, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Rejections(ctx)
	if err != nil || len(rs) != 1 || rs[0].By != "bob" {
		t.Fatalf("rejections: %+v, %v", rs, err)
	}
}

func TestMatchJobsStore(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t), nil, nil)
	if j, err := s.LastBaselineMatchJob(ctx); j != nil || err != nil {
		t.Fatalf("baseline of nothing: %v, %v", j, err)
	}
	if _, err := s.GetMatchJob(ctx, "mj_x"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("missing job: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	model := &estimate.Model{Lambda: 0.01, Fields: []estimate.FieldModel{{Name: "first_name", Levels: []string{"exact", "different"}, M: []float64{0.9, 0.1}, U: []float64{0.01, 0.99}}}}
	jobs := []matchjob.Job{
		{ID: "mj_1", Status: matchjob.Succeeded, Baseline: true, Model: model, Watermark: now, StartedAt: now},
		{ID: "mj_2", Status: matchjob.Succeeded, Options: matchjob.Options{DryRun: true}, StartedAt: now},
		{ID: "mj_3", Status: matchjob.Failed, Error: "boom", StartedAt: now},
		{ID: "mj_4", Status: matchjob.Running, Phase: matchjob.PhaseComparing, Processed: 5, Total: 9, StartedAt: now,
			Skipped: []matchjob.SkippedPair{{A: "a", B: "b", Probability: 0.99, Reason: "conflict"}}},
	}
	for _, j := range jobs {
		if err := s.SaveMatchJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	jobs[3].Processed = 9
	if err := s.SaveMatchJob(ctx, jobs[3]); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListMatchJobs(ctx, 3)
	if err != nil || len(list) != 3 || list[0].ID != "mj_4" || list[0].Processed != 9 || list[0].Skipped[0].Reason != "conflict" || list[2].ID != "mj_2" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	run, err := s.RunningMatchJobs(ctx)
	if err != nil || len(run) != 1 || run[0].ID != "mj_4" {
		t.Fatalf("running: %+v, %v", run, err)
	}
	base, err := s.LastBaselineMatchJob(ctx)
	if err != nil || base == nil || base.ID != "mj_1" || !base.Watermark.Equal(now) || base.Model == nil ||
		base.Model.Lambda != 0.01 || base.Model.Fields[0].U[1] != 0.99 || base.Model.Fields[0].Levels[0] != "exact" {
		t.Fatalf("baseline: %+v, %v", base, err)
	}
}

func TestMatchProfileReads(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	idst := identitystore.New(db, testdb.Backend(t))
	s := New(db, testdb.Backend(t), idst, nil)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var ps []profile.Profile
	for i := range 5 {
		ps = append(ps, profile.Profile{ID: fmt.Sprintf("cus_%d", i), CreatedAt: now, UpdatedAt: now, Rev: 1,
			Traits: profile.Traits{FirstName: fmt.Sprint("N", i), Addresses: []profile.Address{{Line1: "1 High St", City: "Leeds"}}}, KeepApart: []string{"cus_9"}})
	}
	ps[2].MergedInto = "cus_0"
	if err := idst.InsertProfiles(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountLiveProfiles(ctx); n != 4 || err != nil {
		t.Fatalf("live count %d, %v", n, err)
	}
	var ids []string
	var sizes []int
	err := s.LiveProfiles(ctx, 3, func(page []profile.Profile) error {
		sizes = append(sizes, len(page))
		for _, p := range page {
			ids = append(ids, p.ID)
			if p.Traits.Addresses[0].City != "Leeds" || p.KeepApart[0] != "cus_9" || !p.UpdatedAt.Equal(now) {
				t.Fatalf("profile read %+v", p)
			}
		}
		return nil
	})
	slices.Sort(ids)
	if err != nil || !slices.Equal(sizes, []int{3, 1}) {
		t.Fatalf("batches %v, %v", sizes, err)
	}
	if !slices.Equal(ids, []string{"cus_0", "cus_1", "cus_3", "cus_4"}) {
		t.Fatalf("live pages: %v", ids)
	}
	recs := []profile.Record{{ID: "crm:1", Source: "crm", ProfileID: "cus_1"}, {ID: "crm:2", Source: "crm", ProfileID: "cus_1"},
		{ID: "crm:3", Source: "crm", ProfileID: "cus_3"}, {ID: "shop:1", Source: "shop", ProfileID: "cus_4"}}
	if _, err := idst.InsertRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := s.ProfileIDsOfSource(ctx, "crm")
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"cus_1", "cus_3"}) {
		t.Fatalf("profiles of crm: %v, %v", got, err)
	}
}
