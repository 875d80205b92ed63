package membership

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

func TestDailySizes(t *testing.T) {
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(day, hour int) time.Time { return from.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	cs := []Change{
		{Kind: Entered, At: at(0, 9)}, {Kind: Entered, At: at(0, 10)},
		{Kind: Exited, At: at(1, 23)},
		{Kind: Entered, At: at(3, 1)}, {Kind: Entered, At: at(3, 2)}, {Kind: Exited, At: at(3, 3)},
	}
	got := DailySizes(cs, 10, from, 4)
	want := []SizePoint{
		{Day: "2025-03-01", Members: 10, Entered: 2},
		{Day: "2025-03-02", Members: 9, Exited: 1},
		{Day: "2025-03-03", Members: 9},
		{Day: "2025-03-04", Members: 10, Entered: 2, Exited: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// A change in another time zone counts on its UTC day.
	cet := time.FixedZone("CET", 3600)
	got = DailySizes([]Change{{Kind: Entered, At: time.Date(2025, 3, 2, 0, 30, 0, 0, cet)}}, 1, from, 2)
	if got[0].Entered != 1 || got[1].Entered != 0 || got[0].Members != 1 {
		t.Errorf("time zone: %+v", got)
	}
}

func TestSizeHistory(t *testing.T) {
	now := time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC)
	r := &memReads{changes: []Change{{SegmentID: "s1", Kind: Exited, At: now.Add(-time.Hour)}}}
	s := &Service{Reads: r, Now: func() time.Time { return now }}
	ps, err := s.SizeHistory(context.Background(), "s1", 5, 3)
	if err != nil || len(ps) != 3 || ps[2].Day != "2025-03-10" || ps[2].Exited != 1 || ps[1].Members != 6 {
		t.Fatalf("%+v %v", ps, err)
	}
	if !r.since.Equal(time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("read changes since %v, want the first day's midnight", r.since)
	}
	for _, days := range []int{0, -1, 367} {
		if _, err := s.SizeHistory(context.Background(), "s1", 5, days); !isInvalid(err) {
			t.Errorf("days %d: err %v", days, err)
		}
	}
}

func isInvalid(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.Invalid
}
