package app_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// namedKey creates a key with a name and returns its secret and id.
func (s *srv) namedKey(name, role string) (secret, id string) {
	s.t.Helper()
	d := s.ok(adminKey, `mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { key apiKey { id } } }`, map[string]any{"n": name, "r": role})
	return get(d, "createApiKey", "key").(string), get(d, "createApiKey", "apiKey", "id").(string)
}

func (s *srv) newCustomer(first, email string) string {
	s.t.Helper()
	d := s.ok(adminKey, `mutation($f: String!, $e: String!) { createCustomer(input: {firstName: $f, emails: [$e]}) { id } }`, map[string]any{"f": first, "e": email})
	return get(d, "createCustomer", "id").(string)
}

const customerState = `query($id: ID!) { customer(id: $id) { id firstName emails sourceRecords { id payload } mergeHistory { kind actor rule } } }`

// Issue 12 item 4: an edit that would merge two customers needs the merge permission.
func TestAgentEditCannotMergeCustomers(t *testing.T) {
	s := newServer(t)
	ann := s.newCustomer("Ann", "ann@example.com")
	bob := s.newCustomer("Bob", "bob@example.com")
	agent, _ := s.namedKey("desk agent", "AGENT")
	before := map[string]any{}
	for _, id := range []string{ann, bob} {
		before[id] = get(s.ok(adminKey, customerState, map[string]any{"id": id}), "customer")
	}

	msg := s.code(agent, `mutation($id: ID!) { updateCustomer(id: $id, input: {emails: ["bob@example.com"]}) { id } }`, map[string]any{"id": ann}, "FORBIDDEN")
	if !strings.Contains(msg, "merge") {
		t.Fatalf("message %q does not say why", msg)
	}
	// Two identifiers of two customers in one new customer: a merge too.
	s.code(agent, `mutation { createCustomer(input: {firstName: "Eve", emails: ["ann@example.com", "bob@example.com"]}) { id } }`, nil, "FORBIDDEN")
	for _, id := range []string{ann, bob} {
		after := get(s.ok(adminKey, customerState, map[string]any{"id": id}), "customer")
		if !reflect.DeepEqual(before[id], after) {
			t.Fatalf("refused edits changed %s:\n before %v\n after  %v", id, before[id], after)
		}
	}

	// Edits that merge nothing still work for agents.
	d := s.ok(agent, `mutation($id: ID!) { updateCustomer(id: $id, input: {firstName: "Anne", emails: ["ann@example.com", "ann.work@example.com"]}) { id firstName emails } }`, map[string]any{"id": ann})
	if get(d, "updateCustomer", "id") != ann || get(d, "updateCustomer", "firstName") != "Anne" {
		t.Fatalf("agent edit: %v", d)
	}
	// An admin may merge through an edit.
	d = s.ok(adminKey, `mutation($id: ID!) { updateCustomer(id: $id, input: {emails: ["bob@example.com"]}) { id emails } }`, map[string]any{"id": ann})
	if emails := get(d, "updateCustomer", "emails").([]any); len(emails) != 3 {
		t.Fatalf("admin merge via edit: %v", d)
	}
}

// Issue 12 item 4: merges and splits name the key that caused them, whatever the path.
func TestMergeHistoryNamesTheKey(t *testing.T) {
	s := newServer(t)
	ann := s.newCustomer("Ann", "ann@example.com")
	bob := s.newCustomer("Bob", "bob@example.com")
	lead, leadID := s.namedKey("ops lead", "ADMIN")
	// A merge by an admin edit.
	s.ok(lead, `mutation($id: ID!) { updateCustomer(id: $id, input: {emails: ["bob@example.com"]}) { id } }`, map[string]any{"id": ann})
	hist := get(s.ok(adminKey, customerState, map[string]any{"id": bob}), "customer", "mergeHistory").([]any)
	if len(hist) != 1 || !strings.Contains(get(hist[0], "actor").(string), leadID) {
		t.Fatalf("edit merge history %v, want the actor %s", hist, leadID)
	}

	// A merge by identity resolution during ingest names the ingest key.
	carl := s.newCustomer("Carl", "carl@example.com")
	dan := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Dan", phones: ["+447911123457"]}) { id } }`, nil), "createCustomer", "id").(string)
	s.ok(adminKey, `mutation { createSource(input: {name: "crm", kind: CRM, identifierFields: [{field: "email", target: "email"}, {field: "phone", target: "phone"}]}) { name } }`, nil)
	pipe, pipeID := s.namedKey("crm pipeline", "INGEST")
	s.ok(pipe, `mutation { ingestRecords(source: "crm", records: [{externalId: "1", payload: {email: "carl@example.com", phone: "+447911123457"}}]) { merged } }`, nil)
	c := get(s.ok(adminKey, customerState, map[string]any{"id": carl}), "customer")
	hist = get(c, "mergeHistory").([]any)
	if len(hist) != 1 || !strings.Contains(get(hist[0], "actor").(string), pipeID) {
		t.Fatalf("ingest merge of %s and %s: history %v, want the actor %s", carl, dan, hist, pipeID)
	}

	// A split names the admin who made it.
	recs := get(c, "sourceRecords").([]any)
	var danRec string
	for _, r := range recs {
		if id := get(r, "id").(string); strings.HasPrefix(id, "manual:") && get(r, "payload", "phone") == "+447911123457" {
			danRec = id
		}
	}
	if danRec == "" {
		t.Fatalf("no manual record of Dan among %v", recs)
	}
	d := s.ok(lead, `mutation($id: ID!, $r: ID!) { unmergeCustomer(id: $id, recordIds: [$r]) { split { id mergeHistory { kind actor } } } }`,
		map[string]any{"id": carl, "r": danRec})
	split := get(d, "unmergeCustomer", "split", 0, "mergeHistory").([]any)
	last := split[len(split)-1]
	if get(last, "kind") != "UNMERGE" || !strings.Contains(get(last, "actor").(string), leadID) {
		t.Fatalf("unmerge history %v, want the actor %s", split, leadID)
	}
}

// Issue 12 item 6: webhooks may not target internal addresses unless the operator's
// allow-list says so.
func TestSegmentWebhookAddressPolicy(t *testing.T) {
	set := `mutation($id: ID!, $u: String!) { setSegmentWebhook(id: $id, url: $u) { url } }`
	newSeg := func(s *srv) string {
		return get(s.ok(adminKey, `mutation { createSegment(input: {name: "all", rule: {trait: {field: "firstName", op: EXISTS}}}) { id } }`, nil), "createSegment", "id").(string)
	}
	s := newServer(t)
	id := newSeg(s)
	for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/x", "http://[::1]:9/x", "http://localhost:9/x", "http://192.168.0.10/hook", "http://0.0.0.0:80/"} {
		if msg := s.code(adminKey, set, map[string]any{"id": id, "u": u}, "BAD_USER_INPUT"); !strings.Contains(msg, "public address") {
			t.Errorf("%s: message %q", u, msg)
		}
	}
	if w := get(s.ok(adminKey, `query($id: ID!) { segment(id: $id) { webhook { url } } }`, map[string]any{"id": id}), "segment", "webhook"); w != nil {
		t.Fatalf("a refused webhook was stored: %v", w)
	}
	// A public address is accepted (nothing is called when it is set).
	s.ok(adminKey, set, map[string]any{"id": id, "u": "https://93.184.216.34/hook"})

	local := newServerWith(t, testdb.DB(t), app.Options{WebhookAllow: []string{"127.0.0.1/32", "localhost:9"}})
	id = newSeg(local)
	local.ok(adminKey, set, map[string]any{"id": id, "u": "http://127.0.0.1:9/x"})
	local.ok(adminKey, set, map[string]any{"id": id, "u": "http://localhost:9/x"})
	local.code(adminKey, set, map[string]any{"id": id, "u": "http://[::1]:9/x"}, "BAD_USER_INPUT")
	local.code(adminKey, set, map[string]any{"id": id, "u": "http://169.254.169.254/"}, "BAD_USER_INPUT")

	if _, err := app.New(context.Background(), testdb.DB(t), app.Options{WebhookAllow: []string{"10.0.0.0/40"}}); err == nil {
		t.Fatal("a bad allow-list entry was accepted")
	}
}

// Issue 12 item 5: amounts beyond the bounds are rejected row by row with a reason, and
// nothing wraps into the customer's metrics.
func TestOrderAmountsNeverOverflow(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	id := s.newCustomer("Big", "big@example.com")
	row := func(ext string, lines ...map[string]any) map[string]any {
		ls := make([]any, len(lines))
		for i, l := range lines {
			ls[i] = l
		}
		return map[string]any{"externalId": ext, "customer": map[string]any{"type": "email", "value": "big@example.com"}, "status": "PAID",
			"currency": "GBP", "placedAt": "2011-01-01T00:00:00Z", "lines": ls}
	}
	line := func(q int, price string) map[string]any {
		return map[string]any{"sku": "x", "quantity": q, "unitPrice": price}
	}
	rows := []any{
		row("edge", line(1, "92233720368547758.07"), line(1, "92233720368547758.07")),
		row("qty", line(2147483647, "0.01")),
		row("qty2", line(2147483647, "1.00"), line(2147483647, "1.00")),
		row("neg", line(-2147483648, "2.00")),
		row("sum", line(1, "10000000000000.00"), line(1, "0.01")),
		map[string]any{"externalId": "total", "customer": map[string]any{"type": "email", "value": "big@example.com"}, "status": "PAID", "currency": "GBP",
			"placedAt": "2011-01-01T00:00:00Z", "total": "92233720368547758.07"},
		row("fine", line(3, "2.50")),
	}
	res := get(s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": rows}), "ingestOrders").(map[string]any)
	if res["written"] != 1.0 || res["rejected"] != 6.0 {
		t.Fatalf("ingestOrders = %v", res)
	}
	for _, rj := range res["rejects"].([]any) {
		if !strings.Contains(get(rj, "reason").(string), "out of bounds") {
			t.Errorf("reject %v does not give the bound", rj)
		}
	}
	m := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { metrics { orderCount revenue { amountMinor formatted } } orders(first: 10) { edges { node { id total { amountMinor } } } } } }`,
		map[string]any{"id": id}), "customer").(map[string]any)
	if get(m, "metrics", "orderCount") != 1.0 || get(m, "metrics", "revenue", "amountMinor") != 750.0 || len(get(m, "orders", "edges").([]any)) != 1 {
		t.Fatalf("customer after the rejects: %v", m)
	}
}

// Issue 12 item 8, through the API: source definitions, lists, control characters and
// big numbers in records.
func TestHostileInput(t *testing.T) {
	s := newServer(t)
	create := `mutation($i: SourceInput!) { createSource(input: $i) { name identifierFields { field target } traitFields { field target } } }`
	src := func(ids ...map[string]any) map[string]any {
		return map[string]any{"i": map[string]any{"name": "shop", "kind": "WEB_SHOP", "identifierFields": ids}}
	}
	msg := s.code(adminKey, create, src(map[string]any{"field": "email", "target": "email"}, map[string]any{"field": "a.b", "target": "email"}), "BAD_USER_INPUT")
	if !strings.Contains(msg, "input.identifierFields[1].field") {
		t.Errorf("a.b: %q does not name the field", msg)
	}
	msg = s.code(adminKey, create, src(map[string]any{"field": "email", "target": "emial"}), "BAD_USER_INPUT")
	if !strings.Contains(msg, "input.identifierFields[0].target") || !strings.Contains(msg, "email, phone, customer_id") {
		t.Errorf("emial: %q", msg)
	}
	d := s.ok(adminKey, create, src(map[string]any{"field": "email", "target": "email"}))
	traits := map[string]string{}
	for _, m := range get(d, "createSource", "traitFields").([]any) {
		traits[get(m, "field").(string)] = get(m, "target").(string)
	}
	if traits["firstName"] != "firstName" || traits["zip"] != "address.postcode" {
		t.Fatalf("effective trait mapping %v", traits)
	}

	// Variables as raw JSON: the huge integer must reach the server as written.
	rec := `{"r": [{"externalId": "1", "payload": {"email": ["Ann@example.com", "ann.work@example.com"], "firstName": "An\u0000n\u001b", "lastName": "Smi\u202eth",
		"big": 123456789012345678901234567890, "small": 42, "note": "a\u0000b\nc"}}]}`
	var vars map[string]any
	dec := json.NewDecoder(strings.NewReader(rec))
	dec.UseNumber()
	if err := dec.Decode(&vars); err != nil {
		t.Fatal(err)
	}
	d = s.ok(adminKey, `mutation($r: [RecordInput!]!) { ingestRecords(source: "shop", records: $r) { created rejected profileIds } }`, vars)
	id := get(d, "ingestRecords", "profileIds", 0).(string)
	c := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { firstName lastName emails attributes identities { type value } } }`, map[string]any{"id": id}), "customer")
	if get(c, "firstName") != "Ann" || get(c, "lastName") != "Smith" || len(get(c, "emails").([]any)) != 2 || len(get(c, "identities").([]any)) != 2 {
		t.Fatalf("customer %v", c)
	}
	if a := get(c, "attributes").(map[string]any); a["big"] != "123456789012345678901234567890" || a["small"] != 42.0 || a["note"] != "ab\nc" {
		t.Fatalf("attributes %#v", a)
	}
}
