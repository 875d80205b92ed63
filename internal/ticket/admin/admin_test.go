package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

func TestValidateMacro(t *testing.T) {
	solved, bogus, high := ticket.StatusSolved, ticket.Status("bogus"), ticket.PriorityHigh
	ok := ticket.Macro{Name: "Close", Body: "Thanks {{customer.firstName}}", SetStatus: &solved, SetPriority: &high, AddTags: []string{"done"}}
	if err := ValidateMacro(ok); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]ticket.Macro{
		"typo placeholder": {Name: "x", Body: "Hi {{custmer.name}}"},
		"bad status":       {Name: "x", SetStatus: &bogus},
		"bad tag":          {Name: "x", AddTags: []string{"a b"}},
		"no name":          {Body: "x"},
	} {
		if err := ValidateMacro(m); !errors.Is(err, ticket.ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseSLAPolicy(t *testing.T) {
	p, err := ParseSLAPolicy(SLAPolicyInput{Priority: ticket.PriorityHigh, FirstResponseMinutes: 60, ResolutionMinutes: 8 * 60,
		BusinessHours: &sla.BusinessHoursInput{TimeZone: "Europe/London",
			Intervals: []sla.BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "17:30"}, {Weekday: 1, Start: "18:00", End: "24:00"}},
			Holidays:  []string{"2025-12-25"}}})
	must(t, err)
	if p.Priority != ticket.PriorityHigh || p.FirstResponse != time.Hour || p.Resolution != 8*time.Hour {
		t.Fatalf("got %+v", p)
	}
	bh := p.BusinessHours
	if bh == nil || bh.Location.String() != "Europe/London" || len(bh.Days[time.Monday]) != 2 ||
		bh.Days[time.Monday][0] != (sla.Interval{Start: 9 * 60, End: 17*60 + 30}) || bh.Days[time.Monday][1].End != 24*60 ||
		len(bh.Holidays) != 1 || bh.Holidays[0] != (sla.Date{Year: 2025, Month: time.December, Day: 25}) {
		t.Fatalf("business hours = %+v", bh)
	}

	// Without business hours the clock runs 24/7; zero targets mean none.
	p, err = ParseSLAPolicy(SLAPolicyInput{Priority: ticket.PriorityLow})
	if err != nil || p.BusinessHours != nil || p.FirstResponse != 0 {
		t.Fatalf("24/7: %+v %v", p, err)
	}
}

func TestParseSLAPolicyRejects(t *testing.T) {
	hours := func(tz string, ivs []sla.BusinessIntervalInput, hol ...string) *sla.BusinessHoursInput {
		return &sla.BusinessHoursInput{TimeZone: tz, Intervals: ivs, Holidays: hol}
	}
	day := []sla.BusinessIntervalInput{{Weekday: 2, Start: "09:00", End: "17:00"}}
	for _, tc := range []struct {
		in    SLAPolicyInput
		field string
	}{
		{SLAPolicyInput{Priority: ticket.PriorityLow, FirstResponseMinutes: -1}, "minutes"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, ResolutionMinutes: 366*24*60 + 1}, "minutes"},
		{SLAPolicyInput{Priority: "soon"}, ticket.FieldPriority},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("Mars/Olympus", day)}, "timeZone"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("", day)}, "timeZone"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("Local", day)}, "timeZone"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", []sla.BusinessIntervalInput{{Weekday: 7, Start: "09:00", End: "17:00"}})}, "weekday"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", []sla.BusinessIntervalInput{{Weekday: 1, Start: "9:0", End: "17:00"}})}, "start"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", []sla.BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "24:01"}})}, "end"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", []sla.BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "17:60"}})}, "end"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", day, "25/12/2025")}, "holidays"},
		{SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC", make([]sla.BusinessIntervalInput, 7*24+1))}, "businessHours"},
	} {
		_, err := ParseSLAPolicy(tc.in)
		var ve *ticket.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, ticket.ErrInvalidInput) {
			t.Errorf("%+v: err = %v, want a validation error on %s", tc.in, err, tc.field)
		}
	}
	// Business hours that are valid one by one but not together (overlaps, end before
	// start) are refused by BusinessHours.Validate.
	if _, err := ParseSLAPolicy(SLAPolicyInput{Priority: ticket.PriorityLow, BusinessHours: hours("UTC",
		[]sla.BusinessIntervalInput{{Weekday: 1, Start: "17:00", End: "09:00"}})}); !errors.Is(err, ticket.ErrInvalidInput) {
		t.Errorf("end before start: err = %v", err)
	}
}

type memKeys map[string]APIKey

func (k memKeys) APIKey(_ context.Context, id string) (APIKey, bool, error) {
	x, ok := k[id]
	return x, ok, nil
}

// invalidMsg is what the API shows of an ticket.ErrInvalidInput error.
func invalidMsg(t *testing.T, err error) string {
	t.Helper()
	if !errors.Is(err, ticket.ErrInvalidInput) {
		t.Fatalf("err = %v, want invalid input", err)
	}
	return strings.TrimPrefix(err.Error(), ticket.ErrInvalidInput.Error()+": ")
}

func TestCreateAgentChecksItsKey(t *testing.T) {
	ctx := context.Background()
	svc, adm := fixture()
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
	svc, adm := fixture()
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

	solved := ticket.StatusSolved
	m, err := svc.CreateMacro(ctx, ticket.Macro{Name: " Close ", Body: "Hi {{customer.firstName}}", SetStatus: &solved, AddTags: []string{" Done "}})
	must(t, err)
	if m.ID == "" || m.Name != "Close" || !slices.Equal(m.AddTags, []string{"done"}) || len(adm.saved) != 1 || adm.saved[0].ID != m.ID {
		t.Errorf("macro %+v, saved %+v", m, adm.saved)
	}
	if _, err := svc.CreateMacro(ctx, ticket.Macro{Name: "Bad", Body: "{{custmer.name}}"}); !errors.Is(err, ticket.ErrInvalidInput) || len(adm.saved) != 1 {
		t.Errorf("unknown placeholder: err %v, saved %d", err, len(adm.saved))
	}

	p, err := svc.SetSLAPolicy(ctx, SLAPolicyInput{Priority: ticket.PriorityHigh, FirstResponseMinutes: 30, ResolutionMinutes: 240})
	must(t, err)
	if p.FirstResponse != 30*time.Minute || len(adm.puts) != 1 {
		t.Errorf("policy %+v, puts %d", p, len(adm.puts))
	}
	if _, err := svc.SetSLAPolicy(ctx, SLAPolicyInput{Priority: ticket.PriorityHigh, FirstResponseMinutes: -5}); err == nil || len(adm.puts) != 1 {
		t.Errorf("invalid policy: err %v, puts %d", err, len(adm.puts))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// memAdmin keeps the configuration in memory.
type memAdmin struct {
	agents map[string]ticket.Agent
	groups map[string]ticket.Group
	saved  []ticket.Macro
	puts   []ticket.SLAPolicy
	// tickets are those ListTickets lists (edit_test.go).
	tickets []ticket.Ticket
}

func (s *memAdmin) CreateAgent(_ context.Context, a ticket.Agent) (ticket.Agent, error) {
	if _, ok := s.agents[a.ID]; ok {
		return ticket.Agent{}, fmt.Errorf("agent %s: %w", a.ID, ticket.ErrConflict)
	}
	s.agents[a.ID] = a
	return a, nil
}

func (s *memAdmin) SetAgentAvailable(_ context.Context, id string, available bool) (ticket.Agent, error) {
	a, ok := s.agents[id]
	if !ok {
		return ticket.Agent{}, fmt.Errorf("agent %s: %w", id, ticket.ErrNotFound)
	}
	a.Available = available
	s.agents[id] = a
	return a, nil
}

func (s *memAdmin) ListAgents(context.Context) ([]ticket.Agent, error) {
	var out []ticket.Agent
	for _, a := range s.agents {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b ticket.Agent) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *memAdmin) CreateGroup(_ context.Context, g ticket.Group) (ticket.Group, error) {
	s.groups[g.ID] = g
	return g, nil
}

func (s *memAdmin) ListGroups(context.Context) ([]ticket.Group, error) { return nil, nil }

func (s *memAdmin) PutSLAPolicy(_ context.Context, p ticket.SLAPolicy) error {
	s.puts = append(s.puts, p)
	return nil
}

func (s *memAdmin) ListSLAPolicies(context.Context) ([]ticket.SLAPolicy, error) { return nil, nil }

func (s *memAdmin) CreateMacro(_ context.Context, m ticket.Macro) error {
	s.saved = append(s.saved, m)
	return nil
}

func (s *memAdmin) ListMacros(context.Context) ([]ticket.Macro, error) { return s.saved, nil }

var _ Store = (*memAdmin)(nil)

// fixture is a service with sequential ids, an empty configuration and API keys.
func fixture() (*Service, *memAdmin) {
	adm := &memAdmin{agents: map[string]ticket.Agent{}, groups: map[string]ticket.Group{}}
	n := 0
	svc := &Service{Store: adm, NewID: func() string { n++; return fmt.Sprintf("id%d", n) },
		Keys: memKeys{"k-agent": {ID: "k-agent", Role: "agent"}, "k-admin": {ID: "k-admin", Role: "admin"},
			"k-analyst": {ID: "k-analyst", Role: "analyst"}, "k-old": {ID: "k-old", Role: "agent", Revoked: true}}}
	return svc, adm
}
