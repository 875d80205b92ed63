package commerce_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// monitored is a commerce service on its own client and database, whose commands rec
// records.
type monitored struct {
	svc *commerce.Service
	cs  *commercestore.Store
	db  *mongo.Database
	rec *testdb.CommandLog
}

func newMonitored(t testing.TB) *monitored {
	rec := &testdb.CommandLog{}
	db := testdb.MonitoredClient(t, rec).Database(fmt.Sprintf("ingest_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	cs := commercestore.New(db, testdb.Backend(t), nil)
	if err := cs.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := cs.EnsureLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := commerce.NewService(cs)
	svc.Now = func() time.Time { return time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC) }
	return &monitored{svc: svc, cs: cs, db: db, rec: rec}
}

// shopOrders are n orders of each of customers [from, to), in two years, tagged.
func shopOrders(from, to, n int, tag string) []commerce.Order {
	var os []commerce.Order
	for c := from; c < to; c++ {
		for k := range n {
			os = append(os, commerce.Order{ID: fmt.Sprintf("shop:%s%d-%d", tag, c, k), ProfileID: fmt.Sprintf("p%05d", c),
				CustomerRecordID: fmt.Sprintf("shop:c%d", c), Status: commerce.Paid, Currency: "GBP", TotalMinor: 1250,
				PlacedAt: time.Date(2023+k%2, time.Month(1+k%9), 1+k%28, 10, 0, 0, 0, time.UTC)})
		}
	}
	return os
}

// visits are n interactions, spread over customers [0, customers).
func visits(n, customers int, tag string) []commerce.Interaction {
	var is []commerce.Interaction
	for k := range n {
		c := k % customers
		is = append(is, commerce.Interaction{ID: fmt.Sprintf("web:%s-%d", tag, k), ProfileID: fmt.Sprintf("p%05d", c),
			RecordID: fmt.Sprintf("shop:c%d", c), Channel: "web", Type: "page_view", At: time.Date(2024, 5, 1, 10, k%60, 0, 0, time.UTC)})
	}
	return is
}

// seed gives customers [0, n) five orders each and one interaction.
func (m *monitored) seed(t testing.TB, n int) {
	ctx := context.Background()
	os := shopOrders(0, n, 5, "seed")
	for start := 0; start < len(os); start += 1000 {
		if _, err := m.svc.PutOrders(ctx, os[start:min(start+1000, len(os))]); err != nil {
			t.Fatal(err)
		}
	}
	is := visits(n, n, "seed")
	for start := 0; start < len(is); start += 1000 {
		if _, err := m.svc.AddInteractions(ctx, is[start:min(start+1000, len(is))]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIngestCommandsFlat: one batch of 1,000 orders (100 customers with orders) and one
// of 100 interactions (50 customers with interactions) send as many commands on a
// database of 100 customers as on one of 2,000, about one per stored item at most, and
// on FerretDB every read, update and delete filter is a bare _id (the only filter it
// serves without scanning the collection).
func TestIngestCommandsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2,000 customers")
	}
	pointOnly := !testdb.Backend(t).IndexedFilters
	type counts struct{ orders, interactions int }
	got := map[int]counts{}
	for _, size := range []int{100, 2000} {
		m := newMonitored(t)
		m.seed(t, size)
		ctx := context.Background()
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
		m.rec.Record(true)
		res, err := m.svc.PutOrders(ctx, shopOrders(0, 100, 10, "batch"))
		if err != nil || res.Written != 1000 || res.ProfilesTouched != 100 {
			t.Fatalf("%d customers: orders %+v %v", size, res, err)
		}
		no := check("ingestOrders", m.rec.Record(true))
		n, err := m.svc.AddInteractions(ctx, visits(100, 50, "batch"))
		if err != nil || n != 100 {
			t.Fatalf("%d customers: interactions %d %v", size, n, err)
		}
		ni := check("ingestInteractions", m.rec.Record(false))
		got[size] = counts{no, ni}
		if no > 1000 || ni > 120 {
			t.Errorf("%d customers: %d commands for 1,000 orders, %d for 100 interactions: more than about one per item", size, no, ni)
		}
		if mt, err := m.svc.Metrics(ctx, "p00007"); err != nil || mt.Orders != 15 || mt.Interactions != 3 || len(mt.Ledger) != 15 {
			t.Errorf("%d customers: metrics of p00007 %+v %v", size, mt, err)
		}
	}
	if got[100] != got[2000] {
		t.Errorf("commands grow with the database: %+v at 100 customers, %+v at 2,000", got[100], got[2000])
	}
	t.Logf("commands (orders batch, interactions batch): %+v", got)
}

// cancelAfter wraps a store and cancels the request's context after one of its steps:
// a client that gave up right then.
type cancelAfter struct {
	commerce.Store
	step   string
	cancel context.CancelFunc
	rec    *testdb.CommandLog
}

func (c *cancelAfter) gone(step string) {
	if step == c.step {
		c.cancel()
		c.rec.Record(true) // from here on, nothing may be sent
	}
}

func (c *cancelAfter) InsertOrders(ctx context.Context, os []commerce.Order) ([]string, error) {
	ids, err := c.Store.InsertOrders(ctx, os)
	c.gone("InsertOrders")
	return ids, err
}

func (c *cancelAfter) InsertInteractions(ctx context.Context, is []commerce.Interaction) ([]string, error) {
	ids, err := c.Store.InsertInteractions(ctx, is)
	c.gone("InsertInteractions")
	return ids, err
}

func (c *cancelAfter) ChangeLedger(ctx context.Context, cs []ledger.LedgerChange) ([]ledger.Bucket, error) {
	bs, err := c.Store.ChangeLedger(ctx, cs)
	c.gone("ChangeLedger")
	return bs, err
}

func (c *cancelAfter) GetMetrics(ctx context.Context, ids []string) ([]ledger.Metrics, error) {
	ms, err := c.Store.GetMetrics(ctx, ids)
	c.gone("GetMetrics")
	return ms, err
}

// TestCancelledIngestStopsAndRepeatFinishes: a request whose client has gone after any
// step sends nothing more, and sending the same batch again gives the metrics a single
// uninterrupted call gives.
func TestCancelledIngestStopsAndRepeatFinishes(t *testing.T) {
	steps := map[string][]string{"orders": {"InsertOrders", "ChangeLedger", "GetMetrics"},
		"interactions": {"InsertInteractions", "ChangeLedger", "GetMetrics"}}
	for _, kind := range []string{"orders", "interactions"} {
		for _, step := range steps[kind] {
			t.Run(kind+"/"+step, func(t *testing.T) {
				m := newMonitored(t)
				m.seed(t, 10)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				m.svc.Store = &cancelAfter{Store: m.cs, step: step, cancel: cancel, rec: m.rec}
				os, is := shopOrders(0, 10, 3, "x"), visits(20, 10, "x")
				var err error
				if kind == "orders" {
					_, err = m.svc.PutOrders(ctx, slices.Clone(os))
				} else {
					_, err = m.svc.AddInteractions(ctx, slices.Clone(is))
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted call: %v", err)
				}
				if after := m.rec.Record(false); len(after) > 0 {
					t.Errorf("%d commands sent after the client left: %v", len(after), after)
				}
				m.svc.Store = m.cs
				if kind == "orders" {
					_, err = m.svc.PutOrders(context.Background(), os)
				} else {
					_, err = m.svc.AddInteractions(context.Background(), is)
				}
				if err != nil {
					t.Fatal(err)
				}
				for c := range 10 {
					mt, err := m.svc.Metrics(context.Background(), fmt.Sprintf("p%05d", c))
					if err != nil {
						t.Fatal(err)
					}
					wantOrders, wantInter := 5, 1
					if kind == "orders" {
						wantOrders = 8
					} else {
						wantInter = 3
					}
					if mt.Orders != wantOrders || mt.Interactions != wantInter || mt.NetMinor != int64(wantOrders)*1250 || len(mt.Ledger) != wantOrders {
						t.Errorf("customer %d after the repeat: orders %d interactions %d net %d ledger %d; want %d %d", c, mt.Orders,
							mt.Interactions, mt.NetMinor, len(mt.Ledger), wantOrders, wantInter)
					}
				}
			})
		}
	}
}
