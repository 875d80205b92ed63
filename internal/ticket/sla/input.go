package sla

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FieldError says what is wrong with business hours, naming the offending field (the
// ticket domain reports it as its ValidationError).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
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

// ParseBusinessHours validates business hours as an admin writes them and builds the
// schedule; errors are *FieldError.
func ParseBusinessHours(b BusinessHoursInput) (*BusinessHours, error) {
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil || b.TimeZone == "" || strings.EqualFold(b.TimeZone, "local") {
		return nil, &FieldError{Field: "timeZone", Reason: fmt.Sprintf("unknown time zone %q", b.TimeZone)}
	}
	bh := &BusinessHours{Location: loc, Days: map[time.Weekday][]Interval{}}
	if len(b.Intervals) > 7*24 || len(b.Holidays) > 1000 {
		return nil, &FieldError{Field: "businessHours", Reason: "too many intervals or holidays"}
	}
	for _, iv := range b.Intervals {
		if iv.Weekday < 0 || iv.Weekday > 6 {
			return nil, &FieldError{Field: "weekday", Reason: "must be 0 (Sunday) to 6 (Saturday)"}
		}
		start, err := parseHHMM("start", iv.Start)
		if err != nil {
			return nil, err
		}
		end, err := parseHHMM("end", iv.End)
		if err != nil {
			return nil, err
		}
		bh.Days[time.Weekday(iv.Weekday)] = append(bh.Days[time.Weekday(iv.Weekday)], Interval{Start: start, End: end})
	}
	for _, h := range b.Holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return nil, &FieldError{Field: "holidays", Reason: fmt.Sprintf("%q is not a date YYYY-MM-DD", h)}
		}
		bh.Holidays = append(bh.Holidays, DateOf(d))
	}
	if err := bh.Validate(); err != nil {
		return nil, err
	}
	return bh, nil
}

// parseHHMM reads a local time of day as minutes since midnight (24:00 is 1440).
func parseHHMM(field, s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, &FieldError{Field: field, Reason: fmt.Sprintf("%q is not a time of day HH:MM", s)}
	}
	return hh*60 + mm, nil
}
