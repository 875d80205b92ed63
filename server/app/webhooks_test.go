package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

type hookCall struct {
	event, delivery string
	payload         map[string]any
	verified        bool
}

// TestEventWebhooks: a local receiver subscribed to merges and ticket changes gets a
// signed PROFILE_MERGED after a merge and a TICKET_CHANGED after a reply; its first
// answer is a failure, and that delivery is retried.
func TestEventWebhooks(t *testing.T) {
	s := newServerWith(t, testdb.DB(t), app.Options{WebhookAllow: []string{"127.0.0.1/32"}})
	var secret atomic.Value
	calls := make(chan hookCall, 100)
	var n atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n.Add(1) == 1 {
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		ts, _ := strconv.ParseInt(r.Header.Get("X-Tessera-Timestamp"), 10, 64)
		c := hookCall{event: r.Header.Get("X-Tessera-Event"), delivery: r.Header.Get("X-Tessera-Delivery"),
			verified: membership.Verify(secret.Load().(string), ts, body, r.Header.Get("X-Tessera-Signature"))}
		_ = json.Unmarshal(body, &c.payload)
		calls <- c
	}))
	defer recv.Close()
	d := s.ok(adminKey, `mutation($u: String!) { createWebhook(url: $u, events: [PROFILE_MERGED, TICKET_CHANGED]) { id secret events } }`,
		map[string]any{"u": recv.URL + "/hook"})
	secret.Store(get(d, "createWebhook", "secret").(string))
	hookID := get(d, "createWebhook", "id").(string)
	listed := s.ok(adminKey, `{ webhooks { id url secret events } }`, nil)
	if w := get(listed, "webhooks", 0).(map[string]any); w["id"] != hookID || w["secret"] != nil {
		t.Errorf("listed %v", listed)
	}
	s.code(s.newKey("AGENT"), `{ webhooks { id } }`, nil, "FORBIDDEN")

	s.ok(adminKey, shopSource, nil)
	ids := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{
		map[string]any{"externalId": "r1", "payload": map[string]any{"email": "ann@example.com"}},
		map[string]any{"externalId": "r2", "payload": map[string]any{"email": "ann.b@example.com"}},
	}}), "ingestRecords", "profileIds").([]any)
	s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`, map[string]any{"a": ids[0], "b": ids[1]})

	wait := func(typ string) hookCall {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case c := <-calls:
				if c.payload["type"] == typ {
					return c
				}
			case <-deadline:
				t.Fatalf("no %s delivery", typ)
			}
		}
	}
	m := wait("PROFILE_MERGED")
	if !m.verified || m.event == "" || m.payload["id"] != m.event {
		t.Errorf("merge delivery: %+v", m)
	}
	data := m.payload["data"].(map[string]any)
	if data["survivor"] != ids[0] || data["absorbed"] != ids[1] {
		t.Errorf("merge data %v, want %s absorbed into %s", data, ids[1], ids[0])
	}
	if n.Load() < 2 {
		t.Errorf("the first call failed and was not retried: %d calls", n.Load())
	}

	tk := s.createTicket(adminKey, map[string]any{"email": "ann@example.com"})
	s.ok(adminKey, `mutation($id: ID!) { replyToTicket(id: $id, body: "On its way") { id } }`, map[string]any{"id": tk["id"]})
	for {
		c := wait("TICKET_CHANGED")
		if !c.verified {
			t.Fatalf("ticket delivery not verified: %+v", c)
		}
		if d := c.payload["data"].(map[string]any); d["ticketId"] == tk["id"] && d["kind"] == "updated" {
			if d["requesterId"] != ids[0] {
				t.Errorf("ticket requester %v, want %s", d["requesterId"], ids[0])
			}
			break
		}
	}
	s.ok(adminKey, `mutation($id: ID!) { deleteWebhook(id: $id) { id } }`, map[string]any{"id": hookID})
	if got := s.ok(adminKey, `{ webhooks { id } }`, nil); len(get(got, "webhooks").([]any)) != 0 {
		t.Errorf("after delete: %v", got)
	}
}
