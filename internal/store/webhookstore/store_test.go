package webhookstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/webhookstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/webhooks"
)

// TestOutboxSurvivesRestart: an event reported twice is queued once; a delivery that
// failed stays in the outbox, and a new process (a new service on the same database)
// resumes and delivers it, after which it leaves the outbox.
func TestOutboxSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	st := webhookstore.New(db, testdb.Backend(t))
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	var up atomic.Bool
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got.Add(1)
	}))
	defer recv.Close()
	newService := func() *webhooks.Service {
		return &webhooks.Service{Store: st, Policy: netguard.MustAllow("127.0.0.1/32"), NewID: dbkit.NewID, Backoff: time.Millisecond}
	}
	s := newService()
	sub, err := s.Create(ctx, recv.URL, []string{webhooks.ProfileMerged})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	merge := []identity.MergeEvent{{Absorbed: "cus_b", Survivor: "cus_a", Rule: "email", At: at}}
	for range 2 { // reported again, as after a crash
		if err := s.FollowMerges(ctx, merge); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FollowSplit(ctx, identity.SplitEvent{From: "cus_a", Split: []string{"cus_c"}, At: at}); err != nil {
		t.Fatal(err) // nobody listens: nothing queued
	}
	pending, err := st.PendingDeliveries(ctx, time.Time{})
	if err != nil || len(pending) != 1 || pending[0].SubscriptionID != sub.ID {
		t.Fatalf("pending %v, %v", pending, err)
	}
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("run: %d, %v", n, err)
	}
	d, err := st.Delivery(ctx, pending[0].ID)
	if err != nil || d.Attempts != 1 || d.Status != webhooks.Pending || d.LastError == "" {
		t.Fatalf("after a failed call: %+v, %v", d, err)
	}

	up.Store(true)
	s2 := newService() // the restarted process
	if n, err := s2.Resume(ctx, time.Time{}); err != nil || n != 1 {
		t.Fatalf("resume: %d, %v", n, err)
	}
	for s2.Pending() > 0 {
		if _, err := s2.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Errorf("%d successful calls, want 1", got.Load())
	}
	if left, _ := st.PendingDeliveries(ctx, time.Time{}); len(left) != 0 {
		t.Errorf("still pending: %v", left)
	}
	subs, _ := s2.List(ctx)
	if len(subs) != 1 || subs[0].Secret != "" || subs[0].Failures != 0 || subs[0].LastStatus != "200 OK" {
		t.Errorf("subscription after delivery: %+v", subs)
	}
}
