package ticket

import (
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket/sla"
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
func officeHours(loc *time.Location, holidays ...sla.Date) *sla.BusinessHours {
	day := []sla.Interval{{Start: 9 * 60, End: 17 * 60}}
	return &sla.BusinessHours{
		Location: loc,
		Days: map[time.Weekday][]sla.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		},
		Holidays: holidays,
	}
}

func TestBreachedAndAtRisk(t *testing.T) {
	loc := berlin(t)
	bh := officeHours(loc)
	created := time.Date(2025, 3, 7, 16, 0, 0, 0, loc) // Friday
	tk := &Ticket{Status: StatusOpen, Priority: PriorityHigh, CreatedAt: created}
	ApplySLA(tk, &SLAPolicy{Priority: PriorityHigh, FirstResponse: 4 * time.Hour, Resolution: 8 * time.Hour, BusinessHours: bh}, System, created)
	frDue := time.Date(2025, 3, 10, 12, 0, 0, 0, loc)
	if !tk.FirstResponseDue.Equal(frDue) || !tk.ResolutionDue.Equal(time.Date(2025, 3, 10, 16, 0, 0, 0, loc)) {
		t.Fatalf("dues %v %v", tk.FirstResponseDue, tk.ResolutionDue)
	}
	saturday := time.Date(2025, 3, 8, 12, 0, 0, 0, loc)
	if tk.AtRisk(sla.FirstResponse, saturday, 0.5, bh) {
		t.Fatal("weekend time must not count towards risk")
	}
	monday10 := time.Date(2025, 3, 10, 10, 0, 0, 0, loc) // 2 of 4 business hours used
	if !tk.AtRisk(sla.FirstResponse, monday10, 0.5, bh) || tk.AtRisk(sla.FirstResponse, monday10, 0.75, bh) {
		t.Fatal("AtRisk threshold")
	}
	if tk.Breached(sla.FirstResponse, frDue) || !tk.Breached(sla.FirstResponse, frDue.Add(time.Second)) {
		t.Fatal("Breached boundary")
	}
	if tk.AtRisk(sla.FirstResponse, frDue.Add(time.Second), 0.5, bh) {
		t.Fatal("breached is not at risk")
	}
	tk.FirstResponseAt = ptr(frDue.Add(-time.Minute))
	if tk.Breached(sla.FirstResponse, frDue.Add(time.Hour)) || !tk.Met(sla.FirstResponse) || tk.AtRisk(sla.FirstResponse, monday10, 0, bh) {
		t.Fatal("met on time")
	}
	tk.SolvedAt = ptr(tk.ResolutionDue.Add(time.Minute))
	if !tk.Breached(sla.Resolution, tk.ResolutionDue.Add(time.Hour)) || tk.Met(sla.Resolution) {
		t.Fatal("solved late is a breach")
	}
	// Re-applying a policy keeps met targets and recomputes unmet ones.
	tk.SolvedAt = nil
	ApplySLA(tk, &SLAPolicy{FirstResponse: time.Hour, Resolution: time.Hour}, System, created)
	if !tk.FirstResponseDue.Equal(frDue) || !tk.ResolutionDue.Equal(created.Add(time.Hour)) {
		t.Fatalf("re-apply: %v %v", tk.FirstResponseDue, tk.ResolutionDue)
	}
	ApplySLA(tk, nil, System, created)
	if tk.ResolutionDue != nil || tk.FirstResponseDue == nil {
		t.Fatal("nil policy clears only unmet targets")
	}
}
