package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestCustomersByPredictedValue (issue 17): customers(orderBy: PREDICTED_VALUE) pages
// through the ranking the reports keep after each model fit, in the order of each
// customer's own predictedValue, with the filters of the other orders; a page sends the
// same commands at two database sizes, bare-_id reads of the page's profiles only.
func TestCustomersByPredictedValue(t *testing.T) {
	const page = `query($f: CustomerFilter, $first: Int, $after: String, $q: String) {
		customers(query: $q, orderBy: PREDICTED_VALUE, filter: $f, first: $first, after: $after) {
			totalCount pageInfo { hasNextPage endCursor } ranking { status asOf days currency modelFittedAt }
			edges { cursor node { id } } } }`
	asOf := "2024-11-01T00:00:00Z"
	var perPage [][]string
	for _, n := range []int{40, 160} {
		s, ops, pids := predictedRankServer(t, n)
		// The first request asks for the fit: an empty page and the state, until ranked.
		var d map[string]any
		for i := 0; ; i++ {
			d = get(s.ok(adminKey, page, map[string]any{"f": map[string]any{"predictionAsOf": asOf}, "first": 10}), "customers").(map[string]any)
			r := d["ranking"].(map[string]any)
			if r["status"] == "READY" {
				break
			}
			if !slices.Contains([]any{"LOADING", "FITTING", "RANKING"}, r["status"]) || len(d["edges"].([]any)) != 0 || d["totalCount"] != 0.0 || i > 3000 {
				t.Fatalf("%d customers, not ranked yet: %v", n, d)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if r := d["ranking"].(map[string]any); r["asOf"] != asOf || r["days"] != 90.0 || r["currency"] != "GBP" || r["modelFittedAt"] == nil {
			t.Fatalf("ranking %v", r)
		}

		// Each customer's own prediction, asked one by one: the order to expect.
		type pv struct {
			id string
			v  float64
		}
		var want []pv
		for _, id := range pids {
			p := get(s.ok(adminKey, `query($id: ID!, $a: Time) { customer(id: $id) { predictedValue(days: 90, asOf: $a) { status expectedValue { amount } } } }`,
				map[string]any{"id": id, "a": asOf}), "customer", "predictedValue").(map[string]any)
			if p["status"] == "READY" {
				var v float64
				fmt.Sscan(p["expectedValue"].(map[string]any)["amount"].(string), &v)
				want = append(want, pv{id, v})
			}
		}
		slices.SortStableFunc(want, func(a, b pv) int {
			if a.v != b.v {
				if a.v > b.v {
					return -1
				}
				return 1
			}
			return strings.Compare(b.id, a.id)
		})
		if len(want) < n/2 {
			t.Fatalf("%d customers: only %d predictions", n, len(want))
		}

		// Page through, counting the commands of each page.
		ops.take()
		var got []string
		after := any(nil)
		for pages := 0; ; pages++ {
			d := get(s.ok(adminKey, page, map[string]any{"f": map[string]any{"predictionAsOf": asOf}, "first": 7, "after": after}), "customers").(map[string]any)
			var cmds []string
			for _, c := range ops.take() {
				if c.Name != "find" || c.Coll != "profiles" || len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) {
					t.Errorf("a page sent %s", c)
				}
				cmds = append(cmds, c.Name+" "+c.Coll)
			}
			if pages < 2 { // the first two pages of each size
				perPage = append(perPage, cmds)
			}
			if d["totalCount"] != float64(len(want)) {
				t.Fatalf("totalCount %v, want %d", d["totalCount"], len(want))
			}
			for _, e := range d["edges"].([]any) {
				got = append(got, get(e, "node", "id").(string))
			}
			info := d["pageInfo"].(map[string]any)
			if info["hasNextPage"] != true {
				break
			}
			after = info["endCursor"]
		}
		// Prices are rounded to the penny in `amount`: compare the order where values differ.
		for i := range want {
			if got[i] != want[i].id && (i == 0 || want[i].v != want[i-1].v) && (i+1 == len(want) || want[i].v != want[i+1].v) {
				t.Fatalf("%d customers: position %d is %s, want %s (%v)", n, i, got[i], want[i].id, want[i].v)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d customers: paged %d, want %d", n, len(got), len(want))
		}

		// Filters as for the other orders: the customers' country, counted orders and text.
		fr := get(s.ok(adminKey, page, map[string]any{"f": map[string]any{"predictionAsOf": asOf, "country": "FR", "minOrders": 2}, "first": 100}), "customers").(map[string]any)
		var gotFR, wantFR []string
		for _, e := range fr["edges"].([]any) {
			gotFR = append(gotFR, get(e, "node", "id").(string))
		}
		for _, w := range want {
			if i := slices.Index(pids, w.id); i%3 == 0 && predictedOrders(i) >= 2 {
				wantFR = append(wantFR, w.id)
			}
		}
		if !slices.Equal(gotFR, wantFR) || fr["totalCount"] != float64(len(wantFR)) || len(wantFR) == 0 {
			t.Fatalf("FR with 2 orders: %v, want %v", gotFR, wantFR)
		}
		// A text query: the customers it matches (the plain list), in the ranking's order.
		matched := map[any]bool{}
		for _, e := range get(s.ok(adminKey, `{ customers(query: "pr7", first: 100) { edges { node { id } } } }`, nil), "customers", "edges").([]any) {
			matched[get(e, "node", "id")] = true
		}
		var gotQ, wantQ []string
		for _, e := range get(s.ok(adminKey, page, map[string]any{"f": map[string]any{"predictionAsOf": asOf}, "q": "pr7", "first": 100}), "customers", "edges").([]any) {
			gotQ = append(gotQ, get(e, "node", "id").(string))
		}
		for _, w := range want {
			if matched[w.id] {
				wantQ = append(wantQ, w.id)
			}
		}
		if len(matched) == 0 || !slices.Equal(gotQ, wantQ) {
			t.Fatalf("query pr7: %v, want %v", gotQ, wantQ)
		}
		s.code(adminKey, page, map[string]any{"f": map[string]any{"predictionDays": 0, "predictionAsOf": asOf}, "after": "nope"}, "BAD_USER_INPUT")
	}
	if len(perPage) != 4 || len(perPage[0]) == 0 || !slices.Equal(perPage[0], perPage[2]) || !slices.Equal(perPage[1], perPage[3]) {
		t.Fatalf("commands per page at 40 and 160 customers: %v", perPage)
	}
}

// predictedOrders is how many orders customer i places: 1 to 6.
func predictedOrders(i int) int { return 1 + (i*7)%6 }

// predictedRankServer starts a server on a database of n customers (every third in FR)
// with orders through 2024, its requests' commands monitored.
func predictedRankServer(t *testing.T, n int) (*srv, *requestOps, []string) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	opts := app.Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
	ops := &requestOps{}
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(ops.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(fmt.Sprintf("pv_%d_%d", n, time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx); _ = client.Disconnect(ctx) })
	a, err := app.New(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(ctx, adminKey); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest.CreateSource(ctx, ingest.Source{Name: "shop", Kind: "WEB_SHOP", Priority: 5,
		IdentifierFields: map[string]string{"email": "email"}, TraitFields: map[string]string{"country": "attributes.country"}}); err != nil {
		t.Fatal(err)
	}
	var people []ingest.Input
	for i := range n {
		people = append(people, ingest.Input{ExternalID: fmt.Sprint("c", i), Payload: map[string]any{"email": fmt.Sprintf("pr%d@example.com", i),
			"country": map[bool]string{true: "FR", false: "GB"}[i%3 == 0]}})
	}
	res, err := a.Workflows.Ingest(ctx, "shop", people, "")
	if err != nil || len(res.ProfileIDs) != n {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	var orders []commerce.Order
	k := 0
	for i, pid := range res.ProfileIDs {
		at := time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC).Add(time.Duration(i*83%270) * 24 * time.Hour)
		for range predictedOrders(i) {
			orders = append(orders, commerce.Order{ID: fmt.Sprint("shop:p", k), ProfileID: pid, CustomerRecordID: fmt.Sprint("shop:c", i), Status: commerce.Paid,
				Currency: "GBP", TotalMinor: int64(1000 + (k*379)%9000), PlacedAt: at})
			k++
			at = at.Add(time.Duration(5+(k*13)%40) * 24 * time.Hour)
		}
	}
	if _, err := a.Commerce.PutOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	a.Start(runCtx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	t.Cleanup(func() { stop(); hs.Close() })
	return &srv{t, hs.URL, a}, ops, res.ProfileIDs
}
