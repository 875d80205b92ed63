package commerce_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
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
		{"1234", 0, 1234, nil}, {"1.5", 0, 0, commerce.ErrMoneyPrecision}, {"0.001", 2, 0, commerce.ErrMoneyPrecision},
		{"1.2345", 3, 0, commerce.ErrMoneyPrecision}, {"", 2, 0, commerce.ErrMoneySyntax}, {".", 2, 0, commerce.ErrMoneySyntax},
		{"1e3", 2, 0, commerce.ErrMoneySyntax}, {"1,000.00", 2, 0, commerce.ErrMoneySyntax}, {"--1", 2, 0, commerce.ErrMoneySyntax},
		{"92233720368547758.07", 2, math.MaxInt64, nil}, {"92233720368547758.08", 2, 0, commerce.ErrMoneyRange},
		// 0.1 + 0.2 style float traps stay exact.
		{"0.29", 2, 29, nil}, {"1.005", 3, 1005, nil}, {"4.35", 2, 435, nil},
	} {
		got, err := commerce.ParseMinor(c.in, c.exp)
		if !errors.Is(err, c.err) || err == nil && got != c.want {
			t.Errorf("ParseMinor(%q, %d) = %d, %v; want %d, %v", c.in, c.exp, got, err, c.want, c.err)
		}
	}
	if v, _ := commerce.RoundMinor("0.001", 2); v != 0 {
		t.Errorf("RoundMinor(0.001) = %d", v)
	}
	if v, _ := commerce.RoundMinor("-0.125", 2); v != -13 {
		t.Errorf("RoundMinor(-0.125) = %d, want -13 (half away from zero)", v)
	}
	m, err := commerce.ParseMoney("1500", "JPY")
	if err != nil || m.Minor != 1500 || m.String() != "1500 JPY" {
		t.Errorf("JPY: %v %v", m, err)
	}
	if _, err := commerce.ParseMoney("1.5", "JPY"); err == nil {
		t.Error("1.5 JPY accepted")
	}
	if _, err := commerce.ParseMoney("1", "XXX"); err == nil {
		t.Error("unknown currency accepted")
	}
	if s := (commerce.Money{Minor: -5, Currency: "GBP"}).String(); s != "-0.05 GBP" {
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
		v, err := commerce.ParseMinor(s, exp)
		r, ratOK := new(big.Rat).SetString(strings.TrimSpace(s))
		plain := !strings.ContainsAny(s, "eE/_xXpP") && strings.Count(s, ".") <= 1
		if err != nil {
			if errors.Is(err, commerce.ErrMoneyPrecision) {
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
		back, err := commerce.ParseMinor(commerce.FormatMinor(v, exp), exp)
		if err != nil || back != v {
			t.Fatalf("round trip of %d via %q: %d, %v", v, commerce.FormatMinor(v, exp), back, err)
		}
	})
}

func day(d int) time.Time { return time.Date(2011, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

func entry(kind string, net int64, d int) *commerce.Entry {
	return &commerce.Entry{Kind: kind, NetMinor: net, Currency: "GBP", At: day(d)}
}

func TestLedger(t *testing.T) {
	var m commerce.Metrics
	if !m.Set("shop:1", entry(commerce.KindOrder, 1000, 0)) || !m.Set("shop:2", entry(commerce.KindOrder, 3000, 10)) {
		t.Fatal("new orders did not change the metrics")
	}
	if m.Set("shop:1", entry(commerce.KindOrder, 1000, 0)) {
		t.Error("the same order counted twice")
	}
	m.Set("shop:C3", entry(commerce.KindCredit, -500, 12))
	if m.Orders != 2 || m.Cancellations != 1 || m.GrossMinor != 4000 || m.ReturnsMinor != 500 || m.NetMinor != 3500 || m.AOVMinor() != 1750 {
		t.Errorf("aggregates: %+v", m)
	}
	if !m.FirstOrderAt.Equal(day(0)) || !m.LastOrderAt.Equal(day(10)) {
		t.Errorf("first/last: %v %v", m.FirstOrderAt, m.LastOrderAt)
	}
	// The last order is cancelled afterwards: it stops counting and last moves back.
	m.Set("shop:2", entry(commerce.KindVoid, 0, 10))
	if m.Orders != 1 || m.Cancellations != 2 || m.NetMinor != 500 || !m.LastOrderAt.Equal(day(0)) {
		t.Errorf("after cancel: %+v", m)
	}
	m.Set("shop:9", &commerce.Entry{Kind: commerce.KindOrder, NetMinor: 700, Currency: "EUR", At: day(20)})
	if m.Currency != "GBP" || m.OtherNet["EUR"] != 700 || m.NetMinor != 500 || m.Orders != 2 {
		t.Errorf("other currency: %+v", m)
	}
	m.Set("shop:9", nil)
	if _, ok := m.Ledger["shop:9"]; ok || m.OtherNet != nil || m.Set("shop:9", nil) {
		t.Errorf("remove: %+v", m)
	}
}

func TestChurnRisk(t *testing.T) {
	regular := commerce.Metrics{Orders: 5, FirstOrderAt: day(0), LastOrderAt: day(120)} // every 30 days
	c := commerce.ChurnRisk(&regular, day(120), 90)
	if c.Score != 0 || c.Basis != "history" || c.MeanIntervalDays != 30 {
		t.Errorf("just bought: %+v", c)
	}
	prev := -1.0
	for _, d := range []int{135, 150, 180, 240, 420} {
		c := commerce.ChurnRisk(&regular, day(d), 90)
		if c.Score <= prev || c.Score >= 1 {
			t.Errorf("risk at day %d = %v, want rising below 1", d, c.Score)
		}
		prev = c.Score
	}
	if c := commerce.ChurnRisk(&regular, day(150), 90); math.Abs(c.Score-(1-math.Exp(-1))) > 1e-9 || c.DaysSinceLastOrder != 30 {
		t.Errorf("one interval late: %+v", c)
	}
	// The same 60 days of silence is alarming for a weekly buyer, not for a yearly one.
	weekly := commerce.Metrics{Orders: 9, FirstOrderAt: day(0), LastOrderAt: day(56)}
	yearly := commerce.Metrics{Orders: 2, FirstOrderAt: day(-309), LastOrderAt: day(56)}
	if w, y := commerce.ChurnRisk(&weekly, day(116), 90), commerce.ChurnRisk(&yearly, day(116), 90); w.Score < 0.99 || y.Score > 0.2 {
		t.Errorf("weekly %v, yearly %v", w.Score, y.Score)
	}
	one := commerce.Metrics{Orders: 1, FirstOrderAt: day(0), LastOrderAt: day(0)}
	if c := commerce.ChurnRisk(&one, day(90), 90); c.Basis != "prior" || c.MeanIntervalDays != 90 {
		t.Errorf("one order: %+v", c)
	}
	if c := commerce.ChurnRisk(&commerce.Metrics{}, day(0), 90); c.Score != 0 || c.Basis != "none" {
		t.Errorf("no orders: %+v", c)
	}
}

func TestQuintiles(t *testing.T) {
	var vals []int64
	for i := range 100 {
		vals = append(vals, int64(99-i))
	}
	cuts := commerce.QuintileCuts(vals)
	if cuts != (commerce.Cuts{19, 39, 59, 79}) {
		t.Fatalf("cuts %v", cuts)
	}
	count := map[int]int{}
	for _, v := range vals {
		count[cuts.Score(v)]++
	}
	for s := 1; s <= 5; s++ {
		if count[s] != 20 {
			t.Errorf("score %d given %d times, want 20", s, count[s])
		}
	}
	// Ties share a score: most customers buy once.
	ties := []int64{1, 1, 1, 1, 1, 1, 2, 3, 5, 8}
	c := commerce.QuintileCuts(ties)
	if c.Score(1) != 1 || c.Score(2) != 4 || c.Score(3) != 4 || c.Score(8) != 5 {
		t.Errorf("ties: cuts %v", c)
	}
}
