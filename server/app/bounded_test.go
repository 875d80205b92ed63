package app_test

import (
	"fmt"
	"testing"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// TestUserPathsBounded (issue 14): a 360 query, an exact e-mail search, an authenticated
// trivial request and one ingested record send as many database commands on a database
// of 100 customers as on one of 2,000 (10 orders each, a ticket for every 25th), and on
// FerretDB every read filter they send is a bare _id.
func TestUserPathsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2,000 customers")
	}
	pointOnly := !testdb.Backend(t).IndexedFilters
	type counts struct{ c360, search, me, ingest int }
	got := map[int]counts{}
	for _, size := range []int{100, 2000} {
		log := &testdb.CommandLog{}
		s, _ := newMonitoredServer(t, log.Monitor())
		s.ok(adminKey, shopSource, nil)
		pids := seedPeople(t, s, size, 10, "o")
		for i := 0; i < size; i += 25 {
			s.createTicket(adminKey, map[string]any{"subject": fmt.Sprint("Order o", i), "body": "Where is my parcel?", "email": fmt.Sprintf("cust%d@example.com", i)})
		}
		fixed := pids[7]
		t1 := s.createTicket(adminKey, map[string]any{"subject": "Where is my order", "body": "Not arrived", "email": "cust7@example.com"})
		s.ok(adminKey, `mutation($id:ID!){replyToTicket(id:$id,body:"On its way"){id}}`, map[string]any{"id": t1["id"]})
		s.ok(adminKey, `mutation{createSegment(input:{name:"gb",kind:STATIC,rule:{trait:{field:"firstName",op:EQ,value:"F7"}}}){id}}`, nil)
		s.flushSegments()

		check := func(what string, cmds []testdb.Command) int {
			for _, c := range cmds {
				switch c.Name {
				case "insert":
				case "find", "update", "delete", "findAndModify", "count", "aggregate":
					for _, f := range c.Filters {
						if pointOnly && !testdb.BareID(f) {
							t.Errorf("%d customers, %s: a filter that is not a bare _id: %s", size, what, c)
						}
					}
					if len(c.Filters) == 0 && c.Name != "insert" {
						t.Errorf("%d customers, %s: a command without a filter: %s", size, what, c)
					}
				default:
					t.Errorf("%d customers, %s: unexpected command %s", size, what, c)
				}
			}
			t.Logf("%d customers, %s: %d commands", size, what, len(cmds))
			for _, c := range cmds {
				t.Logf("   %s", c)
			}
			return len(cmds)
		}
		var n counts
		s.ok(adminKey, app.Customer360Query, map[string]any{"id": fixed}) // warm: the key is cached
		log.Record(true)
		d := s.ok(adminKey, app.Customer360Query, map[string]any{"id": fixed})
		n.c360 = check("360", log.Record(false))
		if c := get(d, "customer").(map[string]any); c["id"] != fixed || len(c["tickets"].([]any)) != 1 ||
			len(get(d, "customer", "orders", "edges").([]any)) != 10 || len(c["segments"].([]any)) != 1 {
			t.Fatalf("%d customers: 360 answer %v", size, d)
		}
		log.Record(true)
		d = s.ok(adminKey, `{customers(query:"cust7@example.com",first:20){totalCount edges{node{id name emails}}}}`, nil)
		n.search = check("search", log.Record(false))
		if get(d, "customers", "totalCount").(float64) != 1 {
			t.Fatalf("%d customers: search %v", size, d)
		}
		log.Record(true)
		s.ok(adminKey, `{ me { id } }`, nil)
		n.me = check("me", log.Record(false))
		log.Record(true)
		s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": "new1", "payload": map[string]any{"email": "new1@example.com", "firstName": "New"}}}})
		n.ingest = check("ingest", log.Record(false))
		got[size] = n
	}
	if got[100] != got[2000] {
		t.Errorf("commands grow with the database: %+v at 100 customers, %+v at 2,000", got[100], got[2000])
	}
	t.Logf("commands (360, search, me, one ingested record): %+v", got)
}
