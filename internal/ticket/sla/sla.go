// Package sla is the clock of the help desk's service-level targets: business hours
// (weekly opening intervals in a time zone, minus holidays), the due time of a target
// counted in business time, and the business time between two instants. It knows
// nothing of tickets; the ticket domain applies it.
package sla

import (
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

// Validate checks intervals are in range and don't overlap (errors are *FieldError).
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
