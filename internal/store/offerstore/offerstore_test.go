package offerstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/offerstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The start-up pass reads every order with its owner, status, time and lines.
func TestEachOrder(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	in := []any{
		commerce.Order{ID: "shop:1", Source: "shop", ProfileID: "p1", Status: commerce.Paid, Currency: "GBP", TotalMinor: 500, PlacedAt: at,
			Lines: []commerce.Line{{SKU: "A", Description: "Lantern", Quantity: 2, UnitPriceMinor: 250}}},
		commerce.Order{ID: "shop:2", Source: "shop", Status: commerce.Refunded, PlacedAt: at.Add(time.Hour),
			Lines: []commerce.Line{{SKU: "B", Quantity: -1}}},
	}
	if _, err := db.Collection(commercestore.OrdersCollection).InsertMany(ctx, in); err != nil {
		t.Fatal(err)
	}
	var got []commerce.Order
	if err := offerstore.New(db).EachOrder(ctx, func(o commerce.Order) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b commerce.Order) int { return a.PlacedAt.Compare(b.PlacedAt) })
	if len(got) != 2 || got[0].ID != "shop:1" || got[0].ProfileID != "p1" || got[0].Status != commerce.Paid || !got[0].PlacedAt.Equal(at) ||
		len(got[0].Lines) != 1 || got[0].Lines[0].SKU != "A" || got[0].Lines[0].Description != "Lantern" || got[0].Lines[0].Quantity != 2 ||
		got[0].Currency != "" || got[1].ProfileID != "" || got[1].Status != commerce.Refunded || got[1].Lines[0].Quantity != -1 {
		t.Fatalf("orders %+v", got)
	}
}
