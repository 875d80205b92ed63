package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-cdp/tessera/internal/ingest"
)

// Two identical batches sent at the same time store each record once; between them
// they report each record created once, and the source counts what is stored.
func TestConcurrentIdenticalBatchesCountOnce(t *testing.T) {
	e := newEnv(t)
	var in []ingest.Input
	for i := range 200 {
		in = append(in, ingest.Input{ExternalID: fmt.Sprint("c", i), Payload: map[string]any{"email": fmt.Sprintf("c%d@example.com", i)}})
	}
	var wg sync.WaitGroup
	res := make([]ingest.Result, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.svc.Ingest(context.Background(), "shop", in, "")
			if err != nil {
				t.Error(err)
			}
			res[i] = r
		}()
	}
	wg.Wait()
	if got := res[0].Created + res[1].Created; got != 200 {
		t.Errorf("created %d + %d = %d, want 200 (each record stored once)", res[0].Created, res[1].Created, got)
	}
	for i, r := range res {
		if r.Created+r.Updated+r.Unchanged+r.Rejected != 200 {
			t.Errorf("batch %d counts %+v do not add up to its 200 rows", i, r.Counts)
		}
	}
	src, err := e.st.GetSource(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if src.RecordCount != 200 {
		t.Errorf("source recordCount %d, want 200 stored", src.RecordCount)
	}
}

// A repeated external id within one batch is reported, so the counts add up to the rows.
func TestDuplicateIDInBatchReported(t *testing.T) {
	e := newEnv(t)
	res := e.ingest("shop", rec("d1", "email", "a@example.com"), rec("d2", "email", "b@example.com"), rec("d1", "email", "c@example.com"))
	if res.Created != 2 || res.Rejected != 1 || len(res.Rejects) != 1 || res.Rejects[0].Index != 0 || !strings.Contains(res.Rejects[0].Reason, "duplicate") {
		t.Fatalf("got %+v rejects %+v, want 2 created and row 0 reported as a duplicate", res.Counts, res.Rejects)
	}
	if p := e.profile(res.ProfileIDs[2]); len(p.Traits.Emails) != 1 || p.Traits.Emails[0] != "c@example.com" {
		t.Fatalf("the later row should win, profile has %v", p.Traits.Emails)
	}
}
