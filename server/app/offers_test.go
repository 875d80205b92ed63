package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tessera-cdp/tessera/internal/testdb"
)

const recsQ = `query($id: ID!) { customer(id: $id) { id recommendations(first: 5) { productId name score reason kind } } }`

// seedBaskets ingests five shop customers and their orders through GraphQL: ann and dan
// bought a lantern with a candle, cat a lantern with a mug, bob a lantern; eve (bob's
// other account, by another e-mail) a candle. It returns the profile ids by name.
func seedBaskets(s *srv) map[string]string {
	s.ok(adminKey, shopSource, nil)
	ids := map[string]string{}
	baskets := map[string][]string{"ann": {"LANTERN", "CANDLE"}, "dan": {"LANTERN", "CANDLE"}, "cat": {"LANTERN", "MUG"}, "bob": {"LANTERN"}, "eve": {"CANDLE"}}
	for _, name := range []string{"ann", "bob", "cat", "dan", "eve"} {
		d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": name, "payload": map[string]any{"email": name + "@example.com", "firstName": name}}}})
		ids[name] = get(d, "ingestRecords", "profileIds", 0).(string)
		var lines []any
		for _, sku := range baskets[name] {
			lines = append(lines, map[string]any{"sku": sku, "description": "The " + sku, "quantity": 1, "unitPrice": "5"})
		}
		s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": []any{map[string]any{"externalId": "o-" + name, "customer": map[string]any{"recordId": "shop:" + name},
			"status": "PAID", "currency": "GBP", "placedAt": "2025-03-01T10:00:00Z", "lines": lines}}})
	}
	return ids
}

func recProducts(t *testing.T, d map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range get(d, "customer", "recommendations").([]any) {
		out = append(out, get(r, "productId").(string))
	}
	return out
}

// Customer.recommendations through GraphQL: co-purchase offers with their reasons, from
// orders ingested after the start (the observer feeds the model); a merge moves the
// absorbed customer's history to the survivor, so what the merged customer bought is
// no longer offered.
func TestRecommendationsFollowOrdersAndMerges(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	ids := seedBaskets(s)
	// Start loads in the background; wait for it, then recompute the similarities now
	// rather than on the schedule.
	if err := s.a.Offers.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s.a.Offers.Rebuild()
	d := s.ok(adminKey, recsQ, map[string]any{"id": ids["bob"]})
	if got := recProducts(t, d); !slices.Equal(got, []string{"CANDLE", "MUG"}) {
		t.Fatalf("bob: %v (%v)", got, d)
	}
	first := get(d, "customer", "recommendations", 0).(map[string]any)
	if first["kind"] != "CO_PURCHASE" || first["reason"] != "bought with The LANTERN" || first["name"] != "The CANDLE" || first["score"].(float64) <= 0 {
		t.Fatalf("first offer %v", first)
	}
	// An analyst reads them too; first is bounded.
	analyst := s.newKey("ANALYST")
	s.ok(analyst, recsQ, map[string]any{"id": ids["cat"]})
	s.code(adminKey, `query($id: ID!) { customer(id: $id) { recommendations(first: 51) { productId } } }`, map[string]any{"id": ids["bob"]}, "BAD_USER_INPUT")

	// bob and eve are one person: after the merge the candle eve bought is not offered.
	m := s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id } }`, map[string]any{"a": ids["bob"], "b": ids["eve"]})
	survivor := get(m, "mergeCustomers", "id").(string)
	for _, id := range []string{survivor, ids["bob"], ids["eve"]} {
		d = s.ok(adminKey, recsQ, map[string]any{"id": id})
		if got := recProducts(t, d); slices.Contains(got, "CANDLE") || slices.Contains(got, "LANTERN") || !slices.Contains(got, "MUG") {
			t.Fatalf("after the merge, customer %s (survivor %s): %v", id, survivor, got)
		}
	}
	// A new order is excluded at once, before any rebuild.
	s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": []any{map[string]any{"externalId": "o-ann-2", "customer": map[string]any{"recordId": "shop:ann"},
		"status": "PAID", "currency": "GBP", "placedAt": "2025-04-01T10:00:00Z", "lines": []any{map[string]any{"sku": "MUG", "quantity": 1, "unitPrice": "5"}}}}})
	if got := recProducts(t, s.ok(adminKey, recsQ, map[string]any{"id": ids["ann"]})); slices.Contains(got, "MUG") {
		t.Fatalf("ann bought the mug: %v", got)
	}
}

// While the model is being built after a start the field answers an empty list, not
// an error; once built, a request sends no command but the reads of the customer by
// bare _id (never the orders), as many at 20 customers as at 400.
func TestRecommendationsNoScan(t *testing.T) {
	ctx := context.Background()
	pointOnly := !testdb.Backend(t).IndexedFilters
	counts := map[int]int{}
	for _, size := range []int{20, 400} {
		log := &testdb.CommandLog{}
		s, _ := newMonitoredServer(t, log.Monitor()) // no background loops: nothing loaded
		ids := seedBaskets(s)
		seedPeople(t, s, size, 3, fmt.Sprint("n", size))
		d := s.ok(adminKey, recsQ, map[string]any{"id": ids["bob"]})
		if got := get(d, "customer", "recommendations").([]any); len(got) != 0 {
			t.Fatalf("before the model is built: %v", got)
		}
		if err := s.a.Offers.Load(ctx); err != nil {
			t.Fatal(err)
		}
		s.ok(adminKey, recsQ, map[string]any{"id": ids["bob"]}) // warm: the key is cached
		log.Record(true)
		d = s.ok(adminKey, recsQ, map[string]any{"id": ids["bob"]})
		cmds := log.Record(false)
		if got := recProducts(t, d); len(got) == 0 || got[0] != "CANDLE" {
			t.Fatalf("%d customers: %v", size, got)
		}
		for _, c := range cmds {
			if c.Coll == "orders" || c.Name == "aggregate" || c.Name == "count" {
				t.Errorf("%d customers: %s", size, c)
			}
			for _, f := range c.Filters {
				if pointOnly && !testdb.BareID(f) {
					t.Errorf("%d customers: a filter that is not a bare _id: %s", size, c)
				}
			}
		}
		counts[size] = len(cmds)
		t.Logf("%d customers: %d commands: %v", size, len(cmds), cmds)
	}
	if counts[20] != counts[400] {
		t.Errorf("commands grow with the database: %v", counts)
	}
}
