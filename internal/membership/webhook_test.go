package membership

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/netguard"
)

// memOutbox is an in-memory DeliveryStore: these tests are about the retry policy.
type memOutbox struct {
	mu      sync.Mutex
	ds      map[string]Delivery
	seg     Segment
	results []bool // failed?
}

func (m *memOutbox) Enqueue(_ context.Context, d Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds[d.ID] = d
	return nil
}
func (m *memOutbox) Due(_ context.Context, now time.Time, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for _, d := range m.ds {
		if d.Status == Pending && !d.NextAt.After(now) {
			out = append(out, d)
		}
	}
	return out, nil
}
func (m *memOutbox) UpdateDelivery(_ context.Context, d Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds[d.ID] = d
	return nil
}
func (m *memOutbox) WebhookResult(_ context.Context, _, _ string, _ time.Time, failed bool) error {
	m.results = append(m.results, failed)
	return nil
}
func (m *memOutbox) GetSegment(context.Context, string) (Segment, error) { return m.seg, nil }

// localReceiver is the operator allow-list the tests' httptest receivers need.
var localReceiver = netguard.MustAllow("127.0.0.1/32")

// Issue 12 item 6: without an allow-list, a delivery to an internal address is refused
// at delivery time too (a URL stored before the policy, or one whose name resolves
// elsewhere now), and the receiver is never called.
func TestDeliveryRefusesInternalAddresses(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range []string{srv.URL, "http://localhost:" + port, "http://169.254.169.254/latest/meta-data"} {
		seg := Segment{ID: "seg_1", Webhook: &Webhook{URL: u, Secret: "x"}}
		ob := &memOutbox{ds: map[string]Delivery{}, seg: seg}
		for _, d := range batches(seg, delta{entered: []string{"a"}}, now) {
			_ = ob.Enqueue(context.Background(), d)
		}
		w := &Deliverer{Store: ob, Now: func() time.Time { return now }, MaxAttempts: 1}
		if n, err := w.RunOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("%s: %d, %v", u, n, err)
		}
		for _, d := range ob.ds {
			if d.Status != Failed || !strings.Contains(d.LastError, "not a public address") {
				t.Fatalf("%s: delivery %+v", u, d)
			}
		}
	}
	if calls != 0 {
		t.Fatalf("the internal receiver was called %d times", calls)
	}
}

func TestSetWebhookRefusesInternalAddresses(t *testing.T) {
	s := &Service{Store: nil}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/x", "http://[::1]:9/x", "http://10.0.0.1/", "http://0.0.0.0:8080/", "http://[::ffff:169.254.169.254]/"} {
		_, err := s.SetWebhook(context.Background(), "seg_1", u)
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(e.Msg, "public address") {
			t.Errorf("%s: %v, want BAD_USER_INPUT about the address", u, err)
		}
	}
}

func TestDeliveryRetriesWithBackoffThenSucceeds(t *testing.T) {
	var calls int
	var got []Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Tessera-Timestamp"), 10, 64)
		if !Verify("s3cret", ts, body, r.Header.Get("X-Tessera-Signature")) {
			t.Errorf("bad signature")
		}
		if calls <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var p Payload
		_ = json.Unmarshal(body, &p)
		got = append(got, p)
	}))
	defer srv.Close()
	seg := Segment{ID: "seg_1", Name: "VIP", Webhook: &Webhook{URL: srv.URL, Secret: "s3cret"}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ob := &memOutbox{ds: map[string]Delivery{}, seg: seg}
	for _, d := range batches(seg, delta{entered: []string{"a", "b"}, exited: []string{"c"}}, now) {
		_ = ob.Enqueue(context.Background(), d)
	}
	if len(ob.ds) != 2 {
		t.Fatalf("%d deliveries, want one for entries and one for exits", len(ob.ds))
	}
	w := &Deliverer{Store: ob, Now: func() time.Time { return now }, Backoff: time.Second, Policy: localReceiver}
	ctx := context.Background()
	if n, _ := w.RunOnce(ctx); n != 2 || calls != 2 {
		t.Fatalf("first round: %d attempted, %d calls", n, calls)
	}
	// Not due yet: the first retry waits Backoff.
	if n, _ := w.RunOnce(ctx); n != 0 {
		t.Fatalf("retried before the back-off: %d", n)
	}
	now = now.Add(time.Second)
	if n, _ := w.RunOnce(ctx); n != 2 {
		t.Fatalf("second round attempted %d", n)
	}
	for _, d := range ob.ds {
		if d.Status != Delivered || d.Attempts != 2 {
			t.Fatalf("delivery %+v", d)
		}
	}
	if len(got) != 2 || len(got[0].Entered)+len(got[1].Entered) != 2 || len(got[0].Exited)+len(got[1].Exited) != 1 {
		t.Fatalf("payloads %+v", got)
	}
}

func TestDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) }))
	defer srv.Close()
	seg := Segment{ID: "seg_1", Webhook: &Webhook{URL: srv.URL, Secret: "x"}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ob := &memOutbox{ds: map[string]Delivery{}, seg: seg}
	for _, d := range batches(seg, delta{entered: []string{"a"}}, now) {
		_ = ob.Enqueue(context.Background(), d)
	}
	w := &Deliverer{Store: ob, Now: func() time.Time { return now }, Backoff: time.Second, MaxAttempts: 3, Policy: localReceiver}
	var waits []time.Duration
	for range 10 {
		before := now
		if n, _ := w.RunOnce(context.Background()); n == 0 {
			break
		}
		for _, d := range ob.ds {
			waits = append(waits, d.NextAt.Sub(before))
			now = d.NextAt
		}
	}
	for _, d := range ob.ds {
		if d.Status != Failed || d.Attempts != 3 {
			t.Fatalf("delivery %+v", d)
		}
	}
	if len(waits) != 3 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Fatalf("back-off %v, want 1s then 2s", waits)
	}
}

func TestDiffOverScope(t *testing.T) {
	have := map[string]time.Time{"a": {}, "b": {}}
	d := diff(map[string]bool{"b": true, "c": true}, have, []string{"a", "c", "z"})
	if len(d.entered) != 1 || d.entered[0] != "c" || len(d.exited) != 1 || d.exited[0] != "a" {
		t.Fatalf("scoped diff %+v", d)
	}
	d = diff(map[string]bool{"b": true, "c": true}, have, nil)
	if len(d.entered) != 1 || len(d.exited) != 1 {
		t.Fatalf("full diff %+v", d)
	}
}

func TestBatchesSplitLargeChanges(t *testing.T) {
	ids := make([]string, 1201)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	bs := batches(Segment{ID: "s", Webhook: &Webhook{}}, delta{entered: ids}, time.Now())
	if len(bs) != 3 {
		t.Fatalf("%d batches for 1201 ids, want 3 of at most %d", len(bs), batchSize)
	}
}
