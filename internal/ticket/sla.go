package ticket

import (
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

// SLAPolicy holds the targets for one priority. A zero duration means no
// target for that metric.
type SLAPolicy struct {
	Priority      Priority
	FirstResponse time.Duration
	Resolution    time.Duration
	BusinessHours *sla.BusinessHours // nil = calendar time (24/7)
}

// Target returns the due time of target m and the time it was met (nil if not).
func (t *Ticket) Target(m sla.Metric) (due, met *time.Time) {
	if m == sla.FirstResponse {
		return t.FirstResponseDue, t.FirstResponseAt
	}
	return t.ResolutionDue, t.SolvedAt
}

// ApplySLA sets the due times from CreatedAt according to p (nil clears
// them). Targets already met keep their due time so history and attainment
// don't change retroactively when priority is edited after the fact.
func ApplySLA(t *Ticket, p *SLAPolicy, by Actor, now time.Time) []Event {
	before := t.clone()
	set := func(due **time.Time, met *time.Time, d time.Duration) {
		if met != nil {
			return
		}
		if p == nil || d <= 0 {
			*due = nil
			return
		}
		*due = ptr(sla.DueAt(t.CreatedAt, d, p.BusinessHours))
	}
	var fr, res time.Duration
	if p != nil {
		fr, res = p.FirstResponse, p.Resolution
	}
	set(&t.FirstResponseDue, t.FirstResponseAt, fr)
	set(&t.ResolutionDue, t.SolvedAt, res)
	return touch(&before, t, by, now)
}

// Met reports whether the target m exists and was met on time.
func (t *Ticket) Met(m sla.Metric) bool {
	due, met := t.Target(m)
	return due != nil && met != nil && !met.After(*due)
}

// Breached reports whether target m was missed: met late, or still unmet
// after its due time. Tickets without a target, or merged away, never breach.
func (t *Ticket) Breached(m sla.Metric, now time.Time) bool {
	due, met := t.Target(m)
	if due == nil || t.MergedInto != "" {
		return false
	}
	if met != nil {
		return met.After(*due)
	}
	return now.After(*due)
}

// AtRisk reports whether target m is still unmet and not yet breached, but at
// least threshold (0..1) of its allowance has been used. The fraction is in
// business time (bh from the ticket's policy) so a weekend doesn't make a
// Friday-evening ticket look urgent on Saturday.
func (t *Ticket) AtRisk(m sla.Metric, now time.Time, threshold float64, bh *sla.BusinessHours) bool {
	due, met := t.Target(m)
	if due == nil || met != nil || t.MergedInto != "" || now.After(*due) {
		return false
	}
	total := sla.BusinessDuration(t.CreatedAt, *due, bh)
	if total <= 0 {
		return true // zero allowance: anything unmet is at risk
	}
	used := sla.BusinessDuration(t.CreatedAt, now, bh)
	return float64(used)/float64(total) >= threshold
}
