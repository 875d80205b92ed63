package report

import (
	"fmt"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

// Ratio is a met/total count.
type Ratio struct {
	Met, Total int
}

// Percent returns 100*Met/Total; ok is false when there was nothing to
// measure, so callers can show "n/a" instead of a misleading 0% or 100%.
func (r Ratio) Percent() (pct float64, ok bool) {
	if r.Total == 0 {
		return 0, false
	}
	return 100 * float64(r.Met) / float64(r.Total), true
}

func (r Ratio) String() string {
	if p, ok := r.Percent(); ok {
		return fmt.Sprintf("%d/%d (%.1f%%)", r.Met, r.Total, p)
	}
	return "n/a"
}

// SLAAttainment is the share of targets met in a period, per metric.
type SLAAttainment struct {
	FirstResponse Ratio
	Resolution    Ratio
}

// Attainment measures SLA targets settled in [from, to). A target settles
// when it is met on time (counted at the met time) or when its due time
// passes unmet or met late (counted at the due time, as a miss). Targets
// still running are ignored, so pass to <= now. Merged-away tickets and
// tickets without a target are not counted.
func Attainment(tickets []ticket.Ticket, from, to time.Time) SLAAttainment {
	var a SLAAttainment
	for i := range tickets {
		t := &tickets[i]
		if t.MergedInto != "" {
			continue
		}
		for _, m := range []sla.Metric{sla.FirstResponse, sla.Resolution} {
			due, _ := t.Target(m)
			if due == nil {
				continue
			}
			r := &a.FirstResponse
			if m == sla.Resolution {
				r = &a.Resolution
			}
			settled := *due
			ok := t.Met(m)
			if ok {
				_, met := t.Target(m)
				settled = *met
			}
			if settled.Before(from) || !settled.Before(to) {
				continue
			}
			r.Total++
			if ok {
				r.Met++
			}
		}
	}
	return a
}
