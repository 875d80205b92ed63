package survey

import (
	"sort"
	"sync"
	"time"
)

// Intervals of the NPS trend.
const (
	Day   = "day"
	Week  = "week" // ISO weeks from Monday, UTC
	Month = "month"
)

// Period is one period of the NPS trend. NPS is the share of promoters minus the share
// of detractors, in percentage points (-100..100); nil without responses.
type Period struct {
	Start                           time.Time
	Responses                       int
	Promoters, Passives, Detractors int
	PromotersPct, DetractorsPct     float64
	NPS                             *float64
}

// Trend is NPS over time.
type Trend struct {
	Ready   bool
	Periods []Period
	Total   Period
}

type tally struct{ promoters, passives, detractors int }

func (t *tally) add(score, n int) {
	switch Category(score) {
	case Promoter:
		t.promoters += n
	case Passive:
		t.passives += n
	default:
		t.detractors += n
	}
}

// aggregate holds NPS answers counted per UTC day of their first answer, built once at
// start from the stored answers and kept current by every answer. It remembers what it
// counted of each send, so an answer heard twice (by the build's read and by the
// answer itself) counts once, with its latest score.
type aggregate struct {
	mu      sync.RWMutex
	ready   bool
	days    map[int64]*tally // day (Unix seconds of 00:00 UTC) -> counts
	counted map[string]counted
	// pending holds, by send id, the latest answer heard while the start-up build ran.
	pending map[string]counted
}

type counted struct {
	day   int64
	score int
}

func newAggregate() *aggregate {
	return &aggregate{days: map[int64]*tally{}, counted: map[string]counted{}, pending: map[string]counted{}}
}

func dayOf(t time.Time) int64 {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()
}

// set counts a send's answer, replacing what was counted of it.
func (a *aggregate) set(id string, c counted) {
	if old, ok := a.counted[id]; ok {
		a.days[old.day].add(old.score, -1)
	}
	d := a.days[c.day]
	if d == nil {
		d = &tally{}
		a.days[c.day] = d
	}
	d.add(c.score, 1)
	a.counted[id] = c
}

// answered records the NPS answer of a send (its first answer's time, latest score).
func (a *aggregate) answered(sendID string, at time.Time, score int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := counted{day: dayOf(at), score: score}
	if !a.ready {
		a.pending[sendID] = c
		return
	}
	a.set(sendID, c)
}

// load fills the aggregate from the stored NPS answers (once); a send answered
// meanwhile counts with its latest answer.
func (a *aggregate) load(answers []Send) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ready {
		return
	}
	for _, s := range answers {
		a.set(s.ID, counted{day: dayOf(s.Answer.At), score: s.Answer.Score})
	}
	for id, c := range a.pending {
		a.set(id, c)
	}
	a.pending, a.ready = nil, true
}

// trend returns the periods of interval between from and to (inclusive days).
func (a *aggregate) trend(interval string, from, to time.Time) Trend {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := Trend{Ready: a.ready}
	if !a.ready {
		return out
	}
	lo, hi := dayOf(from), dayOf(to)
	byStart := map[int64]*tally{}
	var total tally
	for d, t := range a.days {
		if d < lo || d > hi || (t.promoters == 0 && t.passives == 0 && t.detractors == 0) {
			continue
		}
		s := periodStart(time.Unix(d, 0).UTC(), interval).Unix()
		p := byStart[s]
		if p == nil {
			p = &tally{}
			byStart[s] = p
		}
		p.promoters, p.passives, p.detractors = p.promoters+t.promoters, p.passives+t.passives, p.detractors+t.detractors
		total.promoters, total.passives, total.detractors = total.promoters+t.promoters, total.passives+t.passives, total.detractors+t.detractors
	}
	// Every period in the range, also those without answers.
	for s := periodStart(time.Unix(lo, 0).UTC(), interval); !s.After(time.Unix(hi, 0).UTC()); s = next(s, interval) {
		t := byStart[s.Unix()]
		if t == nil {
			t = &tally{}
		}
		out.Periods = append(out.Periods, period(s, *t))
	}
	sort.Slice(out.Periods, func(i, j int) bool { return out.Periods[i].Start.Before(out.Periods[j].Start) })
	out.Total = period(time.Unix(lo, 0).UTC(), total)
	return out
}

func period(start time.Time, t tally) Period {
	p := Period{Start: start, Promoters: t.promoters, Passives: t.passives, Detractors: t.detractors}
	p.Responses = t.promoters + t.passives + t.detractors
	if p.Responses > 0 {
		n := float64(p.Responses)
		p.PromotersPct, p.DetractorsPct = 100*float64(t.promoters)/n, 100*float64(t.detractors)/n
		v := p.PromotersPct - p.DetractorsPct
		p.NPS = &v
	}
	return p
}

func periodStart(t time.Time, interval string) time.Time {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch interval {
	case Week:
		return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

func next(t time.Time, interval string) time.Time {
	switch interval {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}
