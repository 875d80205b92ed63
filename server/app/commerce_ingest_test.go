package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestIngestMutationsCommandsFlat: one ingestOrders batch (1,000 orders of 100
// customers named by e-mail) and one ingestInteractions batch (100 interactions of 50
// customers that have interactions) send as many commands on a database of 100
// customers as on one of 2,000 with 5 orders each, and on FerretDB every read, update
// and delete they send, in any collection, is by a bare _id (or a bulk insert).
func TestIngestMutationsCommandsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2,000 customers")
	}
	pointOnly := !testdb.Backend(t).IndexedFilters
	type counts struct{ orders, interactions int }
	got := map[int]counts{}
	for _, size := range []int{100, 2000} {
		// Authentication is measured on its own (TestAuthenticationIsPointReadsThenCached):
		// its cache expires on the clock, so a slow phase would read the key again.
		log := &testdb.CommandLog{Skip: []string{"api_keys", "api_key_hashes"}}
		s, _ := newMonitoredServer(t, log.Monitor())
		s.ok(adminKey, shopSource, nil)
		ctx := context.Background()
		pids := seedPeople(t, s, size, 5, "s")
		var visits []commerce.Interaction
		for i, p := range pids {
			visits = append(visits, commerce.Interaction{ID: fmt.Sprintf("shop:w%d", i), ProfileID: p, RecordID: fmt.Sprint("shop:c", i),
				Channel: "web", Type: "page_view", At: time.Date(2024, 4, 1, 10, 0, 0, 0, time.UTC)})
		}
		if _, err := s.a.Commerce.AddInteractions(ctx, visits); err != nil {
			t.Fatal(err)
		}

		var orders, inters []any
		for i := range 100 {
			for k := range 10 {
				orders = append(orders, map[string]any{"externalId": fmt.Sprintf("o%d-%d", i, k), "customer": map[string]any{"type": "email", "value": fmt.Sprintf("cust%d@example.com", i)},
					"status": "PAID", "currency": "GBP", "total": "12.50", "placedAt": fmt.Sprintf("2024-0%d-1%dT10:00:00Z", 1+k%9, k%9)})
			}
		}
		for k := range 100 {
			inters = append(inters, map[string]any{"externalId": fmt.Sprint("i", k), "customer": map[string]any{"type": "email", "value": fmt.Sprintf("cust%d@example.com", k%50)},
				"channel": "web", "type": "page_view", "at": "2024-05-01T10:00:00Z"})
		}
		check := func(what string, cmds []testdb.Command) int {
			for _, c := range cmds {
				switch c.Name {
				case "insert":
				case "find", "update", "delete", "findAndModify":
					for _, f := range c.Filters {
						if pointOnly && !testdb.BareID(f) {
							t.Errorf("%d customers, %s: a filter that is not a bare _id: %s", size, what, c)
						}
					}
				default:
					t.Errorf("%d customers, %s: unexpected command %s", size, what, c)
				}
			}
			return len(cmds)
		}
		log.Record(true)
		res := get(s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": orders}), "ingestOrders").(map[string]any)
		no := check("ingestOrders", log.Record(true))
		if res["written"].(float64) != 1000 || res["rejected"].(float64) != 0 {
			t.Fatalf("%d customers: ingestOrders %v", size, res)
		}
		res = get(s.ok(adminKey, interactionsQ, map[string]any{"s": "shop", "i": inters}), "ingestInteractions").(map[string]any)
		ni := check("ingestInteractions", log.Record(false))
		if res["written"].(float64) != 100 || res["rejected"].(float64) != 0 {
			t.Fatalf("%d customers: ingestInteractions %v", size, res)
		}
		got[size] = counts{no, ni}
		m, err := s.a.Commerce.Metrics(ctx, pids[7])
		if err != nil || m.Orders != 15 || m.Interactions != 3 || m.NetMinor != 15*1250 {
			t.Errorf("%d customers: metrics of customer 7: %+v %v", size, m, err)
		}
	}
	if got[100] != got[2000] {
		t.Errorf("commands grow with the database: %+v at 100 customers, %+v at 2,000", got[100], got[2000])
	}
	t.Logf("commands of one batch (orders, interactions): %+v", got)
}

// seedPeople stores size shop customers (cust<i>@example.com, record shop:c<i>), each
// with orders paid orders of 12.50 GBP (ids shop:<prefix><i>-<k>, one a month from
// January 2024), through the ingest workflow and the commerce service in batches, and
// returns their profile ids.
func seedPeople(t testing.TB, s *srv, size, orders int, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var people []ingest.Input
	for i := range size {
		people = append(people, ingest.Input{ExternalID: fmt.Sprint("c", i),
			Payload: map[string]any{"email": fmt.Sprintf("cust%d@example.com", i), "firstName": fmt.Sprint("F", i%97), "lastName": fmt.Sprint("L", i%89)}})
	}
	var pids []string
	for start := 0; start < size; start += 1000 {
		res, err := s.a.Workflows.Ingest(ctx, "shop", people[start:min(start+1000, size)], "")
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, res.ProfileIDs...)
	}
	var seed []commerce.Order
	for i, p := range pids {
		for k := range orders {
			seed = append(seed, commerce.Order{ID: fmt.Sprintf("shop:%s%d-%d", prefix, i, k), ProfileID: p, CustomerRecordID: fmt.Sprint("shop:c", i),
				Status: commerce.Paid, Currency: "GBP", TotalMinor: 1250, PlacedAt: time.Date(2024, time.Month(1+k%12), 10, 10, 0, 0, 0, time.UTC),
				Lines: []commerce.Line{{SKU: fmt.Sprint("sku", k), Quantity: 1, UnitPriceMinor: 1250}}})
		}
	}
	for start := 0; start < len(seed); start += 1000 {
		if _, err := s.a.Commerce.PutOrders(ctx, seed[start:min(start+1000, len(seed))]); err != nil {
			t.Fatal(err)
		}
	}
	return pids
}
