package commercestore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestLedgerBucketsAndMetrics(t *testing.T) {
	ctx := context.Background()
	b := testdb.Backend(t)
	st := commercestore.New(testdb.DB(t), b, nil)
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2011, 5, 1, 10, 0, 0, 0, time.UTC)
	key := ledger.OrderBucket("p1", at) // any key: a bucket holds what it is given
	// Order ids with dots and dollars must survive as entry keys.
	odd := "shop:a.b$c%2E"
	change := ledger.LedgerChange{BucketKey: key, SetOrders: map[string]ledger.Entry{
		odd:      {Kind: ledger.KindOrder, NetMinor: 250, Currency: "GBP", At: at},
		"shop:2": {Kind: ledger.KindCredit, NetMinor: -50, Currency: "GBP", At: at.Add(time.Hour)},
	}, SetInteractions: map[string]time.Time{"web:1": at.Add(2 * time.Hour)}}
	bs, err := st.ChangeLedger(ctx, []ledger.LedgerChange{change})
	if err != nil || len(bs) != 1 || bs[0].Rev != 1 || bs[0].BucketKey != key || len(bs[0].Orders) != 2 || !bs[0].Orders[odd].At.Equal(at) ||
		!bs[0].Interactions["web:1"].Equal(at.Add(2*time.Hour)) {
		t.Fatalf("first change: %+v %v", bs, err)
	}
	// The same change again only raises the revision; a removal applies.
	bs, err = st.ChangeLedger(ctx, []ledger.LedgerChange{change})
	if err != nil || len(bs) != 1 || bs[0].Rev != 2 || len(bs[0].Orders) != 2 {
		t.Fatalf("second change: %+v %v", bs, err)
	}
	// A bucket that does not exist and only loses entries is not created.
	bs, err = st.ChangeLedger(ctx, []ledger.LedgerChange{{BucketKey: key, UnsetOrders: []string{"shop:2"}},
		{BucketKey: ledger.BucketKey{ProfileID: "nobody", Period: "2011"}, UnsetOrders: []string{"shop:2"}}})
	if err != nil || len(bs) != 1 || bs[0].Rev != 3 || len(bs[0].Orders) != 1 || len(bs[0].Interactions) != 1 {
		t.Fatalf("after removal: %+v %v", bs, err)
	}
	got, err := st.GetBuckets(ctx, []ledger.BucketKey{key, {ProfileID: "p1", Period: "1999"}})
	if err != nil || len(got) != 1 || got[0].Rev != 3 || len(got[0].Orders) != 1 {
		t.Fatalf("read back: %+v %v", got, err)
	}

	var m ledger.Metrics
	m.ProfileID = "p1"
	if !m.Apply(got) || m.NetMinor != 250 || m.Interactions != 1 || m.Currency != "GBP" {
		t.Fatalf("applied: %+v", m)
	}
	unlock := st.LockMetrics()
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, New: true}}); err != nil || conflict {
		t.Fatalf("insert: %v %v", conflict, err)
	}
	ms, err := st.GetMetrics(ctx, []string{"p1"})
	if err != nil || len(ms) != 1 || ms[0].Rev != 1 || ms[0].NetMinor != 250 || ms[0].Periods[key.Period].Rev != 3 ||
		ms[0].Periods[key.Period].Amounts["GBP"].Gross != 250 || !ms[0].LastInteractionAt.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("metrics read back: %+v %v", ms, err)
	}
	if b.AtomicUpdates {
		// MongoDB: the write is conditional on the rev read.
		if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, New: true}}); err != nil || !conflict {
			t.Fatalf("second insert: conflict %v, %v", conflict, err)
		}
		if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, Prev: 0}}); err != nil || !conflict {
			t.Fatalf("stale rev: conflict %v, %v", conflict, err)
		}
	}
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: ms[0], Prev: 1}}); err != nil || conflict {
		t.Fatalf("current rev: conflict %v, %v", conflict, err)
	}
	unlock()
	if err := st.SetRFM(ctx, map[string]ledger.RFM{"p1": {Recency: 3, Frequency: 1, Monetary: 2, ScoredAt: at}}); err != nil {
		t.Fatal(err)
	}
	page, err := st.MetricsPage(ctx, "", 10)
	if err != nil || len(page) != 1 || page[0].Periods != nil || page[0].Rev != 2 || page[0].RFM.Recency != 3 || page[0].NetMinor != 250 {
		t.Errorf("page: %+v %v", page, err)
	}
	if err := st.DeleteMetrics(ctx, []string{"p1"}, []ledger.BucketKey{key}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := st.GetMetrics(ctx, []string{"p1"}); len(ms) != 0 {
		t.Errorf("metrics left: %+v", ms)
	}
	if bs, _ := st.GetBuckets(ctx, []ledger.BucketKey{key}); len(bs) != 0 {
		t.Errorf("bucket left: %+v", bs)
	}
}

func TestInsertInteractionsSkipsDuplicates(t *testing.T) {
	ctx := context.Background()
	st := commercestore.New(testdb.DB(t), testdb.Backend(t), nil)
	it := commerce.Interaction{ID: "news:1", ProfileID: "p", Channel: "email", Type: "sent", At: time.Now().UTC()}
	ins, err := st.InsertInteractions(ctx, []commerce.Interaction{it})
	if err != nil || len(ins) != 1 {
		t.Fatal(ins, err)
	}
	it2 := it
	it2.ID = "news:2"
	ins, err = st.InsertInteractions(ctx, []commerce.Interaction{it, it2})
	if err != nil || len(ins) != 1 || ins[0] != "news:2" {
		t.Errorf("second insert: %v %v", ins, err)
	}
}

// TestEnsureLedgerMovesOldMetrics: metrics documents written before the ledger buckets
// (a ledger map and an interactionIds list on the document) are rebuilt once from the
// orders and interactions, with their RFM scores kept and the old fields gone.
func TestEnsureLedgerMovesOldMetrics(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	st := commercestore.New(db, testdb.Backend(t), nil)
	at := time.Date(2011, 5, 1, 10, 0, 0, 0, time.UTC)
	orders := []any{
		commerce.Order{ID: "shop:1", ProfileID: "p1", Status: commerce.Paid, TotalMinor: 1000, Currency: "GBP", PlacedAt: at},
		commerce.Order{ID: "shop:2", ProfileID: "p1", Status: commerce.Refunded, TotalMinor: -300, Currency: "GBP", PlacedAt: at.AddDate(1, 0, 0)},
		commerce.Order{ID: "shop:3", ProfileID: "", Status: commerce.Paid, TotalMinor: 700, Currency: "GBP", PlacedAt: at},
	}
	inters := []any{
		commerce.Interaction{ID: "web:1", ProfileID: "p1", Channel: "web", Type: "visit", At: at.AddDate(0, 1, 0)},
		commerce.Interaction{ID: "web:2", ProfileID: "p2", Channel: "web", Type: "visit", At: at},
	}
	rfm := ledger.RFM{Recency: 4, Frequency: 2, Monetary: 3, ScoredAt: at}
	old := []any{
		bson.M{"_id": "p1", "rev": int64(7), "orders": 1, "netMinor": 700, "currency": "GBP", "rfm": rfm, "interactions": 1,
			"ledger": bson.M{"shop:1": bson.M{"k": "order", "n": 1000, "c": "GBP", "t": at}}, "interactionIds": bson.A{"web:1"}},
		bson.M{"_id": "p2", "rev": int64(0), "interactionIds": bson.A{"web:2"}},
		bson.M{"_id": "p3", "rev": int64(2), "orders": 1, "netMinor": 50, "ledger": bson.M{}}, // its order went elsewhere
	}
	for c, docs := range map[string][]any{commercestore.OrdersCollection: orders, commercestore.InteractionsCollection: inters, commercestore.MetricsCollection: old} {
		if _, err := db.Collection(c).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.EnsureLedger(ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := st.GetMetrics(ctx, []string{"p1", "p2", "p3"})
	if err != nil || len(ms) != 3 {
		t.Fatalf("metrics: %+v %v", ms, err)
	}
	by := map[string]ledger.Metrics{}
	for _, m := range ms {
		by[m.ProfileID] = m
	}
	if m := by["p1"]; m.Orders != 1 || m.Cancellations != 1 || m.NetMinor != 700 || m.Interactions != 1 || m.RFM != rfm || m.Rev != 8 || len(m.Periods) != 3 {
		t.Errorf("p1: %+v", m)
	}
	if m := by["p2"]; m.Interactions != 1 || !m.LastInteractionAt.Equal(at) || len(m.Periods) != 1 {
		t.Errorf("p2: %+v", m)
	}
	if m := by["p3"]; m.Orders != 0 || m.NetMinor != 0 || len(m.Periods) != 0 {
		t.Errorf("p3: %+v", m)
	}
	bs, err := st.GetBuckets(ctx, ledger.BucketKeys(ms))
	if err != nil || len(bs) != 4 { // p1: orders of two years, interactions; p2: interactions
		t.Fatalf("buckets: %+v %v", bs, err)
	}
	n, err := db.Collection(commercestore.MetricsCollection).CountDocuments(ctx, bson.M{"$or": bson.A{
		bson.M{"ledger": bson.M{"$exists": true}}, bson.M{"interactionIds": bson.M{"$exists": true}}}})
	if err != nil || n != 0 {
		t.Errorf("%d documents keep the old fields (%v)", n, err)
	}
	// Once per database: a second start changes nothing.
	if err := st.EnsureLedger(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.GetMetrics(ctx, []string{"p1"}); again[0].Rev != 8 {
		t.Errorf("second start rewrote the metrics: %+v", again[0])
	}
}
