package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

const segmentFields = `id name kind memberCount rule members(first: 50) { totalCount edges { node { customer { id } enteredAt } } }`

func (s *srv) flushSegments() {
	s.t.Helper()
	if err := s.a.SegmentQueue.Flush(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

func memberIDs(seg any) []string {
	var ids []string
	for _, e := range get(seg, "members", "edges").([]any) {
		ids = append(ids, get(e, "node", "customer", "id").(string))
	}
	slices.Sort(ids)
	return ids
}

func (s *srv) segment(id string) map[string]any {
	s.t.Helper()
	s.flushSegments()
	return get(s.ok(adminKey, `query($id: ID!) { segment(id: $id) { `+segmentFields+` } }`, map[string]any{"id": id}), "segment").(map[string]any)
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// webhookSink records deliveries whose signature verifies with the secret.
type webhookSink struct {
	mu       sync.Mutex
	secret   string
	byID     map[string]membership.Payload
	badSigns int
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, _ := strconv.ParseInt(r.Header.Get("X-Tessera-Timestamp"), 10, 64)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !membership.Verify(w.secret, ts, body, r.Header.Get("X-Tessera-Signature")) {
		w.badSigns++
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	var p membership.Payload
	_ = json.Unmarshal(body, &p)
	w.byID[r.Header.Get("X-Tessera-Delivery")] = p // at-least-once: dedupe by delivery id
}

func (w *webhookSink) changes() (entered, exited []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.byID {
		entered = append(entered, p.Entered...)
		exited = append(exited, p.Exited...)
	}
	slices.Sort(entered)
	slices.Sort(exited)
	return entered, exited
}

func TestSegmentMembershipFollowsChangesMergesAndUnmerges(t *testing.T) {
	// The webhook receiver below listens on loopback: the operator allow-list admits it.
	s := newServerWith(t, testdb.DB(t), app.Options{WebhookAllow: []string{"127.0.0.1/32"}})
	s.ok(adminKey, shopSource, nil)
	// Counted orders (the last of each seed is a cancellation): a 2, b 3, c 0.
	a, b, c := seed(s, "100", 3, false), seedCustomer(s, "200", 4), seed(s, "300", 1, false)

	prev := s.ok(adminKey, `query { segmentPreview(rule: {orders: {atLeast: 2}}, sample: 5) { count sample { id } } }`, nil)
	if get(prev, "segmentPreview", "count") != 2.0 || len(get(prev, "segmentPreview", "sample").([]any)) != 2 {
		t.Fatalf("preview: %v", prev)
	}

	d := s.ok(adminKey, `mutation { createSegment(input: {name: "Loyal", rule: {orders: {atLeast: 3}}}) { `+segmentFields+` } }`, nil)
	seg := get(d, "createSegment").(map[string]any)
	id := seg["id"].(string)
	if seg["kind"] != "DYNAMIC" || seg["memberCount"] != 1.0 || !slices.Equal(memberIDs(seg), []string{b}) {
		t.Fatalf("created: %v", seg)
	}
	if got := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { segments { id name } } }`, map[string]any{"id": b}), "customer", "segments").([]any); len(got) != 1 || get(got[0], "name") != "Loyal" {
		t.Fatalf("customer segments: %v", got)
	}

	sink := &webhookSink{byID: map[string]membership.Payload{}}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	wh := s.ok(adminKey, `mutation($id: ID!, $u: String!) { setSegmentWebhook(id: $id, url: $u) { url secret } }`, map[string]any{"id": id, "u": hook.URL})
	sink.mu.Lock()
	sink.secret = get(wh, "setSegmentWebhook", "secret").(string)
	sink.mu.Unlock()

	// Another paid order: a enters when its metrics change.
	s.flushSegments() // nothing else queued: only the order can bring a in
	s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": []any{
		map[string]any{"externalId": "100-x1", "customer": map[string]any{"recordId": "shop:100"}, "status": "PAID", "currency": "GBP", "placedAt": "2024-06-01T10:00:00Z",
			"lines": []any{map[string]any{"sku": "A", "quantity": 1, "unitPrice": "5"}}},
	}})
	if got := s.segment(id); !slices.Equal(memberIDs(got), sorted(a, b)) {
		t.Fatalf("after a's order: %v", memberIDs(got))
	}

	// Merge c (no orders) into... the oldest survives: a absorbs c, b stays.
	m := get(s.ok(adminKey, `mutation($a: ID!, $c: ID!) { mergeCustomers(ids: [$a, $c], reason: "same person") { id } }`, map[string]any{"a": a, "c": c}), "mergeCustomers", "id")
	if m != a {
		t.Fatalf("survivor %v, want %s", m, a)
	}
	// Merge b into a: b exits, a stays a member (with b's orders on top).
	s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id } }`, map[string]any{"a": a, "b": b})
	got := s.segment(id)
	if !slices.Equal(memberIDs(got), []string{a}) || got["memberCount"] != 1.0 {
		t.Fatalf("after merge: %v", got)
	}

	// Unmerge b's record: b is back with its own orders, and back in the segment.
	s.ok(adminKey, `mutation($id: ID!) { unmergeCustomer(id: $id, recordIds: ["shop:200"]) { split { id } } }`, map[string]any{"id": a})
	got = s.segment(id)
	if !slices.Equal(memberIDs(got), sorted(a, b)) {
		t.Fatalf("after unmerge: %v", memberIDs(got))
	}

	// Pages of one: the cursor of the first member leads to the second.
	page := func(after any) map[string]any {
		return get(s.ok(adminKey, `query($id: ID!, $after: String) { segment(id: $id) { members(first: 1, after: $after) {
			edges { node { customer { id } } } pageInfo { endCursor hasNextPage } } } }`, map[string]any{"id": id, "after": after}), "segment", "members").(map[string]any)
	}
	p1 := page(nil)
	p2 := page(get(p1, "pageInfo", "endCursor"))
	if got := []any{get(p1, "edges", 0, "node", "customer", "id"), get(p2, "edges", 0, "node", "customer", "id")}; got[0] != sorted(a, b)[0] || got[1] != sorted(a, b)[1] ||
		get(p1, "pageInfo", "hasNextPage") != true || get(p2, "pageInfo", "hasNextPage") != false {
		t.Fatalf("paging: %v then %v", p1, p2)
	}

	// The history says who entered and exited, in order.
	ch := get(s.ok(adminKey, `query($id: ID!) { segment(id: $id) { changes(first: 50) { customerId kind customer { id } } sizeHistory(days: 3) { day members entered exited } } }`, map[string]any{"id": id}), "segment").(map[string]any)
	var log []string
	for _, x := range ch["changes"].([]any) {
		if get(x, "customer", "id") != get(x, "customerId") {
			t.Fatalf("change without its customer: %v", x)
		}
		log = append(log, get(x, "kind").(string)+" "+get(x, "customerId").(string))
	}
	slices.Sort(log)
	want := sorted("ENTERED "+b, "ENTERED "+a, "EXITED "+b, "ENTERED "+b)
	if !slices.Equal(log, want) {
		t.Fatalf("changes %v, want %v", log, want)
	}
	hist := ch["sizeHistory"].([]any)
	if last := hist[len(hist)-1]; get(last, "members") != 2.0 || get(last, "entered") != 3.0 || get(last, "exited") != 1.0 || get(hist[0], "members") != 0.0 {
		t.Fatalf("size history: %v", hist)
	}

	// The webhook got the entries and exits after b was created (a, b out, b in), signed.
	deadline := time.Now().Add(20 * time.Second)
	for {
		entered, exited := sink.changes()
		if slices.Equal(entered, sorted(a, b)) && slices.Equal(exited, []string{b}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook got entered %v exited %v", entered, exited)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if sink.badSigns != 0 {
		t.Fatalf("%d deliveries with a bad signature", sink.badSigns)
	}

	// CSV export through a short-lived link.
	url := get(s.ok(adminKey, `mutation($id: ID!) { exportSegment(id: $id) { url expiresAt } }`, map[string]any{"id": id}), "exportSegment", "url").(string)
	res, err := http.Get(s.url + url)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || len(rows) != 3 || rows[0][0] != "customer_id" {
		t.Fatalf("export: %d %v %v", res.StatusCode, rows, err)
	}
	if res, _ := http.Get(s.url + "/export/segments/" + id + ".csv?token=nope"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("bad token: %d", res.StatusCode)
	}
}

func TestStaticSegmentIsASnapshotThatFollowsMerges(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	a, b := seed(s, "100", 1, false), seed(s, "200", 1, false)
	d := s.ok(adminKey, `mutation { createSegment(input: {name: "Launch list", kind: STATIC, rule: {trait: {field: "email", op: CONTAINS, value: "@EXAMPLE.com"}}}) { `+segmentFields+` } }`, nil)
	id := get(d, "createSegment", "id").(string)
	if got := memberIDs(get(d, "createSegment")); !slices.Equal(got, sorted(a, b)) {
		t.Fatalf("snapshot: %v", got)
	}
	c := seed(s, "300", 1, false)
	if got := s.segment(id); !slices.Equal(memberIDs(got), sorted(a, b)) {
		t.Fatalf("a static segment took in a new customer: %v", memberIDs(got))
	}
	// Merging a member with a non-member keeps the survivor in; the absorbed id leaves.
	s.ok(adminKey, `mutation($b: ID!, $c: ID!) { mergeCustomers(ids: [$b, $c], reason: "same") { id } }`, map[string]any{"b": b, "c": c})
	if got := s.segment(id); !slices.Equal(memberIDs(got), sorted(a, b)) {
		t.Fatalf("after merge: %v", memberIDs(got))
	}
	// Unmerge: the split-off part was part of a member, so it stays in too.
	s.ok(adminKey, `mutation($id: ID!) { unmergeCustomer(id: $id, recordIds: ["shop:300"]) { split { id } } }`, map[string]any{"id": b})
	if got := s.segment(id); !slices.Equal(memberIDs(got), sorted(a, b, c)) {
		t.Fatalf("after unmerge: %v", memberIDs(got))
	}
	// refreshSegment takes a new snapshot.
	s.ok(adminKey, `mutation($id: ID!) { updateSegment(id: $id, input: {name: "Launch list", kind: STATIC, rule: {trait: {field: "firstName", op: EQ, value: "C100"}}}) { id } }`, map[string]any{"id": id})
	if got := s.segment(id); !slices.Equal(memberIDs(got), []string{a}) {
		t.Fatalf("after rule change: %v", memberIDs(got))
	}
	s.ok(adminKey, `mutation($id: ID!) { deleteSegment(id: $id) { id } }`, map[string]any{"id": id})
	if got := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { segments { id } } }`, map[string]any{"id": a}), "customer", "segments").([]any); len(got) != 0 {
		t.Fatalf("deleted segment still listed: %v", got)
	}
}

func TestSegmentInputErrors(t *testing.T) {
	s := newServer(t)
	for _, q := range []string{
		`query { segmentPreview(rule: {orders: {atLeast: 1}, trait: {field: "email", op: EXISTS}}) { count } }`,
		`query { segmentPreview(rule: {trait: {field: "attributes.$where", op: EQ, value: "1"}}) { count } }`,
		`query { segmentPreview(rule: {trait: {field: "shoe", op: EQ, value: "1"}}) { count } }`,
		`query { segmentPreview(rule: {metric: {metric: ORDERS, op: CONTAINS, value: 1}}) { count } }`,
		`query { segmentPreview(rule: {orders: {atLeast: 3, atMost: 1}}) { count } }`,
		`query { segmentPreview(rule: {and: []}) { count } }`,
		`mutation { createSegment(input: {name: " ", rule: {orders: {atLeast: 1}}}) { id } }`,
		`mutation { setSegmentWebhook(id: "nope", url: "ftp://x") { url } }`,
	} {
		s.code(adminKey, q, nil, "BAD_USER_INPUT")
	}
	s.code(adminKey, `mutation { refreshSegment(id: "seg_missing") { id } }`, nil, "NOT_FOUND")
	s.code(s.newKey("AGENT"), `mutation { createSegment(input: {name: "x", rule: {orders: {atLeast: 1}}}) { id } }`, nil, "FORBIDDEN")
}

func TestSegmentIdentifierValuesAreNormalised(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	a := seed(s, "100", 1, false)
	d := s.ok(adminKey, `query { segmentPreview(rule: {identifier: {type: "email", value: "  C100@Example.COM "}}) { count sample { id } } }`, nil)
	if get(d, "segmentPreview", "count") != 1.0 || get(d, "segmentPreview", "sample", 0, "id") != a {
		t.Fatalf("preview by identifier: %v", d)
	}
	s.code(adminKey, `query { segmentPreview(rule: {identifier: {type: "email", value: "not an e-mail"}}) { count } }`, nil, "BAD_USER_INPUT")
}

// Ticket conditions follow ticket changes made through any instance (the notifications
// collection), not only the schedule: a status change touches no profile otherwise.
func TestSegmentFollowsTickets(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	a := seed(s, "100", 1, false) // opens one ticket and replies to it
	d := s.ok(adminKey, `mutation { createSegment(input: {name: "Solved", rule: {tickets: {atLeast: 1, statuses: ["SOLVED"]}}}) { id memberCount } }`, nil)
	id := get(d, "createSegment", "id").(string)
	if get(d, "createSegment", "memberCount") != 0.0 {
		t.Fatalf("created: %v", d)
	}
	tid := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { tickets { id } } }`, map[string]any{"id": a}), "customer", "tickets", 0, "id")
	s.flushSegments() // nothing else queued: only the ticket change can bring a in
	s.ok(adminKey, `mutation($t: ID!) { setTicketStatus(id: $t, status: SOLVED) { status } }`, map[string]any{"t": tid})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := s.segment(id); slices.Equal(memberIDs(got), []string{a}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the requester of a solved ticket did not enter the segment")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
