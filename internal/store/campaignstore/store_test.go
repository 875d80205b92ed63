package campaignstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/store/campaignstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestCampaignsPlansAndLedger(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := campaignstore.New(db, testdb.Backend(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"cmp_1", "cmp_3", "cmp_2"} {
		if err := s.InsertCampaign(ctx, campaign.Campaign{ID: id, Name: id, State: campaign.Draft, Defaults: map[string]string{"customer.firstName": "you"},
			Links: []string{"https://a.example"}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := s.ListCampaigns(ctx)
	if err != nil || len(cs) != 3 || cs[0].ID != "cmp_3" || cs[2].ID != "cmp_1" || cs[0].Defaults["customer.firstName"] != "you" || !cs[0].CreatedAt.Equal(now) {
		t.Fatalf("list %+v %v", cs, err)
	}
	// A second store on the database (another request) lists what the first inserted.
	if cs, err := campaignstore.New(db, testdb.Backend(t)).ListCampaigns(ctx); err != nil || len(cs) != 3 {
		t.Fatalf("second store: %d %v", len(cs), err)
	}
	if _, err := s.GetCampaign(ctx, "cmp_9"); !apperr.IsNotFound(err) {
		t.Fatalf("missing campaign: %v", err)
	}
	// Concurrent updates of one campaign all land.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.UpdateCampaign(ctx, "cmp_1", func(c *campaign.Campaign) error { c.Progress++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c, err := s.GetCampaign(ctx, "cmp_1"); err != nil || c.Progress != 8 || c.Rev != 8 {
		t.Fatalf("after concurrent updates: %+v %v", c, err)
	}
	if _, err := s.UpdateCampaign(ctx, "cmp_1", func(*campaign.Campaign) error { return apperr.Conflictf("no") }); err == nil {
		t.Fatal("the change's error was lost")
	}

	chunks := []campaign.Chunk{{CampaignID: "cmp_1", N: 0, Treated: []string{"a", "b"}, Holdout: []string{"c"}}, {CampaignID: "cmp_1", N: 1, Treated: []string{"d"}}}
	if err := s.PutChunks(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	chunks[1].Done, chunks[1].Moved = true, map[string]string{"d": "a"}
	if err := s.PutChunks(ctx, chunks[1:]); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetChunks(ctx, "cmp_1", []int{1, 0, 5})
	if err != nil || len(got) != 2 || !slices.Equal(got[0].Treated, []string{"a", "b"}) || !slices.Equal(got[0].Holdout, []string{"c"}) ||
		!got[1].Done || got[1].Moved["d"] != "a" || got[1].Holdout != nil {
		t.Fatalf("chunks %+v %v", got, err)
	}

	e := campaign.Entry{ID: campaign.EntryID("cmp_1", "a"), CampaignID: "cmp_1", ProfileID: "a", State: campaign.Claimed, MessageID: "m", At: now}
	if ok, err := s.InsertEntry(ctx, e); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := s.InsertEntry(ctx, e); ok || err != nil {
		t.Fatalf("second claim: %v %v", ok, err)
	}
	// The sender's outcome and a click at the same time: neither is lost.
	wg.Go(func() {
		e.State, e.Attempts = campaign.Delivered, 1
		if err := s.SetOutcome(ctx, e); err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		if _, _, err := s.UpdateEntry(ctx, e.ID, func(e *campaign.Entry) bool { e.ClickedAt = now; return true }); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	es, err := s.GetEntries(ctx, []string{e.ID, "cmp_1:zz"})
	if err != nil || len(es) != 1 || es[0].State != campaign.Delivered || es[0].Attempts != 1 || !es[0].ClickedAt.Equal(now) || !es[0].OpenedAt.IsZero() {
		t.Fatalf("entry %+v %v", es, err)
	}
	if _, changed, err := s.UpdateEntry(ctx, e.ID, func(*campaign.Entry) bool { return false }); changed || err != nil {
		t.Fatalf("no change: %v %v", changed, err)
	}
	if _, _, err := s.UpdateEntry(ctx, "cmp_1:zz", func(*campaign.Entry) bool { return true }); !apperr.IsNotFound(err) {
		t.Fatalf("missing entry: %v", err)
	}
	if err := s.SetOutcome(ctx, campaign.Entry{ID: "cmp_1:zz"}); !apperr.IsNotFound(err) {
		t.Fatalf("outcome of a missing entry: %v", err)
	}
	if err := s.DeleteEntry(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.InsertEntry(ctx, e); !ok || err != nil {
		t.Fatalf("claim after release: %v %v", ok, err)
	}

	k1, err := s.TrackingKey(ctx)
	if err != nil || len(k1) != 32 {
		t.Fatal(err)
	}
	k2, err := campaignstore.New(db, testdb.Backend(t)).TrackingKey(ctx)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("the tracking key differs between stores")
	}
}
