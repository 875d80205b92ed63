package trackinghttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

const adminKey = "test-admin-key-0123456789"

// env is a Tessera app on a fresh database, served over loopback HTTP.
type env struct {
	t   testing.TB
	url string
	a   *app.App
	db  *mongo.Database
}

func start(t testing.TB) *env {
	t.Helper()
	return startOn(t, testdb.DB(t))
}

func startOn(t testing.TB, db *mongo.Database) *env {
	t.Helper()
	a, err := app.New(context.Background(), db, app.Options{Log: slog.New(slog.DiscardHandler), CORSOrigins: []string{"*"}})
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
	return &env{t, hs.URL, a, db}
}

type gqlResult struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (e *env) query(key, q string, vars map[string]any) gqlResult {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", e.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResult
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s: %s", q, raw)
	}
	return out
}

// ok runs a query that must succeed.
func (e *env) ok(q string, vars map[string]any) map[string]any {
	e.t.Helper()
	r := e.query(adminKey, q, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("%s: %+v", q, r.Errors)
	}
	return r.Data
}

// code runs a query that must fail with extensions.code want, and returns the message.
func (e *env) code(key, q string, vars map[string]any, want string) string {
	e.t.Helper()
	r := e.query(key, q, vars)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != want {
		e.t.Fatalf("%s: want %s, got %+v", q, want, r)
	}
	return r.Errors[0].Message
}

// trackingSource creates a source that takes tracking calls and a write key for it.
func (e *env) trackingSource(name string) (key, keyID string) {
	e.t.Helper()
	e.ok(`mutation($n: String!) { createSource(input: {name: $n, kind: WEB_SHOP, identifierFields: [
		{field: "userId", target: "customer_id"}, {field: "anonymousId", target: "anonymous_id"}, {field: "email", target: "email"}]}) { name } }`,
		map[string]any{"n": name})
	d := e.ok(`mutation($s: String!) { createWriteKey(source: $s) { key writeKey { id source prefix } } }`, map[string]any{"s": name})
	c := d["createWriteKey"].(map[string]any)
	return c["key"].(string), c["writeKey"].(map[string]any)["id"].(string)
}

// post sends a tracking call with the key as the Basic user name ("" sends none).
func (e *env) post(path, key, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s: not JSON: %s", req.URL.Path, raw)
		}
	}
	return res.StatusCode, out
}

// person is a profile as the tests read it: its id, identities and timeline.
type person struct {
	ID           string
	Identities   []string // type:value
	Interactions int
	Timeline     []map[string]any // interaction nodes, newest first
}

func (e *env) personBy(typ, value string) *person {
	e.t.Helper()
	d := e.ok(`query($t: String!, $v: String!) { customerByIdentifier(type: $t, value: $v) {
		id emails firstName lastName identities { id } metrics { interactionCount }
		timeline(first: 100) { edges { node { kind type channel at interaction { id type attributes } } } } } }`,
		map[string]any{"t": typ, "v": value})
	c, _ := d["customerByIdentifier"].(map[string]any)
	if c == nil {
		return nil
	}
	p := &person{ID: c["id"].(string), Interactions: int(c["metrics"].(map[string]any)["interactionCount"].(float64))}
	for _, i := range c["identities"].([]any) {
		p.Identities = append(p.Identities, i.(map[string]any)["id"].(string))
	}
	for _, edge := range c["timeline"].(map[string]any)["edges"].([]any) {
		n := edge.(map[string]any)["node"].(map[string]any)
		if n["kind"] == "INTERACTION" {
			p.Timeline = append(p.Timeline, n)
		}
	}
	return p
}

// event returns the timeline entry of a messageId, or nil.
func (p *person) event(source, messageID string) map[string]any {
	for _, n := range p.Timeline {
		if it := n["interaction"].(map[string]any); it["id"] == source+":"+messageID {
			return n
		}
	}
	return nil
}

func attrs(n map[string]any) map[string]any {
	a, _ := n["interaction"].(map[string]any)["attributes"].(map[string]any)
	return a
}
