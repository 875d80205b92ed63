package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

const ticketFields = `id status priority assigneeId groupId tags requesterId firstResponseDue resolutionDue createdAt mergedInto version`

func (s *srv) createTicket(key string, input map[string]any) map[string]any {
	s.t.Helper()
	if input["subject"] == nil {
		input["subject"] = "Parcel missing"
	}
	if input["body"] == nil {
		input["body"] = "My parcel never arrived."
	}
	d := s.ok(key, `mutation($in: CreateTicketInput!) { createTicket(input: $in) { `+ticketFields+` } }`, map[string]any{"in": input})
	return d["createTicket"].(map[string]any)
}

func keyID(s *srv, key string) string {
	return get(s.ok(key, `{ me { id } }`, nil), "me", "id").(string)
}

// agent creates an AGENT key and registers it as an agent; it returns key and id.
func (s *srv) agent(name string) (string, string) {
	s.t.Helper()
	key := s.newKey("AGENT")
	id := keyID(s, key)
	s.ok(adminKey, `mutation($k: ID!, $n: String!) { createAgent(input: {apiKeyId: $k, name: $n, email: "a@example.com"}) { id } }`, map[string]any{"k": id, "n": name})
	return key, id
}

func TestTicketStatusMachineAndSLA(t *testing.T) {
	s := newServer(t)
	agent, _ := s.agent("Alice")
	analyst := s.newKey("ANALYST")
	s.ok(adminKey, `mutation { setSlaPolicy(input: {priority: HIGH, firstResponseMinutes: 60, resolutionMinutes: 480}) { priority } }`, nil)
	// Business hours: Monday to Friday 09:00-17:00 in London.
	var ivs []string
	for d := 1; d <= 5; d++ {
		ivs = append(ivs, `{weekday: `+string(rune('0'+d))+`, start: "09:00", end: "17:00"}`)
	}
	p := s.ok(adminKey, `mutation { setSlaPolicy(input: {priority: URGENT, firstResponseMinutes: 30, resolutionMinutes: 240,
		businessHours: {timeZone: "Europe/London", intervals: [`+strings.Join(ivs, ",")+`], holidays: ["2030-12-25"]}}) {
		priority businessHours { timeZone intervals { weekday start end } holidays } } }`, nil)
	if get(p, "setSlaPolicy", "businessHours", "timeZone") != "Europe/London" || len(get(p, "setSlaPolicy", "businessHours", "intervals").([]any)) != 5 {
		t.Fatalf("policy = %v", p)
	}
	s.code(adminKey, `mutation { setSlaPolicy(input: {priority: LOW, firstResponseMinutes: 1, resolutionMinutes: 1, businessHours: {timeZone: "Mars/Base", intervals: []}}) { priority } }`, nil, "BAD_USER_INPUT")
	s.code(agent, `mutation { setSlaPolicy(input: {priority: LOW, firstResponseMinutes: 1, resolutionMinutes: 1}) { priority } }`, nil, "FORBIDDEN")

	tk := s.createTicket(agent, map[string]any{"email": "Carol@Example.com", "priority": "HIGH", "tags": []string{"Shipping"}})
	id := tk["id"].(string)
	created, _ := time.Parse(time.RFC3339Nano, tk["createdAt"].(string))
	due, err := time.Parse(time.RFC3339Nano, tk["firstResponseDue"].(string))
	if err != nil || due.Sub(created) != time.Hour || tk["resolutionDue"] == nil || tk["status"] != "NEW" {
		t.Fatalf("SLA targets: %v", tk)
	}
	if get(tk, "tags", 0) != "shipping" {
		t.Fatalf("tags not normalised: %v", tk["tags"])
	}
	// Without a policy for the priority there is no target.
	if tk := s.createTicket(agent, map[string]any{"email": "carol@example.com"}); tk["firstResponseDue"] != nil || tk["requesterId"] != get(s.ok(agent, `query($id: ID!) { ticket(id: $id) { requesterId } }`, map[string]any{"id": id}), "ticket", "requesterId") {
		t.Fatalf("normal ticket: %v (same e-mail must resolve to the same profile)", tk)
	}

	set := `mutation($id: ID!, $s: TicketStatus!) { setTicketStatus(id: $id, status: $s) { status solvedAt closedAt } }`
	msg := s.code(agent, set, map[string]any{"id": id, "s": "CLOSED"}, "BAD_USER_INPUT") // new -> closed is not a transition
	if !strings.Contains(msg, "new to closed") {
		t.Fatalf("message %q", msg)
	}
	// An agent's reply opens the ticket and meets the first-response target.
	r := s.ok(agent, `mutation($id: ID!) { replyToTicket(id: $id, body: "On it!") { status firstResponseAt } }`, map[string]any{"id": id})
	if get(r, "replyToTicket", "status") != "OPEN" || get(r, "replyToTicket", "firstResponseAt") == nil {
		t.Fatalf("reply = %v", r)
	}
	s.ok(agent, `mutation($id: ID!) { addInternalNote(id: $id, body: "checked the courier") { id } }`, map[string]any{"id": id})
	if got := get(s.ok(agent, set, map[string]any{"id": id, "s": "SOLVED"}), "setTicketStatus"); get(got, "solvedAt") == nil {
		t.Fatalf("solve = %v", got)
	}
	s.ok(agent, set, map[string]any{"id": id, "s": "CLOSED"})
	s.code(agent, `mutation($id: ID!) { replyToTicket(id: $id, body: "hello?") { id } }`, map[string]any{"id": id}, "BAD_USER_INPUT")
	s.code(agent, set, map[string]any{"id": id, "s": "OPEN"}, "BAD_USER_INPUT")
	s.code(analyst, set, map[string]any{"id": id, "s": "OPEN"}, "FORBIDDEN")
	s.code(agent, `{ ticket(id: "nope") { id } }`, nil, "NOT_FOUND")
	s.code(agent, `mutation { createTicket(input: {subject: "x", body: "y"}) { id } }`, nil, "BAD_USER_INPUT")
	s.code(agent, `mutation { createTicket(input: {subject: " ", body: "y", email: "d@example.com"}) { id } }`, nil, "BAD_USER_INPUT")

	// History: who did what, when; messages with the internal note.
	d := s.ok(analyst, `query($id: ID!) { ticket(id: $id) { history { actorKind actorId field old new at } messages { kind authorKind body } requester { emails } } }`, map[string]any{"id": id})
	hist := get(d, "ticket", "history").([]any)
	var statuses []string
	for _, e := range hist {
		if get(e, "field") == "status" {
			statuses = append(statuses, get(e, "old").(string)+">"+get(e, "new").(string))
		}
	}
	if strings.Join(statuses, " ") != ">new new>open open>solved solved>closed" {
		t.Fatalf("status history %v", statuses)
	}
	if get(hist[len(hist)-1], "actorId") != keyID(s, agent) || len(get(d, "ticket", "messages").([]any)) != 3 || get(d, "ticket", "messages", 2, "kind") != "INTERNAL_NOTE" {
		t.Fatalf("ticket = %v", d)
	}
	if get(d, "ticket", "requester", "emails", 0) != "carol@example.com" {
		t.Fatalf("requester = %v", get(d, "ticket", "requester"))
	}
	// CSAT on the closed ticket, reported per agent.
	s.code(agent, `mutation($id: ID!) { rateTicket(id: $id, score: 9) { id } }`, map[string]any{"id": id}, "BAD_USER_INPUT")
	s.ok(agent, `mutation($id: ID!) { rateTicket(id: $id, score: 5, comment: "great") { csat { score } } }`, map[string]any{"id": id})
	// The SLA report: the first-response target settled (met) now; resolution too.
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	rep := s.ok(analyst, `query($f: Time!, $t: Time!) { slaAttainment(from: $f, to: $t) { firstResponse { met total percent } resolution { met total } } csatStats(from: $f, to: $t) { total { count average } byAgent { agentId summary { count } } } }`, map[string]any{"f": from, "t": to})
	if get(rep, "slaAttainment", "firstResponse", "met") != 1.0 || get(rep, "slaAttainment", "firstResponse", "total") != 1.0 || get(rep, "csatStats", "total", "average") != 5.0 {
		t.Fatalf("reports = %v", rep)
	}
	s.code(agent, `query($f: Time!, $t: Time!) { slaAttainment(from: $f, to: $t) { firstResponse { met } } }`, map[string]any{"f": from, "t": to}, "FORBIDDEN")
}

func TestTicketRoundRobinQueuesAndAgentRights(t *testing.T) {
	s := newServer(t)
	k1, a1 := s.agent("Alice")
	_, a2 := s.agent("Bob")
	k3, a3 := s.agent("Carl")
	g := get(s.ok(adminKey, `mutation($ids: [ID!]!) { createGroup(name: "Tier 1", agentIds: $ids) { id agentIds } }`, map[string]any{"ids": []string{a1, a2, a3}}), "createGroup", "id")
	s.ok(adminKey, `mutation($id: ID!) { setAgentAvailable(id: $id, available: false) { available } }`, map[string]any{"id": a3})
	s.code(k1, `mutation { createGroup(name: "x", agentIds: []) { id } }`, nil, "FORBIDDEN")
	s.code(adminKey, `mutation { createGroup(name: "x", agentIds: ["key_nope"]) { id } }`, nil, "BAD_USER_INPUT")

	var got []string
	for range 4 {
		id := s.createTicket(k1, map[string]any{"email": "dan@example.com"})["id"]
		tk := s.ok(k1, `mutation($id: ID!, $g: ID!) { autoAssignTicket(id: $id, groupId: $g) { assigneeId status } }`, map[string]any{"id": id, "g": g})
		got = append(got, get(tk, "autoAssignTicket", "assigneeId").(string))
		if get(tk, "autoAssignTicket", "status") != "OPEN" {
			t.Fatalf("assigned ticket stays %v", tk)
		}
	}
	// Carl is away: the rotation skips him.
	if want := []string{a1, a2, a1, a2}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("round robin %v, want %v", got, want)
	}
	unassigned := s.createTicket(k1, map[string]any{"email": "erin@example.com"})["id"]

	queue := func(key, q string) []string {
		d := s.ok(key, `query($q: TicketQueue) { tickets(queue: $q, first: 2) { edges { node { id assigneeId } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"q": q})
		var ids []string
		for _, e := range get(d, "tickets", "edges").([]any) {
			ids = append(ids, get(e, "node", "id").(string))
		}
		return ids
	}
	if mine := queue(k1, "MINE"); len(mine) != 2 {
		t.Fatalf("MINE of Alice = %v", mine)
	}
	if mine := queue(k3, "MINE"); len(mine) != 0 {
		t.Fatalf("MINE of Carl = %v", mine)
	}
	if un := queue(k1, "UNASSIGNED"); len(un) != 1 || un[0] != unassigned {
		t.Fatalf("UNASSIGNED = %v", un)
	}
	// Pages of two over five open tickets, by cursor.
	var all []string
	after := any(nil)
	for range 5 {
		d := s.ok(k1, `query($a: String) { tickets(queue: ALL_OPEN, first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"a": after})
		for _, e := range get(d, "tickets", "edges").([]any) {
			all = append(all, get(e, "node", "id").(string))
		}
		if get(d, "tickets", "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(d, "tickets", "pageInfo", "endCursor")
	}
	if len(all) != 5 {
		t.Fatalf("paged %v", all)
	}
	s.code(k1, `{ tickets(after: "garbage") { edges { cursor } } }`, nil, "BAD_USER_INPUT")

	// Manual assignment checks group membership; nobody available is a CONFLICT.
	s.code(k1, `mutation($id: ID!, $g: ID!) { assignTicket(id: $id, agentId: "key_nope", groupId: $g) { id } }`, map[string]any{"id": unassigned, "g": g}, "BAD_USER_INPUT")
	a := s.ok(k1, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentId: $a) { assigneeId } }`, map[string]any{"id": unassigned, "a": a3})
	if get(a, "assignTicket", "assigneeId") != a3 {
		t.Fatalf("assign = %v", a)
	}
	for _, id := range []string{a1, a2} {
		s.ok(adminKey, `mutation($id: ID!) { setAgentAvailable(id: $id, available: false) { id } }`, map[string]any{"id": id})
	}
	s.code(k1, `mutation($id: ID!, $g: ID!) { autoAssignTicket(id: $id, groupId: $g) { id } }`, map[string]any{"id": unassigned, "g": g}, "CONFLICT")

	// An agent key works tickets but may not run admin-only customer operations.
	c1 := get(s.ok(k1, `mutation { createCustomer(input: {emails: ["x1@example.com"]}) { id } }`, nil), "createCustomer", "id")
	c2 := get(s.ok(k1, `mutation { createCustomer(input: {emails: ["x2@example.com"]}) { id } }`, nil), "createCustomer", "id")
	s.code(k1, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`, map[string]any{"a": c1, "b": c2}, "FORBIDDEN")
	s.code(k1, `mutation($a: ID!) { unmergeCustomer(id: $a, recordIds: ["manual:x"]) { split { id } } }`, map[string]any{"a": c1}, "FORBIDDEN")
	s.code(k1, `mutation { createAgent(input: {apiKeyId: "k", name: "n", email: "e"}) { id } }`, nil, "FORBIDDEN")
	s.code(k1, `mutation { createMacro(input: {name: "n", body: "b"}) { id } }`, nil, "FORBIDDEN")
}

func TestMacroMergeAndCustomerTickets(t *testing.T) {
	s := newServer(t)
	agent, _ := s.agent("Alice")
	cust := get(s.ok(agent, `mutation { createCustomer(input: {firstName: "Ann", lastName: "Lee", emails: ["ann@example.com"]}) { id } }`, nil), "createCustomer", "id")
	s.code(adminKey, `mutation { createMacro(input: {name: "typo", body: "Hi {{custmer.firstName}}"}) { id } }`, nil, "BAD_USER_INPUT")
	m := get(s.ok(adminKey, `mutation { createMacro(input: {name: "Shipped", body: "Hi {{customer.firstName}}, it ships today. {{agent.name}}", setStatus: PENDING, addTags: ["Shipping"]}) { id } }`, nil), "createMacro", "id")
	if n := len(get(s.ok(agent, `{ macros { id name body setStatus addTags } }`, nil), "macros").([]any)); n != 1 {
		t.Fatalf("macros: %d", n)
	}

	// The known e-mail (typed differently) resolves to Ann's profile.
	t1 := s.createTicket(agent, map[string]any{"email": "ANN@example.com", "subject": "Where is my order?"})
	if t1["requesterId"] != cust {
		t.Fatalf("requester %v, want %v", t1["requesterId"], cust)
	}
	d := s.ok(agent, `mutation($id: ID!, $m: ID!) { applyMacro(id: $id, macroId: $m) { missingPlaceholders ticket { status tags messages { body authorKind } } } }`, map[string]any{"id": t1["id"], "m": m})
	msgs := get(d, "applyMacro", "ticket", "messages").([]any)
	if body := get(msgs[len(msgs)-1], "body"); body != "Hi Ann, it ships today. Alice" {
		t.Fatalf("macro reply %q", body)
	}
	if get(d, "applyMacro", "ticket", "status") != "PENDING" || get(d, "applyMacro", "ticket", "tags", 0) != "shipping" || len(get(d, "applyMacro", "missingPlaceholders").([]any)) != 0 {
		t.Fatalf("macro result %v", d)
	}

	// Merge a duplicate: its conversation moves, it is closed as merged.
	t2 := s.createTicket(agent, map[string]any{"customerId": cust, "subject": "Order again", "body": "Still waiting"})
	mg := s.ok(agent, `mutation($a: ID!, $b: ID!) { mergeTickets(targetId: $a, sourceId: $b) { id messages { body } history { field new } } }`, map[string]any{"a": t1["id"], "b": t2["id"]})
	var bodies []string
	for _, x := range get(mg, "mergeTickets", "messages").([]any) {
		bodies = append(bodies, get(x, "body").(string))
	}
	if !strings.Contains(strings.Join(bodies, "|"), "Still waiting") || !strings.Contains(strings.Join(bodies, "|"), "was merged into this ticket") {
		t.Fatalf("merged messages %v", bodies)
	}
	dup := s.ok(agent, `query($id: ID!) { ticket(id: $id) { status mergedInto messages { body } } }`, map[string]any{"id": t2["id"]})
	if get(dup, "ticket", "status") != "CLOSED" || get(dup, "ticket", "mergedInto") != t1["id"] {
		t.Fatalf("merged ticket %v", dup)
	}
	s.code(agent, `mutation($a: ID!, $b: ID!) { mergeTickets(targetId: $a, sourceId: $b) { id } }`, map[string]any{"a": t1["id"], "b": t2["id"]}, "BAD_USER_INPUT")

	// Customer.tickets, batched over a list of customers.
	c := s.ok(agent, `{ customers { edges { node { id tickets { id subject } } } } }`, nil)
	for _, e := range get(c, "customers", "edges").([]any) {
		if get(e, "node", "id") == cust {
			if n := len(get(e, "node", "tickets").([]any)); n != 2 {
				t.Fatalf("Ann's tickets: %d", n)
			}
			return
		}
	}
	t.Fatal("Ann not listed")
}

// Two instances on one database: a subscriber on A sees changes made through B,
// authenticating with ?access_token= as graphql-ws clients without connection params do.
func TestTicketSubscriptionAcrossInstances(t *testing.T) {
	db := testdb.DB(t)
	a := newServerOn(t, db)
	b := newServerOn(t, db)
	agent := a.newKey("AGENT")
	id := a.createTicket(agent, map[string]any{"email": "sub@example.com"})["id"].(string)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A wrong key in the URL is refused at init.
	bad, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.url, "http")+"/query?access_token=nope-nope-nope", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = wsjson.Write(ctx, bad, map[string]any{"type": "connection_init"})
	var m struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := wsjson.Read(ctx, bad, &m); err == nil && m.Type == "connection_ack" {
		t.Fatal("wrong URL key acknowledged")
	}
	bad.CloseNow()

	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.url, "http")+"/query?access_token="+agent, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := func() (string, string) {
		for {
			if err := wsjson.Read(ctx, c, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type != "ping" && m.Type != "pong" {
				return m.Type, string(m.Payload)
			}
		}
	}
	_ = wsjson.Write(ctx, c, map[string]any{"type": "connection_init"})
	if typ, p := read(); typ != "connection_ack" {
		t.Fatalf("init -> %s %s", typ, p)
	}
	_ = wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription($id: ID!) { ticketUpdated(filter: {ticketId: $id}) { id priority tags } }`, "variables": map[string]any{"id": id}}})
	time.Sleep(300 * time.Millisecond) // let the subscription register before the change
	b.ok(agent, `mutation($id: ID!) { setTicketPriority(id: $id, priority: URGENT) { id } }`, map[string]any{"id": id})
	a.ok(agent, `mutation($id: ID!) { setTicketTags(id: $id, add: ["vip"]) { id } }`, map[string]any{"id": id})
	// The subscription may also see the creation, if the poller had not passed it yet
	// when it started; what matters is that both changes arrive, in order.
	for _, want := range []string{`"priority":"URGENT"`, `"vip"`} {
		for i := 0; ; i++ {
			typ, p := read()
			if typ != "next" || !strings.Contains(p, id) || i == 3 {
				t.Fatalf("want %s, got %s %s", want, typ, p)
			}
			if strings.Contains(p, want) {
				break
			}
		}
	}
}
