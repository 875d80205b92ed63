package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

const adminKey = "test-admin-key-0123456789"

var leakRE = regexp.MustCompile(`(?i)\.go:|goroutine|(^|[^a-z0-9_-])(mongo|bson|sqlite|ferret)`)

type srv struct {
	t   testing.TB
	url string
	a   *app.App
}

func newServer(t *testing.T) *srv {
	t.Helper()
	return newServerOn(t, testdb.DB(t))
}

// newServerOn starts an instance on db; two on one db behave like two processes.
func newServerOn(t *testing.T, db *mongo.Database) *srv {
	t.Helper()
	return newServerWith(t, db, app.Options{})
}

// newServerWith starts an instance with options (the log and CORS are the tests').
func newServerWith(t *testing.T, db *mongo.Database, o app.Options) *srv {
	t.Helper()
	o.Log, o.CORSOrigins = testLog(), []string{"*"}
	a, err := app.New(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return db.Client().Ping(ctx, nil) }))
	t.Cleanup(func() { cancel(); hs.Close() })
	return &srv{t, hs.URL, a}
}

type gqlErr struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type resp struct {
	Status int
	Data   map[string]any
	Errors []gqlErr
	Raw    string
}

func (s *srv) do(key, query string, vars map[string]any) resp {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", s.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []gqlErr       `json:"errors"`
	}
	_ = json.Unmarshal(raw, &out)
	// No response may leak Go or driver internals (as words: a random token such as a
	// signed link may hold the letters "bson").
	if m := leakRE.FindString(string(raw)); m != "" {
		s.t.Errorf("response leaks %q: %s", m, raw)
	}
	return resp{res.StatusCode, out.Data, out.Errors, string(raw)}
}

// ok runs a query that must succeed.
func (s *srv) ok(key, query string, vars map[string]any) map[string]any {
	s.t.Helper()
	r := s.do(key, query, vars)
	if len(r.Errors) > 0 || r.Status != 200 {
		s.t.Fatalf("%s\n-> %d %s", query, r.Status, r.Raw)
	}
	return r.Data
}

// code runs a query that must fail with the given extensions.code.
func (s *srv) code(key, query string, vars map[string]any, want string) string {
	s.t.Helper()
	r := s.do(key, query, vars)
	if len(r.Errors) == 0 {
		s.t.Fatalf("%s: want %s, got success %s", query, want, r.Raw)
	}
	if got := r.Errors[0].Extensions["code"]; got != want {
		s.t.Fatalf("%s: want code %s, got %v (%s)", query, want, got, r.Raw)
	}
	return r.Errors[0].Message
}

func (s *srv) newKey(role string) string {
	d := s.ok(adminKey, `mutation($r: Role!) { createApiKey(name: "k", role: $r) { key apiKey { id role } } }`, map[string]any{"r": role})
	return d["createApiKey"].(map[string]any)["key"].(string)
}

func get(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m = m.(map[string]any)[k]
		case int:
			m = m.([]any)[k]
		}
	}
	return m
}

func TestAuthentication(t *testing.T) {
	s := newServer(t)
	s.code("", `{ customers { totalCount } }`, nil, "UNAUTHENTICATED")
	r := s.do("wrong-key-wrong-key", `{ me { id } }`, nil)
	if r.Status != 401 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("wrong key: %d %s", r.Status, r.Raw)
	}
	// The spec's minimal query works without a key; nothing else does.
	if d := s.ok("", `{ __typename }`, nil); d["__typename"] != "Query" {
		t.Fatalf("__typename = %v", d)
	}
}

func TestRolesAndKeys(t *testing.T) {
	s := newServer(t)
	agent := s.newKey("AGENT")
	ingest := s.newKey("INGEST")
	if got := get(s.ok(agent, `{ me { role } }`, nil), "me", "role"); got != "AGENT" {
		t.Fatalf("me.role = %v", got)
	}
	s.code(agent, `mutation { createApiKey(name: "x", role: ADMIN) { key } }`, nil, "FORBIDDEN")
	s.code(agent, `{ apiKeys { id } }`, nil, "FORBIDDEN")
	s.code(ingest, `{ customers { totalCount } }`, nil, "FORBIDDEN")
	s.code(agent, `mutation { mergeCustomers(ids: ["a", "b"], reason: "x") { id } }`, nil, "FORBIDDEN")
	s.ok(agent, `{ customers { totalCount } }`, nil)

	keys := get(s.ok(adminKey, `{ apiKeys { id name role prefix revokedAt } }`, nil), "apiKeys").([]any)
	if len(keys) != 3 {
		t.Fatalf("apiKeys = %v", keys)
	}
	for _, k := range keys {
		if strings.Contains(fmt.Sprint(k), agent) {
			t.Fatal("apiKeys returns a secret")
		}
	}
	me := get(s.ok(adminKey, `{ me { id } }`, nil), "me", "id")
	s.code(adminKey, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": me}, "CONFLICT")
	agentID := get(s.ok(agent, `{ me { id } }`, nil), "me", "id")
	rev := s.ok(adminKey, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, map[string]any{"id": agentID})
	if get(rev, "revokeApiKey", "revokedAt") == nil {
		t.Fatal("revokedAt not set")
	}
	if r := s.do(agent, `{ me { id } }`, nil); r.Status != 401 {
		t.Fatalf("revoked key still works: %s", r.Raw)
	}
	s.code(adminKey, `mutation { revokeApiKey(id: "key_nope") { id } }`, nil, "NOT_FOUND")
	s.code(adminKey, `mutation { createApiKey(name: "  ", role: AGENT) { key } }`, nil, "BAD_USER_INPUT")
}

const shopSource = `mutation { createSource(input: {name: "shop", kind: WEB_SHOP, priority: 5,
	identifierFields: [{field: "email", target: "email"}, {field: "customer_no", target: "customer_id"}]}) { name } }`

const ingestQ = `mutation($recs: [RecordInput!]!) { ingestRecords(source: "shop", records: $recs) {
	created updated unchanged merged rejected profileIds rejects { index externalId reason } } }`

func TestBadInputGetsTypedErrors(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	s.code(adminKey, shopSource, nil, "CONFLICT")
	s.code(adminKey, `mutation { createSource(input: {name: "Bad Name!", kind: CRM, identifierFields: [{field: "e", target: "email"}]}) { name } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { createSource(input: {name: "x", kind: CRM, identifierFields: []}) { name } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { createSource(input: {name: "y", kind: CRM, identifierFields: [{field: "e", target: "email"}], traitFields: [{field: "a", target: "$set"}]}) { name } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customer(id: "cus_01jabcdefghjkmnpqrstvwxyz0") { id } }`, nil, "NOT_FOUND")
	s.code(adminKey, `{ customers(after: "not-a-cursor") { totalCount } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customers(first: 1000) { totalCount } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customerByIdentifier(type: "email", value: "nope") { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customerByIdentifier(type: "email", value: "nobody@example.com") { id } }`, nil, "NOT_FOUND")
	s.code(adminKey, `mutation { ingestRecords(source: "nope", records: [{externalId: "1", payload: {}}]) { created } }`, nil, "NOT_FOUND")
	s.code(adminKey, `mutation { createCustomer(input: {emails: ["not-an-email"]}) { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { createCustomer(input: {birthDate: "31/02/1990"}) { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customers { totalCount } `, nil, "GRAPHQL_PARSE_FAILED")

	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"externalId": fmt.Sprint(i), "payload": map[string]any{"email": "a@example.com"}}
	}
	s.code(adminKey, ingestQ, map[string]any{"recs": many}, "BAD_USER_INPUT")

	// Bad records are rejected one by one with a reason; the good ones go in.
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{
		map[string]any{"externalId": "ok", "payload": map[string]any{"email": "ann@example.com"}},
		map[string]any{"externalId": "op", "payload": map[string]any{"$where": "1"}},
		map[string]any{"externalId": "dot", "payload": map[string]any{"a.b": 1}},
		map[string]any{"externalId": "arr", "payload": []any{1}},
		map[string]any{"externalId": " ", "payload": map[string]any{}},
	}})
	res := get(d, "ingestRecords").(map[string]any)
	if res["created"] != 1.0 || res["rejected"] != 4.0 {
		t.Fatalf("ingest = %v", res)
	}
	for i, rj := range res["rejects"].([]any) {
		if get(rj, "reason") == "" || get(rj, "index") != float64(i+1) {
			t.Fatalf("reject %d = %v", i, rj)
		}
	}
}

func TestTransportsAndLimits(t *testing.T) {
	s := newServer(t)
	res, err := http.Get(s.url + "/query?query=%7B__typename%7D")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode < 400 {
		t.Fatalf("GET query answered %d", res.StatusCode)
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain"} {
		res, err := http.Post(s.url+"/query", ct, strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("%s post answered %d", ct, res.StatusCode)
		}
	}
	aliases := "{"
	for i := range 31 {
		aliases += fmt.Sprintf(" a%d: __typename", i)
	}
	s.code(adminKey, aliases+" }", nil, "BAD_USER_INPUT")
	s.code(adminKey, "{ "+strings.Repeat("__typename ", 401)+"}", nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customers(first: 100) { edges { node { sourceRecords(first: 500) { id payload } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED")
	s.code(adminKey, `{ __schema { types { name } } }`, nil, "FORBIDDEN")
	big := `{"query":"{ __typename }","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	res, err = http.Post(s.url+"/query", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("1 MiB body answered %d", res.StatusCode)
	}
	// CORS preflight for the desktop webview.
	req, _ := http.NewRequest("OPTIONS", s.url+"/query", nil)
	req.Header.Set("Origin", "wails://wails")
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "wails://wails" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(s.url + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, res.StatusCode, err)
		}
		res.Body.Close()
	}
}

func TestCustomerLifecycle(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	agent := s.newKey("AGENT")
	c := get(s.ok(agent, `mutation { createCustomer(input: {firstName: "Ann", lastName: "Lee", emails: ["Ann@Example.com"], phones: ["07911 123456"], attributes: {vip: true}}) { id name emails phones attributes } }`, nil), "createCustomer").(map[string]any)
	id := c["id"].(string)
	if c["name"] != "Ann Lee" || get(c, "emails", 0) != "ann@example.com" || get(c, "phones", 0) != "+447911123456" || get(c, "attributes", "vip") != true {
		t.Fatalf("created %v", c)
	}
	// A shop record with the same e-mail lands on the same profile.
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": "o-1", "payload": map[string]any{"email": "ANN@example.com", "firstName": "Annie", "customer_no": "C-1"}}}})
	if get(d, "ingestRecords", "profileIds", 0) != id {
		t.Fatalf("shop record went to %v, want %s", get(d, "ingestRecords", "profileIds", 0), id)
	}
	got := s.ok(agent, `query($t: String!, $v: String!) { customerByIdentifier(type: $t, value: $v) { id firstName identities { id sources } traitProvenance { field value source rule } sourceRecords { id source } } }`,
		map[string]any{"t": "customer_id", "v": "C-1"})
	cu := got["customerByIdentifier"].(map[string]any)
	// The manual source outranks the shop, so the typed first name wins.
	if cu["id"] != id || cu["firstName"] != "Ann" || len(cu["sourceRecords"].([]any)) != 2 {
		t.Fatalf("360 = %v", cu)
	}
	upd := get(s.ok(agent, `mutation($id: ID!) { updateCustomer(id: $id, input: {firstName: "Anna"}) { firstName traitProvenance { field source rule } } }`, map[string]any{"id": id}), "updateCustomer")
	if get(upd, "firstName") != "Anna" || get(upd, "traitProvenance", 0, "field") != "firstName" || get(upd, "traitProvenance", 0, "source") != "manual" {
		t.Fatalf("update = %v", upd)
	}
	// Search by name, e-mail prefix, phone as typed, and id.
	for _, q := range []string{"anna", "ann lee", "ann@ex", "07911 123456", id} {
		n := get(s.ok(agent, `query($q: String) { customers(query: $q) { totalCount edges { node { id } } } }`, map[string]any{"q": q}), "customers", "totalCount")
		if n != 1.0 {
			t.Errorf("search %q found %v", q, n)
		}
	}
	other := get(s.ok(agent, `mutation { createCustomer(input: {firstName: "Bob", emails: ["bob@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	s.code(agent, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`, map[string]any{"a": id, "b": other}, "FORBIDDEN")
	m := s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$b, $a], reason: "same person") { id emails mergeHistory { kind profileIds rule actor } } }`, map[string]any{"a": id, "b": other})
	if get(m, "mergeCustomers", "id") != id || len(get(m, "mergeCustomers", "emails").([]any)) != 2 {
		t.Fatalf("merge = %v", m)
	}
	if got := get(s.ok(agent, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": other}), "customer", "id"); got != id {
		t.Fatalf("absorbed id resolves to %v, want %s", got, id)
	}
	recs := get(s.ok(agent, `query($id: ID!) { customer(id: $id) { sourceRecords { id payload } } }`, map[string]any{"id": id}), "customer", "sourceRecords").([]any)
	var bobRec string
	for _, r := range recs {
		if get(r, "payload", "firstName") == "Bob" {
			bobRec = get(r, "id").(string)
		}
	}
	// Unmerging Bob's record gives him back his own id, as if never merged.
	u := s.ok(adminKey, `mutation($id: ID!, $r: ID!) { unmergeCustomer(id: $id, recordIds: [$r]) { split { id emails mergeHistory { kind } } remaining { id emails mergeHistory { kind } } } }`, map[string]any{"id": id, "r": bobRec})
	if get(u, "unmergeCustomer", "split", 0, "id") != other || get(u, "unmergeCustomer", "remaining", 0, "id") != id ||
		len(get(u, "unmergeCustomer", "remaining", 0, "mergeHistory").([]any)) != 0 || get(u, "unmergeCustomer", "split", 0, "mergeHistory", 0, "kind") != "UNMERGE" {
		t.Fatalf("unmerge = %v", u)
	}
	s.code(adminKey, `mutation($id: ID!) { unmergeCustomer(id: $id, recordIds: ["shop:nope"]) { split { id } } }`, map[string]any{"id": id}, "BAD_USER_INPUT")
}

func TestIngestJobSubscription(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	ing := s.newKey("INGEST")
	job := get(s.ok(ing, `mutation { startIngestJob(source: "shop", total: 2) { id state processed } }`, nil), "startIngestJob", "id").(string)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/query", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(v any) {
		if err := wsjson.Write(ctx, c, v); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() msg {
		for {
			var m msg
			if err := wsjson.Read(ctx, c, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type != "ping" && m.Type != "pong" {
				return m
			}
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + ing}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("init -> %s %s", m.Type, m.Payload)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription($id: ID!) { ingestJobUpdated(id: $id) { processed state } }`, "variables": map[string]any{"id": job}}})
	if m := read(); m.Type != "next" || !strings.Contains(string(m.Payload), `"processed":0`) {
		t.Fatalf("first event %s %s", m.Type, m.Payload)
	}
	s.ok(ing, `mutation($j: ID!) { ingestRecords(source: "shop", jobId: $j, records: [{externalId: "1", payload: {email: "a@example.com"}}, {externalId: "2", payload: {email: "b@example.com"}}]) { created } }`, map[string]any{"j": job})
	s.ok(ing, `mutation($j: ID!) { finishIngestJob(id: $j) { state } }`, map[string]any{"j": job})
	for {
		m := read()
		if m.Type == "complete" {
			t.Fatal("completed before reporting the finished job")
		}
		if m.Type == "next" && strings.Contains(string(m.Payload), `"state":"DONE"`) {
			if !strings.Contains(string(m.Payload), `"processed":2`) {
				t.Fatalf("final event %s", m.Payload)
			}
			break
		}
	}
	// Ingest into a finished job is refused.
	s.code(ing, `mutation($j: ID!) { ingestRecords(source: "shop", jobId: $j, records: [{externalId: "3", payload: {}}]) { created } }`, map[string]any{"j": job}, "CONFLICT")

	// A socket without a valid key is refused at init.
	c2, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/query", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	_ = wsjson.Write(ctx, c2, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer nope-nope-nope"}})
	var m msg
	if err := wsjson.Read(ctx, c2, &m); err == nil && m.Type == "connection_ack" {
		t.Fatal("socket with a wrong key was acknowledged")
	}
}
