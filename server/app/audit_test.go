package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/testdb"
)

const auditQ = `query($actor: ID, $action: String, $target: ID, $first: Int, $after: String) {
	auditLog(actor: $actor, action: $action, target: $target, first: $first, after: $after) {
		entries { id at actor { apiKeyId name role } action targets change result }
		pageInfo { hasNextPage endCursor } } }`

func auditEntries(s *srv, vars map[string]any) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, e := range get(s.ok(adminKey, auditQ, vars), "auditLog", "entries").([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// TestAuditTrail: mutations are recorded with their actor, targets, a redacted change
// and their result, failed ones too; agents cannot read the trail; the schema offers no
// way to change it.
func TestAuditTrail(t *testing.T) {
	s := newServer(t)
	admin := keyID(s, adminKey)
	s.ok(adminKey, shopSource, nil)
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{
		map[string]any{"externalId": "r1", "payload": map[string]any{"email": "ann@example.com", "firstName": "Ann"}},
		map[string]any{"externalId": "r2", "payload": map[string]any{"email": "bob@example.com", "firstName": "Bob"}},
	}})
	ids := get(d, "ingestRecords", "profileIds").([]any)
	a, b := ids[0].(string), ids[1].(string)
	s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id } }`, map[string]any{"a": a, "b": b})
	agent := s.newKey("AGENT")
	agentID := keyID(s, agent)
	s.code(agent, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "x") { id } }`, map[string]any{"a": a, "b": b}, "FORBIDDEN")
	s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Cy", emails: ["cy@example.com"]}) { id } }`, nil)

	merges := auditEntries(s, map[string]any{"action": "mergeCustomers"})
	if len(merges) != 2 {
		t.Fatalf("merge entries: %v", merges)
	}
	denied, done := merges[0], merges[1] // newest first
	if denied["result"] != "FORBIDDEN" || get(denied, "actor", "apiKeyId") != agentID || get(denied, "actor", "role") != "agent" {
		t.Errorf("refused merge: %v", denied)
	}
	if done["result"] != "ok" || get(done, "actor", "apiKeyId") != admin || get(done, "actor", "role") != "admin" {
		t.Errorf("merge: %v", done)
	}
	targets := done["targets"].([]any)
	if !slices.Contains(targets, any(a)) || !slices.Contains(targets, any(b)) {
		t.Errorf("merge targets %v, want %s and %s", targets, a, b)
	}
	if get(done, "change", "reason") != "[personal]" || len(get(done, "change", "ids").([]any)) != 2 {
		t.Errorf("merge change: %v", done["change"])
	}
	// Personal values and secrets are not kept: the ingested e-mails, the new
	// customer's name, the created key's secret (in the answer, never in the trail).
	all := auditEntries(s, map[string]any{"first": 50})
	raw, _ := json.Marshal(all)
	for _, personal := range []string{"ann@example.com", "Ann", "Bob", "cy@example.com", "\"Cy\"", agent} {
		if strings.Contains(string(raw), personal) {
			t.Errorf("the trail keeps %q: %s", personal, raw)
		}
	}
	var actions []string
	for _, e := range all {
		actions = append(actions, e["action"].(string))
	}
	if want := []string{"createCustomer", "mergeCustomers", "createApiKey", "mergeCustomers", "ingestRecords", "createSource"}; !slices.Equal(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
	if c := get(all[0], "change", "input").(map[string]any); c["firstName"] != "[personal]" || c["emails"] != "[personal]" {
		t.Errorf("createCustomer change: %v", c)
	}
	if len(all[0]["targets"].([]any)) != 1 {
		t.Errorf("createCustomer targets (the new customer's id): %v", all[0]["targets"])
	}
	// Filters by actor and target, and paging.
	if got := auditEntries(s, map[string]any{"actor": agentID}); len(got) != 1 || got[0]["result"] != "FORBIDDEN" {
		t.Errorf("by actor: %v", got)
	}
	if got := auditEntries(s, map[string]any{"target": b}); len(got) < 2 {
		t.Errorf("by target %s: %v", b, got)
	}
	p1 := s.ok(adminKey, auditQ, map[string]any{"first": 4})
	after := get(p1, "auditLog", "pageInfo", "endCursor")
	if get(p1, "auditLog", "pageInfo", "hasNextPage") != true {
		t.Errorf("page 1: %v", p1)
	}
	if p2 := auditEntries(s, map[string]any{"first": 4, "after": after}); len(p2) != 2 || p2[0]["action"] != "ingestRecords" {
		t.Errorf("page 2: %v", p2)
	}
	s.code(agent, `{ auditLog { entries { id } } }`, nil, "FORBIDDEN")
	// Append-only: no mutation of the schema touches the trail.
	r := s.do(adminKey, `mutation { deleteAuditEntry(id: "x") }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("a mutation on the trail: %s", r.Raw)
	}
}

// TestAuditLogNoScan: on the embedded database, once the trail's index is built, a
// filtered page of the log reads entries by bare _id only, as many at 10 entries as at
// 200.
func TestAuditLogNoScan(t *testing.T) {
	if testdb.Backend(t).IndexedFilters {
		t.Skip("MongoDB serves the filters from its indexes")
	}
	counts := map[int]int{}
	for _, size := range []int{10, 200} {
		log := &testdb.CommandLog{Only: []string{"audit_log"}}
		s, _ := newMonitoredServer(t, log.Monitor())
		for i := range size {
			s.ok(adminKey, `mutation($n: String!) { createApiKey(name: $n, role: ANALYST) { key } }`, map[string]any{"n": fmt.Sprint("k", i)})
		}
		if err := s.a.AuditStore.BuildIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		log.Record(true)
		got := auditEntries(s, map[string]any{"action": "createApiKey", "first": 5})
		cmds := log.Record(false)
		if len(got) != 5 {
			t.Fatalf("%d entries: %v", len(got), got)
		}
		for _, c := range cmds {
			for _, f := range c.Filters {
				if !testdb.BareID(f) {
					t.Errorf("%d entries: a filter that is not a bare _id: %s", size, c)
				}
			}
		}
		counts[size] = len(cmds)
	}
	if counts[10] != counts[200] {
		t.Errorf("commands grow with the trail: %v", counts)
	}
}
