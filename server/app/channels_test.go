package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// connector is a test platform connector: it signs messages into Tessera and records
// the replies Tessera POSTs to it.
type connector struct {
	mu      sync.Mutex
	secret  string
	replies []http.Header
	bodies  [][]byte
	fail    int // answer 503 this many times first
}

func (c *connector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail > 0 {
		c.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	c.replies, c.bodies = append(c.replies, r.Header.Clone()), append(c.bodies, b)
}

func (c *connector) got() ([]http.Header, [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.replies...), append([][]byte(nil), c.bodies...)
}

// postMessage POSTs a message to the channel, signed with secret at time ts (0: now).
func postMessage(t *testing.T, s *srv, name, secret string, ts int64, msg any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(msg)
	req := must(http.NewRequest("POST", s.url+"/channels/"+name+"/messages", bytes.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	if ts == 0 {
		ts = time.Now().Unix()
	}
	if secret != "" {
		req.Header.Set("X-Tessera-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Tessera-Signature", membership.Sign(secret, ts, body))
	}
	code, raw := httpDo(t, req)
	var out map[string]any
	_ = json.Unmarshal([]byte(raw), &out)
	return code, out
}

// Issue 18: a connector feeds a platform's messages in (signed; unsigned, stale and
// replayed requests change nothing; a repeated messageId is filed once) and gets the
// agent's reply POSTed back, signed, from the outbox (retried after a failure).
func TestChannelInboundAndReplies(t *testing.T) {
	conn := &connector{fail: 1}
	hs := httptest.NewServer(conn)
	t.Cleanup(hs.Close)
	s := newServerWith(t, testdb.DB(t), app.Options{WebhookAllow: []string{"127.0.0.1/32"}})
	s.a.Channels.Backoff = time.Millisecond

	// Only ADMIN registers; the outbound URL is checked against the webhook policy.
	agentKey := s.newKey("AGENT")
	s.code(agentKey, `mutation { createChannel(name: "insta", kind: SOCIAL) { secret } }`, nil, "FORBIDDEN")
	s.code(adminKey, `mutation { createChannel(name: "Bad Name", kind: SOCIAL) { secret } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { createChannel(name: "x", kind: OTHER, outboundUrl: "http://169.254.169.254/") { secret } }`, nil, "BAD_USER_INPUT")
	d := s.ok(adminKey, `mutation($u: String) { createChannel(name: "insta", kind: SOCIAL, outboundUrl: $u) { secret channel { name kind inboundPath source outboundUrl } } }`,
		map[string]any{"u": hs.URL + "/replies"})
	conn.secret = get(d, "createChannel", "secret").(string)
	if !strings.HasPrefix(conn.secret, "whsec_") || get(d, "createChannel", "channel", "inboundPath") != "/channels/insta/messages" ||
		get(d, "createChannel", "channel", "source") != "channel-insta" {
		t.Fatalf("created: %v", d)
	}
	s.code(adminKey, `mutation { createChannel(name: "insta", kind: SOCIAL) { secret } }`, nil, "CONFLICT")
	if l := get(s.ok(adminKey, `{ channels { name kind } }`, nil), "channels").([]any); len(l) != 1 || get(l, 0, "kind") != "SOCIAL" {
		t.Fatalf("channels: %v", l)
	}

	// The sender is a known customer (by e-mail): the message lands on her profile.
	ann := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Ann", emails: ["ann@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	msg := map[string]any{"messageId": "m1", "conversationId": "c1", "text": "Hi! My order has not arrived.\nOrder 17.",
		"sentAt":      time.Now().UTC().Format(time.RFC3339),
		"from":        map[string]any{"id": "ig-42", "name": "Ann Example", "email": "ann@example.com", "handle": "@ann"},
		"attachments": []any{map[string]any{"name": "photo.jpg", "type": "image/jpeg", "size": 1234, "url": "https://cdn.example/photo.jpg"}}}

	// Unsigned, wrongly signed, stale: refused, nothing filed.
	if code, _ := postMessage(t, s, "insta", "", 0, msg); code != 401 {
		t.Fatalf("unsigned: %d", code)
	}
	if code, _ := postMessage(t, s, "insta", "whsec_wrong", 0, msg); code != 401 {
		t.Fatalf("wrong secret: %d", code)
	}
	if code, _ := postMessage(t, s, "insta", conn.secret, time.Now().Add(-6*time.Minute).Unix(), msg); code != 401 {
		t.Fatalf("stale: %d", code)
	}
	if code, _ := postMessage(t, s, "nope", conn.secret, 0, msg); code != 404 {
		t.Fatalf("unknown channel: %d", code)
	}
	if code, out := postMessage(t, s, "insta", conn.secret, 0, map[string]any{"messageId": "m0", "conversationId": "c1", "text": "x"}); code != 400 {
		t.Fatalf("no sender: %d %v", code, out)
	}
	ticketsOf := func() []any {
		return get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { tickets { id subject channel tags requesterId messages { id body authorKind } } } }`,
			map[string]any{"id": ann}), "customer", "tickets").([]any)
	}
	if n := len(ticketsOf()); n != 0 {
		t.Fatalf("%d tickets before a valid message", n)
	}

	// Signed: a new SOCIAL ticket on Ann's profile; the same request replayed (same
	// messageId) is a duplicate.
	code, out := postMessage(t, s, "insta", conn.secret, 0, msg)
	if code != 200 || out["outcome"] != "opened" || out["profileId"] != ann {
		t.Fatalf("first: %d %v", code, out)
	}
	ticketID := out["ticketId"].(string)
	if code, out := postMessage(t, s, "insta", conn.secret, 0, msg); code != 200 || out["outcome"] != "duplicate" || out["ticketId"] != ticketID {
		t.Fatalf("replay: %d %v", code, out)
	}
	// A second message of the conversation continues the ticket.
	msg2 := map[string]any{"messageId": "m2", "conversationId": "c1", "text": "Any news?", "from": map[string]any{"id": "ig-42"}}
	if code, out := postMessage(t, s, "insta", conn.secret, 0, msg2); code != 200 || out["outcome"] != "continued" || out["ticketId"] != ticketID {
		t.Fatalf("second: %d %v", code, out)
	}
	ts := ticketsOf()
	if len(ts) != 1 {
		t.Fatalf("tickets: %v", ts)
	}
	tk := ts[0].(map[string]any)
	if tk["channel"] != "SOCIAL" || !strings.HasPrefix(tk["subject"].(string), "insta: Hi! My order has not arrived.") || get(tk, "tags", 0) != "insta" ||
		len(tk["messages"].([]any)) != 2 || get(tk, "messages", 1, "body") != "Any news?" {
		t.Fatalf("ticket: %v", tk)
	}
	// The platform id is an identifier of Ann now.
	byID := s.ok(adminKey, `{ customerByIdentifier(type: "insta_id", value: "ig-42") { id } }`, nil)
	if get(byID, "customerByIdentifier", "id") != ann {
		t.Fatalf("by platform id: %v", byID)
	}

	// The agent's reply goes to the connector, signed, with an idempotency key; the
	// first attempt fails (503) and is retried.
	s.ok(adminKey, `mutation($id: ID!) { addInternalNote(id: $id, body: "check the courier") { id } }`, map[string]any{"id": ticketID})
	rep := s.ok(adminKey, `mutation($id: ID!) { replyToTicket(id: $id, body: "It is on its way!") { messages { id kind channelDelivery { state attempts } } } }`, map[string]any{"id": ticketID})
	msgs := get(rep, "replyToTicket", "messages").([]any)
	replyID := get(msgs[len(msgs)-1], "id").(string)
	var hdr http.Header
	var body []byte
	eventually(t, "the reply reaches the connector", func() bool {
		h, b := conn.got()
		if len(h) > 0 {
			hdr, body = h[0], b[0]
		}
		return len(h) > 0
	})
	ts64, _ := strconv.ParseInt(hdr.Get("X-Tessera-Timestamp"), 10, 64)
	if !membership.Verify(conn.secret, ts64, body, hdr.Get("X-Tessera-Signature")) || hdr.Get("Idempotency-Key") != replyID {
		t.Fatalf("reply headers: %v", hdr)
	}
	var r struct {
		IdempotencyKey, ConversationID, TicketID, Text string
		To                                             struct{ ID string }
	}
	if err := json.Unmarshal(body, &r); err != nil || r.IdempotencyKey != replyID || r.ConversationID != "c1" || r.TicketID != ticketID ||
		r.Text != "It is on its way!" || r.To.ID != "ig-42" {
		t.Fatalf("reply body: %s %v", body, err)
	}
	eventually(t, "the delivery is recorded", func() bool {
		d := s.ok(adminKey, `query($id: ID!) { ticket(id: $id) { messages { id channelDelivery { state attempts } } } }`, map[string]any{"id": ticketID})
		for _, m := range get(d, "ticket", "messages").([]any) {
			if get(m, "id") == replyID {
				return get(m, "channelDelivery", "state") == "DELIVERED" && get(m, "channelDelivery", "attempts") == float64(2)
			}
		}
		return false
	})
	if h, _ := conn.got(); len(h) != 1 {
		t.Fatalf("the connector got %d replies (notes stay inside)", len(h))
	}
}
