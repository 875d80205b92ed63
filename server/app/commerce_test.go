package app_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/retail"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const ordersQ = `mutation($s: String!, $o: [OrderInput!]!) { ingestOrders(source: $s, orders: $o) {
	written unchanged guest rejected profileIds rejects { index externalId reason } } }`

const interactionsQ = `mutation($s: String!, $i: [InteractionInput!]!) { ingestInteractions(source: $s, interactions: $i) {
	written unchanged rejected profileIds rejects { index externalId reason } } }`

// q360 is the Customer 360 view: profile, identities, provenance, metrics, recent
// orders with lines, the first timeline page and tickets.
const q360 = `query($id: ID!) { customer(id: $id) { id name emails
	identities { id type value sources } traitProvenance { field source rule }
	metrics { orderCount cancellationCount interactionCount revenue { amountMinor amount currency formatted }
		averageOrderValue { amount } historicClv { amount } firstOrderAt lastOrderAt lastSeenAt
		rfm { recency frequency monetary scoredAt } churnRisk { score daysSinceLastOrder meanIntervalDays basis asOf } }
	orders(first: 10) { edges { cursor node { id status total { amount } placedAt lines { sku quantity unitPrice { amount } amount { amount } } } }
		pageInfo { hasNextPage endCursor } }
	timeline(first: 20) { edges { cursor node { kind id at channel type order { id } interaction { id type } ticket { id subject } } }
		pageInfo { hasNextPage endCursor } }
	tickets { id subject status } } }`

// commandCounter counts database commands, leaving out the API-key lookups of the
// auth middleware (a write of lastUsedAt at most once a minute).
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if coll, ok := e.Command.Index(0).Value().StringValueOK(); ok && coll == "api_keys" {
			return
		}
		c.n.Add(1)
	}}
}

// newMonitoredServer runs the app (without its background loops) on its own client and
// database, with monitor on that client.
func newMonitoredServer(t testing.TB, monitor *event.CommandMonitor) (*srv, *mongo.Database) {
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(fmt.Sprintf("mon_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(context.Background()); _ = client.Disconnect(context.Background()) })
	a, err := app.New(context.Background(), db, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	t.Cleanup(hs.Close)
	return &srv{t, hs.URL, a}, db
}

// seedCustomer ingests a shop customer with n orders (one cancelled), two interactions
// and a ticket with a reply, and returns the profile id.
func seedCustomer(s *srv, no string, n int) string {
	return seed(s, no, n, true)
}

// seed is seedCustomer, optionally without a customer number (profiles hold one).
func seed(s *srv, no string, n int, customerNo bool) string {
	pay := map[string]any{"email": "c" + no + "@example.com", "firstName": "C" + no}
	if customerNo {
		pay["customer_no"] = no
	}
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": no, "payload": pay}}})
	pid := get(d, "ingestRecords", "profileIds", 0).(string)
	var orders []any
	for i := range n {
		status := "PAID"
		if i == n-1 {
			status = "CANCELLED"
		}
		orders = append(orders, map[string]any{"externalId": fmt.Sprintf("%s-%d", no, i), "customer": map[string]any{"recordId": "shop:" + no},
			"status": status, "currency": "GBP", "placedAt": time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format(time.RFC3339),
			"lines": []any{map[string]any{"sku": "A", "quantity": 2, "unitPrice": "1.25"}, map[string]any{"sku": "B", "description": "b", "quantity": 1, "unitPrice": "10"}}})
	}
	for start := 0; start < len(orders); start += 1000 {
		s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": orders[start:min(start+1000, len(orders))]})
	}
	s.ok(adminKey, interactionsQ, map[string]any{"s": "shop", "i": []any{
		map[string]any{"externalId": no + "-v1", "customer": map[string]any{"type": "email", "value": "C" + no + "@Example.com"}, "channel": "web", "type": "visit", "at": "2024-02-01T09:00:00Z"},
		map[string]any{"externalId": no + "-m1", "customer": map[string]any{"recordId": "shop:" + no}, "channel": "email", "type": "opened", "at": "2024-02-02T09:00:00Z", "attributes": map[string]any{"campaign": "spring"}},
	}})
	tid := get(s.ok(adminKey, `mutation($c: ID!) { createTicket(input: {subject: "Where is my order", body: "hi", customerId: $c, channel: EMAIL}) { id } }`, map[string]any{"c": pid}), "createTicket", "id")
	s.ok(adminKey, `mutation($t: ID!) { replyToTicket(id: $t, body: "on its way") { id } }`, map[string]any{"t": tid})
	return pid
}

func TestCustomer360BoundedRoundTrips(t *testing.T) {
	var c commandCounter
	s, _ := newMonitoredServer(t, c.monitor())
	s.ok(adminKey, shopSource, nil)
	// Issue 14: the 360 reads by _id, so its commands grow with what its pages show (10
	// orders, 20 timeline items, and the ledger buckets (one per year) those span),
	// never with the customer's history beyond them nor with the database.
	small, big, bigger := seedCustomer(s, "5", 5), seedCustomer(s, "50", 50), seedCustomer(s, "120", 120)
	counts := map[string]int64{}
	for _, pid := range []string{small, big, bigger, big} {
		c.n.Store(0)
		d := s.ok(adminKey, q360, map[string]any{"id": pid})
		counts[pid] = c.n.Load()
		cu := get(d, "customer")
		if len(get(cu, "timeline", "edges").([]any)) == 0 || len(get(cu, "tickets").([]any)) != 1 || len(get(cu, "orders", "edges").([]any)) == 0 {
			t.Fatalf("360 = %v", cu)
		}
	}
	t.Logf("database commands per 360 query: 5 orders %d, 50 orders %d, 120 orders %d", counts[small], counts[big], counts[bigger])
	if counts[small] > counts[big] || counts[bigger] > counts[big]+2 || counts[bigger] > 40 {
		t.Fatalf("360 query: %d commands with 5 orders, %d with 50, %d with 120 (want at most 40, and 120 orders at most a bucket per kind more than 50)",
			counts[small], counts[big], counts[bigger])
	}
	// Metrics, money and the timeline's content.
	cu := get(s.ok(adminKey, q360, map[string]any{"id": big}), "customer")
	m := get(cu, "metrics")
	// 49 paid orders of 2×1.25 + 10 = 12.50 GBP; the cancelled one counts apart.
	if get(m, "orderCount") != 49.0 || get(m, "cancellationCount") != 1.0 || get(m, "revenue", "amount") != "612.50" ||
		get(m, "revenue", "amountMinor") != 61250.0 || get(m, "revenue", "formatted") != "£612.50" || get(m, "averageOrderValue", "amount") != "12.50" ||
		get(m, "interactionCount") != 2.0 || get(m, "churnRisk", "basis") != "HISTORY" || get(m, "lastOrderAt") != "2024-12-02T10:00:00Z" {
		t.Fatalf("metrics = %v", m)
	}
	if get(cu, "orders", "pageInfo", "hasNextPage") != true || get(cu, "orders", "edges", 0, "node", "lines", 0, "amount", "amount") != "2.50" {
		t.Fatalf("orders = %v", get(cu, "orders"))
	}
	kinds := map[string]bool{}
	for _, e := range get(cu, "timeline", "edges").([]any) {
		kinds[get(e, "node", "kind").(string)+"/"+get(e, "node", "type").(string)] = true
	}
	for _, k := range []string{"TICKET/created", "TICKET/replied", "ORDER/order", "ORDER/cancellation"} {
		if !kinds[k] {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}
	// Paging the timeline and the orders visits every item once.
	seen, after := map[string]bool{}, any(nil)
	for {
		d := s.ok(adminKey, `query($id: ID!, $a: String) { customer(id: $id) { timeline(first: 7, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
			map[string]any{"id": big, "a": after})
		tl := get(d, "customer", "timeline")
		for _, e := range get(tl, "edges").([]any) {
			id := get(e, "node", "id").(string)
			if seen[id] {
				t.Fatalf("timeline item %s twice", id)
			}
			seen[id] = true
		}
		if get(tl, "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(tl, "pageInfo", "endCursor")
	}
	if len(seen) != 50+2+2 {
		t.Fatalf("timeline has %d items, want 54", len(seen))
	}
	d := s.ok(adminKey, `query($id: ID!) { customer(id: $id) { timeline(first: 5, channels: ["email", "web"], types: ["opened", "visit"]) { edges { node { interaction { type attributes } } } } } }`, map[string]any{"id": big})
	if get(d, "customer", "timeline", "edges", 0, "node", "interaction", "attributes", "campaign") != "spring" || len(get(d, "customer", "timeline", "edges").([]any)) != 2 {
		t.Fatalf("interactions timeline = %v", d)
	}
	d = s.ok(adminKey, `query($id: ID!) { customer(id: $id) { timeline(first: 50, types: ["created", "replied"]) { edges { node { kind } } } } }`, map[string]any{"id": big})
	if n := len(get(d, "customer", "timeline", "edges").([]any)); n != 2 {
		t.Fatalf("ticket-only timeline has %d items", n)
	}
	// A list of customers with orders: two loader round trips for all of them.
	d = s.ok(adminKey, `{ customers(orderBy: REVENUE) { totalCount edges { node { id metrics { orderCount } orders(first: 3) { edges { node { id } } } } } } }`, nil)
	if get(d, "customers", "edges", 0, "node", "id") != bigger || get(d, "customers", "edges", 1, "node", "id") != big ||
		len(get(d, "customers", "edges", 1, "node", "orders", "edges").([]any)) != 3 {
		t.Fatalf("ranked = %v", d)
	}
}

func TestIngestOrdersValidationAndRoles(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": "1", "payload": map[string]any{"email": "ann@example.com"}}}})
	agent, ing := s.newKey("AGENT"), s.newKey("INGEST")
	good := map[string]any{"externalId": "o1", "customer": map[string]any{"type": "email", "value": "Ann@example.com"}, "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "total": "19.99"}
	s.code(agent, ordersQ, map[string]any{"s": "shop", "o": []any{good}}, "FORBIDDEN")
	s.code(ing, ordersQ, map[string]any{"s": "nope", "o": []any{good}}, "NOT_FOUND")
	res := get(s.ok(ing, ordersQ, map[string]any{"s": "shop", "o": []any{
		good,
		map[string]any{"externalId": "o2", "customer": map[string]any{"recordId": "shop:404"}, "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "total": "1"},
		map[string]any{"externalId": "o3", "status": "PAID", "currency": "XXX", "placedAt": "2024-03-01T10:00:00Z", "total": "1"},
		map[string]any{"externalId": "o4", "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "total": "1.005"},
		map[string]any{"externalId": "o5", "customer": map[string]any{"type": "email", "value": "nobody@example.com"}, "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "total": "1"},
		map[string]any{"externalId": "o6", "customer": map[string]any{"recordId": "shop:1", "type": "email", "value": "x@example.com"}, "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "total": "1"},
		map[string]any{"externalId": "guest", "status": "PAID", "currency": "GBP", "placedAt": "2024-03-01T10:00:00Z", "lines": []any{map[string]any{"sku": "x", "quantity": 1, "unitPrice": "3"}}},
	}}), "ingestOrders").(map[string]any)
	if res["written"] != 2.0 || res["guest"] != 1.0 || res["rejected"] != 5.0 || get(res, "profileIds", 0) == nil || get(res, "profileIds", 6) != nil {
		t.Fatalf("ingestOrders = %v", res)
	}
	for i, rj := range res["rejects"].([]any) {
		if get(rj, "index") != float64(i+1) || get(rj, "reason") == "" {
			t.Fatalf("reject %d = %v", i, rj)
		}
	}
	// Re-sending is a no-op.
	res = get(s.ok(ing, ordersQ, map[string]any{"s": "shop", "o": []any{good}}), "ingestOrders").(map[string]any)
	if res["written"] != 0.0 || res["unchanged"] != 1.0 {
		t.Fatalf("resend = %v", res)
	}
	many := make([]any, 1001)
	for i := range many {
		many[i] = good
	}
	s.code(ing, ordersQ, map[string]any{"s": "shop", "o": many}, "BAD_USER_INPUT")
	s.code(agent, `mutation { refreshRfm { scored } }`, nil, "FORBIDDEN")
	if get(s.ok(adminKey, `mutation { refreshRfm { scored frequencyCuts } }`, nil), "refreshRfm", "scored") != 1.0 {
		t.Fatal("refreshRfm did not score the one customer")
	}
	s.code(adminKey, `{ customers(orderBy: REVENUE, after: "bad") { totalCount } }`, nil, "BAD_USER_INPUT")
}

// Merges and unmerges, by hand or by identity resolution, carry orders and metrics along.
func TestOrdersFollowMergesAndUnmerges(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	a, b := seed(s, "100", 3, false), seedCustomer(s, "200", 4)
	metrics := func(id string) map[string]any {
		return get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id metrics { orderCount interactionCount revenue { amount } } orders(first: 50) { edges { node { id } } } } }`, map[string]any{"id": id}), "customer").(map[string]any)
	}
	m := get(s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`, map[string]any{"a": a, "b": b}), "mergeCustomers", "id").(string)
	got := metrics(b)
	if got["id"] != m || get(got, "metrics", "orderCount") != 5.0 || get(got, "metrics", "interactionCount") != 4.0 || len(get(got, "orders", "edges").([]any)) != 7 {
		t.Fatalf("after merge: %v", got)
	}
	other := a
	if m == a {
		other = b
	}
	s.ok(adminKey, `mutation($id: ID!, $r: ID!) { unmergeCustomer(id: $id, recordIds: [$r]) { split { id } } }`, map[string]any{"id": m, "r": "shop:" + map[string]string{a: "100", b: "200"}[other]})
	for id, want := range map[string]float64{a: 2, b: 3} {
		if got := metrics(id); get(got, "metrics", "orderCount") != want || get(got, "id") != id {
			t.Fatalf("after unmerge %s: %v (want %v orders)", id, got, want)
		}
	}
	// Identity resolution merges two profiles through a record carrying the e-mail of
	// one and the customer number of the other: the orders follow.
	c, e := seed(s, "300", 2, false), seedCustomer(s, "400", 5)
	d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": "500", "payload": map[string]any{"email": "c300@example.com", "customer_no": "400"}}}})
	if get(d, "ingestRecords", "merged") != 1.0 {
		t.Fatalf("no merge: %v", d)
	}
	for _, id := range []string{c, e} {
		if got := metrics(id); get(got, "metrics", "orderCount") != 5.0 || get(got, "metrics", "interactionCount") != 4.0 {
			t.Fatalf("after ingest merge: %v", got)
		}
	}
}

func TestRankedCustomerSearch(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	ids := map[int]string{}
	for _, n := range []int{2, 6, 4} {
		ids[n] = seedCustomer(s, fmt.Sprint(n), n)
	}
	order := func(q string, vars map[string]any) []string {
		var out []string
		for _, e := range get(s.ok(adminKey, q, vars), "customers", "edges").([]any) {
			out = append(out, get(e, "node", "id").(string))
		}
		return out
	}
	if got := order(`{ customers(orderBy: REVENUE) { edges { node { id } } } }`, nil); strings.Join(got, ",") != ids[6]+","+ids[4]+","+ids[2] {
		t.Fatalf("by revenue %v", got)
	}
	if got := order(`{ customers(orderBy: LAST_ORDER, first: 1) { edges { node { id } } } }`, nil); got[0] != ids[6] {
		t.Fatalf("by last order %v", got)
	}
	// 6 orders: 5 paid (12.50 each) = 62.50; minimum 50.00 keeps only that one.
	if got := order(`{ customers(orderBy: CHURN_RISK, filter: {minRevenueMinor: 5000}) { edges { node { id } } } }`, nil); len(got) != 1 || got[0] != ids[6] {
		t.Fatalf("filtered %v", got)
	}
	if got := order(`{ customers(query: "c4", orderBy: REVENUE) { edges { node { id } } } }`, nil); len(got) != 1 || got[0] != ids[4] {
		t.Fatalf("query + order %v", got)
	}
	// Paging by revenue.
	d := s.ok(adminKey, `{ customers(orderBy: REVENUE, first: 2) { totalCount pageInfo { endCursor hasNextPage } } }`, nil)
	if get(d, "customers", "totalCount") != 3.0 || get(d, "customers", "pageInfo", "hasNextPage") != true {
		t.Fatalf("page 1 %v", d)
	}
	if got := order(`query($a: String) { customers(orderBy: REVENUE, first: 2, after: $a) { edges { node { id } } } }`, map[string]any{"a": get(d, "customers", "pageInfo", "endCursor")}); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("page 2 %v", got)
	}
}

func TestEraseCustomer(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	pid := seedCustomer(s, "9", 3)
	agent := s.newKey("AGENT")
	s.code(agent, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds } }`, map[string]any{"id": pid}, "FORBIDDEN")
	tid := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { tickets { id } } }`, map[string]any{"id": pid}), "customer", "tickets", 0, "id")
	e := get(s.ok(adminKey, `mutation($id: ID!) { eraseCustomer(id: $id) { profileIds sourceRecords identities interactions ordersAnonymised tickets } }`, map[string]any{"id": pid}), "eraseCustomer")
	if get(e, "ordersAnonymised") != 3.0 || get(e, "interactions") != 2.0 || get(e, "tickets") != 1.0 || get(e, "sourceRecords") != 1.0 {
		t.Fatalf("erase = %v", e)
	}
	s.code(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": pid}, "NOT_FOUND")
	s.code(adminKey, `{ customerByIdentifier(type: "email", value: "c9@example.com") { id } }`, nil, "NOT_FOUND")
	tk := get(s.ok(adminKey, `query($t: ID!) { ticket(id: $t) { requester { id } messages { body } } }`, map[string]any{"t": tid}), "ticket")
	if get(tk, "requester") != nil || len(get(tk, "messages").([]any)) != 2 {
		t.Fatalf("ticket after erasure = %v", tk)
	}
}

// TestRetailCustomerMetrics loads a slice of the UCI Online Retail data through the app
// and checks a known customer's metrics over GraphQL against figures computed here from
// the raw CSV with encoding/csv and exact rationals.
func TestRetailCustomerMetrics(t *testing.T) {
	const path = "../../internal/commerce/testdata/retail_sample.csv.gz"
	s := newServer(t)
	sum, err := retail.LoadDemo(context.Background(), retail.Deps{Ingest: s.a.Ingest, Commerce: s.a.Commerce}, path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cust := range []string{"13047", "17809"} {
		x := expectRetail(t, path, cust)
		d := s.ok(adminKey, `query($v: String!) { customerByIdentifier(type: "customer_id", value: $v) { metrics { orderCount cancellationCount
			revenue { amountMinor amount currency } firstOrderAt lastOrderAt } orders(first: 100) { edges { node { id } } } } }`, map[string]any{"v": cust})
		m := get(d, "customerByIdentifier", "metrics")
		if get(m, "orderCount") != float64(x.orders) || get(m, "cancellationCount") != float64(x.credits) ||
			get(m, "revenue", "amountMinor") != float64(x.net) || get(m, "revenue", "currency") != "GBP" ||
			get(m, "firstOrderAt") != x.first.Format(time.RFC3339) || get(m, "lastOrderAt") != x.last.Format(time.RFC3339) {
			t.Fatalf("customer %s: metrics %v, want %+v", cust, m, x)
		}
		if n := len(get(d, "customerByIdentifier", "orders", "edges").([]any)); n != min(100, x.orders+x.credits) {
			t.Fatalf("customer %s: %d orders listed, want %d", cust, n, x.orders+x.credits)
		}
		t.Logf("customer %s: %d orders, %d cancellations, net %s GBP, %s to %s", cust, x.orders, x.credits, get(m, "revenue", "amount"), x.first, x.last)
	}
	if sum.Customers == 0 {
		t.Fatal("no customers loaded")
	}
}

type retailExpect struct {
	orders, credits int
	net             int64
	first, last     time.Time
}

func expectRetail(t *testing.T, path, cust string) retailExpect {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(gz).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var x retailExpect
	orders, credits := map[string]bool{}, map[string]bool{}
	for _, r := range rows[1:] {
		if r[6] != cust+".0" {
			continue
		}
		price, _ := new(big.Rat).SetString(r[5])
		qty, _ := new(big.Rat).SetString(r[3])
		pence := new(big.Rat).Mul(new(big.Rat).Mul(price, qty), big.NewRat(100, 1))
		if !pence.IsInt() {
			t.Fatalf("sub-penny amount in %v", r)
		}
		x.net += pence.Num().Int64() // credit notes carry negative quantities
		at, err := time.Parse("2006-01-02 15:04:05", r[4])
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(r[0], "C") {
			credits[r[0]] = true
			continue
		}
		orders[r[0]] = true
		if x.first.IsZero() || at.Before(x.first) {
			x.first = at
		}
		if at.After(x.last) {
			x.last = at
		}
	}
	x.orders, x.credits = len(orders), len(credits)
	return x
}

func testLog() *slog.Logger {
	if os.Getenv("TESSERA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}
