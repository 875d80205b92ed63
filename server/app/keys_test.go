package app_test

// Issue 12 (revocation, consistent auth answers, odd HTTP input) and issue 14 (key
// lookups as point reads, cached).

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// subscribeTickets opens a graphql-transport-ws socket on s with key and subscribes to
// ticketUpdated; it returns the socket once the connection is acknowledged.
func subscribeTickets(ctx context.Context, t *testing.T, s *srv, key string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/query", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + key}}); err != nil {
		t.Fatal(err)
	}
	var m struct{ Type string }
	if err := wsjson.Read(ctx, c, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init -> %q %v", m.Type, err)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { ticketUpdated { id status } }`}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// closeCode reads the socket until it closes and returns the close status.
func closeCode(ctx context.Context, c *websocket.Conn) (websocket.StatusCode, error) {
	for {
		var m json.RawMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return websocket.CloseStatus(err), err
		}
	}
}

// A: revoking a key through one instance closes its sockets on another with 4403, evicts
// it from that instance's cache, and a second revocation keeps the first revokedAt.
func TestRevokedKeyLosesItsSocketsOnEveryInstance(t *testing.T) {
	db := testdb.DB(t)
	a, b := newServerOn(t, db), newServerOn(t, db)
	analyst := a.newKey("ANALYST")
	id := keyID(b, analyst) // b has now verified (and may cache) the key

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := subscribeTickets(ctx, t, b, analyst)
	first := get(a.ok(adminKey, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, map[string]any{"id": id}), "revokeApiKey", "revokedAt")

	if code, err := closeCode(ctx, c); code != 4403 {
		t.Fatalf("socket of the revoked key: close status %d (%v), want 4403", code, err)
	}
	// The notice that closed the socket also evicted the key from b's cache.
	if r := b.do(analyst, `{ me { id } }`, nil); r.Status != 401 || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("revoked key on the other instance: %d %s", r.Status, r.Raw)
	}
	// A new socket with the key is refused at init, with the same code.
	c2, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.url, "http")+"/query", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	_ = wsjson.Write(ctx, c2, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + analyst}})
	if code, err := closeCode(ctx, c2); code != 4403 {
		t.Fatalf("socket opened with a revoked key: close status %d (%v), want 4403", code, err)
	}

	second := get(b.ok(adminKey, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, map[string]any{"id": id}), "revokeApiKey", "revokedAt")
	if first == nil || second != first {
		t.Fatalf("second revocation: revokedAt %v, first was %v", second, first)
	}
}

// A: an export link works as long as the key that made it.
func TestExportLinkDiesWithItsKey(t *testing.T) {
	s := newServer(t)
	analyst := s.newKey("ANALYST")
	seg := get(s.ok(analyst, `mutation { createSegment(input: {name: "all", rule: {trait: {field: "firstName", op: EXISTS}}}) { id } }`, nil), "createSegment", "id")
	link := func(key string) string {
		return get(s.ok(key, `mutation($id: ID!) { exportSegment(id: $id) { url } }`, map[string]any{"id": seg}), "exportSegment", "url").(string)
	}
	download := func(url string) int {
		res, err := http.Get(s.url + url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	url := link(analyst)
	if st := download(url); st != 200 {
		t.Fatalf("fresh export link: %d", st)
	}
	s.ok(adminKey, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": keyIDOf(t, s, analyst)})
	if st := download(url); st != http.StatusForbidden {
		t.Fatalf("export link of a revoked key: %d, want 403", st)
	}
	if st := download(link(adminKey)); st != 200 {
		t.Fatalf("export link of a valid key: %d", st)
	}
}

// keyIDOf finds a key's id through the admin listing (the key may be revoked already).
func keyIDOf(t *testing.T, s *srv, secret string) string {
	t.Helper()
	for _, k := range get(s.ok(adminKey, `{ apiKeys { id prefix } }`, nil), "apiKeys").([]any) {
		if strings.HasPrefix(secret, get(k, "prefix").(string)) && get(k, "prefix") != "" {
			return get(k, "id").(string)
		}
	}
	t.Fatal("key not listed")
	return ""
}

type reqTag struct{}

type sentCommand struct {
	tag, name string
	cmd       bson.Raw
}

// B: authenticating reads api_keys (and its hash pointers) only by a bare {_id}, and a
// key verified a moment ago costs no database command at all.
func TestAuthenticationIsPointReadsThenCached(t *testing.T) {
	base := testdb.DB(t)
	var mu sync.Mutex
	var sent []sentCommand
	mon := &event.CommandMonitor{Started: func(ctx context.Context, e *event.CommandStartedEvent) {
		if tag, _ := ctx.Value(reqTag{}).(string); tag != "" {
			mu.Lock()
			sent = append(sent, sentCommand{tag, e.CommandName, append(bson.Raw(nil), e.Command...)})
			mu.Unlock()
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	db := client.Database(base.Name())
	a, err := app.New(context.Background(), db, app.Options{Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Start(ctx)
	h := a.Handler(func(context.Context) error { return nil })
	// Commands are attributed to the request whose context they carry.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tag := r.Header.Get("X-Test-Request"); tag != "" {
			r = r.WithContext(context.WithValue(r.Context(), reqTag{}, tag))
		}
		h.ServeHTTP(w, r)
	}))
	defer hs.Close()
	s := &srv{t, hs.URL, a}
	key := s.newKey("ANALYST")

	me := func(tag string) {
		req, _ := http.NewRequest("POST", hs.URL+"/query", strings.NewReader(`{"query":"{ me { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Test-Request", tag)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(raw), `"me":{"id"`) {
			t.Fatalf("%s: %d %s", tag, res.StatusCode, raw)
		}
	}
	me("first")
	me("second")

	mu.Lock()
	defer mu.Unlock()
	keyReads := 0
	for _, c := range sent {
		coll, _ := c.cmd.Lookup(c.name).StringValueOK()
		if c.tag == "second" {
			t.Errorf("second request within the cache period sent %s %s: %s", c.name, coll, c.cmd)
			continue
		}
		if coll != "api_keys" && coll != "api_key_hashes" {
			continue
		}
		var filters []bson.Raw
		switch c.name {
		case "find":
			filters = append(filters, c.cmd.Lookup("filter").Document())
			keyReads++
		case "update":
			vals, _ := c.cmd.Lookup("updates").Array().Values()
			for _, v := range vals {
				filters = append(filters, v.Document().Lookup("q").Document())
			}
		default:
			t.Errorf("authentication sent %s to %s: %s", c.name, coll, c.cmd)
		}
		for _, f := range filters {
			elems, _ := f.Elements()
			if len(elems) != 1 || elems[0].Key() != "_id" || elems[0].Value().Type == bson.TypeEmbeddedDocument {
				t.Errorf("%s on %s with filter %s, want a bare {_id: ...}", c.name, coll, f)
			}
		}
	}
	if keyReads == 0 {
		t.Fatalf("the first request read no key (monitor saw %d commands)", len(sent))
	}
}

// B: keys stored before the hash pointers existed are given them at start, repeatably.
func TestKeysWithoutHashPointersAreMigratedAtStart(t *testing.T) {
	db := testdb.DB(t)
	a := newServerOn(t, db)
	analyst := a.newKey("ANALYST")
	if err := db.Collection("api_key_hashes").Drop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		b := newServerOn(t, db)
		b.ok(analyst, `{ me { id } }`, nil)
		b.ok(adminKey, `{ me { id } }`, nil)
	}
}

// C: a query that needs a key gets the same answer without one as with a wrong one.
func TestMissingAndBadKeyGetTheSameAnswer(t *testing.T) {
	s := newServer(t)
	for _, key := range []string{"", "wrong-key-wrong-key"} {
		for _, q := range []string{`{ me { id } }`, `{ __typename customers { totalCount } }`} {
			r := s.do(key, q, nil)
			if r.Status != 401 || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
				t.Errorf("key %q, %s: %d %s", key, q, r.Status, r.Raw)
			}
		}
	}
	// Public queries still need no key.
	if d := s.ok("", `{ __typename }`, nil); d["__typename"] != "Query" {
		t.Fatalf("__typename = %v", d)
	}
	// A parse error without a key is a parse error, not an authentication failure.
	s.code("", `{ me { id } `, nil, "GRAPHQL_PARSE_FAILED")
}

// D: requests the endpoint does not take get a typed error that says why.
func TestOddHTTPInputGetsTypedErrors(t *testing.T) {
	s := newServer(t)
	send := func(method, ctype string, body io.Reader) (int, gqlErr) {
		req, _ := http.NewRequest(method, s.url+"/query", body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer "+adminKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Errors []gqlErr }
		raw, _ := io.ReadAll(res.Body)
		if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) == 0 {
			t.Fatalf("%s %s: %d %s", method, ctype, res.StatusCode, raw)
		}
		return res.StatusCode, out.Errors[0]
	}
	check := func(what string, status int, e gqlErr, wantStatus int, wantIn ...string) {
		t.Helper()
		if status != wantStatus || e.Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: %d %v %q, want %d BAD_USER_INPUT", what, status, e.Extensions["code"], e.Message, wantStatus)
		}
		for _, w := range wantIn {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%s: message %q does not mention %q", what, e.Message, w)
			}
		}
	}
	// A chunked body (no Content-Length) over the 1 MiB limit.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"query":"{ __typename }","pad":"`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 20 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Write([]byte(`"}`))
		pw.Close()
	}()
	st, e := send("POST", "application/json", pr)
	check("chunked body over the limit", st, e, http.StatusRequestEntityTooLarge, "1048576")

	st, e = send("POST", "application/json", strings.NewReader(`query { __typename }`))
	check("non-JSON body", st, e, http.StatusBadRequest, "JSON")
	st, e = send("POST", "application/json", strings.NewReader(`[{"query":"{ __typename }"}]`))
	check("batch", st, e, http.StatusBadRequest, "one JSON object")
	st, e = send("POST", "application/json", strings.NewReader(`{"query": 5}`))
	check("query not a string", st, e, http.StatusBadRequest, `"query"`)
	st, e = send("GET", "", nil)
	check("GET", st, e, http.StatusMethodNotAllowed, "on purpose", "CSRF", "POST")
	st, e = send("POST", "text/plain", strings.NewReader(`{"query":"{ __typename }"}`))
	check("text/plain", st, e, http.StatusUnsupportedMediaType, "on purpose", "application/json")

	// Nothing of the body is echoed back.
	if _, e = send("POST", "application/json", strings.NewReader(`not json <secret-ish>`)); strings.Contains(e.Message, "secret-ish") {
		t.Errorf("error echoes the body: %q", e.Message)
	}
}
