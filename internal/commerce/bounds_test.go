package commerce_test

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Issue 12 item 5: amounts and quantities are bounded and every sum is checked, so an
// order can never be stored with a wrapped total.
func TestOrderAmountsAreBounded(t *testing.T) {
	at := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	order := func(total int64, lines ...commerce.Line) commerce.Order {
		return commerce.Order{ID: "shop:1", Status: commerce.Paid, Currency: "GBP", PlacedAt: at, TotalMinor: total, Lines: lines}
	}
	for name, o := range map[string]commerce.Order{
		"two lines at the int64 edge": order(0, commerce.Line{SKU: "a", Quantity: 1, UnitPriceMinor: math.MaxInt64}, commerce.Line{SKU: "b", Quantity: 1, UnitPriceMinor: math.MaxInt64}),
		"quantity 2147483647":         order(0, commerce.Line{SKU: "a", Quantity: 2147483647, UnitPriceMinor: 2}),
		"negative quantity edge":      order(0, commerce.Line{SKU: "a", Quantity: -2147483648, UnitPriceMinor: 2}),
		"line amount over the bound":  order(0, commerce.Line{SKU: "a", Quantity: 1000, UnitPriceMinor: commerce.MaxAmountMinor / 10}),
		"lines adding up over it":     order(0, commerce.Line{SKU: "a", Quantity: 1, UnitPriceMinor: commerce.MaxAmountMinor}, commerce.Line{SKU: "b", Quantity: 1, UnitPriceMinor: 1}),
		"explicit total over it":      order(commerce.MaxAmountMinor + 1),
		"explicit total at MinInt64":  order(math.MinInt64),
		"too many lines":              order(1, make([]commerce.Line, commerce.MaxLines+1)...),
	} {
		err := o.CheckAmounts()
		if !errors.Is(err, commerce.ErrAmountBounds) {
			t.Errorf("%s: CheckAmounts = %v (total %d), want ErrAmountBounds", name, err, o.TotalMinor)
		}
	}
	// At the bounds is fine, and credit notes are negative.
	o := order(0, commerce.Line{SKU: "a", Quantity: -commerce.MaxQuantity, UnitPriceMinor: commerce.MaxAmountMinor / commerce.MaxQuantity})
	if err := o.CheckAmounts(); err != nil || o.TotalMinor != -commerce.MaxAmountMinor {
		t.Fatalf("credit note at the bound: %v, total %d", err, o.TotalMinor)
	}
	// A line that overflowed before the check is shown saturated, never with the wrong sign.
	if a := (commerce.Line{Quantity: 3, UnitPriceMinor: math.MaxInt64 / 2}).AmountMinor(); a != math.MaxInt64 {
		t.Fatalf("saturated amount %d", a)
	}
	if a := (commerce.Line{Quantity: -3, UnitPriceMinor: math.MaxInt64 / 2}).AmountMinor(); a != math.MinInt64 {
		t.Fatalf("saturated negative amount %d", a)
	}
}

// FuzzCheckedArithmetic compares AddMinor, MulMinor, SatAdd and SatSub with big integers.
func FuzzCheckedArithmetic(f *testing.F) {
	for _, c := range [][2]int64{{1, 2}, {math.MaxInt64, 1}, {math.MinInt64, -1}, {math.MinInt64, 1}, {-1, math.MinInt64}, {3037000500, 3037000500}, {0, math.MinInt64}, {2147483647, 2147483647}} {
		f.Add(c[0], c[1])
	}
	lo, hi := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	fits := func(b *big.Int) bool { return b.Cmp(lo) >= 0 && b.Cmp(hi) <= 0 }
	clamp := func(b *big.Int) int64 {
		switch {
		case b.Cmp(lo) < 0:
			return math.MinInt64
		case b.Cmp(hi) > 0:
			return math.MaxInt64
		}
		return b.Int64()
	}
	f.Fuzz(func(t *testing.T, a, b int64) {
		ba, bb := big.NewInt(a), big.NewInt(b)
		sum := new(big.Int).Add(ba, bb)
		if s, ok := money.AddMinor(a, b); ok != fits(sum) || ok && s != sum.Int64() {
			t.Fatalf("AddMinor(%d, %d) = %d, %v; want %s", a, b, s, ok, sum)
		}
		prod := new(big.Int).Mul(ba, bb)
		if p, ok := money.MulMinor(a, b); ok != fits(prod) || ok && p != prod.Int64() {
			t.Fatalf("MulMinor(%d, %d) = %d, %v; want %s", a, b, p, ok, prod)
		}
		if s := money.SatAdd(a, b); s != clamp(sum) {
			t.Fatalf("SatAdd(%d, %d) = %d, want %d", a, b, s, clamp(sum))
		}
		diff := new(big.Int).Sub(ba, bb)
		if s := money.SatSub(a, b); s != clamp(diff) {
			t.Fatalf("SatSub(%d, %d) = %d, want %d", a, b, s, clamp(diff))
		}
		// A line is accepted exactly when quantity, price and amount are within bounds,
		// and then its amount is exact.
		l := commerce.Line{Quantity: a, UnitPriceMinor: b}
		amt, err := l.Amount()
		within := func(v *big.Int, lim int64) bool { return v.CmpAbs(big.NewInt(lim)) <= 0 }
		wantOK := within(ba, commerce.MaxQuantity) && within(bb, commerce.MaxAmountMinor) && within(prod, commerce.MaxAmountMinor)
		if (err == nil) != wantOK || err == nil && amt != prod.Int64() {
			t.Fatalf("Line{%d × %d}.Amount() = %d, %v", a, b, amt, err)
		}
	})
}
