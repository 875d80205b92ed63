package chathttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/store/chatstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/server/app"
	"github.com/tessera-cdp/tessera/server/chathttp"
)

const adminKey = "test-admin-key-0123456789"

type env struct {
	t     *testing.T
	url   string
	a     *app.App
	store *chatstore.Store
	// skew moves the chat's clock (presence) forward, so "the visitor left a while
	// ago" needs no waiting.
	skew atomic.Int64
}

func start(t *testing.T) *env {
	t.Helper()
	db := testdb.DB(t)
	a, err := app.New(context.Background(), db, app.Options{Log: slog.New(slog.DiscardHandler), CORSOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, store: chatstore.New(db)}
	a.Chat.Now = func() time.Time { return time.Now().UTC().Add(time.Duration(e.skew.Load())) }
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return nil }))
	t.Cleanup(func() { cancel(); hs.Close() })
	e.url = hs.URL
	return e
}

func (e *env) gql(q string, vars map[string]any) map[string]any {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", e.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
		e.t.Fatalf("%s: %s", q, raw)
	}
	return out.Data
}

// siteKey creates a web source with a tracking write key: the chat's site key.
func (e *env) siteKey(name string) string {
	e.gql(`mutation($n: String!) { createSource(input: {name: $n, kind: WEB_SHOP, identifierFields: [
		{field: "userId", target: "customer_id"}, {field: "anonymousId", target: "anonymous_id"}]}) { name } }`, map[string]any{"n": name})
	return e.gql(`mutation($s: String!) { createWriteKey(source: $s) { key } }`, map[string]any{"s": name})["createWriteKey"].(map[string]any)["key"].(string)
}

type session struct {
	Token     string `json:"token"`
	VisitorID string `json:"visitorId"`
	Online    bool   `json:"online"`
	Code      string `json:"code"`
}

func (e *env) session(body string) (int, session) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/chat/session", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://shop.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://shop.example" {
		e.t.Errorf("CORS: Access-Control-Allow-Origin %q", got)
	}
	var s session
	json.NewDecoder(res.Body).Decode(&s)
	return res.StatusCode, s
}

type visitor struct {
	t    *testing.T
	conn *websocket.Conn
}

func (e *env) connect(token string) (*visitor, chat.Event) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(e.url, "http", "ws", 1)+"/chat/ws?token="+token, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	v := &visitor{e.t, c}
	e.t.Cleanup(func() { c.CloseNow() })
	ready := v.next()
	if ready.Type != "ready" {
		e.t.Fatalf("first event %+v, want ready", ready)
	}
	return v, ready
}

func (v *visitor) send(ev map[string]any) {
	v.t.Helper()
	if err := wsjson.Write(context.Background(), v.conn, ev); err != nil {
		v.t.Fatal(err)
	}
}

func (v *visitor) next() chat.Event {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var e chat.Event
	if err := wsjson.Read(ctx, v.conn, &e); err != nil {
		v.t.Fatal(err)
	}
	return e
}

// until reads events until one of type typ comes.
func (v *visitor) until(typ string) chat.Event {
	v.t.Helper()
	for {
		if e := v.next(); e.Type == typ {
			return e
		} else if e.Type == "error" {
			v.t.Fatalf("error event: %+v", e)
		}
	}
}

func TestWidgetIsServedAsJavaScript(t *testing.T) {
	e := start(t)
	res, err := http.Get(e.url + "/chat/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/javascript") || !bytes.Contains(body, []byte("/chat/ws")) {
		t.Fatalf("widget: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
}

func TestSessionNeedsASiteKey(t *testing.T) {
	e := start(t)
	if code, s := e.session(`{"key":""}`); code != 401 || s.Code != "UNAUTHENTICATED" {
		t.Errorf("no key: %d %+v", code, s)
	}
	if code, _ := e.session(`{"key":"wk_not-a-key"}`); code != 401 {
		t.Errorf("unknown key: %d", code)
	}
	if code, s := e.session(`not json`); code != 400 || s.Code != "BAD_USER_INPUT" {
		t.Errorf("bad body: %d %+v", code, s)
	}
	key := e.siteKey("shop")
	code, s := e.session(`{"key":"` + key + `"}`)
	if code != 200 || s.Token == "" || !strings.HasPrefix(s.VisitorID, "vis_") || s.Online {
		t.Fatalf("session: %d %+v (no agent registered: offline)", code, s)
	}
	// The same token comes back for the same site; a forged one gets a new visitor.
	if _, again := e.session(`{"key":"` + key + `","token":"` + s.Token + `"}`); again.Token != s.Token {
		t.Errorf("returning visitor got a new token")
	}
	if _, forged := e.session(`{"key":"` + key + `","token":"` + s.Token + `x"}`); forged.VisitorID == s.VisitorID {
		t.Errorf("a forged token kept the visitor")
	}
	// analytics.js's anonymous id becomes the visitor id, so chat and browsing share a profile.
	if _, ajs := e.session(`{"key":"` + key + `","anonymousId":"0d5a6f1e-6f0c-4c1e-9a61-2b1c8e0f4a11"}`); ajs.VisitorID != "0d5a6f1e-6f0c-4c1e-9a61-2b1c8e0f4a11" {
		t.Errorf("anonymous id not taken: %+v", ajs)
	}
	// A socket with a bad token is closed as unauthenticated.
	c, _, err := websocket.Dial(context.Background(), strings.Replace(e.url, "http", "ws", 1)+"/chat/ws?token=nope", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.Read(context.Background())
	if websocket.CloseStatus(err) != chathttp.StatusUnauthenticated {
		t.Errorf("bad token: %v", err)
	}
}

// A visitor chats, the conversation is a CHAT ticket, the agent's reply over GraphQL
// arrives on the visitor's socket, the e-mail the visitor gives links their profile,
// and a reply after the visitor left is recorded for e-mail.
func TestChatConversation(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	key := e.siteKey("shop")
	me := e.gql(`{ me { id } }`, nil)["me"].(map[string]any)["id"].(string)
	e.gql(`mutation($id: ID!) { createAgent(input: {apiKeyId: $id, name: "Ada Lovelace", email: "ada@shop.example"}) { id } }`, map[string]any{"id": me})
	_, s := e.session(`{"key":"` + key + `"}`)
	v, ready := e.connect(s.Token)
	if len(ready.Messages) != 0 || ready.Visitor != s.VisitorID {
		t.Fatalf("ready: %+v", ready)
	}

	v.send(map[string]any{"type": "message", "body": "Hello", "clientId": "c1"})
	got := v.until("message")
	if got.ClientID != "c1" || got.Message.From != "visitor" || got.Message.Body != "Hello" {
		t.Fatalf("echo: %+v", got)
	}
	conv, err := e.store.VisitorConversation(ctx, s.VisitorID)
	if err != nil || conv.TicketID == "" {
		t.Fatalf("conversation: %+v %v", conv, err)
	}
	tk := e.gql(`query($id: ID!) { ticket(id: $id) { channel subject status requesterId messages { authorKind body } } }`, map[string]any{"id": conv.TicketID})["ticket"].(map[string]any)
	if tk["channel"] != "CHAT" || tk["subject"] != "Chat: Hello" || tk["requesterId"] != conv.ProfileID || tk["messages"].([]any)[0].(map[string]any)["authorKind"] != "CUSTOMER" {
		t.Fatalf("ticket: %+v", tk)
	}

	// The agent answers with the ordinary reply mutation; the visitor sees it live.
	e.gql(`mutation($id: ID!) { replyToTicket(id: $id, body: "Hi! How can I help?") { id } }`, map[string]any{"id": conv.TicketID})
	got = v.until("message")
	if got.Message.From != "agent" || got.Message.Body != "Hi! How can I help?" || got.Message.Author != "Ada" {
		t.Fatalf("agent reply: %+v", got)
	}
	// Internal notes stay internal.
	e.gql(`mutation($id: ID!) { addInternalNote(id: $id, body: "secret") { id } }`, map[string]any{"id": conv.TicketID})

	// Typing and read: the agent's reach the visitor, the visitor's reach watching agents.
	watch, stop := context.WithCancel(ctx)
	defer stop()
	acts, err := e.a.Chat.Watch(watch, conv.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if a := <-acts; !a.VisitorOnline {
		t.Fatalf("activity: %+v", a)
	}
	v.send(map[string]any{"type": "typing", "typing": true})
	if a := <-acts; !a.VisitorTyping {
		t.Fatalf("visitor typing: %+v", a)
	}
	v.send(map[string]any{"type": "read", "upTo": got.Message.ID})
	if a := <-acts; a.VisitorReadUpTo != got.Message.ID {
		t.Fatalf("visitor read: %+v", a)
	}
	e.gql(`mutation($id: ID!) { setChatTyping(ticketId: $id, typing: true) }`, map[string]any{"id": conv.TicketID})
	if ev := v.until("typing"); ev.Typing == nil || !*ev.Typing {
		t.Fatalf("agent typing: %+v", ev)
	}
	e.gql(`mutation($id: ID!, $m: ID!) { markChatRead(ticketId: $id, messageId: $m) }`, map[string]any{"id": conv.TicketID, "m": got.Message.ID})
	if ev := v.until("read"); ev.ReadUpTo != got.Message.ID {
		t.Fatalf("agent read: %+v", ev)
	}

	// The e-mail links the visitor's profile to the person.
	known := e.gql(`mutation { createCustomer(input: {firstName: "Grace", emails: ["grace@example.com"]}) { id } }`, nil)["createCustomer"].(map[string]any)["id"].(string)
	v.send(map[string]any{"type": "email", "email": "Grace@Example.com"})
	if ev := v.until("email"); ev.Email != "Grace@Example.com" {
		t.Fatalf("email: %+v", ev)
	}
	// (The older profile survives the merge: here the visitor's.)
	p, err := e.a.Profiles.ByIdentifier(ctx, "anonymous_id", s.VisitorID)
	q, err2 := e.a.Profiles.ByIdentifier(ctx, "email", "grace@example.com")
	if err != nil || err2 != nil || p.ID != q.ID || p.Traits.FirstName != "Grace" {
		t.Fatalf("the visitor's profile %s (%v) is not the e-mail's %s (%v, created as %s)", p.ID, err, q.ID, err2, known)
	}

	// A second tab sees the history; the visitor then leaves.
	v2, ready2 := e.connect(s.Token)
	if len(ready2.Messages) != 2 || ready2.Messages[1].From != "agent" || ready2.Email != "Grace@Example.com" {
		t.Fatalf("history: %+v", ready2.Messages)
	}
	v.conn.Close(websocket.StatusNormalClosure, "")
	v2.conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, _ := e.store.Conversation(ctx, conv.TicketID); c.SeenAt.After(got.Message.At) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.skew.Store(int64(time.Minute)) // long enough ago to count as gone
	d := e.gql(`mutation($id: ID!) { replyToTicket(id: $id, body: "We sent it today.") { messages { id body } } }`, map[string]any{"id": conv.TicketID})
	msgs := d["replyToTicket"].(map[string]any)["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	var r chat.OfflineReply
	var why string
	for deadline := time.Now().Add(15 * time.Second); ; {
		if r, _, why, err = e.store.OfflineReply(ctx, last["id"].(string)); err == nil && why != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || r.To != "Grace@Example.com" || !strings.Contains(r.Body, "We sent it today.") || r.Subject != "Re: Hello" || why != "no SMTP relay configured" {
		t.Fatalf("offline reply: %+v %q %v", r, why, err)
	}

	// A closed conversation: the next message opens a new CHAT ticket.
	for _, st := range []ticket.Status{ticket.StatusSolved, ticket.StatusClosed} {
		if _, err := e.a.Tickets.SetStatus(ctx, conv.TicketID, st, ticket.System); err != nil {
			t.Fatal(err)
		}
	}
	v3, _ := e.connect(s.Token)
	v3.send(map[string]any{"type": "message", "body": "One more thing", "clientId": "c2"})
	v3.until("message")
	if c, _ := e.store.VisitorConversation(ctx, s.VisitorID); c.TicketID == conv.TicketID || c.TicketID == "" {
		t.Fatalf("after close: %+v", c)
	}
}
