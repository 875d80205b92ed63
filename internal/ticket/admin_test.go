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

// memAdmin adds the AdminStore methods to memStore.
type memAdmin struct {
	*memStore
	saved []Macro
	puts  []SLAPolicy
}

func (s *memAdmin) CreateAgent(_ context.Context, a Agent) (Agent, error) {
	if _, ok := s.agents[a.ID]; ok {
		return Agent{}, fmt.Errorf("agent %s: %w", a.ID, ErrConflict)
	}
	s.agents[a.ID] = a
	return a, nil
}

func (s *memAdmin) SetAgentAvailable(_ context.Context, id string, available bool) (Agent, error) {
	a, ok := s.agents[id]
	if !ok {
		return Agent{}, notFound("agent", id)
	}
	a.Available = available
	s.agents[id] = a
	return a, nil
}

func (s *memAdmin) ListAgents(context.Context) ([]Agent, error) {
	var out []Agent
	for _, a := range s.agents {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *memAdmin) CreateGroup(_ context.Context, g Group) (Group, error) {
	s.groups[g.ID] = g
	return g, nil
}

func (s *memAdmin) ListGroups(context.Context) ([]Group, error) { return nil, nil }

func (s *memAdmin) PutSLAPolicy(_ context.Context, p SLAPolicy) error {
	s.puts = append(s.puts, p)
	s.policies[p.Priority] = p
	return nil
}

func (s *memAdmin) ListSLAPolicies(context.Context) ([]SLAPolicy, error) { return nil, nil }

func (s *memAdmin) CreateMacro(_ context.Context, m Macro) error {
	s.saved = append(s.saved, m)
	s.macros[m.ID] = m
	return nil
}

func (s *memAdmin) ListMacros(context.Context) ([]Macro, error) { return s.saved, nil }

func (s *memAdmin) TicketsForAttainment(_ context.Context, from, to time.Time) ([]Ticket, error) {
	return s.all(), nil
}

func (s *memAdmin) TicketsRatedBetween(_ context.Context, from, to time.Time) ([]Ticket, error) {
	var out []Ticket
	for _, t := range s.all() {
		if t.CSAT != nil && !t.CSAT.At.Before(from) && t.CSAT.At.Before(to) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *memAdmin) TicketCursor(t Ticket, o Order) string { return string(o) + ":" + t.ID }

func (s *memAdmin) all() []Ticket {
	var out []Ticket
	for _, t := range s.tickets {
		out = append(out, t.clone())
	}
	return out
}

var _ AdminStore = (*memAdmin)(nil)

type memKeys map[string]APIKey

func (k memKeys) APIKey(_ context.Context, id string) (APIKey, bool, error) {
	x, ok := k[id]
	return x, ok, nil
}

type memRequesters struct{ byEmail map[string]string }

func (r memRequesters) RequesterByID(_ context.Context, id string) (string, error) {
	if id == "c1" || id == "absorbed" {
		return "c1", nil
	}
	return "", notFound("customer", id)
}

func (r memRequesters) RequesterByEmail(_ context.Context, email string) (string, error) {
	return r.byEmail[email], nil
}

// adminFixture is fixture with the admin store, API keys and requesters wired.
func adminFixture(t *testing.T) (*Service, *memAdmin) {
	svc, st, _ := fixture(t)
	adm := &memAdmin{memStore: st}
	svc.Store, svc.Admin = adm, adm
	svc.Keys = memKeys{"k-agent": {ID: "k-agent", Role: "agent"}, "k-admin": {ID: "k-admin", Role: "admin"},
		"k-analyst": {ID: "k-analyst", Role: "analyst"}, "k-old": {ID: "k-old", Role: "agent", Revoked: true}}
	svc.Requesters = memRequesters{byEmail: map[string]string{"ada@example.com": "c1"}}
	return svc, adm
}

// invalidMsg is what the API shows of an ErrInvalidInput error.
func invalidMsg(t *testing.T, err error) string {
	t.Helper()
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("err = %v, want invalid input", err)
	}
	return strings.TrimPrefix(err.Error(), ErrInvalidInput.Error()+": ")
}

func TestNewServiceTakesAdminFromStore(t *testing.T) {
	adm := &memAdmin{memStore: newMemStore()}
	if s := NewService(adm, nil); s.Admin != adm {
		t.Error("NewService did not take the admin store from a store that has it")
	}
	if s := NewService(newMemStore(), nil); s.Admin != nil {
		t.Error("a store without the admin methods gave an admin store")
	}
}

func TestCreateAgentChecksItsKey(t *testing.T) {
	ctx := context.Background()
	svc, adm := adminFixture(t)
	for _, tc := range []struct {
		d    AgentDraft
		want string
	}{
		{AgentDraft{KeyID: "k-agent", Name: " ", Email: "x@example.com"}, "an agent needs a name (1-100 characters) and an e-mail"},
		{AgentDraft{KeyID: "k-agent", Name: "Grace", Email: ""}, "an agent needs a name (1-100 characters) and an e-mail"},
		{AgentDraft{KeyID: "k-none", Name: "Grace", Email: "g@example.com"}, `API key "k-none" not found`},
		{AgentDraft{KeyID: "k-analyst", Name: "Grace", Email: "g@example.com"}, "an agent needs an AGENT or ADMIN key, not ANALYST"},
		{AgentDraft{KeyID: "k-old", Name: "Grace", Email: "g@example.com"}, `API key "k-old" is revoked`},
	} {
		_, err := svc.CreateAgent(ctx, tc.d)
		if got := invalidMsg(t, err); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.d, got, tc.want)
		}
	}
	a, err := svc.CreateAgent(ctx, AgentDraft{KeyID: "k-admin", Name: " Ada ", Email: " ada@example.com ", Available: true})
	must(t, err)
	if a.ID != "k-admin" || a.Name != "Ada" || a.Email != "ada@example.com" || !a.Available || adm.agents["k-admin"].Name != "Ada" {
		t.Errorf("created %+v", a)
	}
	a, err = svc.SetAgentAvailable(ctx, "k-admin", false)
	if err != nil || a.Available {
		t.Errorf("SetAgentAvailable: %+v %v", a, err)
	}
}

func TestCreateGroupAndMacro(t *testing.T) {
	ctx := context.Background()
	svc, adm := adminFixture(t)
	if _, err := svc.CreateGroup(ctx, "  ", nil); invalidMsg(t, err) != "a group needs a name of 1 to 100 characters and at most 500 agents" {
		t.Errorf("empty name: %v", err)
	}
	if _, err := svc.CreateGroup(ctx, "Tier 1", make([]string, 501)); err == nil {
		t.Error("501 agents accepted")
	}
	g, err := svc.CreateGroup(ctx, " Tier 1 ", []string{"a1", "a1", "a2"})
	must(t, err)
	if g.ID == "" || g.Name != "Tier 1" || !slices.Equal(g.AgentIDs, []string{"a1", "a2"}) || adm.groups[g.ID].Name != "Tier 1" {
		t.Errorf("group %+v", g)
	}

	solved := StatusSolved
	m, err := svc.CreateMacro(ctx, Macro{Name: " Close ", Body: "Hi {{customer.firstName}}", SetStatus: &solved, AddTags: []string{" Done "}})
	must(t, err)
	if m.ID == "" || m.Name != "Close" || !slices.Equal(m.AddTags, []string{"done"}) || len(adm.saved) != 1 || adm.saved[0].ID != m.ID {
		t.Errorf("macro %+v, saved %+v", m, adm.saved)
	}
	if _, err := svc.CreateMacro(ctx, Macro{Name: "Bad", Body: "{{custmer.name}}"}); !errors.Is(err, ErrInvalidInput) || len(adm.saved) != 1 {
		t.Errorf("unknown placeholder: err %v, saved %d", err, len(adm.saved))
	}

	p, err := svc.SetSLAPolicy(ctx, SLAPolicyInput{Priority: PriorityHigh, FirstResponseMinutes: 30, ResolutionMinutes: 240})
	must(t, err)
	if p.FirstResponse != 30*time.Minute || len(adm.puts) != 1 {
		t.Errorf("policy %+v, puts %d", p, len(adm.puts))
	}
	if _, err := svc.SetSLAPolicy(ctx, SLAPolicyInput{Priority: PriorityHigh, FirstResponseMinutes: -5}); err == nil || len(adm.puts) != 1 {
		t.Errorf("invalid policy: err %v, puts %d", err, len(adm.puts))
	}
}

func TestQueueAndOpen(t *testing.T) {
	ctx := context.Background()
	svc, _ := adminFixture(t)
	agent := Actor{Kind: AuthorAgent, ID: "a1"}
	byID, err := svc.Open(ctx, RequesterRef{CustomerID: ptr("absorbed")}, Draft{Subject: "One", Channel: ChannelEmail}, "first", agent)
	must(t, err)
	byMail, err := svc.Open(ctx, RequesterRef{Email: ptr("ada@example.com")}, Draft{Subject: "Two", Channel: ChannelChat}, "second", agent)
	must(t, err)
	if byID.RequesterID != "c1" || byMail.RequesterID != "c1" {
		t.Errorf("requesters %q %q, want c1 (the surviving profile)", byID.RequesterID, byMail.RequesterID)
	}
	for ref, want := range map[RequesterRef]string{
		{CustomerID: ptr("c1"), Email: ptr("ada@example.com")}: "give the requester as customerId or email, not both",
		{}: "give the requester as customerId or email",
	} {
		if _, err := svc.Open(ctx, ref, Draft{Subject: "x", Channel: ChannelEmail}, "x", agent); invalidMsg(t, err) != want {
			t.Errorf("%+v: %v", ref, err)
		}
	}
	if _, err := svc.Open(ctx, RequesterRef{CustomerID: ptr("nobody")}, Draft{Subject: "x", Channel: ChannelEmail}, "x", agent); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}

	pg, err := svc.Queue(ctx, QueueQuery{Queue: QueueNameUnassigned, Limit: 1})
	must(t, err)
	if len(pg.Tickets) != 1 || !pg.HasNext || pg.Cursors[0] != string(OrderCreatedAsc)+":"+pg.Tickets[0].ID {
		t.Errorf("page %+v", pg)
	}
	pg, err = svc.Queue(ctx, QueueQuery{Queue: QueueNameMine, AgentID: "a1", Filter: &QueueFilter{AssigneeID: ptr("a2")}})
	if err != nil || len(pg.Tickets) != 0 || pg.HasNext {
		t.Errorf("contradicting filter: %+v %v", pg, err)
	}
	got, err := svc.GetTicket(ctx, byID.ID)
	must(t, err)
	msgs, err := svc.Messages(ctx, byID.ID)
	must(t, err)
	if got.Subject != "One" || len(msgs) != 1 || msgs[0].Body != "first" {
		t.Errorf("ticket %+v, messages %+v", got, msgs)
	}
}

func TestReports(t *testing.T) {
	ctx := context.Background()
	svc, adm := adminFixture(t)
	now := t0.Add(10 * 24 * time.Hour)
	svc.Now = func() time.Time { return now }
	rated := func(id, assignee string, score int, at time.Time) {
		adm.tickets[id] = Ticket{ID: id, AssigneeID: assignee, Status: StatusSolved, CSAT: &Rating{Score: score, At: at}}
	}
	rated("t1", "a2", 5, t0.Add(time.Hour))
	rated("t2", "a1", 2, t0.Add(2*time.Hour))
	rated("t3", "", 4, t0.Add(3*time.Hour))
	rated("t4", "gone", 1, t0.Add(4*time.Hour))
	rated("t5", "a1", 5, t0.Add(-time.Hour)) // before the period

	st, err := svc.CSATReport(ctx, t0, now.Add(time.Hour))
	must(t, err)
	if st.Total.Count != 4 || len(st.ByAgent) != 4 {
		t.Fatalf("report %+v", st)
	}
	var ids []string
	for _, a := range st.ByAgent {
		ids = append(ids, a.AgentID)
		if (a.Agent != nil) != (a.AgentID == "a1" || a.AgentID == "a2") {
			t.Errorf("%q: agent %+v", a.AgentID, a.Agent)
		}
	}
	if !slices.Equal(ids, []string{"", "a1", "a2", "gone"}) {
		t.Errorf("order %q", ids)
	}

	for _, p := range [][2]time.Time{{now, now}, {now, t0}, {t0, t0.Add(367 * 24 * time.Hour)}} {
		if _, err := svc.CSATReport(ctx, p[0], p[1]); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("period %v: err %v", p, err)
		}
		if _, err := svc.AttainmentReport(ctx, p[0], p[1]); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("period %v: err %v", p, err)
		}
	}
	if _, to, _ := ReportPeriod(t0, now.Add(time.Hour), now); !to.Equal(now) {
		t.Errorf("to = %v, want capped at now", to)
	}
	if _, err := svc.AttainmentReport(ctx, t0, now); err != nil {
		t.Error(err)
	}
}
