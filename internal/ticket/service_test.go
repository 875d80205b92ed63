package ticket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// memStore is an in-memory Store with the same version semantics a real one
// must have. beforeSave lets tests simulate a concurrent writer.
type memStore struct {
	tickets    map[string]Ticket
	messages   []Message
	events     []Event
	agents     map[string]Agent
	groups     map[string]Group
	rr         map[string]string
	policies   map[Priority]SLAPolicy
	macros     map[string]Macro
	beforeSave func()
}

func newMemStore() *memStore {
	return &memStore{
		tickets: map[string]Ticket{}, agents: map[string]Agent{}, groups: map[string]Group{},
		rr: map[string]string{}, policies: map[Priority]SLAPolicy{}, macros: map[string]Macro{},
	}
}

func notFound(kind, id string) error { return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound) }

func (s *memStore) GetTicket(_ context.Context, id string) (Ticket, error) {
	t, ok := s.tickets[id]
	if !ok {
		return Ticket{}, notFound("ticket", id)
	}
	return t.clone(), nil
}

func (s *memStore) Save(_ context.Context, cs Changeset) error {
	if s.beforeSave != nil {
		s.beforeSave()
	}
	for _, t := range cs.Tickets {
		cur, exists := s.tickets[t.ID]
		if (t.Version == 0 && exists) || (t.Version != 0 && (!exists || cur.Version != t.Version)) {
			return fmt.Errorf("ticket %s: %w", t.ID, ErrConflict)
		}
	}
	for _, t := range cs.Tickets {
		t.Version++
		s.tickets[t.ID] = t.clone()
	}
	s.messages = append(s.messages, cs.NewMessages...)
	for _, m := range cs.UpdatedMessages {
		for i := range s.messages {
			if s.messages[i].ID == m.ID {
				s.messages[i] = m
			}
		}
	}
	s.events = append(s.events, cs.Events...)
	return nil
}

func (s *memStore) ListMessages(_ context.Context, ticketID string) ([]Message, error) {
	var out []Message
	for _, m := range s.messages {
		if m.TicketID == ticketID {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Message) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (s *memStore) ListEvents(_ context.Context, ticketID string) ([]Event, error) {
	var out []Event
	for _, e := range s.events {
		if e.TicketID == ticketID {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *memStore) GetAgent(_ context.Context, id string) (Agent, error) {
	a, ok := s.agents[id]
	if !ok {
		return Agent{}, notFound("agent", id)
	}
	return a, nil
}

func (s *memStore) GetAgents(_ context.Context, ids []string) (map[string]Agent, error) {
	out := map[string]Agent{}
	for _, id := range ids {
		if a, ok := s.agents[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

func (s *memStore) GetGroup(_ context.Context, id string) (Group, error) {
	g, ok := s.groups[id]
	if !ok {
		return Group{}, notFound("group", id)
	}
	return g, nil
}

func (s *memStore) RoundRobinLast(_ context.Context, groupID string) (string, error) {
	return s.rr[groupID], nil
}

func (s *memStore) SetRoundRobinLast(_ context.Context, groupID, prev, next string) error {
	if s.rr[groupID] != prev {
		return ErrConflict
	}
	s.rr[groupID] = next
	return nil
}

func (s *memStore) SLAPolicy(_ context.Context, p Priority) (SLAPolicy, error) {
	pol, ok := s.policies[p]
	if !ok {
		return SLAPolicy{}, notFound("sla policy", string(p))
	}
	return pol, nil
}

func (s *memStore) GetMacro(_ context.Context, id string) (Macro, error) {
	m, ok := s.macros[id]
	if !ok {
		return Macro{}, notFound("macro", id)
	}
	return m, nil
}

type memCustomers map[string]Customer

func (c memCustomers) GetCustomer(_ context.Context, id string) (Customer, error) {
	if cu, ok := c[id]; ok {
		return cu, nil
	}
	return Customer{}, notFound("customer", id)
}

var _ Store = (*memStore)(nil)

// fixture returns a service with a stepping clock and sequential ids.
func fixture(t *testing.T) (*Service, *memStore, *time.Time) {
	t.Helper()
	st := newMemStore()
	st.agents["a1"] = Agent{ID: "a1", Name: "Grace", Available: true}
	st.agents["a2"] = Agent{ID: "a2", Name: "Linus", Available: true}
	st.agents["a3"] = Agent{ID: "a3", Name: "Off", Available: false}
	st.groups["g1"] = Group{ID: "g1", AgentIDs: []string{"a1", "a2", "a3"}}
	st.policies[PriorityNormal] = SLAPolicy{Priority: PriorityNormal, FirstResponse: 8 * time.Hour, Resolution: 24 * time.Hour}
	st.policies[PriorityUrgent] = SLAPolicy{Priority: PriorityUrgent, FirstResponse: time.Hour, Resolution: 4 * time.Hour}
	now := t0
	n := 0
	svc := &Service{
		Store:     st,
		Customers: memCustomers{"c1": {ID: "c1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}},
		Now:       func() time.Time { now = now.Add(time.Minute); return now },
		NewID:     func() string { n++; return fmt.Sprintf("id%d", n) },
	}
	return svc, st, &now
}

var customer = Actor{Kind: AuthorCustomer, ID: "c1"}

func create(t *testing.T, svc *Service) Ticket {
	t.Helper()
	tk, err := svc.CreateTicket(context.Background(), Draft{Subject: "Cannot log in", RequesterID: "c1", Channel: ChannelEmail}, "help", nil, customer)
	must(t, err)
	return tk
}

func TestServiceConversation(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := fixture(t)
	tk := create(t, svc)
	if tk.Version != 1 || tk.Status != StatusNew || tk.FirstResponseDue == nil || !tk.FirstResponseDue.Equal(tk.CreatedAt.Add(8*time.Hour)) {
		t.Fatalf("created %+v", tk)
	}
	msgs, _ := st.ListMessages(ctx, tk.ID)
	if len(msgs) != 1 || msgs[0].AuthorKind != AuthorCustomer || msgs[0].TicketID != tk.ID {
		t.Fatalf("description %+v", msgs)
	}

	tk, reply, err := svc.Reply(ctx, tk.ID, agentA, "on it", nil)
	must(t, err)
	if reply.ID == "" || tk.Status != StatusOpen || tk.FirstResponseAt == nil || tk.Version != 2 {
		t.Fatalf("after reply %+v %+v", tk, reply)
	}
	_, _, err = svc.AddNote(ctx, tk.ID, customer, "sneaky", nil)
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("customer note: %v", err)
	}
	tk, err = svc.SetStatus(ctx, tk.ID, StatusSolved, agentA)
	must(t, err)
	tk, _, err = svc.Reply(ctx, tk.ID, customer, "still broken", nil)
	must(t, err)
	if tk.Status != StatusOpen || tk.SolvedAt != nil {
		t.Fatalf("customer reply should reopen: %+v", tk)
	}
	tk, err = svc.SetPriority(ctx, tk.ID, PriorityUrgent, agentA)
	must(t, err)
	if !tk.ResolutionDue.Equal(tk.CreatedAt.Add(4*time.Hour)) || !tk.FirstResponseDue.Equal(tk.CreatedAt.Add(8*time.Hour)) {
		t.Fatalf("priority change must recompute only the unmet target: %v %v", tk.FirstResponseDue, tk.ResolutionDue)
	}
	if _, err := svc.SetStatus(ctx, tk.ID, StatusClosed, agentA); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("open→closed: %v", err)
	}
	if _, err := svc.SetStatus(ctx, "nope", StatusOpen, agentA); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
	tk, err = svc.ChangeTags(ctx, tk.ID, []string{"VIP", "x"}, []string{"x"}, agentA)
	must(t, err)
	if !slices.Equal(tk.Tags, []string{"vip"}) {
		t.Fatalf("tags %v", tk.Tags)
	}

	evs, _ := st.ListEvents(ctx, tk.ID)
	var trail []string
	for _, e := range evs {
		if e.ID == "" || e.At.IsZero() || e.Actor.Kind == "" {
			t.Fatalf("incomplete event %+v", e)
		}
		if e.Field == FieldStatus {
			trail = append(trail, e.Old+"→"+e.New)
		}
	}
	if !slices.Equal(trail, []string{"→new", "new→open", "open→solved", "solved→open"}) {
		t.Fatalf("status trail %v", trail)
	}
}

func TestServiceRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := fixture(t)
	tk := create(t, svc)
	conflicts := 1
	st.beforeSave = func() { // a concurrent writer bumps the version
		if conflicts > 0 {
			conflicts--
			cur := st.tickets[tk.ID]
			cur.Version++
			cur.Tags = []string{"from-other-writer"}
			st.tickets[tk.ID] = cur
		}
	}
	got, err := svc.ChangeTags(ctx, tk.ID, []string{"mine"}, nil, agentA)
	must(t, err)
	if !slices.Equal(got.Tags, []string{"from-other-writer", "mine"}) {
		t.Fatalf("retry must re-run on fresh data, tags %v", got.Tags)
	}
	conflicts = 100
	if _, err := svc.ChangeTags(ctx, tk.ID, []string{"z"}, nil, agentA); !errors.Is(err, ErrConflict) {
		t.Fatalf("persistent conflict: %v", err)
	}
}

func TestServiceAssignment(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := fixture(t)
	var got []string
	for range 4 {
		tk := create(t, svc)
		tk, err := svc.AutoAssign(ctx, tk.ID, "g1", System)
		must(t, err)
		if tk.GroupID != "g1" || tk.Status != StatusOpen {
			t.Fatalf("%+v", tk)
		}
		got = append(got, tk.AssigneeID)
	}
	if !slices.Equal(got, []string{"a1", "a2", "a1", "a2"}) || st.rr["g1"] != "a2" {
		t.Fatalf("rotation %v, state %q", got, st.rr["g1"])
	}
	tk := create(t, svc)
	if _, err := svc.Assign(ctx, tk.ID, "g1", "stranger", agentA); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("agent outside group: %v", err)
	}
	if _, err := svc.Assign(ctx, tk.ID, "nogroup", "", agentA); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("unknown group: %v", err)
	}
	st.agents["a1"] = Agent{ID: "a1"}
	st.agents["a2"] = Agent{ID: "a2"}
	if _, err := svc.AutoAssign(ctx, tk.ID, "g1", System); !errors.Is(err, ErrNoAgentAvailable) {
		t.Fatalf("nobody available: %v", err)
	}
}

func TestServiceMacroRateMerge(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := fixture(t)
	solved, urgent := StatusSolved, PriorityUrgent
	st.macros["m1"] = Macro{ID: "m1", Name: "Solve", Body: "Hi {{customer.firstName}}, fixed #{{ticket.id}}. {{agent.name}}",
		SetStatus: &solved, SetPriority: &urgent, AddTags: []string{"macro"}}
	tk := create(t, svc)
	tk, missing, err := svc.ApplyMacro(ctx, tk.ID, "m1", agentA)
	must(t, err)
	if missing != nil || tk.Status != StatusSolved || tk.Priority != PriorityUrgent || tk.FirstResponseAt == nil ||
		!tk.ResolutionDue.Equal(tk.CreatedAt.Add(4*time.Hour)) {
		t.Fatalf("after macro %+v missing %v", tk, missing)
	}
	msgs, _ := st.ListMessages(ctx, tk.ID)
	if last := msgs[len(msgs)-1]; last.Body != "Hi Ada, fixed #"+tk.ID+". Grace" || last.Kind != KindPublicReply || last.AuthorID != "a1" {
		t.Fatalf("macro reply %+v", last)
	}
	if _, _, err := svc.ApplyMacro(ctx, tk.ID, "missing", agentA); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("unknown macro: %v", err)
	}

	tk, err = svc.Rate(ctx, tk.ID, 5, "thanks")
	must(t, err)
	if tk.CSAT == nil || tk.CSAT.Score != 5 {
		t.Fatalf("rating %+v", tk.CSAT)
	}

	target := create(t, svc)
	dup := create(t, svc)
	_, _, err = svc.Reply(ctx, dup.ID, customer, "more detail", nil)
	must(t, err)
	target, err = svc.Merge(ctx, target.ID, dup.ID, agentA)
	must(t, err)
	dup, _ = st.GetTicket(ctx, dup.ID)
	if dup.Status != StatusClosed || dup.MergedInto != target.ID {
		t.Fatalf("dup %+v", dup)
	}
	moved, _ := st.ListMessages(ctx, target.ID)
	var bodies []string
	for _, m := range moved {
		bodies = append(bodies, m.Body)
	}
	if len(moved) != 4 || bodies[1] != "help" || bodies[2] != "more detail" || !strings.Contains(bodies[3], "was merged into this ticket") {
		t.Fatalf("target messages %q", bodies)
	}
	left, _ := st.ListMessages(ctx, dup.ID)
	if len(left) != 1 || left[0].AuthorKind != AuthorSystem {
		t.Fatalf("dup keeps only the system note, got %+v", left)
	}
	if _, err := svc.Merge(ctx, dup.ID, target.ID, agentA); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("merge into merged ticket: %v", err)
	}
	if _, _, err := svc.Reply(ctx, dup.ID, customer, "hello?", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("reply on merged ticket: %v", err)
	}
}
