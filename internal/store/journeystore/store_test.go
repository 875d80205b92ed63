package journeystore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/store/journeystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestJourneysVersionsAndPositions(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := journeystore.New(db, testdb.Backend(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"jrn_1", "jrn_3", "jrn_2"} {
		if err := s.InsertJourney(ctx, journey.Journey{ID: id, Name: id, Status: journey.Draft, Latest: 1, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	js, err := s.ListJourneys(ctx)
	if err != nil || len(js) != 3 || js[0].ID != "jrn_3" || !js[0].CreatedAt.Equal(now) {
		t.Fatalf("list %+v %v", js, err)
	}
	if _, err := s.GetJourney(ctx, "jrn_9"); !apperr.IsNotFound(err) {
		t.Fatalf("missing journey: %v", err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.UpdateJourney(ctx, "jrn_1", func(j *journey.Journey) error { j.Latest++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if j, err := s.GetJourney(ctx, "jrn_1"); err != nil || j.Latest != 5 || j.Rev != 4 {
		t.Fatalf("after concurrent updates: %+v %v", j, err)
	}

	def := journey.Definition{Trigger: journey.Trigger{Kind: journey.OrderPlaced}, Steps: []journey.Step{{ID: "w", Kind: journey.Wait, Wait: &journey.WaitSpec{Duration: time.Hour}}}}
	for n := 1; n <= 2; n++ {
		if err := s.PutVersion(ctx, journey.Version{JourneyID: "jrn_1", N: n, Def: def, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutVersion(ctx, journey.Version{JourneyID: "jrn_1", N: 2, Def: def, CreatedAt: now, PublishedAt: now}); err != nil {
		t.Fatal(err)
	}
	vs, err := s.GetVersions(ctx, "jrn_1", []int{2, 1, 7})
	if err != nil || len(vs) != 2 || vs[0].N != 2 || !vs[0].PublishedAt.Equal(now) || !vs[1].PublishedAt.IsZero() || vs[1].Def.Steps[0].Wait.Duration != time.Hour {
		t.Fatalf("versions %+v %v", vs, err)
	}

	p := journey.Position{ID: journey.PositionID("jrn_1", "p1"), JourneyID: "jrn_1", ProfileID: "p1", Run: 1, Version: 2, Step: "w",
		Status: journey.Waiting, WakeAt: now.Add(time.Hour), Visits: []journey.Visit{{Run: 1, Version: 2, Step: "w", At: now}},
		Runs: []journey.Run{{N: 1, Version: 2, EnteredAt: now}}}
	if ok, err := s.InsertPosition(ctx, p); !ok || err != nil {
		t.Fatalf("insert: %v %v", ok, err)
	}
	if ok, err := s.InsertPosition(ctx, p); ok || err != nil {
		t.Fatalf("second insert: %v %v", ok, err)
	}
	got, err := s.UpdatePosition(ctx, p.ID, func(q *journey.Position) error {
		q.Pending = &journey.Intent{Step: "w", Attempt: 1, At: now}
		return nil
	})
	if err != nil || got.Rev != 1 || got.Pending == nil {
		t.Fatalf("update: %+v %v", got, err)
	}
	var all []journey.Position
	if err := s.Positions(ctx, func(p journey.Position) error { all = append(all, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || !all[0].WakeAt.Equal(now.Add(time.Hour)) || all[0].Pending.Attempt != 1 || !slices.Equal(all[0].Visits, p.Visits) || all[0].Runs[0].EnteredAt != now {
		t.Fatalf("positions %+v", all)
	}
}
