package ticket

import (
	"fmt"
	"slices"
	"time"
)

// Interval is a span of opening hours within one day, in minutes after local
// midnight: Start in [0,1440), End in (Start,1440]. End 1440 means midnight.
type Interval struct {
	Start, End int
}

// Date is a calendar day in the business-hours location (no time, no zone),
// so a holiday is the same local day whatever zone the caller lives in.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// BusinessHours is a weekly schedule in one location, minus holidays.
type BusinessHours struct {
	Location *time.Location // nil = UTC
	Days     map[time.Weekday][]Interval
	Holidays []Date
}

// Validate checks intervals are in range and don't overlap.
func (bh *BusinessHours) Validate() error {
	for day, ivs := range bh.Days {
		sorted := slices.Clone(ivs)
		slices.SortFunc(sorted, func(a, b Interval) int { return a.Start - b.Start })
		for i, iv := range sorted {
			if iv.Start < 0 || iv.End > 24*60 || iv.Start >= iv.End {
				return invalid("businessHours", "%s: interval %d-%d out of range", day, iv.Start, iv.End)
			}
			if i > 0 && sorted[i-1].End > iv.Start {
				return invalid("businessHours", "%s: overlapping intervals", day)
			}
		}
	}
	return nil
}

func (bh *BusinessHours) loc() *time.Location {
	if bh.Location == nil {
		return time.UTC
	}
	return bh.Location
}

// maxScanDays bounds the day-by-day walk so a schedule made only of holidays
// cannot loop forever; ten years covers any realistic SLA target.
const maxScanDays = 3660

// windows calls f with each business window (real instants) from the day of
// start onwards, in order, until f returns false. Window bounds are built with
// time.Date from wall-clock minutes, so a 09:00-17:00 day stays 09:00-17:00
// local across DST changes; a window spanning a DST jump is correspondingly
// one hour shorter or longer in elapsed time.
func (bh *BusinessHours) windows(start time.Time, f func(from, to time.Time) bool) {
	loc := bh.loc()
	holidays := make(map[Date]bool, len(bh.Holidays))
	for _, h := range bh.Holidays {
		holidays[h] = true
	}
	local := start.In(loc)
	y, m, d := local.Date()
	for i := 0; i < maxScanDays; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc) // noon never falls into a DST gap
		if holidays[DateOf(day)] {
			continue
		}
		ivs := slices.Clone(bh.Days[day.Weekday()])
		slices.SortFunc(ivs, func(a, b Interval) int { return a.Start - b.Start })
		for _, iv := range ivs {
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, iv.Start, 0, 0, loc)
			to := time.Date(day.Year(), day.Month(), day.Day(), 0, iv.End, 0, 0, loc)
			if !to.After(start) {
				continue
			}
			if from.Before(start) {
				from = start
			}
			if !f(from, to) {
				return
			}
		}
	}
}

func (bh *BusinessHours) empty() bool {
	for _, ivs := range bh.Days {
		if len(ivs) > 0 {
			return false
		}
	}
	return true
}

// DueAt returns the instant when d of business time has elapsed after start.
// A nil (or empty) schedule means calendar time. The result is in the
// schedule's location. A start outside business hours begins counting at the
// next opening; a target ending exactly at closing time is due at closing,
// not at the next opening.
func DueAt(start time.Time, d time.Duration, bh *BusinessHours) time.Time {
	if bh == nil || bh.empty() {
		return start.Add(d)
	}
	if d <= 0 {
		return start.In(bh.loc())
	}
	remaining := d
	due := time.Time{}
	bh.windows(start, func(from, to time.Time) bool {
		if avail := to.Sub(from); remaining > avail {
			remaining -= avail
			return true
		}
		due = from.Add(remaining)
		return false
	})
	if due.IsZero() { // only holidays for ten years: fall back rather than hang
		return start.Add(d).In(bh.loc())
	}
	return due.In(bh.loc())
}

// BusinessDuration is the business time between from and to (0 if to is not
// after from); the inverse of DueAt. Nil means calendar time.
func BusinessDuration(from, to time.Time, bh *BusinessHours) time.Duration {
	if !to.After(from) {
		return 0
	}
	if bh == nil || bh.empty() {
		return to.Sub(from)
	}
	var total time.Duration
	bh.windows(from, func(a, b time.Time) bool {
		if !a.Before(to) {
			return false
		}
		if b.After(to) {
			b = to
		}
		total += b.Sub(a)
		return true
	})
	return total
}

// SLAPolicy holds the targets for one priority. A zero duration means no
// target for that metric.
type SLAPolicy struct {
	Priority      Priority
	FirstResponse time.Duration
	Resolution    time.Duration
	BusinessHours *BusinessHours // nil = calendar time (24/7)
}

// Metric selects one of the two SLA targets.
type Metric int

const (
	FirstResponse Metric = iota
	Resolution
)

func (m Metric) String() string {
	if m == FirstResponse {
		return "first_response"
	}
	return "resolution"
}

// target returns the due time and the time the target was met (nil if not).
func (t *Ticket) target(m Metric) (due, met *time.Time) {
	if m == FirstResponse {
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
		*due = ptr(DueAt(t.CreatedAt, d, p.BusinessHours))
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
func (t *Ticket) Met(m Metric) bool {
	due, met := t.target(m)
	return due != nil && met != nil && !met.After(*due)
}

// Breached reports whether target m was missed: met late, or still unmet
// after its due time. Tickets without a target, or merged away, never breach.
func (t *Ticket) Breached(m Metric, now time.Time) bool {
	due, met := t.target(m)
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
func (t *Ticket) AtRisk(m Metric, now time.Time, threshold float64, bh *BusinessHours) bool {
	due, met := t.target(m)
	if due == nil || met != nil || t.MergedInto != "" || now.After(*due) {
		return false
	}
	total := BusinessDuration(t.CreatedAt, *due, bh)
	if total <= 0 {
		return true // zero allowance: anything unmet is at risk
	}
	used := BusinessDuration(t.CreatedAt, now, bh)
	return float64(used)/float64(total) >= threshold
}

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
func Attainment(tickets []Ticket, from, to time.Time) SLAAttainment {
	var a SLAAttainment
	for i := range tickets {
		t := &tickets[i]
		if t.MergedInto != "" {
			continue
		}
		for _, m := range []Metric{FirstResponse, Resolution} {
			due, _ := t.target(m)
			if due == nil {
				continue
			}
			r := &a.FirstResponse
			if m == Resolution {
				r = &a.Resolution
			}
			settled := *due
			ok := t.Met(m)
			if ok {
				_, met := t.target(m)
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
