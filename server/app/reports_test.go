package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// requestOps records the database commands sent on behalf of GraphQL operations (their
// context carries the operation), leaving out the background loops' and authentication.
type requestOps struct {
	mu   sync.Mutex
	cmds []testdb.Command
}

func (r *requestOps) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(ctx context.Context, ev *event.CommandStartedEvent) {
		if !graphql.HasOperationContext(ctx) {
			return
		}
		c := testdb.Command{Name: ev.CommandName}
		c.Coll, _ = ev.Command.Index(0).Value().StringValueOK()
		if f, ok := ev.Command.Lookup("filter").DocumentOK(); ok {
			c.Filters = append(c.Filters, f)
		}
		r.mu.Lock()
		r.cmds = append(r.cmds, c)
		r.mu.Unlock()
	}}
}

func (r *requestOps) take() []testdb.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.cmds
	r.cmds = nil
	return out
}

// reportOrder is one order of the test's plain record of what it stored.
type reportOrder struct {
	id, customer, source string // customer: index into pids, -1 a guest
	at                   time.Time
	total                int64
	status               string
}

func (o reportOrder) counted() bool { return o.status == commerce.Paid }

func (o reportOrder) net() int64 {
	if o.status == commerce.Cancelled {
		return 0
	}
	return o.total
}

// TestReportsThroughGraphQL (issue 17): the reports, the customer-value prediction and the
// sales forecast over GraphQL, on a book built at start from what another instance
// stored and then kept current by new customers and orders, a merge and an erasure,
// each checked against a computation here over the same orders; every report request
// sends no database command (the drill-down and the customer only bare-_id reads).
func TestReportsThroughGraphQL(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) // the data ends in October 2024: historical
	opts := app.Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
	name := fmt.Sprintf("rep_%d", time.Now().UnixNano())

	// The orders: customers 0-34 before the server starts, 35-49 after; an order in
	// seven is cancelled, one in eleven is a credit note, one in five is at the till.
	var orders []reportOrder
	country := func(i int) string { return map[bool]string{true: "FR", false: "GB"}[i%3 == 0] }
	n := 0
	for i := range 50 {
		at := time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC).Add(time.Duration(i*83%270) * 24 * time.Hour)
		for k := 0; k < 1+(i*7)%6 && at.Before(time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)); k++ {
			o := reportOrder{id: fmt.Sprint("shop:r", n), customer: fmt.Sprint(i), source: "shop", at: at, total: int64(1000 + (n*379)%9000), status: commerce.Paid}
			switch {
			case n%7 == 3:
				o.status = commerce.Cancelled
			case n%11 == 5:
				o.status, o.total = commerce.Refunded, -o.total/3
			}
			if n%5 == 1 {
				o.id, o.source = fmt.Sprint("pos:r", n), "pos"
			}
			orders = append(orders, o)
			n++
			at = at.Add(time.Duration(9+(n*13)%70) * 24 * time.Hour)
		}
	}
	for g := range 6 {
		orders = append(orders, reportOrder{id: fmt.Sprint("shop:g", g), customer: "-1", source: "shop",
			at: time.Date(2024, time.Month(2+g), 14, 9, 0, 0, 0, time.UTC), total: 2500, status: commerce.Paid})
	}
	pids := map[string]string{}
	// seed stores customers [from, to) and their orders (from -1: the guest orders too).
	seed := func(a *app.App, from, to int) {
		t.Helper()
		var people []ingest.Input
		for i := max(0, from); i < to; i++ {
			people = append(people, ingest.Input{ExternalID: fmt.Sprint("c", i), Payload: map[string]any{"email": fmt.Sprintf("r%d@example.com", i),
				"firstName": fmt.Sprint("F", i), "lastName": fmt.Sprint("L", i), "country": country(i)}})
		}
		res, err := a.Workflows.Ingest(ctx, "shop", people, "")
		if err != nil || len(res.ProfileIDs) != to-max(0, from) {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		for i, p := range res.ProfileIDs {
			pids[fmt.Sprint(max(0, from)+i)] = p
		}
		var put []commerce.Order
		for _, o := range orders {
			var i int
			fmt.Sscan(o.customer, &i)
			if i < from || i >= to {
				continue
			}
			x := commerce.Order{ID: o.id, ProfileID: pids[o.customer], Status: o.status, Currency: "GBP", TotalMinor: o.total, PlacedAt: o.at}
			if i >= 0 {
				x.CustomerRecordID = fmt.Sprint("shop:c", i)
			} else {
				x.ProfileID = ""
			}
			put = append(put, x)
		}
		if _, err := a.Commerce.PutOrders(ctx, put); err != nil {
			t.Fatal(err)
		}
	}

	// Another instance (its own client, so its own book) stores the first customers.
	first, err := app.New(ctx, testdb.Client(t).Database(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Ingest.CreateSource(ctx, ingest.Source{Name: "shop", Kind: "WEB_SHOP", Priority: 5,
		IdentifierFields: map[string]string{"email": "email"}, TraitFields: map[string]string{"country": "attributes.country", "firstName": "firstName", "lastName": "lastName"}}); err != nil {
		t.Fatal(err)
	}
	seed(first, -1, 35)

	// The server under test builds its book at start.
	ops := &requestOps{}
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(ops.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(name)
	t.Cleanup(func() { _ = db.Drop(ctx); _ = client.Disconnect(ctx) })
	a, err := app.New(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(ctx, adminKey); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	a.Start(runCtx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	t.Cleanup(func() { stop(); hs.Close() })
	s := &srv{t, hs.URL, a}
	settled := func() {
		t.Helper()
		for range 1000 {
			st := get(s.ok(adminKey, `{ reportsStatus { ready pendingProfiles } }`, nil), "reportsStatus").(map[string]any)
			if st["ready"] == true && st["pendingProfiles"] == 0.0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the report book did not settle")
	}
	settled()

	// Then new customers and orders, a merge and an erasure reach it as they are made.
	seed(a, 35, 50)
	merged := get(s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`,
		map[string]any{"a": pids["4"], "b": pids["1"]}), "mergeCustomers", "id").(string)
	survivor, absorbed := "1", "4"
	if merged == pids["4"] {
		survivor, absorbed = "4", "1"
	}
	s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pids["2"]})
	for i := range orders {
		switch orders[i].customer {
		case absorbed:
			orders[i].customer = survivor
		case "2":
			orders[i].customer = "-1"
		}
	}
	settled()

	// What the reports should say, computed here.
	var last time.Time
	for _, o := range orders {
		if o.counted() && o.at.After(last) {
			last = o.at
		}
	}
	asOf := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, time.UTC)
	monthOf := func(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }
	months := monthOf(asOf.Add(-time.Millisecond)) - 2024*12 + 1 // January 2024 to asOf
	st := get(s.ok(adminKey, `{ reportsStatus { ready orders customers guestOrders defaultAsOf currencies countries sources } }`, nil), "reportsStatus").(map[string]any)
	if st["defaultAsOf"] != asOf.Format(time.RFC3339) || st["orders"] != float64(len(orders)) || fmt.Sprint(st["currencies"]) != "[GBP]" ||
		fmt.Sprint(st["countries"]) != "[FR GB]" || fmt.Sprint(st["sources"]) != "[pos shop]" {
		t.Fatalf("status %v, want default as-of %s and %d orders", st, asOf, len(orders))
	}
	// Churn risk is computed as of the same date, not the wall clock (which put every
	// customer of historical data at risk).
	churnAsOf := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { metrics { churnRisk { asOf } } } }`,
		map[string]any{"id": pids[survivor]}), "customer", "metrics", "churnRisk", "asOf")
	if churnAsOf != asOf.Format(time.RFC3339) {
		t.Errorf("churn risk as of %v, want the reports' %s", churnAsOf, asOf.Format(time.RFC3339))
	}
	byCustomer := map[string][]reportOrder{}
	live := map[string]bool{}
	for _, o := range orders {
		if o.customer == "-1" {
			continue
		}
		live[o.customer] = true
		if o.at.Before(asOf) { // the reports see the orders before it
			byCustomer[o.customer] = append(byCustomer[o.customer], o)
		}
	}
	if st["customers"] != float64(len(live)) {
		t.Fatalf("%v customers, want %d", st["customers"], len(byCustomer))
	}
	// checkNoCommands: no command, or with allowProfiles only bare-_id reads of profiles
	// (and then some: the monitor sees the requests' commands).
	checkNoCommands := func(what string, allowProfiles bool) {
		t.Helper()
		cmds := ops.take()
		for _, c := range cmds {
			if !allowProfiles || c.Name != "find" || c.Coll != "profiles" || len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) {
				t.Errorf("%s sent %s", what, c)
			}
		}
		if allowProfiles && len(cmds) == 0 {
			t.Errorf("%s read no profile", what)
		}
	}
	ops.take()

	// customerTrend, monthly, everyone and FR only.
	for _, ctry := range []string{"", "FR"} {
		d := s.ok(adminKey, `query($c: String) { customerTrend(interval: MONTH, from: "2024-01-01T00:00:00Z", country: $c, churnDays: 60) {
			ready asOf currency periods { start newCustomers activeCustomers returningCustomers churnedCustomers orders revenue { amountMinor currency }
			change { activeCustomers } } } }`, map[string]any{"c": map[bool]any{true: nil, false: ctry}[ctry == ""]})
		checkNoCommands("customerTrend", false)
		tr := get(d, "customerTrend").(map[string]any)
		periods := tr["periods"].([]any)
		if tr["ready"] != true || tr["asOf"] != asOf.Format(time.RFC3339) || tr["currency"] != "GBP" || len(periods) != months {
			t.Fatalf("trend %v", tr)
		}
		in := func(c string) bool {
			return c != "-1" && (ctry == "" || country(atoi(c)) == ctry) || c == "-1" && ctry == ""
		}
		prevActive := -1
		for i, p := range periods {
			s0 := time.Date(2024, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)
			e0 := s0.AddDate(0, 1, 0)
			within := func(t time.Time) bool { return !t.Before(s0) && t.Before(e0) && t.Before(asOf) }
			var nw, act, ret, churned, ords int
			var rev int64
			for _, o := range orders {
				if in(o.customer) && within(o.at) {
					rev += o.net()
					if o.counted() {
						ords++
					}
				}
			}
			for c, os := range byCustomer {
				if !in(c) {
					continue
				}
				var times []time.Time
				for _, o := range os {
					if o.counted() {
						times = append(times, o.at)
					}
				}
				if len(times) == 0 {
					continue
				}
				slices.SortFunc(times, time.Time.Compare)
				active := slices.ContainsFunc(times, within)
				if active {
					act++
					if within(times[0]) {
						nw++
					} else {
						ret++
					}
				}
				for j, tt := range times {
					m := tt.AddDate(0, 0, 60)
					if (j == len(times)-1 || times[j+1].After(m)) && within(m) {
						churned++
						break
					}
				}
			}
			got := p.(map[string]any)
			want := map[string]any{"start": s0.Format(time.RFC3339), "newCustomers": float64(nw), "activeCustomers": float64(act), "returningCustomers": float64(ret),
				"churnedCustomers": float64(churned), "orders": float64(ords), "revenue": map[string]any{"amountMinor": float64(rev), "currency": "GBP"}}
			for k, v := range want {
				if fmt.Sprint(got[k]) != fmt.Sprint(v) {
					t.Errorf("country %q, %s: %s = %v, want %v", ctry, s0.Format("2006-01"), k, got[k], v)
				}
			}
			if ch := get(got, "change", "activeCustomers"); prevActive > 0 && math.Abs(ch.(float64)-float64(act-prevActive)/float64(prevActive)) > 1e-9 {
				t.Errorf("%s: active change %v", s0.Format("2006-01"), ch)
			}
			prevActive = act
		}
	}

	// cohortRetention.
	d := s.ok(adminKey, `{ cohortRetention(from: "2024-01-01T00:00:00Z") { ready cohorts { month customers revenue { amountMinor } months { offset customers share } } } }`, nil)
	checkNoCommands("cohortRetention", false)
	cohorts := get(d, "cohortRetention", "cohorts").([]any)
	if len(cohorts) != months {
		t.Fatalf("%d cohorts, want %d", len(cohorts), months)
	}
	for ci, c := range cohorts {
		cm := 2024*12 + ci
		size, active := 0, map[int]int{}
		var rev int64
		for _, os := range byCustomer {
			firstAt := time.Time{}
			for _, o := range os {
				if o.counted() && (firstAt.IsZero() || o.at.Before(firstAt)) {
					firstAt = o.at
				}
			}
			if firstAt.IsZero() || monthOf(firstAt) != cm {
				continue
			}
			size++
			seen := map[int]bool{}
			for _, o := range os {
				if k := monthOf(o.at) - cm; k >= 0 {
					rev += o.net()
					if o.counted() && !seen[k] {
						seen[k] = true
						active[k]++
					}
				}
			}
		}
		got := c.(map[string]any)
		if got["customers"] != float64(size) || get(got, "revenue", "amountMinor") != float64(rev) {
			t.Errorf("cohort %d: %v, want %d customers and %d revenue", ci, got, size, rev)
		}
		for _, m := range got["months"].([]any) {
			m := m.(map[string]any)
			k := int(m["offset"].(float64))
			if m["customers"] != float64(active[k]) || size > 0 && math.Abs(m["share"].(float64)-float64(active[k])/float64(size)) > 1e-12 {
				t.Errorf("cohort %d month %d: %v, want %d", ci, k, m, active[k])
			}
		}
	}

	// rfmGrid and the drill-down into its busiest cell.
	type cell struct{ r, f int }
	cells, revenue := map[cell][]string{}, map[cell]int64{}
	values := []int64{}
	for c, os := range byCustomer {
		var lastAt time.Time
		freq := 0
		var net int64
		for _, o := range os {
			net += o.net()
			if o.counted() {
				freq++
				if o.at.After(lastAt) {
					lastAt = o.at
				}
			}
		}
		if freq == 0 {
			continue
		}
		values = append(values, net)
		days := int(asOf.Sub(lastAt).Hours() / 24)
		r := 1
		for _, b := range []struct{ max, score int }{{30, 5}, {90, 4}, {180, 3}, {365, 2}} {
			if days <= b.max {
				r = b.score
				break
			}
		}
		f := map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 3}[freq]
		if freq > 5 {
			f = 4
		}
		k := cell{r, f}
		cells[k] = append(cells[k], pids[c])
		revenue[k] += net
	}
	d = s.ok(adminKey, `{ rfmGrid { ready customers cells { r f customers revenue { amountMinor } } } }`, nil)
	checkNoCommands("rfmGrid", false)
	busiest := cell{}
	for _, c := range get(d, "rfmGrid", "cells").([]any) {
		c := c.(map[string]any)
		k := cell{int(c["r"].(float64)), int(c["f"].(float64))}
		if c["customers"] != float64(len(cells[k])) || get(c, "revenue", "amountMinor") != float64(revenue[k]) {
			t.Errorf("cell %v: %v, want %d customers, %d revenue", k, c, len(cells[k]), revenue[k])
		}
		if len(cells[k]) > len(cells[busiest]) {
			busiest = k
		}
	}
	var paged []string
	after := any(nil)
	for {
		d = s.ok(adminKey, `query($r: Int!, $f: Int!, $after: String) { rfmCell(recency: $r, frequency: $f, first: 4, after: $after) {
			totalCount edges { node { id name orders } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"r": busiest.r, "f": busiest.f, "after": after})
		checkNoCommands("rfmCell", true)
		pg := get(d, "rfmCell").(map[string]any)
		if pg["totalCount"] != float64(len(cells[busiest])) {
			t.Fatalf("cell %v: %v", busiest, pg)
		}
		for _, e := range pg["edges"].([]any) {
			node := e.(map[string]any)["node"].(map[string]any)
			paged = append(paged, node["id"].(string))
			if node["name"] == nil || node["name"].(string)[0] != 'F' {
				t.Errorf("drill-down name %v", node)
			}
		}
		if get(pg, "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(pg, "pageInfo", "endCursor")
	}
	slices.Sort(paged)
	slices.Sort(cells[busiest])
	if !slices.Equal(paged, cells[busiest]) {
		t.Errorf("cell %v paged %v, want %v", busiest, paged, cells[busiest])
	}

	// customerValueDistribution.
	slices.Sort(values)
	var total int64
	for _, v := range values {
		total += v
	}
	d = s.ok(adminKey, `{ customerValueDistribution { customers total { amountMinor } quantiles { q value { amountMinor } } buckets { customers } } }`, nil)
	checkNoCommands("customerValueDistribution", false)
	dist := get(d, "customerValueDistribution").(map[string]any)
	median := values[(len(values)+1)/2-1]
	if dist["customers"] != float64(len(values)) || get(dist, "total", "amountMinor") != float64(total) || get(dist, "quantiles", 4, "value", "amountMinor") != float64(median) {
		t.Errorf("distribution %v, want %d customers, total %d, median %d", dist, len(values), total, median)
	}

	// salesForecast: the weekly history it is fitted on, and a forecast with its interval.
	d = s.ok(adminKey, `{ salesForecast(weeks: 4) { ready message history { start orders revenue { amountMinor } } forecast { start orders { point lower upper } revenue { point { amountMinor } } } ordersModel { phi } } }`, nil)
	checkNoCommands("salesForecast", false)
	sf := get(d, "salesForecast").(map[string]any)
	hist := sf["history"].([]any)
	for i, w := range hist {
		start := asOf.AddDate(0, 0, -7*(len(hist)-i))
		count, rev := 0, int64(0)
		for _, o := range orders {
			if !o.at.Before(start) && o.at.Before(start.AddDate(0, 0, 7)) {
				rev += o.net()
				if o.counted() {
					count++
				}
			}
		}
		w := w.(map[string]any)
		if w["start"] != start.Format(time.RFC3339) || w["orders"] != float64(count) || get(w, "revenue", "amountMinor") != float64(rev) {
			t.Errorf("week %d: %v, want %s %d orders %d revenue", i, w, start, count, rev)
		}
	}
	// Whole weeks from the first order's day (3 January).
	if firstWeek := asOf.AddDate(0, 0, -7*len(hist)); firstWeek.Before(time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)) || !firstWeek.Before(time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("history starts %s", firstWeek)
	}
	fc := sf["forecast"].([]any)
	if len(fc) != 4 || sf["message"] != nil {
		t.Fatalf("forecast %v", sf)
	}
	for _, w := range fc {
		o := get(w, "orders").(map[string]any)
		if !(o["lower"].(float64) <= o["point"].(float64) && o["point"].(float64) <= o["upper"].(float64)) {
			t.Errorf("forecast week %v", w)
		}
	}

	// The customer-value model is fitted in the background; then a customer's predicted
	// value shows its inputs.
	var model map[string]any
	for range 3000 {
		model = get(s.ok(adminKey, `{ customerValueModel { status message customers asOf purchases { r alpha a b } spend { meanSpend { amountMinor } } } }`, nil), "customerValueModel").(map[string]any)
		if model["status"] != "FITTING" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkNoCommands("customerValueModel", false)
	if model["status"] != "READY" || model["asOf"] != asOf.Format(time.RFC3339) {
		t.Fatalf("model %v", model)
	}
	c := "5"
	days := map[string]bool{}
	counted := 0
	for _, o := range byCustomer[c] {
		if o.counted() {
			counted++
			days[o.at.Format(time.DateOnly)] = true
		}
	}
	d = s.ok(adminKey, `query($id: ID!) { customer(id: $id) { predictedValue(days: 90) { status currency horizonDays expectedOrders probabilityAlive
		expectedValue { amountMinor } inputs { frequency orders ageDays } } } }`, map[string]any{"id": pids[c]})
	checkNoCommands("customer with predictedValue", true)
	pv := get(d, "customer", "predictedValue").(map[string]any)
	if pv["status"] != "READY" || pv["currency"] != "GBP" || get(pv, "inputs", "orders") != float64(counted) || get(pv, "inputs", "frequency") != float64(len(days)-1) ||
		!(pv["expectedOrders"].(float64) >= 0) || !(pv["probabilityAlive"].(float64) > 0 && pv["probabilityAlive"].(float64) <= 1) {
		t.Errorf("predicted value %v, want %d orders on %d days", pv, counted, len(days))
	}

	// Reports are for ADMIN keys only.
	agent := s.newKey("AGENT")
	s.code(agent, `{ customerTrend(interval: WEEK) { ready } }`, nil, "FORBIDDEN")
	s.code(agent, `query($id: ID!) { customer(id: $id) { predictedValue { status } } }`, map[string]any{"id": pids[c]}, "FORBIDDEN")
	s.code(adminKey, `{ rfmCell(recency: 6, frequency: 1) { totalCount } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `{ customerTrend(interval: DAY, from: "2015-01-01T00:00:00Z") { ready } }`, nil, "BAD_USER_INPUT")
}

func atoi(s string) int {
	var i int
	fmt.Sscan(s, &i)
	return i
}

// TestReportsWhileLoading: before the book is built (an app not started), reports say so
// and hold no figures.
func TestReportsWhileLoading(t *testing.T) {
	s, _ := newMonitoredServer(t, (&testdb.CommandLog{}).Monitor())
	d := s.ok(adminKey, `{ reportsStatus { ready orders } customerTrend(interval: WEEK) { ready periods { start } }
		rfmGrid { ready cells { r } } customerValueModel { status } salesForecast { ready forecast { start } } }`, nil)
	if fmt.Sprint(d) != "map[customerTrend:map[periods:[] ready:false] customerValueModel:map[status:LOADING] reportsStatus:map[orders:0 ready:false] "+
		"rfmGrid:map[cells:[] ready:false] salesForecast:map[forecast:[] ready:false]]" {
		t.Fatalf("while loading: %v", d)
	}
}
