package ticket

import (
	"errors"
	"testing"
	"time"
)

func TestParseSLAPolicy(t *testing.T) {
	p, err := ParseSLAPolicy(SLAPolicyInput{Priority: PriorityHigh, FirstResponseMinutes: 60, ResolutionMinutes: 8 * 60,
		BusinessHours: &BusinessHoursInput{TimeZone: "Europe/London",
			Intervals: []BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "17:30"}, {Weekday: 1, Start: "18:00", End: "24:00"}},
			Holidays:  []string{"2025-12-25"}}})
	must(t, err)
	if p.Priority != PriorityHigh || p.FirstResponse != time.Hour || p.Resolution != 8*time.Hour {
		t.Fatalf("got %+v", p)
	}
	bh := p.BusinessHours
	if bh == nil || bh.Location.String() != "Europe/London" || len(bh.Days[time.Monday]) != 2 ||
		bh.Days[time.Monday][0] != (Interval{Start: 9 * 60, End: 17*60 + 30}) || bh.Days[time.Monday][1].End != 24*60 ||
		len(bh.Holidays) != 1 || bh.Holidays[0] != (Date{Year: 2025, Month: time.December, Day: 25}) {
		t.Fatalf("business hours = %+v", bh)
	}

	// Without business hours the clock runs 24/7; zero targets mean none.
	p, err = ParseSLAPolicy(SLAPolicyInput{Priority: PriorityLow})
	if err != nil || p.BusinessHours != nil || p.FirstResponse != 0 {
		t.Fatalf("24/7: %+v %v", p, err)
	}
}

func TestParseSLAPolicyRejects(t *testing.T) {
	hours := func(tz string, ivs []BusinessIntervalInput, hol ...string) *BusinessHoursInput {
		return &BusinessHoursInput{TimeZone: tz, Intervals: ivs, Holidays: hol}
	}
	day := []BusinessIntervalInput{{Weekday: 2, Start: "09:00", End: "17:00"}}
	for _, tc := range []struct {
		in    SLAPolicyInput
		field string
	}{
		{SLAPolicyInput{Priority: PriorityLow, FirstResponseMinutes: -1}, "minutes"},
		{SLAPolicyInput{Priority: PriorityLow, ResolutionMinutes: 366*24*60 + 1}, "minutes"},
		{SLAPolicyInput{Priority: "soon"}, FieldPriority},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("Mars/Olympus", day)}, "timeZone"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("", day)}, "timeZone"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("Local", day)}, "timeZone"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", []BusinessIntervalInput{{Weekday: 7, Start: "09:00", End: "17:00"}})}, "weekday"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", []BusinessIntervalInput{{Weekday: 1, Start: "9:0", End: "17:00"}})}, "start"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", []BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "24:01"}})}, "end"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", []BusinessIntervalInput{{Weekday: 1, Start: "09:00", End: "17:60"}})}, "end"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", day, "25/12/2025")}, "holidays"},
		{SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC", make([]BusinessIntervalInput, 7*24+1))}, "businessHours"},
	} {
		_, err := ParseSLAPolicy(tc.in)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%+v: err = %v, want a validation error on %s", tc.in, err, tc.field)
		}
	}
	// Business hours that are valid one by one but not together (overlaps, end before
	// start) are refused by BusinessHours.Validate.
	if _, err := ParseSLAPolicy(SLAPolicyInput{Priority: PriorityLow, BusinessHours: hours("UTC",
		[]BusinessIntervalInput{{Weekday: 1, Start: "17:00", End: "09:00"}})}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("end before start: err = %v", err)
	}
}
