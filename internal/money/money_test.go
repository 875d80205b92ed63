package money_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/money"
)

func TestParseMinor(t *testing.T) {
	for _, c := range []struct {
		in   string
		exp  int
		want int64
		err  error
	}{
		{"2.55", 2, 255, nil}, {"0.1", 2, 10, nil}, {"3", 2, 300, nil}, {"-11062.06", 2, -1106206, nil},
		{"+1.50", 2, 150, nil}, {".5", 2, 50, nil}, {"5.", 2, 500, nil}, {"1.230", 2, 123, nil},
		{"1234", 0, 1234, nil}, {"1.5", 0, 0, money.ErrMoneyPrecision}, {"0.001", 2, 0, money.ErrMoneyPrecision},
		{"1.2345", 3, 0, money.ErrMoneyPrecision}, {"", 2, 0, money.ErrMoneySyntax}, {".", 2, 0, money.ErrMoneySyntax},
		{"1e3", 2, 0, money.ErrMoneySyntax}, {"1,000.00", 2, 0, money.ErrMoneySyntax}, {"--1", 2, 0, money.ErrMoneySyntax},
		{"92233720368547758.07", 2, math.MaxInt64, nil}, {"92233720368547758.08", 2, 0, money.ErrMoneyRange},
		// 0.1 + 0.2 style float traps stay exact.
		{"0.29", 2, 29, nil}, {"1.005", 3, 1005, nil}, {"4.35", 2, 435, nil},
	} {
		got, err := money.ParseMinor(c.in, c.exp)
		if !errors.Is(err, c.err) || err == nil && got != c.want {
			t.Errorf("ParseMinor(%q, %d) = %d, %v; want %d, %v", c.in, c.exp, got, err, c.want, c.err)
		}
	}
	if v, _ := money.RoundMinor("0.001", 2); v != 0 {
		t.Errorf("RoundMinor(0.001) = %d", v)
	}
	if v, _ := money.RoundMinor("-0.125", 2); v != -13 {
		t.Errorf("RoundMinor(-0.125) = %d, want -13 (half away from zero)", v)
	}
	m, err := money.ParseMoney("1500", "JPY")
	if err != nil || m.Minor != 1500 || m.String() != "1500 JPY" {
		t.Errorf("JPY: %v %v", m, err)
	}
	if _, err := money.ParseMoney("1.5", "JPY"); err == nil {
		t.Error("1.5 JPY accepted")
	}
	if _, err := money.ParseMoney("1", "XXX"); err == nil {
		t.Error("unknown currency accepted")
	}
	if s := (money.Money{Minor: -5, Currency: "GBP"}).String(); s != "-0.05 GBP" {
		t.Errorf("format: %s", s)
	}
}

// FuzzParseMoney checks ParseMinor against exact rational arithmetic and round trips
// through FormatMinor.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"2.55", "-11062.06", "0.001", "3", ".5", "1e3", "", "9223372036854775807", "-0.00", "+7.10"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, e uint8) {
		exp := int(e % 5)
		v, err := money.ParseMinor(s, exp)
		r, ratOK := new(big.Rat).SetString(strings.TrimSpace(s))
		plain := !strings.ContainsAny(s, "eE/_xXpP") && strings.Count(s, ".") <= 1
		if err != nil {
			if errors.Is(err, money.ErrMoneyPrecision) {
				scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
				if scaled.IsInt() {
					t.Fatalf("%q exp %d: precision error on an exact amount", s, exp)
				}
			}
			return
		}
		if !ratOK || !plain {
			t.Fatalf("%q accepted as %d, but it is not a plain decimal", s, v)
		}
		want := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
		if !want.IsInt() || want.Num().Cmp(big.NewInt(v)) != 0 {
			t.Fatalf("%q exp %d = %d, want %s", s, exp, v, want.RatString())
		}
		back, err := money.ParseMinor(money.FormatMinor(v, exp), exp)
		if err != nil || back != v {
			t.Fatalf("round trip of %d via %q: %d, %v", v, money.FormatMinor(v, exp), back, err)
		}
	})
}
