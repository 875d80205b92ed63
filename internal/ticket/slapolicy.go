package ticket

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SLAPolicyInput is a policy as an admin writes it: targets in minutes and business
// hours as a time zone name, "HH:MM" intervals and "YYYY-MM-DD" holidays.
type SLAPolicyInput struct {
	Priority             Priority
	FirstResponseMinutes int
	ResolutionMinutes    int
	// BusinessHours nil: the clock runs 24/7.
	BusinessHours *BusinessHoursInput
}

// BusinessHoursInput is business hours as an admin writes them.
type BusinessHoursInput struct {
	// TimeZone is an IANA name such as Europe/London ("Local" is refused: it would
	// depend on the server's machine).
	TimeZone  string
	Intervals []BusinessIntervalInput
	Holidays  []string // YYYY-MM-DD, local days without service
}

// BusinessIntervalInput is one opening interval of a weekday, local time.
type BusinessIntervalInput struct {
	Weekday    int    // 0 = Sunday ... 6 = Saturday
	Start, End string // HH:MM; End may be 24:00
}

// maxTargetMinutes bounds SLA targets: one (leap) year.
const maxTargetMinutes = 366 * 24 * 60

// ParseSLAPolicy validates a policy and its business hours and builds the domain value.
func ParseSLAPolicy(in SLAPolicyInput) (SLAPolicy, error) {
	if in.FirstResponseMinutes < 0 || in.ResolutionMinutes < 0 || in.FirstResponseMinutes > maxTargetMinutes || in.ResolutionMinutes > maxTargetMinutes {
		return SLAPolicy{}, &ValidationError{Field: "minutes", Reason: "targets must be between 0 and one year"}
	}
	if !in.Priority.Valid() {
		return SLAPolicy{}, invalid(FieldPriority, "unknown priority %q", in.Priority)
	}
	p := SLAPolicy{Priority: in.Priority,
		FirstResponse: time.Duration(in.FirstResponseMinutes) * time.Minute, Resolution: time.Duration(in.ResolutionMinutes) * time.Minute}
	if b := in.BusinessHours; b != nil {
		loc, err := time.LoadLocation(b.TimeZone)
		if err != nil || b.TimeZone == "" || strings.EqualFold(b.TimeZone, "local") {
			return p, &ValidationError{Field: "timeZone", Reason: fmt.Sprintf("unknown time zone %q", b.TimeZone)}
		}
		bh := &BusinessHours{Location: loc, Days: map[time.Weekday][]Interval{}}
		if len(b.Intervals) > 7*24 || len(b.Holidays) > 1000 {
			return p, &ValidationError{Field: "businessHours", Reason: "too many intervals or holidays"}
		}
		for _, iv := range b.Intervals {
			if iv.Weekday < 0 || iv.Weekday > 6 {
				return p, &ValidationError{Field: "weekday", Reason: "must be 0 (Sunday) to 6 (Saturday)"}
			}
			start, err := parseHHMM("start", iv.Start)
			if err != nil {
				return p, err
			}
			end, err := parseHHMM("end", iv.End)
			if err != nil {
				return p, err
			}
			bh.Days[time.Weekday(iv.Weekday)] = append(bh.Days[time.Weekday(iv.Weekday)], Interval{Start: start, End: end})
		}
		for _, h := range b.Holidays {
			d, err := time.Parse(time.DateOnly, h)
			if err != nil {
				return p, &ValidationError{Field: "holidays", Reason: fmt.Sprintf("%q is not a date YYYY-MM-DD", h)}
			}
			bh.Holidays = append(bh.Holidays, DateOf(d))
		}
		if err := bh.Validate(); err != nil {
			return p, err
		}
		p.BusinessHours = bh
	}
	return p, nil
}

// parseHHMM reads a local time of day as minutes since midnight (24:00 is 1440).
func parseHHMM(field, s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a time of day HH:MM", s)}
	}
	return hh*60 + mm, nil
}
