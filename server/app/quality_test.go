package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// qLine and qOrder are the test's plain record of the orders it stored.
type qLine struct {
	sku, cat string
	qty      int64
	price    int64 // pence
}

type qOrder struct {
	id     string // source:externalId
	cust   int
	at     time.Time
	status string
	lines  []qLine
}

func (o qOrder) cancelled() bool { return o.status == "CANCELLED" || o.status == "REFUNDED" }

func (o qOrder) total() (t int64) {
	for _, l := range o.lines {
		t += l.qty * l.price
	}
	return t
}

func (o qOrder) credit() bool { return o.cancelled() && o.total() < 0 }

type qTicket struct {
	id      string
	cust    int
	created time.Time
	order   string
	score   int
}

type qRow struct {
	orders, tickets, rated, scoreSum, satisfied int
	sold, returned, revenue                     int64
	unmatched                                   int64
	unmatchedIn                                 int
}

// TestProductQualityThroughGraphQL (issue 17): the product-quality report over GraphQL,
// from an aggregate built at start and kept current by orders, catalogue writes,
// tickets naming orders (at creation and with setTicketOrder), ratings and a merge,
// checked against the test's own computation; a report request sends no database
// command at two data sizes, and a ticket's order is one point read.
func TestProductQualityThroughGraphQL(t *testing.T) {
	ctx := context.Background()
	ops := &requestOps{}
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(ops.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(fmt.Sprintf("qual_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx); _ = client.Disconnect(ctx) })
	a, err := app.New(ctx, db, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(ctx, adminKey); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	runCtx, stop := context.WithCancel(ctx)
	t.Cleanup(func() { stop(); hs.Close() })
	s := &srv{t, hs.URL, a}
	s.ok(adminKey, shopSource, nil)

	const nCust = 8
	var pids [nCust]string
	for i := range nCust {
		d := s.ok(adminKey, ingestQ, map[string]any{"recs": []any{map[string]any{"externalId": fmt.Sprint("q", i),
			"payload": map[string]any{"email": fmt.Sprintf("q%d@example.com", i)}}}})
		pids[i] = get(d, "ingestRecords", "profileIds", 0).(string)
	}
	owner := func(c int) int { return c } // after the merge, the absorbed customer's orders are the survivor's
	catalogue := map[string]string{"A": "Lights", "B": "Lights", "C": "Kitchen"}
	names := map[string]string{"A": "Lantern", "B": "Fairy lights", "C": "Mug"}
	s.ok(adminKey, `mutation($p: [ProductInput!]!) { putProducts(input: $p) }`, map[string]any{"p": []any{
		map[string]any{"sku": "A", "name": "Lantern", "category": "Lights"}, map[string]any{"sku": "B", "name": "Fairy lights", "category": "Lights"},
		map[string]any{"sku": "C", "name": "Mug", "category": "Kitchen"}}})

	now := time.Now().UTC().Truncate(time.Millisecond)
	var orders []qOrder
	byID := map[string]*qOrder{}
	n := 0
	// addOrders stores k orders per customer over the last 60 days: every fifth
	// cancelled, every seventh a credit note, a line of its own category now and then.
	addOrders := func(k int) {
		t.Helper()
		var in []any
		for c := range nCust {
			for range k {
				n++
				o := qOrder{id: fmt.Sprint("shop:o", n), cust: c, at: now.Add(-time.Duration(1+(n*37)%(60*24)) * time.Hour), status: "PAID"}
				sign := int64(1)
				switch {
				case n%5 == 2:
					o.status = "CANCELLED"
				case n%7 == 3:
					o.status, sign = "REFUNDED", -1
				}
				for j := range 1 + n%3 {
					l := qLine{sku: string(rune('A' + (n+j*3)%5)), qty: sign * int64(1+(n+j)%4), price: int64(150 + 25*((n+j)%6))}
					if (n+j)%6 == 0 {
						l.cat = "Gifts"
					}
					o.lines = append(o.lines, l)
				}
				orders = append(orders, o)
				var ls []any
				for _, l := range o.lines {
					m := map[string]any{"sku": l.sku, "description": "thing " + l.sku, "quantity": l.qty, "unitPrice": fmt.Sprintf("%d.%02d", l.price/100, l.price%100)}
					if l.cat != "" {
						m["category"] = l.cat
					}
					ls = append(ls, m)
				}
				in = append(in, map[string]any{"externalId": o.id[len("shop:"):], "customer": map[string]any{"recordId": fmt.Sprint("shop:q", c)},
					"status": o.status, "currency": "GBP", "placedAt": o.at.Format(time.RFC3339Nano), "lines": ls})
			}
		}
		res := s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": in})
		if get(res, "ingestOrders", "rejected").(float64) != 0 {
			t.Fatalf("ingest: %v", res)
		}
		for i := range orders {
			byID[orders[i].id] = &orders[i]
		}
	}

	var tickets []*qTicket
	// openTicket opens a ticket of customer c, naming order (or not), solved and rated
	// with score (0: not rated).
	openTicket := func(c int, order string, score int) *qTicket {
		t.Helper()
		vars := map[string]any{"c": pids[c], "o": nil}
		if order != "" {
			vars["o"] = order
		}
		d := s.ok(adminKey, `mutation($c: ID!, $o: ID) { createTicket(input: {subject: "About my order", body: "hi", customerId: $c, orderId: $o}) { id createdAt orderId } }`, vars)
		created, _ := time.Parse(time.RFC3339Nano, get(d, "createTicket", "createdAt").(string))
		tk := &qTicket{id: get(d, "createTicket", "id").(string), cust: c, created: created, order: order, score: score}
		if score > 0 {
			s.ok(adminKey, `mutation($t: ID!) { setTicketStatus(id: $t, status: SOLVED) { id } }`, map[string]any{"t": tk.id})
			s.ok(adminKey, `mutation($t: ID!, $s: Int!) { rateTicket(id: $t, score: $s) { id } }`, map[string]any{"t": tk.id, "s": score})
		}
		tickets = append(tickets, tk)
		return tk
	}
	ofCustomer := func(c, k int) string { // the k-th order of customer c
		for _, o := range orders {
			if o.cust == c && !o.credit() {
				if k == 0 {
					return o.id
				}
				k--
			}
		}
		t.Fatalf("customer %d has no order %d", c, k)
		return ""
	}

	// Before the start: the build reads these.
	addOrders(3)
	openTicket(0, ofCustomer(0, 1), 2)
	openTicket(1, "", 5)
	openTicket(2, "", 0)

	a.Start(runCtx)
	q := `query($by: QualityGrouping!, $after: String) { productQuality(by: $by, minUnits: 0, first: 3, after: $after) { ready currency orders tickets totalCount
		rows { key sku name category orders unitsSold unitsReturned returnRate unmatchedReturnedUnits unmatchedReturns netRevenue { amountMinor } tickets ticketsPer100Orders ratedTickets averageCsat satisfiedShare }
		pageInfo { hasNextPage endCursor } } }`
	for i := 0; ; i++ {
		if get(s.ok(adminKey, q, map[string]any{"by": "PRODUCT"}), "productQuality", "ready") == true {
			break
		}
		if i == 2000 {
			t.Fatal("the aggregate was not built")
		}
		time.Sleep(10 * time.Millisecond)
	}

	someMatched, someUnmatched := false, false // credit-note units seen matched and unmatched
	expect := func(byCat bool) (map[string]*qRow, int, int) {
		key := func(l qLine) string {
			switch {
			case !byCat:
				return l.sku
			case l.cat != "":
				return l.cat
			case catalogue[l.sku] != "":
				return catalogue[l.sku]
			}
			return "Uncategorised"
		}
		rows := map[string]*qRow{}
		row := func(k string) *qRow {
			if rows[k] == nil {
				rows[k] = &qRow{}
			}
			return rows[k]
		}
		// Returns matched the plain way: per owner in time order, what the owner bought
		// (not cancelled or refunded) and has not returned yet, per SKU; an order's
		// negative lines of one SKU and category are taken together.
		type retKey struct{ order, sku, cat string }
		matched := map[retKey]int64{}
		for c := range nCust {
			var mine []*qOrder
			for i := range orders {
				if owner(orders[i].cust) == c {
					mine = append(mine, &orders[i])
				}
			}
			slices.SortFunc(mine, func(a, b *qOrder) int { return a.at.Compare(b.at) })
			left := map[string]int64{}
			for _, o := range mine {
				if !o.cancelled() {
					for _, l := range o.lines {
						left[l.sku] += max(l.qty, 0)
					}
				}
				want := map[retKey]int64{}
				var keys []retKey
				for _, l := range o.lines {
					if k := (retKey{o.id, l.sku, l.cat}); l.qty < 0 {
						if _, ok := want[k]; !ok {
							keys = append(keys, k)
						}
						want[k] -= l.qty
					}
				}
				for _, k := range keys {
					matched[k] = min(want[k], left[k.sku])
					left[k.sku] -= matched[k]
					someMatched = someMatched || matched[k] > 0
					someUnmatched = someUnmatched || matched[k] < want[k]
				}
			}
		}
		nOrders, nTickets := 0, 0
		for _, o := range orders {
			if !o.credit() {
				nOrders++
			}
			seen := map[string]bool{}
			unmatchedIn := map[string]bool{}
			for _, l := range o.lines {
				r := row(key(l))
				if l.qty > 0 {
					r.sold += l.qty
					if o.cancelled() {
						r.returned += l.qty
					}
				} else if k := (retKey{o.id, l.sku, l.cat}); matched[k] >= -l.qty {
					r.returned -= l.qty
					matched[k] += l.qty
				} else {
					r.returned += matched[k]
					r.unmatched += -l.qty - matched[k]
					matched[k] = 0
					if !unmatchedIn[key(l)] {
						unmatchedIn[key(l)] = true
						r.unmatchedIn++
					}
				}
				if !o.cancelled() || o.credit() {
					r.revenue += l.qty * l.price
				}
				if !o.credit() && !seen[key(l)] {
					seen[key(l)] = true
					r.orders++
				}
			}
		}
		for _, tk := range tickets {
			o := byID[tk.order]
			if tk.order == "" {
				for i := range orders {
					x := &orders[i]
					if owner(x.cust) != owner(tk.cust) || x.credit() || x.at.After(tk.created) || x.at.Before(tk.created.AddDate(0, 0, -30)) {
						continue
					}
					if o == nil || x.at.After(o.at) {
						o = x
					}
				}
			}
			if o == nil {
				continue
			}
			nTickets++
			seen := map[string]bool{}
			for _, l := range o.lines {
				if seen[key(l)] {
					continue
				}
				seen[key(l)] = true
				r := row(key(l))
				r.tickets++
				if tk.score > 0 {
					r.rated++
					r.scoreSum += tk.score
					if tk.score >= 4 {
						r.satisfied++
					}
				}
			}
		}
		return rows, nOrders, nTickets
	}
	near := func(a any, b float64) bool { f, ok := a.(float64); return ok && math.Abs(f-b) < 1e-9 }
	check := func(by string) {
		t.Helper()
		want, nOrders, nTickets := expect(by == "CATEGORY")
		var after any
		got := 0
		prev := math.Inf(1)
		for {
			pg := get(s.ok(adminKey, q, map[string]any{"by": by, "after": after}), "productQuality").(map[string]any)
			if pg["currency"] != "GBP" || pg["orders"] != float64(nOrders) || pg["tickets"] != float64(nTickets) || pg["totalCount"] != float64(len(want)) {
				t.Fatalf("%s: %v; want %d orders, %d tickets, %d rows", by, pg, nOrders, nTickets, len(want))
			}
			for _, x := range pg["rows"].([]any) {
				r := x.(map[string]any)
				w := want[r["key"].(string)]
				if w == nil {
					t.Fatalf("%s: unexpected row %v", by, r)
				}
				rate := float64(w.returned) / float64(w.sold)
				ok := r["orders"] == float64(w.orders) && r["unitsSold"] == float64(w.sold) && r["unitsReturned"] == float64(w.returned) &&
					r["unmatchedReturnedUnits"] == float64(w.unmatched) && r["unmatchedReturns"] == float64(w.unmatchedIn) &&
					near(r["returnRate"], rate) && get(r, "netRevenue", "amountMinor") == float64(w.revenue) && r["tickets"] == float64(w.tickets) &&
					r["ratedTickets"] == float64(w.rated) && near(r["ticketsPer100Orders"], 100*float64(w.tickets)/float64(w.orders))
				if w.rated > 0 {
					ok = ok && near(r["averageCsat"], float64(w.scoreSum)/float64(w.rated)) && near(r["satisfiedShare"], float64(w.satisfied)/float64(w.rated))
				} else {
					ok = ok && r["averageCsat"] == nil && r["satisfiedShare"] == nil
				}
				if by == "PRODUCT" {
					name := names[r["key"].(string)]
					if name == "" {
						name = "thing " + r["key"].(string)
					}
					ok = ok && r["sku"] == r["key"] && r["name"] == name
				}
				if !ok || rate > prev {
					t.Fatalf("%s row %v; want %+v (return rate %v, previous %v)", by, r, *w, rate, prev)
				}
				prev = rate
				got++
			}
			if get(pg, "pageInfo", "hasNextPage") != true {
				break
			}
			after = get(pg, "pageInfo", "endCursor")
		}
		if got != len(want) {
			t.Fatalf("%s: %d rows, want %d", by, got, len(want))
		}
	}
	check("PRODUCT")
	check("CATEGORY")

	// Then, as they are made: orders, tickets with and without orders, a catalogue
	// change, an order named afterwards and one cleared, and a merge.
	addOrders(2)
	catalogue["D"], names["D"] = "Garden", "Trowel"
	s.ok(adminKey, `mutation { putProducts(input: [{sku: "D", name: "Trowel", category: "Garden"}]) }`, nil)
	t3 := openTicket(3, "", 1)
	openTicket(4, ofCustomer(4, 0), 4)
	t5 := openTicket(5, ofCustomer(5, 2), 3)
	t6 := openTicket(6, "", 0)
	t7 := openTicket(7, "", 5)
	d := s.ok(adminKey, `mutation($t: ID!, $o: ID) { setTicketOrder(id: $t, orderId: $o) { orderId history { field new } } }`,
		map[string]any{"t": t3.id, "o": ofCustomer(3, 1)})
	t3.order = ofCustomer(3, 1)
	if get(d, "setTicketOrder", "orderId") != t3.order {
		t.Fatalf("setTicketOrder: %v", d)
	}
	recorded := false
	for _, e := range get(d, "setTicketOrder", "history").([]any) {
		recorded = recorded || get(e, "field") == "order_id" && get(e, "new") == t3.order
	}
	if !recorded {
		t.Fatalf("no order_id event: %v", d)
	}
	s.ok(adminKey, `mutation($t: ID!) { setTicketOrder(id: $t, orderId: null) { id } }`, map[string]any{"t": t5.id})
	t5.order = ""
	s.code(adminKey, `mutation($t: ID!) { setTicketOrder(id: $t, orderId: "shop:nope") { id } }`, map[string]any{"t": t5.id}, "NOT_FOUND")
	s.code(adminKey, `mutation($t: ID!, $o: ID!) { setTicketOrder(id: $t, orderId: $o) { id } }`, map[string]any{"t": t5.id, "o": ofCustomer(0, 0)}, "BAD_USER_INPUT")
	s.code(adminKey, `mutation($c: ID!, $o: ID!) { createTicket(input: {subject: "x", body: "y", customerId: $c, orderId: $o}) { id } }`,
		map[string]any{"c": pids[5], "o": ofCustomer(0, 0)}, "BAD_USER_INPUT")
	// Customers 6 and 7 merge: the absorbed one's ticket finds the survivor's orders,
	// and a ticket of either may name an order of the other.
	if len(t6.order) > 0 {
		t.Fatal("t6 names an order")
	}
	merged := get(s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`,
		map[string]any{"a": pids[6], "b": pids[7]}), "mergeCustomers", "id").(string)
	survivor, absorbed := 6, 7
	if merged == pids[7] {
		survivor, absorbed = 7, 6
	}
	owner = func(c int) int {
		if c == absorbed {
			return survivor
		}
		return c
	}
	s.ok(adminKey, `mutation($t: ID!, $o: ID!) { setTicketOrder(id: $t, orderId: $o) { id } }`, map[string]any{"t": t7.id, "o": ofCustomer(6, 0)})
	t7.order = ofCustomer(6, 0)
	openTicket(absorbed, "", 4) // opened on the survivor
	check("PRODUCT")
	check("CATEGORY")

	// A ticket's order: one point read.
	ops.take()
	d = s.ok(adminKey, `query($t: ID!) { ticket(id: $t) { order { id placedAt total { amountMinor } } } }`, map[string]any{"t": t3.id})
	if get(d, "ticket", "order", "id") != t3.order || get(d, "ticket", "order", "total", "amountMinor") != float64(byID[t3.order].total()) {
		t.Fatalf("ticket order: %v", d)
	}
	orderReads := 0
	for _, c := range ops.take() {
		if c.Name == "find" && c.Coll == "orders" {
			if orderReads++; len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) {
				t.Fatalf("order read %v", c)
			}
		}
	}
	if orderReads != 1 {
		t.Fatalf("%d reads of orders for a ticket's order, want 1", orderReads)
	}

	// The report sends no command, at two sizes of the data.
	count := func() int {
		ops.take()
		check("PRODUCT")
		return len(ops.take())
	}
	small := count()
	addOrders(6)
	for c := range 5 {
		openTicket(c, "", 1+c)
	}
	if big := count(); small != 0 || big != 0 {
		t.Fatalf("report commands: %d at %d orders, %d at the larger size", small, len(orders)/2, big)
	}
	if !someMatched || !someUnmatched {
		t.Fatalf("credit-note units matched: %v, unmatched: %v; the data should have both", someMatched, someUnmatched)
	}
	// The catalogue reads by SKU.
	d = s.ok(adminKey, `{ products(skus: ["D", "nope", "A"]) { sku name category } }`, nil)
	if ps := get(d, "products").([]any); len(ps) != 2 || get(ps[0], "name") != "Trowel" || get(ps[1], "category") != "Lights" {
		t.Fatalf("products %v", d)
	}
	for _, c := range ops.take() {
		if c.Name == "find" && (len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) && !testdb.Backend(t).IndexedFilters) {
			t.Fatalf("catalogue read %v", c)
		}
	}
}
