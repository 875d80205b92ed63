package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Issue 16: journeys. An order enrols a customer; after two days GB customers get an
// e-mail (over real SMTP) and the tag uk, the others the tag row. The app is restarted
// twice on the same database while customers wait; the clock is injected and the
// scheduler driven by Tick.

// testClock is the injected clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// startApp runs an instance until stop is called (a process that exits: its background
// loops end before the next instance starts).
func startJourneyApp(t *testing.T, db *mongo.Database, o app.Options) (s *srv, stop func()) {
	t.Helper()
	o.Log, o.CORSOrigins = testLog(), []string{"*"}
	a, err := app.New(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return db.Client().Ping(ctx, nil) }))
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); hs.Close(); a.Campaigns.Stop() }) }
	t.Cleanup(stop)
	return &srv{t, hs.URL, a}, stop
}

const journeyInput = `{name: "After the first order", definition: {
	trigger: {kind: ORDER_PLACED},
	reentry: {mode: AFTER, afterDays: 30},
	goal: {orderWithinDays: 7},
	steps: [
		{id: "wait", kind: WAIT, wait: {minutes: 2880}, next: "gb"},
		{id: "gb", kind: BRANCH, branch: {rule: {trait: {field: "country", op: EQ, value: "GB"}}, yes: "mail", no: "tag-row"}},
		{id: "mail", kind: SEND_EMAIL, email: {subject: "Thanks, {{customer.firstName}}", text: "Hello {{customer.name}}, from {{journey.name}}."}, next: "tag-uk"},
		{id: "tag-uk", kind: ATTRIBUTE, attribute: {op: ADD_TAG, key: "uk"}},
		{id: "tag-row", kind: ATTRIBUTE, attribute: {op: ADD_TAG, key: "row"}, next: "end"},
		{id: "end", kind: EXIT}
	]}}`

const journeyStatsQ = `query($id: ID!) { journey(id: $id) { status liveVersion versions { version live stats {
	entered inProgress done exited converted conversionRate steps { stepId entered completed waiting outcomes { outcome count } } } } } }`

func TestJourneyWaitBranchMailAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	relay := mailtest.Start(t)
	o := app.Options{Now: clock.Now, Mail: relay.Config("Shop <news@shop.example>")}
	db := testdb.DB(t)
	s, stop := startJourneyApp(t, db, o)

	s.ok(adminKey, shopSource, nil)
	people := map[string]string{"ann": "GB", "bob": "FR", "cat": "GB"}
	var in []ingest.Input
	for _, n := range []string{"ann", "bob", "cat"} {
		in = append(in, ingest.Input{ExternalID: n, Payload: map[string]any{"email": n + "@example.com", "firstName": strings.ToUpper(n[:1]) + n[1:], "country": people[n]}})
	}
	res, err := s.a.Workflows.Ingest(ctx, "shop", in, "")
	if err != nil || len(res.ProfileIDs) != 3 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	id := map[string]string{"ann": res.ProfileIDs[0], "bob": res.ProfileIDs[1], "cat": res.ProfileIDs[2]}
	for _, n := range []string{"ann", "bob", "cat"} {
		s.ok(adminKey, `mutation($c: ID!) { setConsent(customer: $c, channel: EMAIL, purpose: MARKETING, status: GRANTED, source: "web form") { customerId } }`,
			map[string]any{"c": id[n]})
	}
	analyst := s.newKey("ANALYST")
	s.code(analyst, `mutation { createJourney(input: `+journeyInput+`) { id } }`, nil, "FORBIDDEN")
	s.code(adminKey, `mutation { createJourney(input: {name: "x", definition: {trigger: {kind: ORDER_PLACED}, steps: [{id: "a", kind: WAIT, next: "b"}]}}) { id } }`, nil, "BAD_USER_INPUT")
	jid := get(s.ok(adminKey, `mutation { createJourney(input: `+journeyInput+`) { id status liveVersion latestVersion } }`, nil), "createJourney", "id").(string)
	d := s.ok(adminKey, `mutation($id: ID!) { publishJourney(id: $id) { status liveVersion } }`, map[string]any{"id": jid})
	if get(d, "publishJourney", "status") != "ACTIVE" || get(d, "publishJourney", "liveVersion") != float64(1) {
		t.Fatalf("publish: %v", d)
	}
	order := func(a *app.App, who, no string) {
		t.Helper()
		if _, err := a.Commerce.PutOrders(ctx, []commerce.Order{{ID: "shop:" + no, ProfileID: id[who], Status: commerce.Placed, Currency: "GBP",
			TotalMinor: 2500, PlacedAt: clock.Now(), Lines: []commerce.Line{{SKU: "tea", Quantity: 1, UnitPriceMinor: 2500}}}}); err != nil {
			t.Fatal(err)
		}
	}
	tick := func(a *app.App) {
		t.Helper()
		if err := a.Journeys.Tick(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	order(s.a, "ann", "o1")
	order(s.a, "bob", "o2")
	tick(s.a)
	clock.Add(24 * time.Hour)
	order(s.a, "cat", "o3")
	tick(s.a)
	stats := get(s.ok(adminKey, journeyStatsQ, map[string]any{"id": jid}), "journey", "versions").([]any)[0]
	if get(stats, "stats", "entered") != float64(3) || get(stats, "stats", "steps").([]any)[0].(map[string]any)["waiting"] != float64(3) {
		t.Fatalf("day 1: %v", stats)
	}

	// Restart while everyone waits.
	stop()
	s, stop = startJourneyApp(t, db, o)
	clock.Add(24*time.Hour + time.Minute) // ann and bob's two days are over
	tick(s.a)
	if n := relay.Count(); n != 1 {
		t.Fatalf("after day 2: %d messages, want 1 (ann)", n)
	}
	// Restart again before cat's two days are over.
	stop()
	s, _ = startJourneyApp(t, db, o)
	clock.Add(24 * time.Hour)
	order(s.a, "ann", "o4") // within ann's goal window: a conversion, and no re-entry
	tick(s.a)
	tick(s.a)

	msgs := relay.Messages()
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"ann@example.com", "cat@example.com"}) {
		t.Fatalf("messages to %v", to)
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m.Subject, "Thanks, ") || !strings.Contains(m.Text, "from After the first order") {
			t.Fatalf("message %q %q", m.Subject, m.Text)
		}
	}
	for n, want := range map[string]string{"ann": "tag_uk", "bob": "tag_row", "cat": "tag_uk"} {
		p, err := s.a.Profiles.Get(ctx, id[n])
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"tag_uk", "tag_row"} {
			if got := p.Traits.Attributes[tag]; (tag == want) != (got == true) {
				t.Errorf("%s: %s = %v", n, tag, got)
			}
		}
		recs := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { sourceRecords { source } } }`, map[string]any{"id": id[n]}), "customer", "sourceRecords").([]any)
		manual := 0
		for _, r := range recs {
			if get(r, "source") == ingest.ManualSource {
				manual++
			}
		}
		if manual != 1 {
			t.Errorf("%s: %d journey records, want 1", n, manual)
		}
	}
	got := summary(get(s.ok(adminKey, journeyStatsQ, map[string]any{"id": jid}), "journey", "versions").([]any)[0])
	want := "entered 3 done 3 exited 0 converted 1 | wait 3/3/0 | gb 3/3/0 no=1 yes=2 | mail 2/2/0 sent=2 | tag-uk 2/2/0 add_tag tag_uk=2 | tag-row 1/1/0 add_tag tag_row=1 | end 1/1/0 exit=1"
	if got != want {
		t.Fatalf("stats\n got %s\nwant %s", got, want)
	}

	// Re-entry after 30 days: bob's next order enrols him again, on his second run.
	clock.Add(30 * 24 * time.Hour)
	order(s.a, "bob", "o5")
	tick(s.a)
	d = s.ok(adminKey, `query($id: ID!) { customer(id: $id) { journeys { journeyId run status step history { step outcome } } } }`, map[string]any{"id": id["bob"]})
	js := get(d, "customer", "journeys").([]any)
	if len(js) != 1 || get(js[0], "run") != float64(2) || get(js[0], "status") != "WAITING" || get(js[0], "step") != "wait" {
		t.Fatalf("bob's journeys: %v", js)
	}
	page := get(s.ok(adminKey, `query($id: ID!) { journeyEnrollments(journey: $id, first: 2) { totalCount nodes { customerId status } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"id": jid}), "journeyEnrollments")
	if get(page, "totalCount") != float64(3) || len(get(page, "nodes").([]any)) != 2 || get(page, "pageInfo", "hasNextPage") != true {
		t.Fatalf("enrollments: %v", page)
	}
}

// summary prints a version's counts compactly.
func summary(v any) string {
	st := get(v, "stats")
	var b strings.Builder
	fmt.Fprintf(&b, "entered %v done %v exited %v converted %v", get(st, "entered"), get(st, "done"), get(st, "exited"), get(st, "converted"))
	for _, x := range get(st, "steps").([]any) {
		fmt.Fprintf(&b, " | %v %v/%v/%v", get(x, "stepId"), get(x, "entered"), get(x, "completed"), get(x, "waiting"))
		if get(x, "stepId") == "wait" {
			continue
		}
		for _, oc := range get(x, "outcomes").([]any) {
			fmt.Fprintf(&b, " %v=%v", get(oc, "outcome"), get(oc, "count"))
		}
	}
	return b.String()
}
