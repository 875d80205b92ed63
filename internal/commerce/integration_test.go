package commerce_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/retail"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

const sample = "testdata/retail_sample.csv.gz"

type env struct {
	t    testing.TB
	ctx  context.Context
	st   *identitystore.Store
	cs   *commercestore.Store
	eng  *identity.Engine
	deps retail.Deps
	svc  *commerce.Service
}

func newEnv(t testing.TB) *env {
	db, b := testdb.DB(t), testdb.Backend(t)
	st := identitystore.New(db, b)
	eng := identity.NewEngine(st)
	cs := commercestore.New(db, b, st)
	svc := commerce.NewService(cs)
	svc.Now = func() time.Time { return time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC) }
	return &env{t: t, ctx: context.Background(), st: st, cs: cs, eng: eng, svc: svc,
		deps: retail.Deps{Ingest: ingest.NewService(st, eng, normalize.Default()), Commerce: svc}}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// profileOfRecord follows a source record to its live profile.
func (e *env) profileOfRecord(recordID string) string {
	e.t.Helper()
	recs, err := e.st.GetRecords(e.ctx, []string{recordID})
	e.must(err)
	if len(recs) != 1 {
		e.t.Fatalf("record %s not found", recordID)
	}
	p, err := e.eng.Final(e.ctx, recs[0].ProfileID)
	e.must(err)
	return p
}

func (e *env) metrics(pid string) ledger.Metrics {
	e.t.Helper()
	m, err := e.svc.Metrics(e.ctx, pid)
	e.must(err)
	return m
}

// expected is one customer's figures computed straight from the CSV, with encoding/csv
// and exact rationals rather than the loader's parser.
type expected struct {
	orders, credits map[string]bool
	gross, returns  int64
	first, last     time.Time
	rows            int
}

func expectFromCSV(t *testing.T, path, customer string) expected {
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
	x := expected{orders: map[string]bool{}, credits: map[string]bool{}}
	for _, r := range rows[1:] {
		if r[6] != customer+".0" {
			continue
		}
		x.rows++
		price, ok := new(big.Rat).SetString(r[5])
		qty, ok2 := new(big.Rat).SetString(r[3])
		if !ok || !ok2 {
			t.Fatalf("bad row %v", r)
		}
		pence := new(big.Rat).Mul(new(big.Rat).Mul(price, qty), big.NewRat(100, 1))
		if !pence.IsInt() {
			t.Fatalf("sub-penny amount in %v", r)
		}
		amount := pence.Num().Int64()
		at, err := time.Parse("2006-01-02 15:04:05", r[4])
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(r[0], "C") {
			x.credits[r[0]] = true
			x.returns -= amount
			continue
		}
		x.orders[r[0]] = true
		x.gross += amount
		if x.first.IsZero() || at.Before(x.first) {
			x.first = at
		}
		if at.After(x.last) {
			x.last = at
		}
	}
	return x
}

func TestLoadSampleKnownCustomer(t *testing.T) {
	e := newEnv(t)
	calls := 0
	sum, err := retail.LoadDemo(e.ctx, e.deps, sample, 0, func(done, total int) {
		calls++
		if done > total {
			t.Errorf("progress %d of %d", done, total)
		}
	})
	e.must(err)
	t.Logf("summary: %+v", sum)
	if sum.Rows != 1515 || sum.RoundedPrices != 4 || sum.GuestOrders == 0 || sum.Cancellations == 0 || calls == 0 {
		t.Errorf("summary: %+v", sum)
	}
	if sum.Newsletter == 0 || sum.Support == 0 || sum.Interactions == 0 {
		t.Errorf("no generated people: %+v", sum)
	}
	guests, err := e.cs.OrdersOfProfiles(e.ctx, []string{""})
	e.must(err)
	if len(guests) != sum.GuestOrders {
		t.Errorf("%d guest orders stored, summary says %d", len(guests), sum.GuestOrders)
	}
	// The one invoice the file splits in two places is a single order.
	split, err := e.cs.GetOrders(e.ctx, []string{"webshop:542806"})
	e.must(err)
	if len(split) != 1 || len(split[0].Lines) != 39 {
		t.Errorf("split invoice: %d orders, lines %d", len(split), len(split[0].Lines))
	}

	for _, cust := range []string{"13047", "12431", "15299"} {
		x := expectFromCSV(t, sample, cust)
		pid := e.profileOfRecord("webshop:" + cust)
		m := e.metrics(pid)
		if m.Orders != len(x.orders) || m.Cancellations != len(x.credits) || m.GrossMinor != x.gross || m.ReturnsMinor != x.returns ||
			m.NetMinor != x.gross-x.returns || !m.FirstOrderAt.Equal(x.first) || !m.LastOrderAt.Equal(x.last) || m.Currency != "GBP" {
			t.Errorf("customer %s: got orders %d cancellations %d gross %d returns %d net %d first %v last %v; want %d %d %d %d %d %v %v",
				cust, m.Orders, m.Cancellations, m.GrossMinor, m.ReturnsMinor, m.NetMinor, m.FirstOrderAt, m.LastOrderAt,
				len(x.orders), len(x.credits), x.gross, x.returns, x.gross-x.returns, x.first, x.last)
		}
		if m.Churn.Basis != "history" || m.Churn.Score < 0 || m.Churn.Score > 1 {
			t.Errorf("customer %s churn %+v", cust, m.Churn)
		}
	}
	known := e.metrics(e.profileOfRecord("webshop:13047"))
	t.Logf("customer 13047: %d orders, %d cancellations, net %s, AOV %s, first %v, last %v, churn %+v",
		known.Orders, known.Cancellations, (money.Money{Minor: known.NetMinor, Currency: "GBP"}), money.Money{Minor: known.AOVMinor(), Currency: "GBP"},
		known.FirstOrderAt, known.LastOrderAt, known.Churn)

	// Loading again changes nothing: no metrics document is even rewritten (same rev).
	before := map[string]ledger.Metrics{}
	pids := map[string]bool{}
	for _, cust := range []string{"13047", "15291", "17809", "12431", "17924", "15299", "13520"} {
		pid := e.profileOfRecord("webshop:" + cust)
		pids[pid] = true
		before[pid] = e.metrics(pid)
	}
	again, err := retail.LoadDemo(e.ctx, e.deps, sample, 0, nil)
	e.must(err)
	if again.Merged != 0 || again.Interactions != 0 || again.Orders != sum.Orders {
		t.Errorf("second load: %+v", again)
	}
	for pid := range pids {
		if m := e.metrics(pid); !sameMetrics(m, before[pid]) {
			t.Errorf("profile %s changed on re-load:\n%+v\n%+v", pid, before[pid], m)
		}
	}
}

func sameMetrics(a, b ledger.Metrics) bool {
	return a.Rev == b.Rev && a.Orders == b.Orders && a.NetMinor == b.NetMinor && a.GrossMinor == b.GrossMinor &&
		a.Interactions == b.Interactions && a.FirstOrderAt.Equal(b.FirstOrderAt) && a.LastOrderAt.Equal(b.LastOrderAt) && len(a.Ledger) == len(b.Ledger)
}

func (e *env) source() {
	_, err := e.deps.Ingest.CreateSource(e.ctx, ingest.Source{Name: "shop", Kind: "WEB_SHOP",
		IdentifierFields: map[string]string{"cid": "customer_id", "email": "email"}})
	e.must(err)
}

func (e *env) ingest(id string, payload map[string]any) string {
	e.t.Helper()
	res, err := e.deps.Ingest.Ingest(e.ctx, "shop", []ingest.Input{{ExternalID: id, Payload: payload}}, "")
	e.must(err)
	return res.ProfileIDs[0]
}

func order(id, pid, rec string, d int, pence int64, status string) commerce.Order {
	return commerce.Order{ID: "shop:" + id, ProfileID: pid, CustomerRecordID: rec, Status: status, Currency: "GBP", PlacedAt: day(d),
		Lines: []commerce.Line{{SKU: "SKU-" + id, Quantity: 1, UnitPriceMinor: pence}}}
}

func TestMergeUnmergeReconcile(t *testing.T) {
	e := newEnv(t)
	e.source()
	pa := e.ingest("a", map[string]any{"cid": "1", "email": "ann@example.com"})
	pb := e.ingest("b", map[string]any{"email": "bob@example.com"})
	_, err := e.svc.PutOrders(e.ctx, []commerce.Order{
		order("1", pa, "shop:a", 0, 1000, commerce.Paid), order("2", pa, "shop:a", 30, 2000, commerce.Shipped),
		order("3", pb, "shop:b", 10, 5000, commerce.Paid), order("4", pb, "shop:b", 11, -1500, commerce.Refunded),
	})
	e.must(err)
	_, err = e.svc.AddInteractions(e.ctx, []commerce.Interaction{
		{ID: "news:b-1", ProfileID: pb, RecordID: "shop:b", Channel: "email", Type: "opened", At: day(40)},
	})
	e.must(err)
	ma, mb := e.metrics(pa), e.metrics(pb)
	if ma.NetMinor != 3000 || mb.NetMinor != 3500 || mb.ReturnsMinor != 1500 || mb.Orders != 1 || !mb.LastSeenAt().Equal(day(40)) {
		t.Fatalf("before merge: %+v / %+v", ma, mb)
	}

	survivor, err := e.eng.Merge(e.ctx, []string{pa, pb}, "same person", "test")
	e.must(err)
	absorbed := pb
	if survivor == pb {
		absorbed = pa
	}
	e.must(e.svc.FollowMerge(e.ctx, []string{absorbed}, survivor))
	m := e.metrics(survivor)
	if m.Orders != 3 || m.NetMinor != 6500 || m.Cancellations != 1 || m.Interactions != 1 || !m.FirstOrderAt.Equal(day(0)) || !m.LastOrderAt.Equal(day(30)) {
		t.Errorf("after merge: %+v", m)
	}
	if gone := e.metrics(absorbed); gone.Orders != 0 || gone.Rev != 0 {
		t.Errorf("absorbed profile keeps metrics: %+v", gone)
	}
	if os, _ := e.cs.OrdersOfProfiles(e.ctx, []string{absorbed}); len(os) != 0 {
		t.Errorf("%d orders left on the absorbed profile", len(os))
	}

	split, remaining, err := e.eng.Unmerge(e.ctx, survivor, []string{"shop:b"}, "test")
	e.must(err)
	e.must(e.svc.FollowUnmerge(e.ctx, slices.Concat([]string{survivor}, split, remaining)))
	pa2, pb2 := e.profileOfRecord("shop:a"), e.profileOfRecord("shop:b")
	if pa2 == pb2 {
		t.Fatal("unmerge left one profile")
	}
	if m := e.metrics(pa2); m.NetMinor != 3000 || m.Orders != 2 || m.Interactions != 0 {
		t.Errorf("a after unmerge: %+v", m)
	}
	if m := e.metrics(pb2); m.NetMinor != 3500 || m.Orders != 1 || m.Interactions != 1 {
		t.Errorf("b after unmerge: %+v", m)
	}

	// A merge made by resolution (a later record sharing identifiers) is followed by
	// Reconcile: orders placed on a guest-like profile known only by e-mail move over.
	px := e.ingest("x", map[string]any{"email": "cat@example.com"})
	_, err = e.svc.PutOrders(e.ctx, []commerce.Order{order("5", px, "shop:x", 50, 700, commerce.Placed)})
	e.must(err)
	e.ingest("y", map[string]any{"cid": "1", "email": "cat@example.com"})
	n, err := e.svc.Reconcile(e.ctx)
	e.must(err)
	final := e.profileOfRecord("shop:x")
	if m := e.metrics(final); n != 1 || final != pa2 || m.Orders != 3 || m.NetMinor != 3700 || !m.LastOrderAt.Equal(day(50)) {
		t.Errorf("reconcile %d, final %s (a: %s): %+v", n, final, pa2, m)
	}
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Errorf("second reconcile: %d %v", n, err)
	}
}

func TestOrderUpdatesAndConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	orders := []commerce.Order{order("1", "p1", "", 0, 1000, commerce.Placed), order("2", "p1", "", 5, 2000, commerce.Placed)}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := e.svc.PutOrders(e.ctx, slices.Clone(orders)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := e.metrics("p1"); m.Orders != 2 || m.NetMinor != 3000 {
		t.Fatalf("concurrent writers: %+v", m)
	}
	// Status change: the second order is cancelled, then the first moves to another profile.
	o2 := order("2", "p1", "", 5, 2000, commerce.Cancelled)
	res, err := e.svc.PutOrders(e.ctx, []commerce.Order{o2})
	e.must(err)
	if m := e.metrics("p1"); res.Written != 1 || m.Orders != 1 || m.Cancellations != 1 || m.NetMinor != 1000 || !m.LastOrderAt.Equal(day(0)) {
		t.Errorf("after cancel: %+v %+v", res, m)
	}
	_, err = e.svc.PutOrders(e.ctx, []commerce.Order{order("1", "p2", "", 0, 1000, commerce.Placed)})
	e.must(err)
	if m1, m2 := e.metrics("p1"), e.metrics("p2"); m1.Orders != 0 || m1.NetMinor != 0 || m2.Orders != 1 || m2.NetMinor != 1000 {
		t.Errorf("after move: %+v / %+v", m1, m2)
	}
	if _, err := e.svc.PutOrders(e.ctx, []commerce.Order{{ID: "shop:9", Status: "lost", Currency: "GBP", PlacedAt: day(0)}}); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestRefreshRFM(t *testing.T) {
	e := newEnv(t)
	var orders []commerce.Order
	for i := range 50 {
		pid := fmt.Sprintf("p%03d", i)
		for k := range i%5 + 1 {
			orders = append(orders, order(fmt.Sprintf("%d-%d", i, k), pid, "", i-k*60, int64(1000+i*37%50*100), commerce.Paid))
		}
	}
	_, err := e.svc.PutOrders(e.ctx, orders)
	e.must(err)
	_, err = e.svc.AddInteractions(e.ctx, []commerce.Interaction{{ID: "web:v1", ProfileID: "visitor", Channel: "web", Type: "visit", At: day(3)}})
	e.must(err)
	rep, err := e.svc.RefreshRFM(e.ctx, 7)
	e.must(err)
	if rep.Profiles != 51 || rep.Scored != 50 {
		t.Fatalf("report %+v", rep)
	}
	counts := map[int]int{}
	prevR, prevLast := 0, time.Time{}
	for i := range 50 {
		m := e.metrics(fmt.Sprintf("p%03d", i))
		r := m.RFM
		if r.Recency < 1 || r.Recency > 5 || r.Frequency != m.Orders || r.Monetary < 1 || r.Monetary > 5 {
			t.Errorf("p%03d: %+v (orders %d)", i, r, m.Orders)
		}
		if r.Recency < prevR || !m.LastOrderAt.After(prevLast) {
			t.Errorf("p%03d: recency %d after %d", i, r.Recency, prevR)
		}
		if want := rep.Monetary.Score(m.NetMinor); r.Monetary != want {
			t.Errorf("p%03d: monetary %d, want %d", i, r.Monetary, want)
		}
		prevR, prevLast = r.Recency, m.LastOrderAt
		counts[r.Recency]++
	}
	for s := 1; s <= 5; s++ {
		if counts[s] != 10 {
			t.Errorf("recency %d given to %d profiles, want 10", s, counts[s])
		}
	}
	if v := e.metrics("visitor"); v.RFM != (ledger.RFM{}) || v.Interactions != 1 {
		t.Errorf("visitor: %+v", v)
	}
}

func day(d int) time.Time { return time.Date(2011, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

// Observers see every order as stored and follow it through merges and splits: a
// structure kept from what they hear holds each order on the profile that has it.
func TestObserversFollowOrders(t *testing.T) {
	e := newEnv(t)
	e.source()
	owner := map[string]string{}
	e.svc.Observe(func(os []commerce.Order) {
		for _, o := range os {
			owner[o.ID] = o.ProfileID
		}
	})
	pa := e.ingest("a", map[string]any{"cid": "1", "email": "ann@example.com"})
	pb := e.ingest("b", map[string]any{"email": "bob@example.com"})
	_, err := e.svc.PutOrders(e.ctx, []commerce.Order{
		order("1", pa, "shop:a", 0, 1000, commerce.Paid), order("3", pb, "shop:b", 10, 5000, commerce.Paid),
	})
	e.must(err)
	if owner["shop:1"] != pa || owner["shop:3"] != pb {
		t.Fatalf("after PutOrders: %v", owner)
	}
	survivor, err := e.eng.Merge(e.ctx, []string{pa, pb}, "same person", "test")
	e.must(err)
	absorbed := pb
	if survivor == pb {
		absorbed = pa
	}
	e.must(e.svc.FollowMerge(e.ctx, []string{absorbed}, survivor))
	if owner["shop:1"] != survivor || owner["shop:3"] != survivor {
		t.Fatalf("after merge into %s: %v", survivor, owner)
	}
	split, remaining, err := e.eng.Unmerge(e.ctx, survivor, []string{"shop:b"}, "test")
	e.must(err)
	e.must(e.svc.FollowUnmerge(e.ctx, slices.Concat([]string{survivor}, split, remaining)))
	for id, rec := range map[string]string{"shop:1": "shop:a", "shop:3": "shop:b"} {
		if want := e.profileOfRecord(rec); owner[id] != want {
			t.Errorf("after unmerge: order %s heard on %s, stored on %s", id, owner[id], want)
		}
	}
}
