package report

import (
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
)

// CSATSummary aggregates ratings.
type CSATSummary struct {
	Count     int
	Sum       int
	Satisfied int // scores 4 and 5, the usual "CSAT %" numerator
}

// Average is the mean score; ok is false with no ratings.
func (s CSATSummary) Average() (avg float64, ok bool) {
	if s.Count == 0 {
		return 0, false
	}
	return float64(s.Sum) / float64(s.Count), true
}

// SatisfiedPercent is the share of 4-5 ratings; ok is false with no ratings.
func (s CSATSummary) SatisfiedPercent() (pct float64, ok bool) {
	if s.Count == 0 {
		return 0, false
	}
	return 100 * float64(s.Satisfied) / float64(s.Count), true
}

func (s *CSATSummary) add(score int) {
	s.Count++
	s.Sum += score
	if score >= 4 {
		s.Satisfied++
	}
}

// CSATByAgent aggregates ratings given in [from, to) per assignee ("" for
// unassigned tickets), plus the overall total.
func CSATByAgent(tickets []ticket.Ticket, from, to time.Time) (byAgent map[string]CSATSummary, total CSATSummary) {
	byAgent = map[string]CSATSummary{}
	for i := range tickets {
		r := tickets[i].CSAT
		if r == nil || r.At.Before(from) || !r.At.Before(to) {
			continue
		}
		s := byAgent[tickets[i].AssigneeID]
		s.add(r.Score)
		byAgent[tickets[i].AssigneeID] = s
		total.add(r.Score)
	}
	return byAgent, total
}
