package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// TestPeriodsDeriveAsTheLedger: metrics derived from per-year summaries of the ledger
// buckets equal those rebuilt from the whole ledger, through random changes (orders,
// credit notes, voids, other currencies, status changes, removals, moves between
// years).
func TestPeriodsDeriveAsTheLedger(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []string{ledger.KindOrder, ledger.KindOrder, ledger.KindCredit, ledger.KindVoid}
	for round := range 200 {
		var whole ledger.Metrics
		buckets := map[string]*ledger.Bucket{}
		var byPeriods ledger.Metrics
		var rev int64
		for step := range 1 + r.IntN(30) {
			id := fmt.Sprintf("shop:%d", r.IntN(12))
			var e *ledger.Entry
			if r.IntN(6) > 0 {
				at := time.Date(2020+r.IntN(4), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(2), 0, 0, 0, time.UTC)
				x := ledger.Entry{Kind: kinds[r.IntN(len(kinds))], Currency: []string{"GBP", "GBP", "EUR"}[r.IntN(3)], At: at}
				switch x.Kind {
				case ledger.KindOrder:
					x.NetMinor = r.Int64N(10000)
				case ledger.KindCredit:
					x.NetMinor = -r.Int64N(5000)
				}
				e = &x
			}
			whole.Set(id, e)
			// The same change in buckets: out of every bucket, into the entry's year.
			rev++
			var touched []ledger.Bucket
			for _, b := range buckets {
				if _, ok := b.Orders[id]; ok {
					delete(b.Orders, id)
					b.Rev = rev
					touched = append(touched, *b)
				}
			}
			if e != nil {
				p := ledger.OrderPeriod(e.At)
				if buckets[p] == nil {
					buckets[p] = &ledger.Bucket{BucketKey: ledger.BucketKey{ProfileID: "p", Period: p}, Orders: map[string]ledger.Entry{}}
				}
				b := buckets[p]
				b.Orders[id], b.Rev = *e, rev
				touched = append(touched, cloneBucket(b))
			}
			for i := range touched {
				touched[i] = cloneBucket(buckets[touched[i].Period])
			}
			byPeriods.Apply(touched)
			if !sameAggregates(whole, byPeriods) {
				t.Fatalf("round %d step %d:\nledger  %+v\nperiods %+v", round, step, brief(whole), brief(byPeriods))
			}
		}
	}
}

func cloneBucket(b *ledger.Bucket) ledger.Bucket {
	c := *b
	c.Orders = map[string]ledger.Entry{}
	for k, v := range b.Orders {
		c.Orders[k] = v
	}
	return c
}

func sameAggregates(a, b ledger.Metrics) bool {
	if len(a.OtherNet) != len(b.OtherNet) {
		return false
	}
	for c, v := range a.OtherNet {
		if b.OtherNet[c] != v {
			return false
		}
	}
	return a.Orders == b.Orders && a.Cancellations == b.Cancellations && a.Currency == b.Currency && a.GrossMinor == b.GrossMinor &&
		a.ReturnsMinor == b.ReturnsMinor && a.NetMinor == b.NetMinor && a.FirstOrderAt.Equal(b.FirstOrderAt) && a.LastOrderAt.Equal(b.LastOrderAt)
}

func brief(m ledger.Metrics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "orders %d canc %d cur %s gross %d ret %d net %d other %v first %v last %v", m.Orders, m.Cancellations, m.Currency,
		m.GrossMinor, m.ReturnsMinor, m.NetMinor, m.OtherNet, m.FirstOrderAt, m.LastOrderAt)
	return b.String()
}
