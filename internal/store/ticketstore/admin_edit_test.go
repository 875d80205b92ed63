package ticketstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

func TestAdminEditsAgentsAndGroups(t *testing.T) {
	ctx := context.Background()
	log := &testdb.CommandLog{Only: []string{"agents", "groups", "round_robin"}}
	s := New(testdb.MonitoredClient(t, log).Database(testdb.DB(t).Name()), testdb.Backend(t))
	for _, id := range []string{"a1", "a2", "a3"} {
		if _, err := s.CreateAgent(ctx, ticket.Agent{ID: id, Name: id, Email: id + "@example.com", Available: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateGroup(ctx, ticket.Group{ID: "g1", Name: "One", AgentIDs: []string{"a1", "a2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, ticket.Group{ID: "g2", Name: "Two"}); err != nil {
		t.Fatal(err)
	}
	log.Record(true)

	// An agent joins g2 (at the end of its order) and leaves g1; twice is the same.
	for range 2 {
		if err := s.JoinGroups(ctx, "a1", []string{"g2", "missing"}, []string{"g1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.JoinGroups(ctx, "a3", []string{"g2"}, nil); err != nil {
		t.Fatal(err)
	}
	g1, _ := s.GetGroup(ctx, "g1")
	g2, _ := s.GetGroup(ctx, "g2")
	if !slices.Equal(g1.AgentIDs, []string{"a2"}) || !slices.Equal(g2.AgentIDs, []string{"a1", "a3"}) {
		t.Fatalf("g1 %v g2 %v", g1.AgentIDs, g2.AgentIDs)
	}
	a, err := s.PutAgent(ctx, ticket.Agent{ID: "a1", Name: "Ann", Email: "ann@example.com", Groups: []string{"g2"}})
	if err != nil || a.Name != "Ann" || a.Available || !slices.Equal(a.Groups, []string{"g2"}) {
		t.Fatalf("put agent: %+v %v", a, err)
	}
	if got, _ := s.GetAgent(ctx, "a1"); got.Name != "Ann" || got.Available {
		t.Fatalf("stored agent %+v", got)
	}
	if _, err := s.PutAgent(ctx, ticket.Agent{ID: "nobody"}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}

	// The agents' copies of a group follow SetAgentsGroup, idempotently.
	for range 2 {
		if err := s.SetAgentsGroup(ctx, "g1", []string{"a3", "ghost"}, []string{"a2"}); err != nil {
			t.Fatal(err)
		}
	}
	agents, _ := s.GetAgents(ctx, []string{"a2", "a3"})
	if slices.Contains(agents["a2"].Groups, "g1") || !slices.Equal(agents["a3"].Groups, []string{"g1"}) {
		t.Fatalf("agents %+v", agents)
	}
	g, err := s.PutGroup(ctx, ticket.Group{ID: "g1", Name: "Uno", AgentIDs: []string{"a3"}})
	if err != nil || g.Name != "Uno" || !slices.Equal(g.AgentIDs, []string{"a3"}) {
		t.Fatalf("put group %+v %v", g, err)
	}
	if _, err := s.PutGroup(ctx, ticket.Group{ID: "nope", Name: "x"}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}

	// Deleting a group takes its round-robin position too.
	if err := s.SetRoundRobinLast(ctx, "g1", "", "a3"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetGroup(ctx, "g1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("deleted group: %v", err)
	}
	if last, err := s.RoundRobinLast(ctx, "g1"); err != nil || last != "" {
		t.Fatalf("round robin after delete: %q %v", last, err)
	}
	if err := s.DeleteGroup(ctx, "g1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	if err := s.DeleteAgent(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAgent(ctx, "a2"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("delete agent again: %v", err)
	}

	// The data-layer rule: every command of the edits names one document by bare _id
	// (GetAgents is an indexed $in on MongoDB).
	cmds := log.Record(false)
	if len(cmds) < 10 {
		t.Fatalf("recorded %d commands", len(cmds))
	}
	for _, c := range cmds {
		for _, f := range c.Filters {
			if !testdb.BareID(f) && !(testdb.Backend(t).IndexedFilters && c.Name == "find" && c.Coll == "agents") {
				t.Errorf("not a bare _id: %v", c)
			}
		}
	}
}

func TestAdminEditsPoliciesAndMacros(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	p := ticket.SLAPolicy{Priority: ticket.PriorityHigh, FirstResponse: time.Hour, Resolution: 8 * time.Hour}
	if err := s.PutSLAPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeleteSLAPolicy(ctx, ticket.PriorityHigh)
	if err != nil || got.Priority != p.Priority || got.FirstResponse != p.FirstResponse || got.Resolution != p.Resolution {
		t.Fatalf("deleted %+v %v", got, err)
	}
	if _, err := s.SLAPolicy(ctx, ticket.PriorityHigh); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.DeleteSLAPolicy(ctx, ticket.PriorityHigh); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}

	solved := ticket.StatusSolved
	m := ticket.Macro{ID: "m1", Name: "Hi", Body: "Hello", AddTags: []string{"x"}}
	if err := s.CreateMacro(ctx, m); err != nil {
		t.Fatal(err)
	}
	m2 := ticket.Macro{ID: "m1", Name: "Bye", Body: "Bye", SetStatus: &solved}
	if err := s.ReplaceMacro(ctx, m2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetMacro(ctx, "m1"); got.Name != "Bye" || got.SetStatus == nil || *got.SetStatus != solved || len(got.AddTags) != 0 {
		t.Fatalf("replaced %+v", got)
	}
	if err := s.ReplaceMacro(ctx, ticket.Macro{ID: "nope", Name: "x"}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("replace unknown: %v", err)
	}
	if got, err := s.DeleteMacro(ctx, "m1"); err != nil || got.Name != "Bye" {
		t.Fatalf("delete %+v %v", got, err)
	}
	if _, err := s.GetMacro(ctx, "m1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.DeleteMacro(ctx, "m1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}
