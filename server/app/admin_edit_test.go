package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/testdb"
)

// Admin edits (issue 17) over GraphQL: every mutation, its error codes, and the audit
// trail's entries of them.

const agentFields = `id name email groups available`

func (s *srv) group(name string, ids ...string) string {
	s.t.Helper()
	return get(s.ok(adminKey, `mutation($n: String!, $ids: [ID!]!) { createGroup(name: $n, agentIds: $ids) { id } }`,
		map[string]any{"n": name, "ids": ids}), "createGroup", "id").(string)
}

func groupsByID(s *srv) map[string][]any {
	out := map[string][]any{}
	for _, g := range get(s.ok(adminKey, `{ groups { id agentIds } }`, nil), "groups").([]any) {
		out[get(g, "id").(string)] = get(g, "agentIds").([]any)
	}
	return out
}

func TestAdminEditAgentsAndGroups(t *testing.T) {
	s := newServer(t)
	_, a1 := s.agent("Ann")
	_, a2 := s.agent("Bob")
	g1, g2 := s.group("Tier 1", a1, a2), s.group("Tier 2", a2)

	// updateAgent: fields given change; groups is the complete list, kept in step with
	// the groups' round-robin orders.
	const upd = `mutation($id: ID!, $in: AgentUpdateInput!) { updateAgent(id: $id, input: $in) { ` + agentFields + ` } }`
	a := get(s.ok(adminKey, upd, map[string]any{"id": a1, "in": map[string]any{"name": "Ann Smith", "groups": []string{g2}, "available": false}}), "updateAgent")
	if get(a, "name") != "Ann Smith" || get(a, "email") != "a@example.com" || get(a, "available") != false || !slices.Equal(get(a, "groups").([]any), []any{g2}) {
		t.Fatalf("updated agent %v", a)
	}
	if gs := groupsByID(s); !slices.Equal(gs[g1], []any{a2}) || !slices.Equal(gs[g2], []any{a2, a1}) {
		t.Fatalf("groups after the move: %v", gs)
	}
	s.code(adminKey, upd, map[string]any{"id": "nobody", "in": map[string]any{"name": "x"}}, "NOT_FOUND")
	s.code(adminKey, upd, map[string]any{"id": a1, "in": map[string]any{"name": " "}}, "BAD_USER_INPUT")
	s.code(adminKey, upd, map[string]any{"id": a1, "in": map[string]any{"groups": []string{"nope"}}}, "BAD_USER_INPUT")
	agentKey := s.newKey("AGENT")
	s.code(agentKey, upd, map[string]any{"id": a1, "in": map[string]any{"name": "x"}}, "FORBIDDEN")

	// updateGroup replaces name and order; agents follow.
	const updG = `mutation($id: ID!, $n: String!, $ids: [ID!]!) { updateGroup(id: $id, name: $n, agentIds: $ids) { id name agentIds } }`
	g := get(s.ok(adminKey, updG, map[string]any{"id": g1, "n": "First line", "ids": []string{a1}}), "updateGroup")
	if get(g, "name") != "First line" || !slices.Equal(get(g, "agentIds").([]any), []any{a1}) {
		t.Fatalf("updated group %v", g)
	}
	for _, ag := range get(s.ok(adminKey, `{ agents { id groups } }`, nil), "agents").([]any) {
		groups := get(ag, "groups").([]any)
		if in := slices.Contains(groups, any(g1)); in != (get(ag, "id") == a1) {
			t.Errorf("agent %v: in %s = %v", ag, g1, in)
		}
	}
	s.code(adminKey, updG, map[string]any{"id": "nope", "n": "x", "ids": []string{}}, "NOT_FOUND")
	s.code(adminKey, updG, map[string]any{"id": g1, "n": "x", "ids": []string{"ghost"}}, "BAD_USER_INPUT")
	s.code(adminKey, updG, map[string]any{"id": g1, "n": "", "ids": []string{}}, "BAD_USER_INPUT")

	// deleteGroup refuses while a mailbox routes to it or a ticket of it is open.
	const delG = `mutation($id: ID!) { deleteGroup(id: $id) { id name } }`
	s.ok(adminKey, `mutation($g: ID!) { setSupportMailbox(address: "help@shop.example", groupId: $g) { address } }`, map[string]any{"g": g2})
	if msg := s.code(adminKey, delG, map[string]any{"id": g2}, "CONFLICT"); !strings.Contains(msg, "help@shop.example") {
		t.Errorf("mailbox conflict: %s", msg)
	}
	s.ok(adminKey, `mutation { removeSupportMailbox(address: "help@shop.example") }`, nil)
	tk := s.createTicket(adminKey, map[string]any{"email": "dan@example.com", "groupId": g2})
	s.code(adminKey, delG, map[string]any{"id": g2}, "CONFLICT")
	s.ok(adminKey, `mutation($id: ID!) { setTicketStatus(id: $id, status: SOLVED) { id } }`, map[string]any{"id": tk["id"]})
	if d := get(s.ok(adminKey, delG, map[string]any{"id": g2}), "deleteGroup"); get(d, "id") != g2 {
		t.Fatalf("deleted %v", d)
	}
	if _, ok := groupsByID(s)[g2]; ok {
		t.Fatal("group still listed")
	}
	for _, ag := range get(s.ok(adminKey, `{ agents { id groups } }`, nil), "agents").([]any) {
		if slices.Contains(get(ag, "groups").([]any), any(g2)) {
			t.Errorf("agent %v still in the deleted group", ag)
		}
	}
	s.code(adminKey, delG, map[string]any{"id": g2}, "NOT_FOUND")

	// The audit trail names what was edited, without personal values.
	es := auditEntries(s, map[string]any{"action": "updateAgent"})
	if len(es) == 0 {
		t.Fatal("no updateAgent entry")
	}
	var ok map[string]any
	for _, e := range es {
		if e["result"] == "ok" {
			ok = e
		}
	}
	if ok == nil || !slices.Contains(ok["targets"].([]any), any(a1)) || get(ok, "change", "input", "name") != "Ann Smith" {
		t.Errorf("updateAgent entry %v", ok)
	}
	if dg := auditEntries(s, map[string]any{"action": "deleteGroup", "target": g2}); len(dg) != 4 || dg[0]["result"] != "NOT_FOUND" || dg[1]["result"] != "ok" || dg[2]["result"] != "CONFLICT" {
		t.Errorf("deleteGroup entries %v", dg)
	}
}

// TestAdminDeleteAgentUnassignsAndResumes: deleting an agent hands its open tickets back
// to their group's queue; a deletion left half done (the agent unavailable and out of
// the round robin, one ticket unassigned: what a crash after those steps leaves) is
// finished by calling again.
func TestAdminDeleteAgentUnassignsAndResumes(t *testing.T) {
	db := testdb.DB(t)
	s := newServerOn(t, db)
	_, a1 := s.agent("Ann")
	_, a2 := s.agent("Bob")
	g := s.group("Tier 1", a1, a2)
	const assign = `mutation($id: ID!, $a: ID, $g: ID) { assignTicket(id: $id, agentId: $a, groupId: $g) { id } }`
	var open, solved []string
	for i := range 4 {
		id := s.createTicket(adminKey, map[string]any{"email": "dan@example.com", "groupId": g})["id"].(string)
		s.ok(adminKey, assign, map[string]any{"id": id, "a": a1, "g": g})
		if i == 3 {
			s.ok(adminKey, `mutation($id: ID!) { setTicketStatus(id: $id, status: SOLVED) { id } }`, map[string]any{"id": id})
			solved = append(solved, id)
		} else {
			open = append(open, id)
		}
	}
	other := s.createTicket(adminKey, map[string]any{"email": "eve@example.com", "groupId": g})["id"].(string)
	s.ok(adminKey, assign, map[string]any{"id": other, "a": a2, "g": g})

	// The half-done state: steps 1 and 2 and the first ticket of step 3.
	ctx := context.Background()
	if _, err := db.Collection("agents").UpdateOne(ctx, bson.M{"_id": a1}, bson.M{"$set": bson.M{"available": false}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("groups").UpdateOne(ctx, bson.M{"_id": g}, bson.M{"$pull": bson.M{"agentIds": a1}}); err != nil {
		t.Fatal(err)
	}
	s.ok(adminKey, assign, map[string]any{"id": open[0], "g": g})

	const del = `mutation($id: ID!) { deleteAgent(id: $id) { agent { id name } unassignedTickets } }`
	d := get(s.ok(adminKey, del, map[string]any{"id": a1}), "deleteAgent")
	if get(d, "agent", "id") != a1 || get(d, "unassignedTickets") != float64(len(open)-1) {
		t.Fatalf("deletion %v, want %d unassigned", d, len(open)-1)
	}
	const read = `query($id: ID!) { ticket(id: $id) { assigneeId groupId status history { field old new } } }`
	for _, id := range open {
		tk := get(s.ok(adminKey, read, map[string]any{"id": id}), "ticket")
		if get(tk, "assigneeId") != nil || get(tk, "groupId") != g {
			t.Errorf("open ticket %s: %v", id, tk)
		}
	}
	if tk := get(s.ok(adminKey, read, map[string]any{"id": solved[0]}), "ticket"); get(tk, "assigneeId") != a1 {
		t.Errorf("solved ticket keeps its assignee: %v", tk)
	}
	if tk := get(s.ok(adminKey, read, map[string]any{"id": other}), "ticket"); get(tk, "assigneeId") != a2 {
		t.Errorf("another agent's ticket: %v", tk)
	}
	// They are in the group's unassigned queue.
	q := s.ok(adminKey, `query($g: ID!) { tickets(queue: UNASSIGNED, filter: {groupId: $g}) { edges { node { id } } } }`, map[string]any{"g": g})
	var queued []string
	for _, e := range get(q, "tickets", "edges").([]any) {
		queued = append(queued, get(e, "node", "id").(string))
	}
	slices.Sort(queued)
	if want := slices.Sorted(slices.Values(open)); !slices.Equal(queued, want) {
		t.Errorf("unassigned queue %v, want %v", queued, want)
	}
	if gs := groupsByID(s); !slices.Equal(gs[g], []any{a2}) {
		t.Errorf("group order %v", gs[g])
	}
	for _, ag := range get(s.ok(adminKey, `{ agents { id } }`, nil), "agents").([]any) {
		if get(ag, "id") == a1 {
			t.Error("agent still listed")
		}
	}
	s.code(adminKey, del, map[string]any{"id": a1}, "NOT_FOUND")
	e := auditEntries(s, map[string]any{"action": "deleteAgent", "target": a1})
	if len(e) != 2 || e[1]["result"] != "ok" || e[0]["result"] != "NOT_FOUND" {
		t.Errorf("deleteAgent entries %v", e)
	}
}

func TestAdminEditPoliciesMacrosAndSources(t *testing.T) {
	s := newServer(t)
	// deleteSlaPolicy: tickets keep their due dates; new tickets get none.
	s.ok(adminKey, `mutation { setSlaPolicy(input: {priority: HIGH, firstResponseMinutes: 60, resolutionMinutes: 480}) { priority } }`, nil)
	before := s.createTicket(adminKey, map[string]any{"email": "dan@example.com", "priority": "HIGH"})
	p := get(s.ok(adminKey, `mutation { deleteSlaPolicy(priority: HIGH) { priority firstResponseMinutes } }`, nil), "deleteSlaPolicy")
	if get(p, "priority") != "HIGH" || get(p, "firstResponseMinutes") != float64(60) {
		t.Fatalf("deleted policy %v", p)
	}
	s.code(adminKey, `mutation { deleteSlaPolicy(priority: HIGH) { priority } }`, nil, "NOT_FOUND")
	if len(get(s.ok(adminKey, `{ slaPolicies { priority } }`, nil), "slaPolicies").([]any)) != 0 {
		t.Fatal("policy still listed")
	}
	got := get(s.ok(adminKey, `query($id: ID!) { ticket(id: $id) { firstResponseDue } }`, map[string]any{"id": before["id"]}), "ticket")
	was, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(before["firstResponseDue"]))
	now, err := time.Parse(time.RFC3339Nano, fmt.Sprint(get(got, "firstResponseDue")))
	if err != nil || was.IsZero() || !now.Equal(was.Truncate(time.Millisecond)) {
		t.Errorf("due date changed: %v, was %v", got, before["firstResponseDue"])
	}
	if after := s.createTicket(adminKey, map[string]any{"email": "dan@example.com", "priority": "HIGH"}); after["firstResponseDue"] != nil {
		t.Errorf("new ticket has a target: %v", after)
	}

	// updateMacro / deleteMacro.
	id := get(s.ok(adminKey, `mutation { createMacro(input: {name: "Hi", body: "Hello"}) { id } }`, nil), "createMacro", "id")
	const updM = `mutation($id: ID!, $in: MacroInput!) { updateMacro(id: $id, input: $in) { id name body setStatus addTags } }`
	m := get(s.ok(adminKey, updM, map[string]any{"id": id, "in": map[string]any{"name": "Bye", "body": "Bye {{customer.firstName}}", "setStatus": "SOLVED", "addTags": []string{"Done"}}}), "updateMacro")
	if get(m, "id") != id || get(m, "name") != "Bye" || get(m, "setStatus") != "SOLVED" || !slices.Equal(get(m, "addTags").([]any), []any{"done"}) {
		t.Fatalf("updated macro %v", m)
	}
	s.code(adminKey, updM, map[string]any{"id": id, "in": map[string]any{"name": "x", "body": "{{custmer.name}}"}}, "BAD_USER_INPUT")
	s.code(adminKey, updM, map[string]any{"id": "nope", "in": map[string]any{"name": "x", "body": "y"}}, "NOT_FOUND")
	s.ok(adminKey, `mutation($id: ID!) { deleteMacro(id: $id) { id } }`, map[string]any{"id": id})
	s.code(adminKey, `mutation($id: ID!) { deleteMacro(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND")

	// updateSource: a new mapping applies to records sent again, unchanged content too.
	s.ok(adminKey, shopSource, nil)
	rec := map[string]any{"externalId": "r1", "payload": map[string]any{"email": "ann@example.com", "member": "M-1"}}
	first := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec}}), "ingestRecords")
	profile := get(first, "profileIds").([]any)[0]
	const updS = `mutation($s: String!, $in: SourceUpdateInput!) { updateSource(source: $s, input: $in) {
		name kind priority revision identifierFields { field target } traitFields { field target } } }`
	src := get(s.ok(adminKey, updS, map[string]any{"s": "shop", "in": map[string]any{"kind": "CRM", "priority": 8, "expectedRevision": 0,
		"identifierFields": []any{map[string]any{"field": "email", "target": "email"}, map[string]any{"field": "member", "target": "loyalty_card"}},
		"traitFields":      []any{map[string]any{"field": "member", "target": "attributes.membership"}}}}), "updateSource")
	if get(src, "kind") != "CRM" || get(src, "priority") != float64(8) || get(src, "revision") != float64(1) || len(get(src, "identifierFields").([]any)) != 2 {
		t.Fatalf("updated source %v", src)
	}
	again := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec}}), "ingestRecords")
	if get(again, "updated") != float64(1) || get(again, "unchanged") != float64(0) {
		t.Fatalf("record sent again after the mapping change: %v", again)
	}
	c := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { identities { type value } attributes } }`, map[string]any{"id": profile}), "customer")
	raw, _ := json.Marshal(c)
	if !strings.Contains(string(raw), "loyalty_card") || !strings.Contains(string(raw), "M-1") {
		t.Errorf("the new identifier mapping did not apply: %s", raw)
	}
	if third := get(s.ok(adminKey, ingestQ, map[string]any{"recs": []any{rec}}), "ingestRecords"); get(third, "unchanged") != float64(1) {
		t.Errorf("a third send is unchanged: %v", third)
	}
	// Validation is createSource's; a stale revision is a conflict.
	s.code(adminKey, updS, map[string]any{"s": "shop", "in": map[string]any{"identifierFields": []any{map[string]any{"field": "mail", "target": "emial"}}}}, "BAD_USER_INPUT")
	s.code(adminKey, updS, map[string]any{"s": "shop", "in": map[string]any{"identifierFields": []any{}}}, "BAD_USER_INPUT")
	s.code(adminKey, updS, map[string]any{"s": "shop", "in": map[string]any{"priority": 1, "expectedRevision": 0}}, "CONFLICT")
	s.code(adminKey, updS, map[string]any{"s": "nope", "in": map[string]any{"priority": 1}}, "NOT_FOUND")
	s.code(adminKey, updS, map[string]any{"s": "manual", "in": map[string]any{"priority": 1}}, "CONFLICT")
	if e := auditEntries(s, map[string]any{"action": "updateSource", "target": "shop"}); len(e) != 4 || e[3]["result"] != "ok" {
		t.Errorf("updateSource entries %v", e)
	}
}
