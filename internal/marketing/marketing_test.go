package marketing_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/marketing"
)

// fakeCampaigns serves campaigns and reports from maps and counts the reports computed.
type fakeCampaigns struct {
	mu       sync.Mutex
	list     []campaign.Campaign
	reports  map[string]campaign.Report
	computed []string
	fail     map[string]bool
}

func (f *fakeCampaigns) List(context.Context) ([]campaign.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list), nil
}

func (f *fakeCampaigns) Report(_ context.Context, id string) (campaign.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[id] {
		return campaign.Report{}, errors.New("database away")
	}
	r, ok := f.reports[id]
	if !ok {
		return campaign.Report{}, apperr.NotFoundf("no campaign %s", id)
	}
	f.computed = append(f.computed, id)
	return r, nil
}

func (f *fakeCampaigns) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.computed
	f.computed = nil
	slices.Sort(out)
	return out
}

// set replaces a campaign's report (its campaign document too when touch).
func (f *fakeCampaigns) set(r campaign.Report, touch bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports[r.Campaign.ID] = r
	if touch {
		for i := range f.list {
			if f.list[i].ID == r.Campaign.ID {
				f.list[i] = r.Campaign
			}
		}
	}
}

type fakeJourneys struct {
	known []journey.Known
	stats map[string][]journey.VersionStats // by journey id, versions in Known's order
	asked [][2]time.Time
}

func (f *fakeJourneys) KnownJourneys() []journey.Known { return f.known }

func (f *fakeJourneys) StatsIn(id string, vs []journey.Version, from, to time.Time) []journey.VersionStats {
	f.asked = append(f.asked, [2]time.Time{from, to})
	return f.stats[id][:len(vs)]
}

var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func report(id string, started time.Time, sent, nt, ct, nh, ch int, rev map[string][2]int64) campaign.Report {
	c := campaign.Campaign{ID: id, Name: "Campaign " + id, State: campaign.Sent, StartedAt: started, AttributionDays: 7, CreatedAt: started.Add(-time.Hour), UpdatedAt: started}
	r := campaign.Report{Campaign: c, Planned: nt + nh + 2, Sent: sent, Delivered: sent - 1, Opened: sent / 2, Clicked: sent / 3, Unsubscribed: 1,
		From: started, To: started.Add(7 * 24 * time.Hour),
		Treated: campaign.Group{Customers: nt, Converted: ct, Revenue: map[string]int64{}}, Holdout: campaign.Group{Customers: nh, Converted: ch, Revenue: map[string]int64{}}}
	if started.IsZero() {
		r.Campaign.State, r.From, r.To = campaign.Draft, time.Time{}, time.Time{}
	}
	for cur, v := range rev {
		if v[0] != 0 {
			r.Treated.Revenue[cur] = v[0]
		}
		if v[1] != 0 {
			r.Holdout.Revenue[cur] = v[1]
		}
	}
	if nt > 0 {
		r.Treated.Rate = float64(ct) / float64(nt)
	}
	if nh > 0 {
		r.Holdout.Rate = float64(ch) / float64(nh)
	}
	if nt > 0 && nh > 0 {
		u := campaign.TwoProportions(ct, nt, ch, nh)
		r.Uplift = &u
	}
	return r
}

// uplift is the two-proportion comparison written out here.
func uplift(x1, n1, x0, n0 int) (d, low, high, p float64) {
	p1, p0 := float64(x1)/float64(n1), float64(x0)/float64(n0)
	d = p1 - p0
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p0*(1-p0)/float64(n0))
	pool := float64(x1+x0) / float64(n1+n0)
	z := d / math.Sqrt(pool*(1-pool)*(1/float64(n1)+1/float64(n0)))
	p = 2 * (1 - 0.5*(1+math.Erf(math.Abs(z)/math.Sqrt2)))
	return d, d - 1.96*se, d + 1.96*se, p
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-3*math.Max(1, math.Abs(b)) }

type env struct {
	cs    *fakeCampaigns
	js    *fakeJourneys
	svc   *marketing.Service
	clock time.Time
}

func newEnv(reports ...campaign.Report) *env {
	e := &env{cs: &fakeCampaigns{reports: map[string]campaign.Report{}, fail: map[string]bool{}}, js: &fakeJourneys{stats: map[string][]journey.VersionStats{}}, clock: t0.Add(30 * 24 * time.Hour)}
	for _, r := range reports {
		e.cs.list = append(e.cs.list, r.Campaign)
		e.cs.reports[r.Campaign.ID] = r
	}
	e.svc = &marketing.Service{Campaigns: e.cs, Journeys: e.js, Now: func() time.Time { return e.clock }, FullEvery: time.Hour}
	return e
}

func (e *env) refresh(t *testing.T) {
	t.Helper()
	if err := e.svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) get(t *testing.T, q marketing.Query) marketing.Effectiveness {
	t.Helper()
	r, err := e.svc.Effectiveness(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCampaignRowsAreTheirReports(t *testing.T) {
	gbp := map[string][2]int64{"GBP": {12345, 2000}}
	reps := []campaign.Report{
		report("a", t0, 60, 60, 30, 20, 1, gbp),                                                   // significant gain
		report("b", t0.Add(48*time.Hour), 40, 40, 4, 10, 1, map[string][2]int64{"GBP": {999, 1}}), // no gain
		report("c", t0.Add(96*time.Hour), 30, 30, 1, 0, 0, map[string][2]int64{"EUR": {700, 0}}),  // no holdout
		report("d", time.Time{}, 0, 0, 0, 0, 0, nil),                                              // a draft
	}
	e := newEnv(reps...)
	if got := e.get(t, marketing.Query{}); got.Ready || len(got.Campaigns) != 0 {
		t.Fatalf("before the first refresh: %+v", got)
	}
	e.refresh(t)
	got := e.get(t, marketing.Query{})
	if !got.Ready || got.Currency != "GBP" || !slices.Equal(got.Currencies, []string{"EUR", "GBP"}) {
		t.Fatalf("ready %v currency %q of %v", got.Ready, got.Currency, got.Currencies)
	}
	var ids []string
	for _, r := range got.Campaigns {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"c", "b", "a", "d"}) {
		t.Fatalf("order %v, want newest start first, drafts last", ids)
	}
	byID := map[string]campaign.Report{}
	for _, r := range reps {
		byID[r.Campaign.ID] = r
	}
	var sent, conv, sig int
	var rev int64
	for _, row := range got.Campaigns {
		r := byID[row.ID]
		if row.Name != r.Campaign.Name || row.State != r.Campaign.State || !row.StartedAt.Equal(r.Campaign.StartedAt) || row.Planned != r.Planned ||
			row.Sent != r.Sent || row.Delivered != r.Delivered || row.Opened != r.Opened || row.Clicked != r.Clicked || row.Unsubscribed != r.Unsubscribed {
			t.Errorf("%s: row %+v, report %+v", row.ID, row, r)
		}
		if !row.ComputedAt.Equal(e.clock) {
			t.Errorf("%s: computed at %v", row.ID, row.ComputedAt)
		}
		for _, g := range []struct {
			row marketing.Group
			rep campaign.Group
		}{{row.Treated, r.Treated}, {row.Holdout, r.Holdout}} {
			per := int64(0)
			if g.rep.Customers > 0 {
				per = int64(math.Round(float64(g.rep.Revenue["GBP"]) / float64(g.rep.Customers)))
			}
			if g.row.Customers != g.rep.Customers || g.row.Converted != g.rep.Converted || g.row.Rate != g.rep.Rate ||
				g.row.Revenue != g.rep.Revenue["GBP"] || g.row.RevenuePerCustomer != per {
				t.Errorf("%s: group %+v, report %+v (per customer %d)", row.ID, g.row, g.rep, per)
			}
		}
		switch {
		case r.Treated.Customers > 0 && r.Holdout.Customers > 0:
			d, low, high, p := uplift(r.Treated.Converted, r.Treated.Customers, r.Holdout.Converted, r.Holdout.Customers)
			if u := row.Uplift; u == nil || !near(u.Difference, d) || !near(u.Low, low) || !near(u.High, high) || !near(u.PValue, p) {
				t.Errorf("%s: uplift %+v, want %v [%v, %v] p %v", row.ID, u, d, low, high, p)
			}
			if p < 0.05 && d > 0 {
				sig++
			}
		case row.Uplift != nil:
			t.Errorf("%s: uplift without a holdout", row.ID)
		}
		sent += r.Sent
		conv += r.Treated.Converted
		rev += r.Treated.Revenue["GBP"]
	}
	if sig != 1 {
		t.Fatalf("the fixture should have one significant gain, has %d", sig)
	}
	if got.Totals != (marketing.Totals{MessagesSent: sent, Conversions: conv, Revenue: rev, SignificantCampaigns: sig}) {
		t.Fatalf("totals %+v, want sent %d conversions %d revenue %d significant %d", got.Totals, sent, conv, rev, sig)
	}

	// Another currency, asked for.
	eur := e.get(t, marketing.Query{Currency: "eur"})
	if eur.Currency != "EUR" || eur.Totals.Revenue != 700 || eur.Campaigns[0].Treated.Revenue != 700 {
		t.Fatalf("in EUR: %+v", eur.Totals)
	}

	// A period: campaigns started in it; drafts are in no period.
	from, to := t0.Add(24*time.Hour), t0.Add(96*time.Hour)
	p := e.get(t, marketing.Query{From: &from, To: &to})
	if len(p.Campaigns) != 2 || p.Campaigns[0].ID != "c" || p.Campaigns[1].ID != "b" || p.Totals.MessagesSent != 70 {
		t.Fatalf("period: %+v", p.Campaigns)
	}
	if _, err := e.svc.Effectiveness(context.Background(), marketing.Query{From: &to, To: &from}); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("to before from: %v", err)
	}
}

func TestSnapshotsRecomputedOnChange(t *testing.T) {
	a := report("a", t0, 10, 10, 1, 5, 0, nil)
	b := report("b", t0.Add(30*24*time.Hour), 10, 10, 1, 5, 0, nil)
	e := newEnv(a, b)
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first refresh computed %v", got)
	}
	// Nothing changed: nothing recomputed, and a changed report unheard of stays stale.
	a2 := report("a", t0, 10, 10, 3, 5, 0, nil)
	e.cs.set(a2, false)
	e.refresh(t)
	if got := e.cs.take(); len(got) != 0 {
		t.Fatalf("idle refresh computed %v", got)
	}
	row := func(id string) marketing.CampaignRow {
		for _, r := range e.get(t, marketing.Query{}).Campaigns {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no row %s", id)
		return marketing.CampaignRow{}
	}
	if row("a").Treated.Converted != 1 {
		t.Fatal("recomputed without cause")
	}
	// An order in a's window: a only.
	e.clock = e.clock.Add(time.Minute)
	e.svc.ObserveOrders([]commerce.Order{{ID: "shop:o1", PlacedAt: t0.Add(time.Hour)}})
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after an order in a's window computed %v", got)
	}
	if r := row("a"); r.Treated.Converted != 3 || !r.ComputedAt.Equal(e.clock) || !row("b").ComputedAt.Equal(e.clock.Add(-time.Minute)) {
		t.Fatalf("a after the order: %+v", r)
	}
	// An order in no window, an interaction of no campaign: nothing.
	e.svc.ObserveOrders([]commerce.Order{{ID: "shop:o2", PlacedAt: t0.Add(-time.Hour)}})
	e.svc.ObserveInteractions([]commerce.Interaction{{ID: "web:1", Type: "visit", Attributes: map[string]string{"page": "/"}}})
	e.refresh(t)
	if got := e.cs.take(); len(got) != 0 {
		t.Fatalf("unrelated events computed %v", got)
	}
	// An open of b's message: b.
	e.svc.ObserveInteractions([]commerce.Interaction{{ID: "campaign:b:p1:opened", Type: "opened", Attributes: map[string]string{"campaign": "b"}}})
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after an open computed %v", got)
	}
	// The campaign document changed (a send finished, a cancel): that one.
	a3 := a2
	a3.Campaign.UpdatedAt = a3.Campaign.UpdatedAt.Add(time.Second)
	e.cs.set(a3, true)
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after a campaign change computed %v", got)
	}
	// A failed computation is tried again at the next refresh.
	e.svc.ObserveInteractions([]commerce.Interaction{{ID: "campaign:b:p1:clicked:0", Attributes: map[string]string{"campaign": "b"}}})
	e.cs.fail["b"] = true
	if err := e.svc.Refresh(context.Background()); err == nil {
		t.Fatal("a failed report refreshed quietly")
	}
	e.cs.fail["b"] = false
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after a failure computed %v", got)
	}
	// A requested refresh, and FullEvery later, recompute all.
	e.svc.RequestRefresh()
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("requested refresh computed %v", got)
	}
	e.clock = e.clock.Add(time.Hour)
	e.refresh(t)
	if got := e.cs.take(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("full refresh computed %v", got)
	}
	// A campaign gone (NOT_FOUND) leaves the report.
	e.cs.mu.Lock()
	delete(e.cs.reports, "b")
	e.cs.mu.Unlock()
	e.svc.RequestRefresh()
	e.refresh(t)
	if rows := e.get(t, marketing.Query{}).Campaigns; len(rows) != 1 || rows[0].ID != "a" {
		t.Fatalf("after b is gone: %+v", rows)
	}
}

// The background loop recomputes a campaign soon after its message's interaction.
func TestRunFollowsEvents(t *testing.T) {
	a := report("a", t0, 10, 10, 1, 5, 0, nil)
	e := newEnv(a)
	e.svc.Every, e.svc.Settle = time.Hour, time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	wait := func(want int) {
		t.Helper()
		for range 5000 {
			for _, r := range e.get(t, marketing.Query{}).Campaigns {
				if r.Treated.Converted == want {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("converted never became %d", want)
	}
	wait(1)
	e.cs.set(report("a", t0, 10, 10, 4, 5, 0, nil), false)
	e.svc.ObserveInteractions([]commerce.Interaction{{ID: "campaign:a:p1:clicked:0", Attributes: map[string]string{"campaign": "a"}}})
	wait(4)
}

func TestJourneyRows(t *testing.T) {
	e := newEnv()
	mk := func(n int, published bool) journey.Version {
		v := journey.Version{JourneyID: "j1", N: n, CreatedAt: t0}
		if published {
			v.PublishedAt = t0
		}
		return v
	}
	steps := []journey.StepStats{{Step: "mail", Kind: journey.SendEmail, Outcomes: map[string]int{"sent": 7, "not sent: no consent": 2}},
		{Step: "split", Kind: journey.Split, Outcomes: map[string]int{"sent": 100}}}
	e.js.known = []journey.Known{
		{Journey: journey.Journey{ID: "j1", Name: "Welcome", Status: journey.Active, Live: 2}, Versions: []journey.Version{mk(3, false), mk(2, true), mk(1, true)}},
		{Journey: journey.Journey{ID: "j2", Name: "Winback", Status: journey.Paused, Live: 1}, Versions: []journey.Version{mk(1, true)}},
	}
	e.js.stats["j1"] = []journey.VersionStats{
		{Version: 3},
		{Version: 2, Entered: 50, InProgress: 5, Done: 30, Exited: 15, Converted: 20, HoldoutRuns: 10, HoldoutConverted: 1, Steps: steps},
		{Version: 1},
	}
	e.js.stats["j2"] = []journey.VersionStats{{Version: 1, Entered: 8, Done: 8, Converted: 2}}
	e.refresh(t)
	got := e.get(t, marketing.Query{})
	if len(got.Journeys) != 3 {
		t.Fatalf("rows %+v, want j1 v2 and v1 (published), j2 v1", got.Journeys)
	}
	v2, v1, w := got.Journeys[0], got.Journeys[1], got.Journeys[2]
	if v2.JourneyID != "j1" || v2.Version != 2 || !v2.Live || v1.Version != 1 || v1.Live || v1.Rate != nil || w.JourneyID != "j2" || w.Status != journey.Paused {
		t.Fatalf("rows %+v", got.Journeys)
	}
	if v2.Entered != 50 || v2.InProgress != 5 || v2.Done != 30 || v2.Exited != 15 || v2.Converted != 20 || v2.Holdout != 10 || v2.HoldoutConverted != 1 ||
		*v2.Rate != 20.0/40 || *v2.HoldoutRate != 0.1 || v2.MessagesSent != 7 || !v2.ComputedAt.Equal(e.clock) {
		t.Fatalf("v2 %+v", v2)
	}
	d, low, high, p := uplift(20, 40, 1, 10)
	if u := v2.Uplift; u == nil || !near(u.Difference, d) || !near(u.Low, low) || !near(u.High, high) || !near(u.PValue, p) {
		t.Fatalf("uplift %+v, want %v [%v, %v] p %v", v2.Uplift, d, low, high, p)
	}
	if w.Uplift != nil || w.HoldoutRate != nil || *w.Rate != 0.25 {
		t.Fatalf("without a holdout: %+v", w)
	}
	sig := 0
	if p < 0.05 && d > 0 {
		sig = 1
	}
	if got.Totals != (marketing.Totals{MessagesSent: 7, Conversions: 22, SignificantJourneys: sig}) {
		t.Fatalf("totals %+v", got.Totals)
	}
	// A period is handed to the counts, and versions without runs in it are left out.
	from, to := t0, t0.Add(24*time.Hour)
	e.js.asked = nil
	got = e.get(t, marketing.Query{From: &from, To: &to})
	if len(got.Journeys) != 2 || e.js.asked[0] != [2]time.Time{from, to} {
		t.Fatalf("period: %+v asked %v", got.Journeys, e.js.asked)
	}
}

// TestPauseKeepsReportsToATenth: after a refresh the loop waits Settle (events) or Every
// (periodic), and at least nine times what the refresh took, unless a refresh was asked
// for: recomputing a large campaign's report on each of its events would keep the
// database busy while it sends.
func TestPauseKeepsReportsToATenth(t *testing.T) {
	s := &marketing.Service{Every: time.Minute, Settle: 2 * time.Second}
	for _, c := range []struct {
		took                time.Duration
		requested, periodic bool
		want                time.Duration
	}{
		{10 * time.Millisecond, false, false, 2 * time.Second}, // a small campaign: Settle
		{time.Second, false, false, 9 * time.Second},           // a large one: nine times its cost
		{time.Second, true, false, 2 * time.Second},            // asked for: at once
		{time.Second, false, true, time.Minute},                // periodic: Every
		{20 * time.Second, false, true, 180 * time.Second},     // periodic, very large
	} {
		if got := s.Pause(c.took, c.requested, c.periodic); got != c.want {
			t.Errorf("pause(%v, requested %v, periodic %v) = %v, want %v", c.took, c.requested, c.periodic, got, c.want)
		}
	}
}
