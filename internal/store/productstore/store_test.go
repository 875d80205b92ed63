package productstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/quality"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/productstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The catalogue: puts are idempotent upserts by SKU, reads by SKU leave unknown ones
// out, and EachProduct lists everything put; the catalogue's commands filter by bare _id
// only where that is all the backend indexes.
func TestCatalogue(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := productstore.New(db, testdb.Backend(t))
	var ps []quality.Product
	for i := range 120 {
		ps = append(ps, quality.Product{SKU: fmt.Sprint("SKU", i), Name: fmt.Sprint("Thing ", i), Category: fmt.Sprint("Cat", i%3)})
	}
	for range 2 { // twice: the same catalogue
		if err := s.PutProducts(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	ps[5].Category = "Moved"
	if err := s.PutProducts(ctx, ps[5:6]); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Collection(productstore.Collection).CountDocuments(ctx, bson.D{}); err != nil || n != 120 {
		t.Fatalf("%d products, %v", n, err)
	}
	got, err := s.GetProducts(ctx, []string{"SKU5", "nope", "SKU7"})
	slices.SortFunc(got, func(a, b quality.Product) int { return compare(a.SKU, b.SKU) })
	if err != nil || !slices.Equal(got, []quality.Product{ps[5], ps[7]}) {
		t.Fatalf("get %+v %v", got, err)
	}
	var all []quality.Product
	if err := s.EachProduct(ctx, func(xs []quality.Product) error { all = append(all, xs...); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b quality.Product) int { return compare(a.SKU, b.SKU) })
	want := slices.Clone(ps)
	slices.SortFunc(want, func(a, b quality.Product) int { return compare(a.SKU, b.SKU) })
	if !slices.Equal(all, want) {
		t.Fatalf("each: %d products", len(all))
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// The start-up pass reads orders with lines (and their categories), and the merged
// profiles; MergedInto reads profiles by _id.
func TestSource(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := productstore.New(db, testdb.Backend(t))
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	if _, err := db.Collection(commercestore.OrdersCollection).InsertMany(ctx, []any{
		commerce.Order{ID: "shop:1", ProfileID: "p1", Status: commerce.Paid, Currency: "GBP", TotalMinor: 500, PlacedAt: at,
			Lines: []commerce.Line{{SKU: "A", Quantity: 2, UnitPriceMinor: 250, Category: "Lights"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("profiles").InsertMany(ctx, []any{bson.M{"_id": "p1"}, bson.M{"_id": "p2", "mergedInto": "p1"}}); err != nil {
		t.Fatal(err)
	}
	var os []commerce.Order
	if err := s.EachOrder(ctx, func(xs []commerce.Order) error { os = append(os, xs...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(os) != 1 || os[0].ID != "shop:1" || os[0].ProfileID != "p1" || !os[0].PlacedAt.Equal(at) || len(os[0].Lines) != 1 || os[0].Lines[0].Category != "Lights" {
		t.Fatalf("orders %+v", os)
	}
	red := map[string]string{}
	if err := s.EachRedirect(ctx, func(id, into string) { red[id] = into }); err != nil {
		t.Fatal(err)
	}
	if len(red) != 1 || red["p2"] != "p1" {
		t.Fatalf("redirects %v", red)
	}
	m, err := s.MergedInto(ctx, []string{"p1", "p2", "p3"})
	if err != nil || len(m) != 2 || m["p1"] != "" || m["p2"] != "p1" {
		t.Fatalf("mergedInto %v %v", m, err)
	}
}
