package ledger_test

import (
	"math"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

func day(d int) time.Time { return time.Date(2011, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

func entry(kind string, net int64, d int) *ledger.Entry {
	return &ledger.Entry{Kind: kind, NetMinor: net, Currency: "GBP", At: day(d)}
}

func TestLedger(t *testing.T) {
	var m ledger.Metrics
	if !m.Set("shop:1", entry(ledger.KindOrder, 1000, 0)) || !m.Set("shop:2", entry(ledger.KindOrder, 3000, 10)) {
		t.Fatal("new orders did not change the metrics")
	}
	if m.Set("shop:1", entry(ledger.KindOrder, 1000, 0)) {
		t.Error("the same order counted twice")
	}
	m.Set("shop:C3", entry(ledger.KindCredit, -500, 12))
	if m.Orders != 2 || m.Cancellations != 1 || m.GrossMinor != 4000 || m.ReturnsMinor != 500 || m.NetMinor != 3500 || m.AOVMinor() != 1750 {
		t.Errorf("aggregates: %+v", m)
	}
	if !m.FirstOrderAt.Equal(day(0)) || !m.LastOrderAt.Equal(day(10)) {
		t.Errorf("first/last: %v %v", m.FirstOrderAt, m.LastOrderAt)
	}
	// The last order is cancelled afterwards: it stops counting and last moves back.
	m.Set("shop:2", entry(ledger.KindVoid, 0, 10))
	if m.Orders != 1 || m.Cancellations != 2 || m.NetMinor != 500 || !m.LastOrderAt.Equal(day(0)) {
		t.Errorf("after cancel: %+v", m)
	}
	m.Set("shop:9", &ledger.Entry{Kind: ledger.KindOrder, NetMinor: 700, Currency: "EUR", At: day(20)})
	if m.Currency != "GBP" || m.OtherNet["EUR"] != 700 || m.NetMinor != 500 || m.Orders != 2 {
		t.Errorf("other currency: %+v", m)
	}
	m.Set("shop:9", nil)
	if _, ok := m.Ledger["shop:9"]; ok || m.OtherNet != nil || m.Set("shop:9", nil) {
		t.Errorf("remove: %+v", m)
	}
}

func TestChurnRisk(t *testing.T) {
	regular := ledger.Metrics{Orders: 5, FirstOrderAt: day(0), LastOrderAt: day(120)} // every 30 days
	c := ledger.ChurnRisk(&regular, day(120), 90)
	if c.Score != 0 || c.Basis != "history" || c.MeanIntervalDays != 30 {
		t.Errorf("just bought: %+v", c)
	}
	prev := -1.0
	for _, d := range []int{135, 150, 180, 240, 420} {
		c := ledger.ChurnRisk(&regular, day(d), 90)
		if c.Score <= prev || c.Score >= 1 {
			t.Errorf("risk at day %d = %v, want rising below 1", d, c.Score)
		}
		prev = c.Score
	}
	if c := ledger.ChurnRisk(&regular, day(150), 90); math.Abs(c.Score-(1-math.Exp(-1))) > 1e-9 || c.DaysSinceLastOrder != 30 {
		t.Errorf("one interval late: %+v", c)
	}
	// The same 60 days of silence is alarming for a weekly buyer, not for a yearly one.
	weekly := ledger.Metrics{Orders: 9, FirstOrderAt: day(0), LastOrderAt: day(56)}
	yearly := ledger.Metrics{Orders: 2, FirstOrderAt: day(-309), LastOrderAt: day(56)}
	if w, y := ledger.ChurnRisk(&weekly, day(116), 90), ledger.ChurnRisk(&yearly, day(116), 90); w.Score < 0.99 || y.Score > 0.2 {
		t.Errorf("weekly %v, yearly %v", w.Score, y.Score)
	}
	one := ledger.Metrics{Orders: 1, FirstOrderAt: day(0), LastOrderAt: day(0)}
	if c := ledger.ChurnRisk(&one, day(90), 90); c.Basis != "prior" || c.MeanIntervalDays != 90 {
		t.Errorf("one order: %+v", c)
	}
	if c := ledger.ChurnRisk(&ledger.Metrics{}, day(0), 90); c.Score != 0 || c.Basis != "none" {
		t.Errorf("no orders: %+v", c)
	}
}

func TestQuintiles(t *testing.T) {
	var vals []int64
	for i := range 100 {
		vals = append(vals, int64(99-i))
	}
	cuts := ledger.QuintileCuts(vals)
	if cuts != (ledger.Cuts{19, 39, 59, 79}) {
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
	c := ledger.QuintileCuts(ties)
	if c.Score(1) != 1 || c.Score(2) != 4 || c.Score(3) != 4 || c.Score(8) != 5 {
		t.Errorf("ties: cuts %v", c)
	}
}

// Issue 12 item 5: the per-profile totals saturate instead of wrapping, whatever the
// ledger holds (stored orders from before the bounds included).
func TestMetricsNeverWrap(t *testing.T) {
	var m ledger.Metrics
	m.Set("o1", entry(ledger.KindOrder, math.MaxInt64-1, 1))
	m.Set("o2", entry(ledger.KindOrder, math.MaxInt64-1, 2))
	if m.GrossMinor != math.MaxInt64 || m.NetMinor != math.MaxInt64 || m.AOVMinor() <= 0 {
		t.Fatalf("gross %d net %d aov %d, want saturated positives", m.GrossMinor, m.NetMinor, m.AOVMinor())
	}
	m.Set("c1", entry(ledger.KindCredit, math.MinInt64, 3))
	m.Set("c2", entry(ledger.KindCredit, math.MinInt64, 4))
	if m.ReturnsMinor != math.MaxInt64 || m.NetMinor < 0 {
		t.Fatalf("returns %d net %d: wrapped", m.ReturnsMinor, m.NetMinor)
	}
	var n ledger.Metrics
	n.Set("c1", entry(ledger.KindCredit, -1, 1))
	n.Set("o1", entry(ledger.KindOrder, math.MinInt64+1, 2))
	if n.NetMinor != math.MinInt64 || n.AOVMinor() >= 0 {
		t.Fatalf("net %d aov %d, want saturated negatives", n.NetMinor, n.AOVMinor())
	}
	other := ledger.Metrics{}
	other.Set("a", &ledger.Entry{Kind: ledger.KindOrder, NetMinor: 1, Currency: "GBP", At: day(0)})
	other.Set("b", &ledger.Entry{Kind: ledger.KindOrder, NetMinor: math.MaxInt64, Currency: "EUR", At: day(1)})
	other.Set("c", &ledger.Entry{Kind: ledger.KindOrder, NetMinor: math.MaxInt64, Currency: "EUR", At: day(2)})
	if other.OtherNet["EUR"] != math.MaxInt64 {
		t.Fatalf("other currencies wrapped: %v", other.OtherNet)
	}
}

func TestAOVRounding(t *testing.T) {
	for _, c := range []struct {
		net    int64
		orders int
		want   int64
	}{{7, 2, 4}, {5, 3, 2}, {4, 3, 1}, {-7, 2, -4}, {-4, 3, -1}, {-5, 3, -2}, {6, 3, 2}, {math.MaxInt64, 2, math.MaxInt64/2 + 1}, {math.MinInt64, 3, -3074457345618258603}} {
		m := ledger.Metrics{NetMinor: c.net, Orders: c.orders}
		if got := m.AOVMinor(); got != c.want {
			t.Errorf("AOV(%d / %d) = %d, want %d", c.net, c.orders, got, c.want)
		}
	}
}
