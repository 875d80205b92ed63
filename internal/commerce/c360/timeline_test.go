package c360_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// env is a commerce service on a test database and the Customer 360 reads over it.
type env struct {
	t    testing.TB
	ctx  context.Context
	svc  *commerce.Service
	c360 *c360.Customer360
}

func newEnv(t testing.TB) *env {
	db, b := testdb.DB(t), testdb.Backend(t)
	cs := commercestore.New(db, b, identitystore.New(db, b))
	svc := commerce.NewService(cs)
	svc.Now = func() time.Time { return time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC) }
	return &env{t: t, ctx: context.Background(), svc: svc, c360: &c360.Customer360{Service: svc, Store: cs}}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func day(d int) time.Time { return time.Date(2011, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

func order(id, pid, rec string, d int, pence int64, status string) commerce.Order {
	return commerce.Order{ID: "shop:" + id, ProfileID: pid, CustomerRecordID: rec, Status: status, Currency: "GBP", PlacedAt: day(d),
		Lines: []commerce.Line{{SKU: "SKU-" + id, Quantity: 1, UnitPriceMinor: pence}}}
}

// ticketSource is a stand-in for the help desk's future timeline source.
type ticketSource struct{ items []c360.TimelineItem }

func (s ticketSource) Page(_ context.Context, _ string, from *c360.Position, f c360.TimelineFilter, limit int) ([]c360.TimelineItem, error) {
	var out []c360.TimelineItem
	for _, x := range s.items { // kept newest first
		if from.Includes(x) && f.Allows(x.Channel, x.Type) && len(out) < limit {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestTimeline(t *testing.T) {
	e := newEnv(t)
	e.c360.TimelineSources = []c360.TimelineSource{ticketSource{items: []c360.TimelineItem{
		{Kind: "ticket", ID: "T-2", At: day(9), Channel: "support", Type: "ticket"},
		{Kind: "ticket", ID: "T-1", At: day(4), Channel: "support", Type: "ticket"},
	}}}
	_, err := e.svc.PutOrders(e.ctx, []commerce.Order{
		order("1", "p", "", 1, 1000, commerce.Paid), order("2", "p", "", 4, 1000, commerce.Paid),
		order("3", "p", "", 4, -500, commerce.Cancelled), order("4", "p", "", 8, 900, commerce.Shipped),
		order("9", "other", "", 5, 900, commerce.Paid),
	})
	e.must(err)
	var its []commerce.Interaction
	for i, x := range []struct {
		ch, typ string
		d       int
	}{{"email", "sent", 2}, {"email", "opened", 4}, {"email", "clicked", 4}, {"support", "contact", 6}, {"chat", "message", 7}, {"web", "visit", 9}, {"social", "message", 3}} {
		its = append(its, commerce.Interaction{ID: fmt.Sprintf("src:%d", i), ProfileID: "p", Channel: x.ch, Type: x.typ, At: day(x.d)})
	}
	_, err = e.svc.AddInteractions(e.ctx, its)
	e.must(err)

	collect := func(q c360.TimelineQuery) []string {
		var ids []string
		for pages := 0; ; pages++ {
			page, err := e.c360.Timeline(e.ctx, "p", q)
			e.must(err)
			if len(page.Items) > q.Limit {
				t.Fatalf("page of %d items", len(page.Items))
			}
			for _, x := range page.Items {
				ids = append(ids, fmt.Sprintf("%s/%s@%d", x.Kind, x.ID, x.At.Sub(day(0))/(24*time.Hour)))
			}
			if page.Next == "" || pages > 20 {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	want := []string{"ticket/T-2@9", "interaction/src:5@9", "order/shop:4@8", "interaction/src:4@7", "interaction/src:3@6",
		"ticket/T-1@4", "order/shop:3@4", "order/shop:2@4", "interaction/src:2@4", "interaction/src:1@4",
		"interaction/src:6@3", "interaction/src:0@2", "order/shop:1@1"}
	for _, limit := range []int{1, 2, 3, 5, 13, 50} {
		if got := collect(c360.TimelineQuery{Limit: limit}); !slices.Equal(got, want) {
			t.Errorf("limit %d:\n got %v\nwant %v", limit, got, want)
		}
	}
	if got := collect(c360.TimelineQuery{Limit: 2, TimelineFilter: c360.TimelineFilter{Channels: []string{"email"}}}); !slices.Equal(got, []string{"interaction/src:2@4", "interaction/src:1@4", "interaction/src:0@2"}) {
		t.Errorf("email only: %v", got)
	}
	if got := collect(c360.TimelineQuery{Limit: 2, TimelineFilter: c360.TimelineFilter{Types: []string{"cancellation", "opened", "ticket"}}}); !slices.Equal(got, []string{"ticket/T-2@9", "ticket/T-1@4", "order/shop:3@4", "interaction/src:1@4"}) {
		t.Errorf("types: %v", got)
	}
	if got := collect(c360.TimelineQuery{Limit: 3, TimelineFilter: c360.TimelineFilter{Channels: []string{"web"}, Types: []string{"order"}}}); !slices.Equal(got, []string{"order/shop:4@8", "order/shop:2@4", "order/shop:1@1"}) {
		t.Errorf("web orders: %v", got)
	}
	if _, err := e.c360.Timeline(e.ctx, "p", c360.TimelineQuery{Cursor: "not a cursor"}); err == nil {
		t.Error("bad cursor accepted")
	}
	if _, err := e.c360.Timeline(e.ctx, "p", c360.TimelineQuery{Limit: 500}); err == nil {
		t.Error("limit 500 accepted")
	}
}
