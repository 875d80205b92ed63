package offers_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/offers"
	"github.com/tessera-cdp/tessera/internal/recommend"
)

// source is an OrderSource over a slice; during is called in the middle of the pass.
type source struct {
	orders []commerce.Order
	during func()
}

func (s *source) EachOrder(_ context.Context, fn func(commerce.Order)) error {
	for i, o := range s.orders {
		if i == len(s.orders)/2 && s.during != nil {
			s.during()
		}
		fn(o)
	}
	return nil
}

var day0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

func ord(id, profile string, status string, skus ...string) commerce.Order {
	o := commerce.Order{ID: id, ProfileID: profile, Status: status, PlacedAt: day0}
	for _, s := range skus {
		o.Lines = append(o.Lines, commerce.Line{SKU: s, Description: "name of " + s, Quantity: 1})
	}
	return o
}

func products(recs []recommend.Rec, _ bool) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Product)
	}
	return out
}

// The table follows orders through the observer: histories exclude at once what a
// customer bought, moved orders take their history to the new owner, and similarities
// change with a rebuild.
func TestOffersFollowOrders(t *testing.T) {
	ctx := context.Background()
	src := &source{orders: []commerce.Order{
		ord("o1", "anna", commerce.Paid, "LANTERN", "CANDLE"),
		ord("o2", "ben", commerce.Paid, "LANTERN", "CANDLE"),
		ord("o3", "cara", commerce.Paid, "LANTERN", "MUG"),
		ord("o4", "dan", commerce.Shipped, "MUG", "POST"),
		ord("o5", "", commerce.Paid, "TEAPOT"),
	}}
	s := offers.New(src)
	if recs, ready := s.Top("anna", 5); ready || recs != nil {
		t.Fatalf("before the load: %v %v", recs, ready)
	}
	// An order stored while the pass runs is not lost.
	src.during = func() { s.Observe([]commerce.Order{ord("o6", "erin", commerce.Paid, "LANTERN")}) }
	if err := s.Load(ctx); err != nil || !s.Ready() {
		t.Fatal(err)
	}
	recs, ready := s.Top("erin", 3)
	if !ready || len(recs) != 2 || recs[0].Product != "CANDLE" || recs[0].Kind != recommend.KindCoPurchase || recs[0].Reason != "bought with name of LANTERN" ||
		recs[0].Name != "name of CANDLE" || recs[1].Product != "MUG" {
		t.Fatalf("erin: %+v", recs)
	}
	// Postage is no offer; guest orders name products but make no buyers.
	if got := products(s.Top("dan", 5)); slices.Contains(got, "POST") || slices.Contains(got, "TEAPOT") || !slices.Contains(got, "LANTERN") {
		t.Fatalf("dan: %v", got)
	}
	// erin buys the candle: excluded at once, before any rebuild.
	s.Observe([]commerce.Order{ord("o7", "erin", commerce.Paid, "CANDLE")})
	if got := products(s.Top("erin", 3)); slices.Contains(got, "CANDLE") || !slices.Equal(got, []string{"MUG"}) {
		t.Fatalf("erin after buying the candle: %v", got)
	}
	// ben is merged into anna: ben's order moves, and a cancelled one counts as returned.
	moved := ord("o2", "anna", commerce.Paid, "LANTERN", "CANDLE")
	s.Observe([]commerce.Order{moved, ord("o8", "anna", commerce.Cancelled, "MUG")})
	if got := products(s.Top("anna", 5)); len(got) != 0 {
		t.Fatalf("anna bought or returned everything co-bought: %v", got)
	}
	if got := products(s.Top("ben", 5)); !slices.Equal(got, []string{"LANTERN", "CANDLE", "MUG"}) {
		t.Fatalf("ben has no history left, so popular products: %v", got)
	}
	// Rebuild: the new order makes MUG and CANDLE co-bought (erin).
	if st := s.Rebuild(); st.Customers != 4 { // anna, cara, dan, erin

		t.Fatalf("stats %+v", st)
	}
	// Erased: dan's history is gone, his order stays a guest order.
	s.Forget([]string{"dan"})
	if got := products(s.Top("dan", 2)); !slices.Equal(got, []string{"LANTERN", "CANDLE"}) {
		t.Fatalf("forgotten dan gets popular products: %v", got)
	}
	dan, _ := s.Top("dan", 2)
	for i, r := range dan {
		if r.Kind != recommend.KindPopular {
			t.Fatalf("rec %d: %+v", i, r)
		}
	}
}

// Reads go on during a rebuild: the old model answers until the new one is swapped in.
func TestOffersReadsDuringRebuild(t *testing.T) {
	var os []commerce.Order
	for i := range 400 {
		os = append(os, ord(fmt.Sprint("o", i), fmt.Sprint("c", i%60), commerce.Paid, fmt.Sprint("P", i%37), fmt.Sprint("P", (i*7)%37)))
	}
	s := offers.New(&source{orders: os})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			s.Rebuild()
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		if recs, ready := s.Top("c1", 5); !ready || len(recs) == 0 {
			t.Fatalf("no answer during a rebuild: %v %v", recs, ready)
		}
	}
}
