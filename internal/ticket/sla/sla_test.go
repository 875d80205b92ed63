package sla

import (
	"testing"
	"time"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	return loc
}

// officeHours is Mon-Fri 09:00-17:00 in Berlin.
func officeHours(loc *time.Location, holidays ...Date) *BusinessHours {
	day := []Interval{{9 * 60, 17 * 60}}
	return &BusinessHours{
		Location: loc,
		Days: map[time.Weekday][]Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		},
		Holidays: holidays,
	}
}

func TestDueAtBusinessHours(t *testing.T) {
	loc := berlin(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	bh := officeHours(loc)
	lunch := officeHours(loc)
	lunch.Days[time.Monday] = []Interval{{13 * 60, 17 * 60}, {9 * 60, 12 * 60}} // unsorted on purpose
	allWeek := &BusinessHours{Location: loc, Days: map[time.Weekday][]Interval{}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		allWeek.Days[d] = []Interval{{0, 24 * 60}}
	}

	tests := []struct {
		name  string
		start time.Time
		d     time.Duration
		bh    *BusinessHours
		want  time.Time
	}{
		{"friday 16:00 + 4h is monday 12:00", at(2025, 3, 7, 16, 0), 4 * time.Hour, bh, at(2025, 3, 10, 12, 0)},
		{"start given in UTC", at(2025, 3, 7, 16, 0).UTC(), 4 * time.Hour, bh, at(2025, 3, 10, 12, 0)},
		{"within one day", at(2025, 3, 4, 10, 0), 3 * time.Hour, bh, at(2025, 3, 4, 13, 0)},
		{"ending exactly at closing", at(2025, 3, 7, 13, 0), 4 * time.Hour, bh, at(2025, 3, 7, 17, 0)},
		{"two full days", at(2025, 3, 3, 9, 0), 16 * time.Hour, bh, at(2025, 3, 4, 17, 0)},
		{"a full week and one hour", at(2025, 3, 3, 9, 0), 41 * time.Hour, bh, at(2025, 3, 10, 10, 0)},
		{"created saturday", at(2025, 3, 8, 10, 0), 2 * time.Hour, bh, at(2025, 3, 10, 11, 0)},
		{"created before opening", at(2025, 3, 4, 7, 0), 2 * time.Hour, bh, at(2025, 3, 4, 11, 0)},
		{"created after closing", at(2025, 3, 5, 20, 0), time.Hour, bh, at(2025, 3, 6, 10, 0)},
		{"created at friday closing", at(2025, 3, 7, 17, 0), time.Hour, bh, at(2025, 3, 10, 10, 0)},
		{"holiday friday is skipped", at(2025, 10, 2, 15, 0), 4 * time.Hour,
			officeHours(loc, Date{2025, time.October, 3}), at(2025, 10, 6, 11, 0)},
		{"created on a holiday", at(2025, 12, 25, 10, 0), time.Hour,
			officeHours(loc, Date{2025, time.December, 25}, Date{2025, time.December, 26}), at(2025, 12, 29, 10, 0)},
		{"spring DST weekend", at(2025, 3, 28, 16, 0), 4 * time.Hour, bh, at(2025, 3, 31, 12, 0)},
		{"autumn DST weekend", at(2025, 10, 24, 16, 0), 4 * time.Hour, bh, at(2025, 10, 27, 12, 0)},
		{"24/7 across spring gap counts elapsed time", at(2025, 3, 29, 23, 0), 4 * time.Hour, allWeek, at(2025, 3, 30, 4, 0)},
		{"lunch break", at(2025, 3, 3, 11, 0), 3 * time.Hour, lunch, at(2025, 3, 3, 15, 0)},
		{"nil is calendar time", at(2025, 3, 7, 16, 0), 4 * time.Hour, nil, at(2025, 3, 7, 20, 0)},
		{"empty schedule is calendar time", at(2025, 3, 7, 16, 0), 4 * time.Hour, &BusinessHours{}, at(2025, 3, 7, 20, 0)},
		{"zero duration", at(2025, 3, 8, 10, 0), 0, bh, at(2025, 3, 8, 10, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DueAt(tc.start, tc.d, tc.bh)
			if !got.Equal(tc.want) {
				t.Fatalf("DueAt = %v, want %v", got, tc.want)
			}
			if tc.d > 0 {
				if back := BusinessDuration(tc.start, got, tc.bh); back != tc.d {
					t.Fatalf("BusinessDuration round trip = %v, want %v", back, tc.d)
				}
			}
		})
	}

	// The DST cases must really differ in elapsed time, or they prove nothing.
	if el := at(2025, 3, 31, 12, 0).Sub(at(2025, 3, 28, 16, 0)); el != 67*time.Hour {
		t.Fatalf("spring elapsed %v", el)
	}
	if el := at(2025, 10, 27, 12, 0).Sub(at(2025, 10, 24, 16, 0)); el != 69*time.Hour {
		t.Fatalf("autumn elapsed %v", el)
	}
}

func TestDueAtRoundTripSweep(t *testing.T) {
	loc := berlin(t)
	bh := officeHours(loc, Date{2025, time.March, 12})
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, loc)
	for s := time.Duration(0); s < 10*24*time.Hour; s += 97 * time.Minute {
		for _, d := range []time.Duration{time.Minute, 30 * time.Minute, 8 * time.Hour, 13 * time.Hour} {
			due := DueAt(start.Add(s), d, bh)
			if got := BusinessDuration(start.Add(s), due, bh); got != d {
				t.Fatalf("start %v d %v: due %v, round trip %v", start.Add(s), d, due, got)
			}
		}
	}
}

func TestBusinessHoursValidate(t *testing.T) {
	bad := []map[time.Weekday][]Interval{
		{time.Monday: {{600, 500}}},
		{time.Monday: {{-1, 500}}},
		{time.Monday: {{0, 1441}}},
		{time.Monday: {{540, 720}, {700, 900}}},
	}
	for _, days := range bad {
		if err := (&BusinessHours{Days: days}).Validate(); err == nil {
			t.Errorf("%v accepted", days)
		}
	}
	if err := officeHours(nil).Validate(); err != nil {
		t.Fatal(err)
	}
}
