// Package report is the help desk's reports: SLA attainment (the share of targets met
// among those that settled in a period) and customer satisfaction (CSAT), in total and
// per assignee. It reads tickets through its Store and changes nothing.
package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Store is what the reports read; the ticket store implements it.
type Store interface {
	// TicketsForAttainment returns the tickets whose SLA targets may have settled in
	// [from, to); TicketsRatedBetween those rated in [from, to).
	TicketsForAttainment(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error)
	TicketsRatedBetween(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error)
	// GetAgents returns the agents found among ids, keyed by id.
	GetAgents(ctx context.Context, ids []string) (map[string]ticket.Agent, error)
}

// Service serves the reports.
type Service struct {
	Store Store
	Now   func() time.Time // default time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// maxReportPeriod bounds a report's period.
const maxReportPeriod = 366 * 24 * time.Hour

// Period checks a report's [from, to) and caps to at now: targets still running are
// not settled yet.
func Period(from, to, now time.Time) (time.Time, time.Time, error) {
	if !from.Before(to) {
		return from, to, &ticket.ValidationError{Field: "from", Reason: "must be before to"}
	}
	if to.Sub(from) > maxReportPeriod {
		return from, to, &ticket.ValidationError{Field: "to", Reason: "period longer than one year"}
	}
	if to.After(now) {
		to = now
	}
	return from, to, nil
}

// SLAAttainment is the share of SLA targets met among those that settled in [from, to)
// (to capped at now).
func (s *Service) SLAAttainment(ctx context.Context, from, to time.Time) (SLAAttainment, error) {
	from, to, err := Period(from, to, s.now())
	if err != nil {
		return SLAAttainment{}, err
	}
	ts, err := s.Store.TicketsForAttainment(ctx, from, to)
	if err != nil {
		return SLAAttainment{}, err
	}
	return Attainment(ts, from, to), nil
}

// AgentCSAT is the satisfaction of one assignee's tickets; AgentID "" is tickets rated
// while unassigned, Agent nil an assignee that is no agent (any more).
type AgentCSAT struct {
	AgentID string
	Agent   *ticket.Agent
	Summary CSATSummary
}

// CSATStats is the satisfaction of the ratings of a period, in total and per assignee
// (ordered by agent id).
type CSATStats struct {
	Total   CSATSummary
	ByAgent []AgentCSAT
}

// CSATStats summarises the ratings given in [from, to) (to capped at now).
func (s *Service) CSATStats(ctx context.Context, from, to time.Time) (CSATStats, error) {
	from, to, err := Period(from, to, s.now())
	if err != nil {
		return CSATStats{}, err
	}
	ts, err := s.Store.TicketsRatedBetween(ctx, from, to)
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
