package ticket

import (
	"context"
	"slices"
	"strings"
	"time"
)

// maxReportPeriod bounds a report's period.
const maxReportPeriod = 366 * 24 * time.Hour

// ReportPeriod checks a report's [from, to) and caps to at now: targets still running
// are not settled yet.
func ReportPeriod(from, to, now time.Time) (time.Time, time.Time, error) {
	if !from.Before(to) {
		return from, to, &ValidationError{Field: "from", Reason: "must be before to"}
	}
	if to.Sub(from) > maxReportPeriod {
		return from, to, &ValidationError{Field: "to", Reason: "period longer than one year"}
	}
	if to.After(now) {
		to = now
	}
	return from, to, nil
}

// AttainmentReport is the share of SLA targets met among those that settled in
// [from, to) (to capped at now).
func (s *Service) AttainmentReport(ctx context.Context, from, to time.Time) (SLAAttainment, error) {
	from, to, err := ReportPeriod(from, to, s.now())
	if err != nil {
		return SLAAttainment{}, err
	}
	ts, err := s.Admin.TicketsForAttainment(ctx, from, to)
	if err != nil {
		return SLAAttainment{}, err
	}
	return Attainment(ts, from, to), nil
}

// AgentCSAT is the satisfaction of one assignee's tickets; AgentID "" is tickets rated
// while unassigned, Agent nil an assignee that is no agent (any more).
type AgentCSAT struct {
	AgentID string
	Agent   *Agent
	Summary CSATSummary
}

// CSATStats is the satisfaction of the ratings of a period, in total and per assignee
// (ordered by agent id).
type CSATStats struct {
	Total   CSATSummary
	ByAgent []AgentCSAT
}

// CSATReport summarises the ratings given in [from, to) (to capped at now).
func (s *Service) CSATReport(ctx context.Context, from, to time.Time) (CSATStats, error) {
	from, to, err := ReportPeriod(from, to, s.now())
	if err != nil {
		return CSATStats{}, err
	}
	ts, err := s.Admin.TicketsRatedBetween(ctx, from, to)
	if err != nil {
		return CSATStats{}, err
	}
	byAgent, total := CSATByAgent(ts, from, to)
	ids := make([]string, 0, len(byAgent))
	for id := range byAgent {
		if id != "" {
			ids = append(ids, id)
		}
	}
	agents, err := s.Store.GetAgents(ctx, ids)
	if err != nil {
		return CSATStats{}, err
	}
	out := CSATStats{Total: total, ByAgent: []AgentCSAT{}}
	for id, sum := range byAgent {
		ac := AgentCSAT{AgentID: id, Summary: sum}
		if a, ok := agents[id]; ok {
			ac.Agent = &a
		}
		out.ByAgent = append(out.ByAgent, ac)
	}
	slices.SortFunc(out.ByAgent, func(a, b AgentCSAT) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out, nil
}
