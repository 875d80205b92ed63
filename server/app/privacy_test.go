package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/server/app/gdpr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Issue 12 item 3: erasure removes the person from every collection, puts their
// identifiers on a suppression list that ingest, tickets and matching honour, and an
// access request exports what is held.

const crmSource = `mutation { createSource(input: {name: "crm", kind: CRM,
	identifierFields: [{field: "email", target: "email"}, {field: "phone", target: "phone"}]}) { name } }`

// erasable is a person spread over two sources: a CRM record known by phone only, a shop
// record by e-mail and customer number, and a CRM record with both, which merges the
// first two profiles (one absorbed into the other).
type erasable struct {
	first, last, email, phone, street, birth, postcode, custNo string
}

func newErasable(n int) erasable {
	firsts := []string{"Ottilie", "Wilhelmina", "Perpetua", "Isolde", "Eulalia"}
	lasts := []string{"Zellweger", "Quackenbush", "Featherstonehaugh", "Vandersloot", "Pennyfeather"}
	streets := []string{"Quarry Lane", "Tanners Wynd", "Cordwainer Row", "Lamplighter Close", "Ropewalk Yard"}
	return erasable{first: firsts[n], last: lasts[n], email: fmt.Sprintf("%s.%s@example.org", strings.ToLower(firsts[n]), strings.ToLower(lasts[n])),
		phone: fmt.Sprintf("07911 1234%02d", 60+n), street: fmt.Sprintf("%d %s", 12+n, streets[n]), birth: fmt.Sprintf("198%d-04-17", n),
		postcode: fmt.Sprintf("BA%d 7QZ", n+1), custNo: fmt.Sprintf("C-44%02d", n)}
}

// needles are the values that must not be found anywhere after the erasure.
func (p erasable) needles() []string {
	digits := regexp.MustCompile(`\D`).ReplaceAllString(p.phone, "")
	return []string{p.email, p.phone, "+44" + digits[1:], p.first, p.last, p.street}
}

// seed ingests the person with an order, an interaction and a ticket, and returns the
// live profile id and the absorbed one.
func (p erasable) seed(s *srv) (live, absorbed string) {
	s.t.Helper()
	crm := `mutation($recs: [RecordInput!]!) { ingestRecords(source: "crm", records: $recs) { profileIds rejects { reason } } }`
	a := get(s.ok(adminKey, crm, map[string]any{"recs": []any{map[string]any{"externalId": p.custNo + "-a",
		"payload": map[string]any{"phone": p.phone, "firstName": p.first, "lastName": p.last, "marketing_opt_in": true}}}}), "ingestRecords", "profileIds", 0).(string)
	b := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": p.custNo,
		"payload": map[string]any{"email": p.email, "customer_no": p.custNo, "firstName": p.first, "lastName": p.last, "birthDate": p.birth,
			"address": p.street, "city": "Bath", "postcode": p.postcode}}}}), "ingestRecords", "profileIds", 0).(string)
	c := get(s.ok(adminKey, crm, map[string]any{"recs": []any{map[string]any{"externalId": p.custNo + "-b",
		"payload": map[string]any{"phone": p.phone, "email": strings.ToUpper(p.email)}}}}), "ingestRecords", "profileIds", 0).(string)
	fin := func(id string) any {
		return get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": id}), "customer", "id")
	}
	if a == b || c != a && c != b || fin(a) != c || fin(b) != c {
		s.t.Fatalf("profiles %s %s -> %s: want the two merged", a, b, c)
	}
	live, absorbed = c, a
	if c == a {
		absorbed = b
	}
	s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": []any{map[string]any{"externalId": p.custNo + "-o1",
		"customer": map[string]any{"type": "email", "value": p.email}, "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z",
		"lines": []any{map[string]any{"sku": "A", "quantity": 1, "unitPrice": "12.50"}}}}})
	s.ok(adminKey, interactionsQ, map[string]any{"s": "shop", "i": []any{map[string]any{"externalId": p.custNo + "-v1",
		"customer": map[string]any{"recordId": "shop:" + p.custNo}, "channel": "web", "type": "visit", "at": "2024-03-02T09:00:00Z",
		"attributes": map[string]any{"page": "/account/" + strings.ToLower(p.first)}}}})
	tid := get(s.ok(adminKey, `mutation($e: String!, $s: String!, $b: String!) { createTicket(input: {email: $e, subject: $s, body: $b}) { id requesterId } }`,
		map[string]any{"e": p.email, "s": "Parcel for " + p.first + " " + p.last,
			"b": fmt.Sprintf("Hi, this is %s %s of %s, call me on %s or write to %s.", p.first, p.last, p.street, p.phone, p.email)}), "createTicket", "id")
	s.ok(adminKey, `mutation($t: ID!, $b: String!) { replyToTicket(id: $t, body: $b) { id } }`, map[string]any{"t": tid, "b": "Dear " + p.first + ", it is on its way."})
	s.ok(adminKey, `mutation($t: ID!) { setTicketStatus(id: $t, status: SOLVED) { id } }`, map[string]any{"t": tid})
	s.ok(adminKey, `mutation($t: ID!, $c: String!) { rateTicket(id: $t, score: 5, comment: $c) { id } }`, map[string]any{"t": tid, "c": "thanks, " + strings.ToLower(p.first)})
	return live, absorbed
}

// leaks reads every document of every collection of the test database and returns
// where any of the needles occurs (case-insensitive).
func leaks(t *testing.T, s *srv, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	db := s.a.Store.DB
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 8 {
		t.Fatalf("only %d collections listed: %v", len(names), names)
	}
	var out []string
	for _, c := range names {
		cur, err := db.Collection(c).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			raw, err := bson.MarshalExtJSON(d, false, false)
			if err != nil {
				t.Fatal(err)
			}
			low := strings.ToLower(string(raw))
			for _, n := range needles {
				if strings.Contains(low, strings.ToLower(n)) {
					out = append(out, fmt.Sprintf("%s: %q in %s", c, n, raw))
				}
			}
		}
	}
	return out
}

func countDocs(t *testing.T, s *srv, coll string) int64 {
	t.Helper()
	n, err := s.a.Store.DB.Collection(coll).CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestErasureLeavesNoTrace(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, crmSource, nil)
	x := newErasable(0)
	pid, absorbed := x.seed(s)
	// Look-alikes (same birth date and postcode, names a letter apart) and a crowd, so the
	// matcher suggests pairs with the person and writes their values as evidence.
	var recs []any
	for i, p := range matchPeople(30) {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint("crowd-", i), "payload": p})
	}
	for i, f := range []string{"Ottilia", "Otilia"} {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint("like-", i), "payload": map[string]any{"email": fmt.Sprintf("like%d@mail.example", i),
			"firstName": f, "lastName": "Zelweger", "birthDate": x.birth, "address": fmt.Sprintf("%d Quary Road", 14+i), "city": "Bath", "postcode": x.postcode}})
	}
	s.ok(adminKey, ingestQ, map[string]any{"recs": recs})
	job, err := s.a.Matching.Run(ctx, matchjob.Options{DryRun: true, Upper: 0.999, Lower: 0.01, Actor: "test"})
	if err != nil || job.Suggested == 0 {
		t.Fatalf("match job: %v %+v", err, job)
	}
	sugs := get(s.ok(adminKey, `{ matchSuggestions(first: 200) { id left { id } right { id } } }`, nil), "matchSuggestions").([]any)
	var withX []string
	for _, sg := range sugs {
		if get(sg, "left", "id") == pid || get(sg, "right", "id") == pid {
			withX = append(withX, get(sg, "id").(string))
		}
	}
	if len(withX) < 2 {
		t.Fatalf("want the person suggested with both look-alikes, got %v of %d", withX, len(sugs))
	}
	// A rejection whose reason names her.
	s.ok(adminKey, `mutation($id: ID!, $r: String) { rejectMatchSuggestion(id: $id, reason: $r) { status } }`,
		map[string]any{"id": withX[0], "r": x.first + " confirmed she has no second account"})
	// A segment she is in, with entries in its history and a queued webhook payload.
	seg := get(s.ok(adminKey, `mutation { createSegment(input: {name: "named", rule: {trait: {field: "firstName", op: EXISTS}}}) { id } }`, nil), "createSegment", "id").(string)
	s.flushSegments()
	other := get(s.ok(adminKey, `{ customerByIdentifier(type: "email", value: "like1@mail.example") { id } }`, nil), "customerByIdentifier", "id").(string)
	body, _ := json.Marshal(membership.Payload{DeliveryID: "d1", Event: "segment.membership", SegmentID: seg, Entered: []string{pid, other}, Exited: []string{}})
	only, _ := json.Marshal(membership.Payload{DeliveryID: "d2", Event: "segment.membership", SegmentID: seg, Entered: []string{}, Exited: []string{absorbed}})
	for id, b := range map[string][]byte{"d1": body, "d2": only} {
		if err := s.a.SegmentStore.Enqueue(ctx, membership.Delivery{ID: id, SegmentID: seg, Body: b, Status: membership.Delivered, NextAt: time.Now(), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	before := get(s.ok(adminKey, `query($id: ID!) { segment(id: $id) { memberCount } }`, map[string]any{"id": seg}), "segment", "memberCount").(float64)
	tid := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { tickets { id } } }`, map[string]any{"id": pid}), "customer", "tickets", 0, "id")
	if l := leaks(t, s, x.needles()); len(l) == 0 {
		t.Fatal("the scan finds nothing before the erasure: it cannot see anything")
	}

	e := get(s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds sourceRecords identities tickets } }`, map[string]any{"id": pid}), "eraseCustomer")
	if len(get(e, "profileIds").([]any)) != 2 || get(e, "sourceRecords") != 3.0 || get(e, "tickets") != 1.0 {
		t.Fatalf("erase = %v", e)
	}
	s.flushSegments()
	for _, l := range leaks(t, s, append(x.needles(), pid, absorbed)) {
		// The tickets keep their requester id (it resolves to nothing now); the audit
		// trail, append-only, names the customers it acted on by profile id only.
		if !strings.HasPrefix(l, "tickets: \""+pid) && !strings.HasPrefix(l, "ticket_events: \""+pid) && !strings.HasPrefix(l, "erasures: ") &&
			!strings.HasPrefix(l, "audit_log: \""+pid) && !strings.HasPrefix(l, "audit_log: \""+absorbed) {
			t.Error(l)
		}
	}
	// What is left reads cleanly: no suggestion with a missing side for analysts, the
	// conversation keeps its messages, the segment its other members, the outbox its
	// other ids.
	analyst := s.newKey("ANALYST")
	for _, sg := range get(s.ok(analyst, `{ matchSuggestions(status: null, first: 200) { id left { id } right { id } } }`, nil), "matchSuggestions").([]any) {
		if get(sg, "left") == nil || get(sg, "right") == nil {
			t.Fatalf("suggestion with an erased side: %v", sg)
		}
	}
	tk := get(s.ok(adminKey, `query($t: ID!) { ticket(id: $t) { subject requester { id } messages { body } csat { comment } } }`, map[string]any{"t": tid}), "ticket")
	if get(tk, "requester") != nil || len(get(tk, "messages").([]any)) != 2 || !strings.Contains(get(tk, "messages", 0, "body").(string), "[erased]") {
		t.Fatalf("ticket after erasure: %v", tk)
	}
	if after := get(s.ok(adminKey, `query($id: ID!) { segment(id: $id) { memberCount } }`, map[string]any{"id": seg}), "segment", "memberCount"); after != before-1 {
		t.Fatalf("segment members %v -> %v", before, after)
	}
	ds, err := s.a.SegmentStore.Deliveries(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), other) {
		t.Fatalf("outbox after erasure: %d deliveries %v", len(ds), ds)
	}
}

func TestErasedPersonIsSuppressed(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	rec := func(ext string) map[string]any {
		return map[string]any{"externalId": ext, "payload": map[string]any{"email": "Gone@Example.com", "firstName": "Gone", "customer_no": "G-1"}}
	}
	pid := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec("g1")}}), "ingestRecords", "profileIds", 0).(string)
	s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pid})
	colls := []string{"profiles", "source_records", "identities", "tickets", "ticket_messages"}
	counts := func() []int64 {
		var out []int64
		for _, c := range colls {
			out = append(out, countDocs(t, s, c))
		}
		return out
	}
	before := counts()

	// The same record again, and another one with the e-mail in a batch with a stranger:
	// the person's are rejected, the stranger gets in.
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec("g1")}})
	if get(d, "ingestRecords", "rejected") != 1.0 || get(d, "ingestRecords", "profileIds", 0) != nil ||
		!strings.HasPrefix(get(d, "ingestRecords", "rejects", 0, "reason").(string), "SUPPRESSED") {
		t.Fatalf("re-ingest: %v", d)
	}
	d = s.ok(adminKey, ingestQ, map[string]any{"recs": []any{
		map[string]any{"externalId": "s1", "payload": map[string]any{"email": "stranger@example.com"}},
		map[string]any{"externalId": "g2", "payload": map[string]any{"customer_no": "G-1", "firstName": "Gone"}},
	}})
	if get(d, "ingestRecords", "rejected") != 1.0 || get(d, "ingestRecords", "rejects", 0, "index") != 1.0 || get(d, "ingestRecords", "profileIds", 0) == nil {
		t.Fatalf("mixed batch: %v", d)
	}
	s.ok(adminKey, `mutation { eraseCustomer(id: "`+get(d, "ingestRecords", "profileIds", 0).(string)+`") { profileIds } }`, nil)
	// Tickets and customers are refused for the e-mail, however it is spelled.
	agent := s.newKey("AGENT")
	msg := s.code(agent, `mutation { createTicket(input: {email: " gone@example.COM", subject: "hi", body: "me again"}) { id } }`, nil, "CONFLICT")
	if !strings.Contains(msg, "SUPPRESSED") || strings.Contains(strings.ToLower(msg), "gone@") {
		t.Fatalf("ticket refusal %q", msg)
	}
	s.code(agent, `mutation { createCustomer(input: {firstName: "Gone", emails: ["gone@example.com"]}) { id } }`, nil, "CONFLICT")
	if after := counts(); !slices.Equal(before, after) {
		t.Fatalf("refused writes stored something: %v -> %v (%v)", before, after, colls)
	}

	// The list shows hashes, types, times and actors; the raw documents hold no value.
	s.code(agent, `{ suppressions { hash } }`, nil, "FORBIDDEN")
	list := get(s.ok(adminKey, `{ suppressions(first: 10) { hash type createdAt actor } }`, nil), "suppressions").([]any)
	types := map[string]string{}
	for _, x := range list {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(get(x, "hash").(string)) || get(x, "actor") == "" {
			t.Fatalf("entry %v", x)
		}
		types[get(x, "type").(string)] = get(x, "hash").(string)
	}
	if len(list) != 3 || types["email"] == "" || types["customer_id"] == "" {
		t.Fatalf("suppressions %v", list) // two e-mails? no: one e-mail, one customer number, the stranger's e-mail
	}
	page := get(s.ok(adminKey, `query($a: String) { suppressions(first: 2, after: $a) { hash } }`, map[string]any{"a": get(list[1], "hash")}), "suppressions").([]any)
	if len(page) != 1 || get(page[0], "hash") != get(list[2], "hash") {
		t.Fatalf("second page %v of %v", page, list)
	}
	if l := leaks(t, s, []string{"gone@example.com", "G-1"}); len(l) > 0 {
		t.Fatalf("values stored: %v", l)
	}

	// Lifting needs an admin, normalises like ingest, and lets the person in again.
	lift := `mutation($t: String!, $v: String!) { liftSuppression(type: $t, value: $v) { hash type } }`
	s.code(agent, lift, map[string]any{"t": "email", "v": "gone@example.com"}, "FORBIDDEN")
	got := get(s.ok(adminKey, lift, map[string]any{"t": "email", "v": "GONE@example.com "}), "liftSuppression")
	if get(got, "hash") != types["email"] {
		t.Fatalf("lifted %v, want %s", got, types["email"])
	}
	s.code(adminKey, lift, map[string]any{"t": "email", "v": "gone@example.com"}, "NOT_FOUND")
	s.ok(adminKey, lift, map[string]any{"t": "customer_id", "v": "G-1"})
	d = s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec("g1")}})
	if get(d, "ingestRecords", "created") != 1.0 || get(d, "ingestRecords", "profileIds", 0) == nil {
		t.Fatalf("after lifting: %v", d)
	}
	s.ok(agent, `mutation { createTicket(input: {email: "gone@example.com", subject: "hi", body: "back"}) { id } }`, nil)
}

func TestErasureFinishesAfterCrash(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, crmSource, nil)
	s.ok(adminKey, `mutation { createSegment(input: {name: "named", rule: {trait: {field: "firstName", op: EXISTS}}}) { id } }`, nil)
	var crowd []any
	for i, p := range matchPeople(30) {
		crowd = append(crowd, map[string]any{"externalId": fmt.Sprint("crowd-", i), "payload": p})
	}
	s.ok(adminKey, ingestQ, map[string]any{"recs": crowd})
	eraser := s.a.Resolver.Eraser.(*gdpr.Eraser)
	crash := errors.New("simulated crash")
	for n, step := range []string{"suppress", "tickets", "matches", "profiles", "segments"} {
		x := newErasable(n)
		pid, _ := x.seed(s)
		// A look-alike, so the match job writes suggestions with the person's values.
		like := map[string]any{"email": fmt.Sprintf("like%d@mail.example", n), "firstName": x.first[:len(x.first)-1] + "y",
			"lastName": x.last[:len(x.last)-1] + "x", "birthDate": x.birth, "city": "Bath", "postcode": x.postcode}
		s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": fmt.Sprint("like-", n), "payload": like}}})
		s.flushSegments()
		if job, err := s.a.Matching.Run(context.Background(), matchjob.Options{DryRun: true, Upper: 0.999, Lower: 0.01, Actor: "test"}); err != nil || job.Suggested == 0 {
			t.Fatalf("match job: %v %+v", err, job)
		}
		eraser.AfterStep = func(name string) error {
			if name == step {
				return crash
			}
			return nil
		}
		s.code(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pid}, "INTERNAL")
		eraser.AfterStep = nil
		// Whatever the step, the person cannot come back in between.
		d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": "again-" + x.custNo, "payload": map[string]any{"email": x.email}}}})
		if get(d, "ingestRecords", "rejected") != 1.0 {
			t.Fatalf("crash after %s: re-ingest %v", step, d)
		}
		s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pid})
		s.flushSegments()
		if l := leaks(t, s, x.needles()); len(l) > 0 {
			t.Fatalf("crash after %s, then a retry: %d leaks, first %s", step, len(l), l[0])
		}
		s.code(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": pid}, "NOT_FOUND")
	}
}

func TestMatchingSkipsSuppressedCustomers(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, `mutation { createSource(input: {name: "pos", kind: POINT_OF_SALE, identifierFields: [{field: "card", target: "loyalty_card"}]}) { name } }`, nil)
	people := matchPeople(60)
	var recs []any
	for i, p := range people {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint(i), "payload": p})
	}
	shop := get(s.ok(adminKey, ingestQ, map[string]any{"recs": recs}), "ingestRecords", "profileIds").([]any)
	// The point of sale knows two of them again by a loyalty card only.
	var pos []any
	for i := range 2 {
		p := map[string]any{"card": fmt.Sprint("L-", i)}
		for _, k := range []string{"firstName", "lastName", "birthDate", "address", "city", "postcode"} {
			p[k] = people[i][k]
		}
		pos = append(pos, map[string]any{"externalId": fmt.Sprint("pos-", i), "payload": p})
	}
	posIDs := get(s.ok(adminKey, `mutation($recs: [RecordInput!]!) { ingestRecords(source: "pos", records: $recs) { profileIds } }`,
		map[string]any{"recs": pos}), "ingestRecords", "profileIds").([]any)
	suggested := func() map[string]string {
		out := map[string]string{}
		for _, x := range get(s.ok(adminKey, `{ matchSuggestions(first: 200) { id left { id } right { id } } }`, nil), "matchSuggestions").([]any) {
			out[get(x, "left", "id").(string)+"|"+get(x, "right", "id").(string)] = get(x, "id").(string)
		}
		return out
	}
	pair := func(i int) string {
		a, b := shop[i].(string), posIDs[i].(string)
		return min(a, b) + "|" + max(a, b)
	}
	if _, err := s.a.Matching.Run(ctx, matchjob.Options{DryRun: true, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	first := suggested()
	if first[pair(0)] == "" || first[pair(1)] == "" {
		t.Fatalf("twins not suggested: %v", first)
	}
	// The first twin's loyalty card is suppressed (as an erasure of its owner would).
	if err := s.a.PrivacyStore.Suppress(ctx, []string{"loyalty_card:L-0"}, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	s.code(adminKey, `mutation($id: ID!) { acceptMatchSuggestion(id: $id) { status } }`, map[string]any{"id": first[pair(0)]}, "CONFLICT")
	job, err := s.a.Matching.Run(ctx, matchjob.Options{Actor: "test"}) // merges what scores above 0.9
	if err != nil {
		t.Fatal(err)
	}
	if job.Suppressed != 1 {
		t.Fatalf("job: %+v", job)
	}
	for k := range suggested() {
		if strings.Contains(k, posIDs[0].(string)) {
			t.Fatalf("suppressed customer suggested: %s", k)
		}
	}
	for _, id := range []string{posIDs[0].(string), shop[0].(string)} {
		if got := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": id}), "customer", "id"); got != id {
			t.Fatalf("suppressed twin merged: %s is now %v", id, got)
		}
	}
	// The other twin is still matched: merged by this run or suggested again.
	merged := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": posIDs[1]}), "customer", "id") != posIDs[1]
	if _, ok := suggested()[pair(1)]; !merged && !ok {
		t.Fatal("the unsuppressed twin is neither merged nor suggested")
	}
}

func TestExportCustomerData(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, crmSource, nil)
	s.ok(adminKey, `mutation { createSegment(input: {name: "named", rule: {trait: {field: "firstName", op: EXISTS}}}) { id } }`, nil)
	x := newErasable(1)
	pid, absorbed := x.seed(s)
	s.flushSegments()
	q := `query($id: ID!) { exportCustomerData(id: $id) }`
	for _, role := range []string{"AGENT", "ANALYST"} {
		s.code(s.newKey(role), q, map[string]any{"id": pid}, "FORBIDDEN")
	}
	s.code(adminKey, q, map[string]any{"id": "cus_00000000000000000000000000"}, "NOT_FOUND")
	// An absorbed id exports the surviving customer.
	d := get(s.ok(adminKey, q, map[string]any{"id": absorbed}), "exportCustomerData").(map[string]any)
	raw, _ := json.Marshal(d)
	for _, want := range []string{x.email, x.first, x.last, x.street, x.birth, x.custNo, "marketing_opt_in", "Parcel for", "it is on its way", "/account/"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if d["customerId"] != pid || !slices.Contains(d["mergedProfileIds"].([]any), any(absorbed)) {
		t.Fatalf("ids: %v %v", d["customerId"], d["mergedProfileIds"])
	}
	for k, n := range map[string]int{"identities": 3, "sourceRecords": 3, "orders": 1, "interactions": 1, "tickets": 1, "segments": 1, "consent": 2} {
		if l, ok := d[k].([]any); !ok || len(l) != n {
			t.Errorf("%s: want %d, got %v", k, n, d[k])
		}
	}
	prof := d["profile"].(map[string]any)
	if get(prof, "traits", "firstName") != x.first || len(prof["provenance"].([]any)) == 0 {
		t.Fatalf("profile: %v", prof)
	}
	if at, _ := get(d, "sourceRecords", 0, "receivedAt").(string); !strings.HasPrefix(at, "20") {
		t.Fatalf("dates are not plain: %v", get(d, "sourceRecords", 0))
	}
	if msgs := get(d, "tickets", 0, "messages").([]any); len(msgs) != 2 {
		t.Fatalf("ticket messages %v", msgs)
	}
}

// Erasure lowers the source's record count to what is stored.
func TestErasureLowersSourceRecordCount(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	recs := []any{}
	for i := range 5 {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint("k", i), "payload": map[string]any{"email": fmt.Sprintf("k%d@example.com", i)}})
	}
	recs = append(recs, map[string]any{"externalId": "k9", "payload": map[string]any{"email": "k0@example.com"}})
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": recs})
	pid := get(d, "ingestRecords", "profileIds", 0).(string)
	s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pid})
	src := s.ok(adminKey, `{ sources { name recordCount } }`, nil)
	for _, x := range get(src, "sources").([]any) {
		m := x.(map[string]any)
		if m["name"] == "shop" && m["recordCount"] != float64(countDocs(t, s, "source_records")) {
			t.Fatalf("shop recordCount %v after erasing 2 of 6 records; %d stored", m["recordCount"], countDocs(t, s, "source_records"))
		}
	}
}
