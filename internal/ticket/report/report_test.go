package report

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
)

func TestAttainment(t *testing.T) {
	day := func(d int, h int) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, time.UTC) }
	mk := func(frDue, frAt, resDue, solved *time.Time) ticket.Ticket {
		return ticket.Ticket{FirstResponseDue: frDue, FirstResponseAt: frAt, ResolutionDue: resDue, SolvedAt: solved}
	}
	tickets := []ticket.Ticket{
		mk(ptr(day(3, 12)), ptr(day(3, 11)), ptr(day(4, 12)), ptr(day(4, 10))), // both met in March 3-7
		mk(ptr(day(3, 12)), ptr(day(3, 13)), ptr(day(4, 12)), nil),             // FR late, resolution unmet → two misses
		mk(ptr(day(5, 12)), nil, nil, nil),                                     // FR unmet, no resolution target
		mk(ptr(day(10, 12)), ptr(day(6, 9)), nil, nil),                         // met early: counts at met time, in period
		mk(ptr(day(10, 12)), nil, ptr(day(11, 12)), nil),                       // due next period: not counted
		mk(ptr(day(2, 12)), ptr(day(2, 11)), nil, nil),                         // met before period
		mk(nil, nil, nil, nil),                                                 // no SLA
		{FirstResponseDue: ptr(day(3, 12)), MergedInto: "X"},                   // merged: ignored
	}
	got := Attainment(tickets, day(3, 0), day(10, 0))
	want := SLAAttainment{FirstResponse: Ratio{Met: 2, Total: 4}, Resolution: Ratio{Met: 1, Total: 2}}
	if got != want {
		t.Fatalf("Attainment = %+v, want %+v", got, want)
	}
	if p, ok := got.FirstResponse.Percent(); !ok || p != 50 {
		t.Fatalf("percent %v %v", p, ok)
	}
	if _, ok := (Ratio{}).Percent(); ok {
		t.Fatal("empty ratio must not report a percentage")
	}
	next := Attainment(tickets, day(10, 0), day(17, 0))
	if next.FirstResponse != (Ratio{Met: 0, Total: 1}) || next.Resolution != (Ratio{Met: 0, Total: 1}) {
		t.Fatalf("next period %+v", next)
	}
}

func TestCSATByAgent(t *testing.T) {
	r := func(agent string, score int, at time.Time) ticket.Ticket {
		return ticket.Ticket{AssigneeID: agent, CSAT: &ticket.Rating{Score: score, At: at}}
	}
	tickets := []ticket.Ticket{
		r("a", 5, t0), r("a", 2, t0.Add(time.Hour)), r("b", 4, t0), r("", 3, t0),
		r("a", 1, t0.Add(-time.Hour)), r("b", 1, t0.Add(24*time.Hour)), {AssigneeID: "a"},
	}
	by, total := CSATByAgent(tickets, t0, t0.Add(24*time.Hour))
	if by["a"] != (CSATSummary{Count: 2, Sum: 7, Satisfied: 1}) || by["b"] != (CSATSummary{1, 4, 1}) || by[""] != (CSATSummary{1, 3, 0}) {
		t.Fatalf("by agent %+v", by)
	}
	if avg, ok := by["a"].Average(); !ok || avg != 3.5 {
		t.Fatalf("avg %v", avg)
	}
	if p, ok := total.SatisfiedPercent(); !ok || p != 50 || total.Count != 4 {
		t.Fatalf("total %+v %v", total, p)
	}
	if _, ok := (CSATSummary{}).Average(); ok {
		t.Fatal("empty average")
	}
}

func TestReports(t *testing.T) {
	ctx := context.Background()
	adm := &memStore{tickets: map[string]ticket.Ticket{}, agents: map[string]ticket.Agent{
		"a1": {ID: "a1", Name: "Grace", Available: true}, "a2": {ID: "a2", Name: "Linus", Available: true}, "a3": {ID: "a3", Name: "Off"}}}
	now := t0.Add(10 * 24 * time.Hour)
	svc := &Service{Store: adm, Now: func() time.Time { return now }}
	rated := func(id, assignee string, score int, at time.Time) {
		adm.tickets[id] = ticket.Ticket{ID: id, AssigneeID: assignee, Status: ticket.StatusSolved, CSAT: &ticket.Rating{Score: score, At: at}}
	}
	rated("t1", "a2", 5, t0.Add(time.Hour))
	rated("t2", "a1", 2, t0.Add(2*time.Hour))
	rated("t3", "", 4, t0.Add(3*time.Hour))
	rated("t4", "gone", 1, t0.Add(4*time.Hour))
	rated("t5", "a1", 5, t0.Add(-time.Hour)) // before the period

	st, err := svc.CSATStats(ctx, t0, now.Add(time.Hour))
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
		if _, err := svc.CSATStats(ctx, p[0], p[1]); !errors.Is(err, ticket.ErrInvalidInput) {
			t.Errorf("period %v: err %v", p, err)
		}
		if _, err := svc.SLAAttainment(ctx, p[0], p[1]); !errors.Is(err, ticket.ErrInvalidInput) {
			t.Errorf("period %v: err %v", p, err)
		}
	}
	if _, to, _ := Period(t0, now.Add(time.Hour), now); !to.Equal(now) {
		t.Errorf("to = %v, want capped at now", to)
	}
	if _, err := svc.SLAAttainment(ctx, t0, now); err != nil {
		t.Error(err)
	}
}

var t0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) // a Monday

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// memStore serves the reports from a map of tickets and agents.
type memStore struct {
	tickets map[string]ticket.Ticket
	agents  map[string]ticket.Agent
}

func (s *memStore) TicketsForAttainment(_ context.Context, from, to time.Time) ([]ticket.Ticket, error) {
	return s.all(), nil
}

func (s *memStore) TicketsRatedBetween(_ context.Context, from, to time.Time) ([]ticket.Ticket, error) {
	var out []ticket.Ticket
	for _, t := range s.all() {
		if t.CSAT != nil && !t.CSAT.At.Before(from) && t.CSAT.At.Before(to) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *memStore) GetAgents(_ context.Context, ids []string) (map[string]ticket.Agent, error) {
	out := map[string]ticket.Agent{}
	for _, id := range ids {
		if a, ok := s.agents[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

func (s *memStore) all() []ticket.Ticket {
	var out []ticket.Ticket
	for _, t := range s.tickets {
		out = append(out, t)
	}
	return out
}

var _ Store = (*memStore)(nil)
