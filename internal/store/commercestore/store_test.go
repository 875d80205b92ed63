package commercestore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestCommerceMetricsCAS(t *testing.T) {
	ctx := context.Background()
	st := commercestore.New(testdb.DB(t), testdb.Backend(t), nil)
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2011, 5, 1, 10, 0, 0, 0, time.UTC)
	var m commerce.Metrics
	m.ProfileID = "p1"
	// Order ids with dots and dollars must survive as ledger keys.
	m.Set("shop:a.b$c%2E", &commerce.Entry{Kind: commerce.KindOrder, NetMinor: 250, Currency: "GBP", At: at})
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, New: true}}); err != nil || conflict {
		t.Fatalf("insert: %v %v", conflict, err)
	}
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, New: true}}); err != nil || !conflict {
		t.Fatalf("second insert: conflict %v, %v", conflict, err)
	}
	got, err := st.GetMetrics(ctx, []string{"p1"})
	if err != nil || len(got) != 1 {
		t.Fatal(err)
	}
	e, ok := got[0].Ledger["shop:a.b$c%2E"]
	if !ok || e.NetMinor != 250 || !e.At.Equal(at) || got[0].Rev != 1 || got[0].NetMinor != 250 {
		t.Fatalf("read back: %+v", got[0])
	}
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, Prev: 0}}); err != nil || !conflict {
		t.Fatalf("stale rev: conflict %v, %v", conflict, err)
	}
	if conflict, err := st.SaveMetrics(ctx, []commerce.MetricsWrite{{M: m, Prev: 1}}); err != nil || conflict {
		t.Fatalf("current rev: conflict %v, %v", conflict, err)
	}
	// Interaction stats bump rev and raise the last time only upwards.
	for _, d := range []int{5, 2} {
		if err := st.AddInteractionStats(ctx, []commerce.InteractionStat{{ProfileID: "p1", Count: 1, LastAt: at.AddDate(0, 0, d)}}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = st.GetMetrics(ctx, []string{"p1"})
	if g := got[0]; g.Rev != 4 || g.Interactions != 2 || !g.LastInteractionAt.Equal(at.AddDate(0, 0, 5)) || g.NetMinor != 250 {
		t.Errorf("after interactions: %+v", g)
	}
	page, err := st.MetricsPage(ctx, "", 10)
	if err != nil || len(page) != 1 || page[0].Ledger != nil {
		t.Errorf("page: %+v %v", page, err)
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
