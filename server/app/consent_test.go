package app_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

const consentFields = `states { channel purpose status allowed at source actor } history { id channel purpose status at recordedAt source actor note fromCustomerId }`

const setConsentQ = `mutation($c: ID!, $ch: ConsentChannel!, $p: ConsentPurpose!, $s: ConsentStatus!, $src: String!, $at: Time) {
	setConsent(customer: $c, channel: $ch, purpose: $p, status: $s, source: $src, at: $at) { customerId confirmationToken confirmationExpiresAt consent { ` + consentFields + ` } } }`

const consentQ = `query($id: ID!) { customer(id: $id) { id consent { ` + consentFields + ` }
	timeline(first: 10, types: ["granted", "withdrawn", "pending", "bounced", "complained"]) { edges { node { kind channel type consent { status source } } } } } }`

func setConsent(key string, s *srv, customer, channel, purpose, status string) map[string]any {
	s.t.Helper()
	d := s.ok(key, setConsentQ, map[string]any{"c": customer, "ch": channel, "p": purpose, "s": status, "src": "phone call"})
	return get(d, "setConsent").(map[string]any)
}

// state returns the status of a channel and purpose in a consent object ("" when none)
// and whether a message may go.
func state(c any, channel, purpose string) (string, bool) {
	for _, st := range get(c, "states").([]any) {
		if get(st, "channel") == channel && get(st, "purpose") == purpose {
			s, _ := get(st, "status").(string)
			return s, get(st, "allowed").(bool)
		}
	}
	return "?", false
}

// Consent through GraphQL: agents and admins record statements (analysts and ingest
// keys may not), the customer shows the state of every channel and purpose with the
// history, and each statement is a timeline entry.
func TestConsentRecordedAndShown(t *testing.T) {
	s := newServer(t)
	ann := s.newCustomer("Ann", "ann@example.com")
	agent := s.newKey("AGENT")
	res := setConsent(agent, s, ann, "EMAIL", "MARKETING", "GRANTED")
	if res["customerId"] != ann || res["confirmationToken"] != nil {
		t.Fatalf("set: %v", res)
	}
	if st, ok := state(res["consent"], "EMAIL", "MARKETING"); st != "GRANTED" || !ok {
		t.Fatalf("email marketing %s %v", st, ok)
	}
	setConsent(adminKey, s, ann, "SMS", "MARKETING", "WITHDRAWN")
	setConsent(agent, s, ann, "EMAIL", "TRANSACTIONAL", "BOUNCED")
	for _, k := range []string{s.newKey("ANALYST"), s.newKey("INGEST")} {
		s.code(k, setConsentQ, map[string]any{"c": ann, "ch": "EMAIL", "p": "MARKETING", "s": "WITHDRAWN", "src": "x"}, "FORBIDDEN")
	}
	s.code(agent, setConsentQ, map[string]any{"c": ann, "ch": "EMAIL", "p": "MARKETING", "s": "PENDING", "src": "x"}, "BAD_USER_INPUT")
	s.code(agent, setConsentQ, map[string]any{"c": ann, "ch": "EMAIL", "p": "MARKETING", "s": "GRANTED", "src": ""}, "BAD_USER_INPUT")
	s.code(agent, setConsentQ, map[string]any{"c": ann, "ch": "EMAIL", "p": "MARKETING", "s": "GRANTED", "src": "x", "at": "2999-01-01T00:00:00Z"}, "BAD_USER_INPUT")
	s.code(agent, setConsentQ, map[string]any{"c": "nobody", "ch": "EMAIL", "p": "MARKETING", "s": "GRANTED", "src": "x"}, "NOT_FOUND")
	// A statement dated before the current one only joins the history.
	s.ok(agent, setConsentQ, map[string]any{"c": ann, "ch": "SMS", "p": "MARKETING", "s": "GRANTED", "src": "old import", "at": "2020-01-01T00:00:00Z"})

	c := get(s.ok(s.newKey("ANALYST"), consentQ, map[string]any{"id": ann}), "customer")
	con := get(c, "consent")
	if n := len(get(con, "states").([]any)); n != 8 {
		t.Fatalf("%d states, want every channel and purpose", n)
	}
	for _, tc := range []struct {
		ch, p, status string
		allowed       bool
	}{
		{"EMAIL", "MARKETING", "BOUNCED", false}, // a bounce stops every purpose of the channel
		{"EMAIL", "TRANSACTIONAL", "BOUNCED", false},
		{"SMS", "MARKETING", "WITHDRAWN", false},
		{"SMS", "TRANSACTIONAL", "", true},
		{"PUSH", "MARKETING", "", false},
	} {
		if st, ok := state(con, tc.ch, tc.p); st != tc.status || ok != tc.allowed {
			t.Errorf("%s %s: %q allowed %v, want %q %v", tc.ch, tc.p, st, ok, tc.status, tc.allowed)
		}
	}
	h := get(con, "history").([]any)
	if len(h) != 5 || get(h, 0, "status") != "BOUNCED" || get(h, len(h)-1, "source") != "old import" || get(h, 0, "source") != "phone call" || get(h, 0, "actor") == nil {
		t.Fatalf("history (newest first): %v", h)
	}
	tl := get(c, "timeline", "edges").([]any)
	if len(tl) != 5 || get(tl, 0, "node", "kind") != "CONSENT" || get(tl, 0, "node", "channel") != "email" || get(tl, 0, "node", "consent", "source") != "phone call" {
		t.Fatalf("timeline %v", tl)
	}
}

// Double opt-in where configured: the grant is PENDING until confirmConsent receives the
// token (an INGEST key may pass it on); the token works once the customer is merged, and
// not after a withdrawal.
func TestConsentDoubleOptIn(t *testing.T) {
	s := newServerWith(t, testdb.DB(t), app.Options{ConsentDoubleOptIn: []string{"email:marketing"}})
	ann, other := s.newCustomer("Ann", "ann@example.com"), s.newCustomer("Ann", "ann@work.example.com")
	res := setConsent(adminKey, s, ann, "EMAIL", "MARKETING", "GRANTED")
	tok, _ := res["confirmationToken"].(string)
	if st, ok := state(res["consent"], "EMAIL", "MARKETING"); st != "PENDING" || ok || tok == "" || res["confirmationExpiresAt"] == nil {
		t.Fatalf("grant with double opt-in: %v", res)
	}
	if r := setConsent(adminKey, s, ann, "SMS", "MARKETING", "GRANTED"); r["confirmationToken"] != nil {
		t.Fatalf("sms needs no confirmation: %v", r)
	}
	ingest := s.newKey("INGEST")
	const confirmQ = `mutation($t: String!) { confirmConsent(token: $t) { customerId channel purpose consent { states { channel purpose status allowed } } } }`
	s.code(ingest, confirmQ, map[string]any{"t": tok + "x"}, "BAD_USER_INPUT")
	s.code(s.newKey("ANALYST"), confirmQ, map[string]any{"t": tok}, "FORBIDDEN")
	m := s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id } }`, map[string]any{"a": ann, "b": other})
	survivor := get(m, "mergeCustomers", "id").(string)
	d := get(s.ok(ingest, confirmQ, map[string]any{"t": tok}), "confirmConsent")
	if get(d, "customerId") != survivor || get(d, "channel") != "EMAIL" || get(d, "purpose") != "MARKETING" {
		t.Fatalf("confirm: %v", d)
	}
	if st, ok := state(get(d, "consent"), "EMAIL", "MARKETING"); st != "GRANTED" || !ok {
		t.Fatalf("after the confirmation: %s %v", st, ok)
	}
	s.ok(ingest, confirmQ, map[string]any{"t": tok}) // again: harmless
	setConsent(adminKey, s, survivor, "EMAIL", "MARKETING", "WITHDRAWN")
	res = setConsent(adminKey, s, survivor, "EMAIL", "MARKETING", "GRANTED")
	tok2 := res["confirmationToken"].(string)
	setConsent(adminKey, s, survivor, "EMAIL", "MARKETING", "WITHDRAWN")
	s.code(ingest, confirmQ, map[string]any{"t": tok2}, "CONFLICT")
}

// A merge keeps the most restrictive statement per channel and purpose, with the merged
// customer's history; an erasure deletes the consent record.
func TestConsentFollowsMergeAndErasure(t *testing.T) {
	s := newServer(t)
	a, b := s.newCustomer("Ann", "ann@example.com"), s.newCustomer("Ann", "ann@work.example.com")
	setConsent(adminKey, s, a, "EMAIL", "MARKETING", "GRANTED")
	setConsent(adminKey, s, b, "EMAIL", "MARKETING", "WITHDRAWN")
	setConsent(adminKey, s, b, "PUSH", "MARKETING", "GRANTED")
	m := s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id consent { `+consentFields+` } } }`, map[string]any{"a": a, "b": b})
	con := get(m, "mergeCustomers", "consent")
	if st, _ := state(con, "EMAIL", "MARKETING"); st != "WITHDRAWN" {
		t.Fatalf("email marketing after the merge: %s", st)
	}
	if st, _ := state(con, "PUSH", "MARKETING"); st != "GRANTED" {
		t.Fatalf("push marketing after the merge: %s", st)
	}
	merges, fromB := 0, 0
	for _, e := range get(con, "history").([]any) {
		if get(e, "source") == "merge" {
			merges++
		}
		if get(e, "fromCustomerId") != nil {
			fromB++
		}
	}
	if merges != 2 || fromB != 4 {
		t.Fatalf("history: %d merge entries, %d from the merged customer: %v", merges, fromB, get(con, "history"))
	}
	survivor := get(m, "mergeCustomers", "id").(string)
	if n := countDocs(t, s, "consent"); n != 1 {
		t.Fatalf("%d consent records after the merge, want the survivor's", n)
	}
	s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": survivor})
	if n := countDocs(t, s, "consent"); n != 0 {
		t.Fatalf("%d consent records after the erasure", n)
	}
}

// Segment consent conditions read the recorded consent, in previews and saved dynamic
// segments, and follow changes; purpose defaults to marketing.
func TestSegmentConsentCondition(t *testing.T) {
	s := newServer(t)
	ann, bob, cat := s.newCustomer("Ann", "ann@example.com"), s.newCustomer("Bob", "bob@example.com"), s.newCustomer("Cat", "cat@example.com")
	setConsent(adminKey, s, ann, "EMAIL", "MARKETING", "GRANTED")
	setConsent(adminKey, s, bob, "EMAIL", "TRANSACTIONAL", "GRANTED")
	setConsent(adminKey, s, cat, "EMAIL", "MARKETING", "WITHDRAWN")
	preview := func(rule string) []string {
		d := s.ok(adminKey, `query { segmentPreview(rule: `+rule+`, sample: 10) { count sample { id } } }`, nil)
		var ids []string
		for _, c := range get(d, "segmentPreview", "sample").([]any) {
			ids = append(ids, get(c, "id").(string))
		}
		return sorted(ids...)
	}
	for _, tc := range []struct {
		rule string
		want []string
	}{
		{`{consent: {channel: "email", granted: true}}`, sorted(ann)},
		{`{consent: {channel: "email", purpose: MARKETING, granted: true}}`, sorted(ann)},
		{`{consent: {channel: "email", purpose: TRANSACTIONAL, granted: true}}`, sorted(bob)},
		{`{consent: {channel: "email", granted: false}}`, sorted(bob, cat)},
		{`{consent: {channel: "sms", granted: true}}`, nil},
	} {
		if got := preview(tc.rule); !equalIDs(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.rule, got, tc.want)
		}
	}
	d := s.ok(adminKey, `mutation { createSegment(input: {name: "opted in", kind: DYNAMIC, rule: {consent: {channel: "email", granted: true}}}) { id } }`, nil)
	id := get(d, "createSegment", "id").(string)
	if got := memberIDs(s.segment(id)); !equalIDs(got, sorted(ann)) {
		t.Fatalf("members %v", got)
	}
	setConsent(adminKey, s, ann, "EMAIL", "MARKETING", "WITHDRAWN")
	setConsent(adminKey, s, cat, "EMAIL", "MARKETING", "GRANTED")
	if got := memberIDs(s.segment(id)); !equalIDs(got, sorted(cat)) {
		t.Fatalf("members after the changes %v", got)
	}
	if got := preview(`{consent: {channel: "email", granted: true}}`); !equalIDs(got, sorted(cat)) {
		t.Fatalf("preview after the changes %v", got)
	}
}

func equalIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The consent_<channel> attributes of existing customers become marketing statements at
// the next start, once: segment conditions select the same customers as before, and a
// further start changes nothing.
func TestConsentAttributesMigratedOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	first := newServerOn(t, db)
	mk := func(name, attrs string) string {
		d := first.ok(adminKey, `mutation { createCustomer(input: {firstName: "`+name+`", attributes: `+attrs+`}) { id } }`, nil)
		return get(d, "createCustomer", "id").(string)
	}
	ann, bob, cat := mk("Ann", `{consent_email: "yes", consent_sms: true}`), mk("Bob", `{consent_email: false}`), mk("Cat", `{consent_email: "maybe", tier: "gold"}`)
	// The data predates the migration: forget that it ran on the empty database.
	if _, err := db.Collection("schema_migrations").DeleteOne(ctx, bson.M{"_id": "consent_attributes_v1"}); err != nil {
		t.Fatal(err)
	}
	if n := countDocs(t, first, "consent"); n != 0 {
		t.Fatalf("%d consent records before the migration", n)
	}
	second := newServerOn(t, db)
	c := get(second.ok(adminKey, consentQ, map[string]any{"id": ann}), "customer", "consent")
	if st, ok := state(c, "EMAIL", "MARKETING"); st != "GRANTED" || !ok {
		t.Fatalf("ann email %s", st)
	}
	if st, _ := state(c, "SMS", "MARKETING"); st != "GRANTED" {
		t.Fatalf("ann sms %s", st)
	}
	if h := get(c, "history").([]any); len(h) != 2 || get(h, 0, "source") != "migration" {
		t.Fatalf("ann history %v", h)
	}
	b := get(second.ok(adminKey, consentQ, map[string]any{"id": bob}), "customer", "consent")
	if st, _ := state(b, "EMAIL", "MARKETING"); st != "WITHDRAWN" {
		t.Fatalf("bob email %s", st)
	}
	d := second.ok(adminKey, `query { segmentPreview(rule: {consent: {channel: "email", granted: true}}, sample: 10) { count } }`, nil)
	if get(d, "segmentPreview", "count") != 1.0 {
		t.Fatalf("preview %v", d)
	}
	n := countDocs(t, second, "consent")
	var before bson.M
	if err := db.Collection("consent").FindOne(ctx, bson.M{"_id": ann}).Decode(&before); err != nil {
		t.Fatal(err)
	}
	third := newServerOn(t, db)
	var after bson.M
	if err := db.Collection("consent").FindOne(ctx, bson.M{"_id": ann}).Decode(&after); err != nil {
		t.Fatal(err)
	}
	if countDocs(t, third, "consent") != n || n != 2 || before["rev"] != after["rev"] {
		t.Fatalf("a further start changed the records: %d -> %d, rev %v -> %v (cat %s has no statement)", n, countDocs(t, third, "consent"), before["rev"], after["rev"], cat)
	}
}
