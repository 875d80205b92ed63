package analyticsstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/store/analyticsstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestReadsOrdersAndCountries(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	at := time.Date(2011, 5, 1, 10, 0, 0, 0, time.UTC)
	var orders []any
	for i := range 2500 {
		orders = append(orders, commerce.Order{ID: fmt.Sprint("shop:", i), Source: "shop", ProfileID: fmt.Sprint("p", i%3), Status: commerce.Paid,
			TotalMinor: int64(i), Currency: "GBP", PlacedAt: at, Lines: []commerce.Line{{SKU: "x", Quantity: 1, UnitPriceMinor: int64(i)}}})
	}
	if _, err := db.Collection("orders").InsertMany(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("profiles").InsertMany(ctx, []any{
		bson.M{"_id": "p0", "traits": bson.M{"firstName": "A", "attributes": bson.M{"country": "GB"}}},
		bson.M{"_id": "p1", "traits": bson.M{"attributes": bson.M{"country": "FR"}}, "mergedInto": "p0"},
		bson.M{"_id": "p2", "traits": bson.M{"lastName": "C"}},
	}); err != nil {
		t.Fatal(err)
	}
	st := analyticsstore.New(db)
	n, batches := 0, 0
	var sum int64
	err := st.EachOrder(ctx, func(os []commerce.Order) error {
		batches++
		for _, o := range os {
			n++
			sum += o.TotalMinor
			if o.Source != "shop" || o.Status != commerce.Paid || o.Currency != "GBP" || !o.PlacedAt.Equal(at) || o.ProfileID == "" || len(o.Lines) != 0 {
				t.Fatalf("order read as %+v", o)
			}
		}
		return nil
	})
	if err != nil || n != 2500 || sum != 2499*2500/2 || batches != 3 {
		t.Fatalf("read %d orders in %d batches, sum %d: %v", n, batches, sum, err)
	}
	countries := map[string]string{}
	if err := st.EachCountry(ctx, func(id, c string) { countries[id] = c }); err != nil || fmt.Sprint(countries) != "map[p0:GB]" {
		t.Fatalf("countries %v %v", countries, err)
	}
	got, err := st.Profiles(ctx, []string{"p0", "p1", "p2", "gone"})
	want := map[string]orderbook.ProfileState{"p0": {Country: "GB"}, "p1": {Country: "FR", Merged: true}, "p2": {}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("profiles %v %v", got, err)
	}
	if b1, b2 := analyticsstore.Book(db), analyticsstore.Book(db); b1 != b2 {
		t.Fatal("two books for one database")
	}
}
