package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

// The in-memory store's edits (EditStore), tickets included for ListTickets.

func (s *memAdmin) GetAgent(_ context.Context, id string) (ticket.Agent, error) {
	a, ok := s.agents[id]
	if !ok {
		return ticket.Agent{}, fmt.Errorf("agent %s: %w", id, ticket.ErrNotFound)
	}
	a.Groups = slices.Clone(a.Groups)
	return a, nil
}

func (s *memAdmin) GetAgents(_ context.Context, ids []string) (map[string]ticket.Agent, error) {
	out := map[string]ticket.Agent{}
	for _, id := range ids {
		if a, ok := s.agents[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

func (s *memAdmin) GetGroup(_ context.Context, id string) (ticket.Group, error) {
	g, ok := s.groups[id]
	if !ok {
		return ticket.Group{}, fmt.Errorf("group %s: %w", id, ticket.ErrNotFound)
	}
	g.AgentIDs = slices.Clone(g.AgentIDs)
	return g, nil
}

func (s *memAdmin) PutAgent(_ context.Context, a ticket.Agent) (ticket.Agent, error) {
	if _, ok := s.agents[a.ID]; !ok {
		return ticket.Agent{}, fmt.Errorf("agent %s: %w", a.ID, ticket.ErrNotFound)
	}
	s.agents[a.ID] = a
	return a, nil
}

func (s *memAdmin) DeleteAgent(_ context.Context, id string) error {
	if _, ok := s.agents[id]; !ok {
		return fmt.Errorf("agent %s: %w", id, ticket.ErrNotFound)
	}
	delete(s.agents, id)
	return nil
}

func (s *memAdmin) PutGroup(_ context.Context, g ticket.Group) (ticket.Group, error) {
	if _, ok := s.groups[g.ID]; !ok {
		return ticket.Group{}, fmt.Errorf("group %s: %w", g.ID, ticket.ErrNotFound)
	}
	s.groups[g.ID] = g
	return g, nil
}

func (s *memAdmin) DeleteGroup(_ context.Context, id string) error {
	delete(s.groups, id)
	return nil
}

func (s *memAdmin) JoinGroups(_ context.Context, agentID string, join, leave []string) error {
	for _, id := range join {
		if g, ok := s.groups[id]; ok && !slices.Contains(g.AgentIDs, agentID) {
			g.AgentIDs = append(slices.Clone(g.AgentIDs), agentID)
			s.groups[id] = g
		}
	}
	for _, id := range leave {
		if g, ok := s.groups[id]; ok {
			g.AgentIDs = slices.DeleteFunc(slices.Clone(g.AgentIDs), func(a string) bool { return a == agentID })
			s.groups[id] = g
		}
	}
	return nil
}

func (s *memAdmin) SetAgentsGroup(_ context.Context, groupID string, add, remove []string) error {
	for _, id := range add {
		if a, ok := s.agents[id]; ok && !slices.Contains(a.Groups, groupID) {
			a.Groups = append(slices.Clone(a.Groups), groupID)
			s.agents[id] = a
		}
	}
	for _, id := range remove {
		if a, ok := s.agents[id]; ok {
			a.Groups = slices.DeleteFunc(slices.Clone(a.Groups), func(g string) bool { return g == groupID })
			s.agents[id] = a
		}
	}
	return nil
}

func (s *memAdmin) DeleteSLAPolicy(_ context.Context, p ticket.Priority) (ticket.SLAPolicy, error) {
	for i, x := range s.puts {
		if x.Priority == p {
			s.puts = slices.Delete(s.puts, i, i+1)
			return x, nil
		}
	}
	return ticket.SLAPolicy{}, fmt.Errorf("policy %s: %w", p, ticket.ErrNotFound)
}

func (s *memAdmin) ReplaceMacro(_ context.Context, m ticket.Macro) error {
	for i, x := range s.saved {
		if x.ID == m.ID {
			s.saved[i] = m
			return nil
		}
	}
	return fmt.Errorf("macro %s: %w", m.ID, ticket.ErrNotFound)
}

func (s *memAdmin) DeleteMacro(_ context.Context, id string) (ticket.Macro, error) {
	for i, x := range s.saved {
		if x.ID == id {
			s.saved = slices.Delete(s.saved, i, i+1)
			return x, nil
		}
	}
	return ticket.Macro{}, fmt.Errorf("macro %s: %w", id, ticket.ErrNotFound)
}

func (s *memAdmin) ListTickets(_ context.Context, f listing.Filter, p listing.Page) (listing.TicketPage, error) {
	var pg listing.TicketPage
	for _, t := range s.tickets {
		if f.Matches(&t) && len(pg.Tickets) < p.Limit {
			pg.Tickets = append(pg.Tickets, t)
		}
	}
	return pg, nil
}

// memTickets assigns the store's tickets.
type memTickets struct{ st *memAdmin }

func (m *memTickets) Assign(_ context.Context, id, groupID, agentID string, by ticket.Actor) (ticket.Ticket, error) {
	if _, ok := m.st.groups[groupID]; groupID != "" && !ok {
		return ticket.Ticket{}, &ticket.ValidationError{Field: ticket.FieldGroup, Reason: "not found"}
	}
	for i, t := range m.st.tickets {
		if t.ID == id {
			t.GroupID, t.AssigneeID = groupID, agentID
			m.st.tickets[i] = t
			return t, nil
		}
	}
	return ticket.Ticket{}, ticket.ErrNotFound
}

func TestUpdateAgentMovesItBetweenGroups(t *testing.T) {
	ctx := context.Background()
	svc, st := fixture()
	st.agents["a1"] = ticket.Agent{ID: "a1", Name: "Ann", Email: "ann@example.com", Groups: []string{"g1"}, Available: true}
	st.agents["a2"] = ticket.Agent{ID: "a2", Name: "Bob", Email: "bob@example.com", Groups: []string{"g1", "g2"}}
	st.groups["g1"] = ticket.Group{ID: "g1", Name: "One", AgentIDs: []string{"a1", "a2"}}
	st.groups["g2"] = ticket.Group{ID: "g2", Name: "Two", AgentIDs: []string{"a2"}}
	name, off, groups := "  Ann Smith ", false, []string{"g2"}
	a, err := svc.UpdateAgent(ctx, "a1", AgentUpdate{Name: &name, Available: &off, Groups: &groups})
	must(t, err)
	if a.Name != "Ann Smith" || a.Email != "ann@example.com" || a.Available || !slices.Equal(a.Groups, []string{"g2"}) {
		t.Fatalf("agent %+v", a)
	}
	// It left g1's rotation and joined the end of g2's.
	if g := st.groups["g1"].AgentIDs; !slices.Equal(g, []string{"a2"}) {
		t.Fatalf("g1 %v", g)
	}
	if g := st.groups["g2"].AgentIDs; !slices.Equal(g, []string{"a2", "a1"}) {
		t.Fatalf("g2 %v", g)
	}
	bad := []string{"nope"}
	if _, err := svc.UpdateAgent(ctx, "a1", AgentUpdate{Groups: &bad}); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("unknown group: %v", err)
	}
	empty := " "
	if _, err := svc.UpdateAgent(ctx, "a1", AgentUpdate{Email: &empty}); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("empty e-mail: %v", err)
	}
	if _, err := svc.UpdateAgent(ctx, "zz", AgentUpdate{}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

func TestUpdateGroupKeepsAgentsInStep(t *testing.T) {
	ctx := context.Background()
	svc, st := fixture()
	for _, id := range []string{"a1", "a2", "a3"} {
		st.agents[id] = ticket.Agent{ID: id, Name: id, Email: id + "@example.com"}
	}
	g, err := svc.CreateGroup(ctx, "Team", []string{"a1", "a2"})
	must(t, err)
	must(t, st.SetAgentsGroup(ctx, g.ID, []string{"a1", "a2"}, nil)) // what the store's create does
	got, err := svc.UpdateGroup(ctx, g.ID, "Team B", []string{"a3", "a1"})
	must(t, err)
	if got.Name != "Team B" || !slices.Equal(got.AgentIDs, []string{"a3", "a1"}) {
		t.Fatalf("group %+v", got)
	}
	for id, want := range map[string]bool{"a1": true, "a2": false, "a3": true} {
		if in := slices.Contains(st.agents[id].Groups, g.ID); in != want {
			t.Errorf("%s in group = %v", id, in)
		}
	}
	if _, err := svc.UpdateGroup(ctx, g.ID, "x", []string{"ghost"}); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := svc.UpdateGroup(ctx, "nope", "x", nil); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
}

type memMailboxes map[string][]string

func (m memMailboxes) MailboxesOfGroup(_ context.Context, id string) ([]string, error) {
	return m[id], nil
}

func isConflict(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.Conflict
}

func TestDeleteGroupRefusesWhileItRoutesWork(t *testing.T) {
	ctx := context.Background()
	svc, st := fixture()
	st.agents["a1"] = ticket.Agent{ID: "a1", Groups: []string{"g1"}}
	st.groups["g1"] = ticket.Group{ID: "g1", Name: "One", AgentIDs: []string{"a1"}}
	mb := memMailboxes{"g1": {"help@example.com"}}
	svc.Mailboxes = mb
	st.tickets = []ticket.Ticket{{ID: "t1", GroupID: "g1", Status: ticket.StatusOpen}}
	if _, err := svc.DeleteGroup(ctx, "g1"); !isConflict(err) || !strings.Contains(err.Error(), "help@example.com") {
		t.Fatalf("mailbox: %v", err)
	}
	delete(mb, "g1")
	if _, err := svc.DeleteGroup(ctx, "g1"); !isConflict(err) || !strings.Contains(err.Error(), "t1") {
		t.Fatalf("open ticket: %v", err)
	}
	st.tickets[0].Status = ticket.StatusSolved
	if _, err := svc.DeleteGroup(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.groups["g1"]; ok || len(st.agents["a1"].Groups) != 0 {
		t.Fatalf("group %v, agent %+v", st.groups, st.agents["a1"])
	}
	if _, err := svc.DeleteGroup(ctx, "g1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("again: %v", err)
	}
}

func TestDeleteAgentUnassignsAndResumesAfterACrash(t *testing.T) {
	ctx := context.Background()
	svc, st := fixture()
	st.agents["a1"] = ticket.Agent{ID: "a1", Groups: []string{"g1", "g2"}, Available: true}
	st.agents["a2"] = ticket.Agent{ID: "a2", Groups: []string{"g1"}, Available: true}
	st.groups["g1"] = ticket.Group{ID: "g1", AgentIDs: []string{"a1", "a2"}}
	st.groups["g2"] = ticket.Group{ID: "g2", AgentIDs: []string{"a1"}}
	st.tickets = []ticket.Ticket{
		{ID: "t1", AssigneeID: "a1", GroupID: "g1", Status: ticket.StatusOpen},
		{ID: "t2", AssigneeID: "a1", GroupID: "g2", Status: ticket.StatusPending},
		{ID: "t3", AssigneeID: "a1", GroupID: "gone", Status: ticket.StatusOnHold},
		{ID: "t4", AssigneeID: "a1", GroupID: "g1", Status: ticket.StatusSolved},
		{ID: "t5", AssigneeID: "a2", GroupID: "g1", Status: ticket.StatusOpen},
	}
	// Expected from the initial tickets: open ones of a1 lose their assignee and keep
	// their group unless it does not exist; others are untouched.
	want := map[string][2]string{}
	for _, tk := range st.tickets {
		a, g := tk.AssigneeID, tk.GroupID
		if a == "a1" && slices.Contains(ticket.OpenStatuses, tk.Status) {
			a = ""
			if _, ok := st.groups[g]; !ok {
				g = ""
			}
		}
		want[tk.ID] = [2]string{a, g}
	}
	// The process dies after the first unassignment: every later call fails.
	svc.Tickets = &crashing{Tickets: &memTickets{st: st}, after: 1}
	if _, err := svc.DeleteAgent(ctx, "a1", ticket.Actor{Kind: ticket.AuthorAgent, ID: "admin"}); err == nil {
		t.Fatal("crash not reported")
	}
	// Half done: a1 is unavailable and out of every rotation, and still exists.
	a, err := st.GetAgent(ctx, "a1")
	must(t, err)
	if a.Available || slices.Contains(st.groups["g1"].AgentIDs, "a1") || slices.Contains(st.groups["g2"].AgentIDs, "a1") {
		t.Fatalf("after the crash: agent %+v groups %+v", a, st.groups)
	}
	svc.Tickets = &memTickets{st: st}
	got, err := svc.DeleteAgent(ctx, "a1", ticket.Actor{Kind: ticket.AuthorAgent, ID: "admin"})
	must(t, err)
	if got.Agent.ID != "a1" || got.Unassigned < 1 {
		t.Fatalf("deletion %+v", got)
	}
	if _, ok := st.agents["a1"]; ok {
		t.Fatal("agent not deleted")
	}
	for _, tk := range st.tickets {
		if w := want[tk.ID]; tk.AssigneeID != w[0] || tk.GroupID != w[1] {
			t.Errorf("%s: assignee %q group %q, want %v", tk.ID, tk.AssigneeID, tk.GroupID, w)
		}
	}
	if !slices.Equal(st.groups["g1"].AgentIDs, []string{"a2"}) {
		t.Fatalf("g1 %v", st.groups["g1"].AgentIDs)
	}
	if _, err := svc.DeleteAgent(ctx, "a1", ticket.Actor{}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("again: %v", err)
	}
}

// crashing lets `after` calls through, then fails every call: the process died.
type crashing struct {
	Tickets
	after, n int
}

func (c *crashing) Assign(ctx context.Context, id, groupID, agentID string, by ticket.Actor) (ticket.Ticket, error) {
	if c.n++; c.n > c.after {
		return ticket.Ticket{}, errors.New("process killed")
	}
	return c.Tickets.Assign(ctx, id, groupID, agentID, by)
}

func TestEditMacroAndSLAPolicy(t *testing.T) {
	ctx := context.Background()
	svc, st := fixture()
	m, err := svc.CreateMacro(ctx, ticket.Macro{Name: "Hi", Body: "Hello"})
	must(t, err)
	got, err := svc.UpdateMacro(ctx, m.ID, ticket.Macro{Name: " Bye ", Body: "Bye {{customer.firstName}}", AddTags: []string{"B", "a"}})
	must(t, err)
	if got.ID != m.ID || got.Name != "Bye" || !slices.Equal(got.AddTags, []string{"a", "b"}) || st.saved[0].Body != got.Body {
		t.Fatalf("updated %+v, stored %+v", got, st.saved)
	}
	if _, err := svc.UpdateMacro(ctx, m.ID, ticket.Macro{Name: "x", Body: "{{custmer.name}}"}); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("bad placeholder: %v", err)
	}
	if _, err := svc.UpdateMacro(ctx, "nope", ticket.Macro{Name: "x"}); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := svc.DeleteMacro(ctx, m.ID); err != nil || len(st.saved) != 0 {
		t.Fatalf("delete: %v %v", err, st.saved)
	}
	if _, err := svc.DeleteMacro(ctx, m.ID); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("again: %v", err)
	}

	_, err = svc.SetSLAPolicy(ctx, SLAPolicyInput{Priority: ticket.PriorityHigh, FirstResponseMinutes: 30})
	must(t, err)
	if _, err := svc.DeleteSLAPolicy(ctx, "SOON"); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("bad priority: %v", err)
	}
	if p, err := svc.DeleteSLAPolicy(ctx, ticket.PriorityHigh); err != nil || p.Priority != ticket.PriorityHigh || len(st.puts) != 0 {
		t.Fatalf("delete: %+v %v", p, err)
	}
	if _, err := svc.DeleteSLAPolicy(ctx, ticket.PriorityHigh); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("again: %v", err)
	}
}
