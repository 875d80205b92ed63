// Package ledger is the value-metrics model of commerce: what each order contributed to
// its profile (Entry), kept in buckets of one profile, kind and year (Bucket), the
// summaries of those buckets (Period), the metrics derived from them (Metrics) and the
// scores computed on the metrics (churn risk, RFM quintiles). It does no I/O: package
// commerce writes the ledger and the metrics, its store keeps them.
//
// Contributions: an order in status placed, paid, shipped or delivered counts as one order and adds
// its total. A cancelled or refunded document with a negative total is a credit note (the
// retail data's "C" invoices): it adds its negative total and one cancellation. A
// cancelled or refunded order with a non-negative total is voided: it adds nothing but one
// cancellation.
//
//	Orders           = number of counted orders
//	Gross            = Σ totals of counted orders
//	Returns          = −Σ totals of credit notes (a positive number)
//	Net (= historic CLV) = Gross − Returns
//	AOV              = round(Net / Orders), 0 without orders
//	First/LastOrder  = min/max time of counted orders
//	LastSeen         = max(LastOrder, LastInteraction)
//
// Amounts are in the profile's currency (that of its earliest order); orders in other
// currencies are counted but their amounts are kept apart in OtherNet (no FX conversion).
//
// Churn risk (computed at read time, since it depends on "now"): with t the days since the
// last order and μ the mean inter-order interval, (LastOrder − FirstOrder) / (Orders − 1)
// days (at least 1), the risk is 1 − exp(−t/μ): the probability that an active customer
// buying at exponential intervals with mean μ would have bought again by now. One-order
// customers use a prior μ (commerce.Service.PriorIntervalDays); no orders gives 0 with
// basis "none".
//
// RFM scores 1-5 (commerce.Service.RefreshRFM): score = 1 + number of cut points below the
// value, the cut points being the values at ranks ⌈i·n/5⌉ − 1, i = 1..4, of the ascending
// list (the upper bound of each fifth): equal values get equal scores and the lowest value
// scores 1.
package ledger

import (
	"math"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/money"
)

// Kinds of ledger entries.
const (
	KindOrder  = "order"  // a counted order
	KindCredit = "credit" // a credit note (negative total)
	KindVoid   = "void"   // a cancelled order with nothing to take back
)

// Entry is what one order contributed to its profile's metrics.
type Entry struct {
	Kind     string    `bson:"k"`
	NetMinor int64     `bson:"n"`
	Currency string    `bson:"c"`
	At       time.Time `bson:"t"`
}

// RFM are quintile scores 1-5 (0: not scored).
type RFM struct {
	Recency   int       `bson:"r"`
	Frequency int       `bson:"f"`
	Monetary  int       `bson:"m"`
	ScoredAt  time.Time `bson:"at,omitempty"`
}

// Metrics are a profile's value metrics.
type Metrics struct {
	ProfileID string
	// Rev increases with every write of orders or interactions (compare-and-set token).
	Rev           int64
	Orders        int
	Cancellations int
	Currency      string
	GrossMinor    int64
	ReturnsMinor  int64
	NetMinor      int64
	// OtherNet is the net amount of orders in other currencies than Currency.
	OtherNet          map[string]int64
	FirstOrderAt      time.Time
	LastOrderAt       time.Time
	Interactions      int
	LastInteractionAt time.Time
	RFM               RFM
	// Periods are the summaries of the profile's ledger buckets, by period; the
	// aggregates above are derived from them (see ledger.go). Summary reads leave them
	// out.
	Periods map[string]Period
	// Ledger maps order ids to their counted contribution: the order entries of all
	// the profile's buckets, filled only by commerce.Service.Metrics (and by Set).
	Ledger map[string]Entry
	// Churn is filled by commerce.Service.Metrics for the service's clock.
	Churn Churn
}

// AOVMinor is the average order value: net revenue over counted orders, rounded.
func (m *Metrics) AOVMinor() int64 {
	if m.Orders == 0 {
		return 0
	}
	// Rounded half away from zero from quotient and remainder: n + d/2 could overflow.
	n, d := m.NetMinor, int64(m.Orders)
	q, r := n/d, n%d
	switch {
	case r > 0 && r >= d-r:
		q++
	case r < 0 && -r >= d+r:
		q--
	}
	return q
}

// CLVMinor is the historic customer lifetime value: net revenue to date.
func (m *Metrics) CLVMinor() int64 { return m.NetMinor }

// LastSeenAt is the latest order or interaction.
func (m *Metrics) LastSeenAt() time.Time {
	if m.LastInteractionAt.After(m.LastOrderAt) {
		return m.LastInteractionAt
	}
	return m.LastOrderAt
}

// MeanIntervalDays is the mean time between counted orders: the gaps telescope, so it is
// (last − first) / (orders − 1). ok is false with fewer than two orders.
func (m *Metrics) MeanIntervalDays() (float64, bool) {
	if m.Orders < 2 {
		return 0, false
	}
	return m.LastOrderAt.Sub(m.FirstOrderAt).Hours() / 24 / float64(m.Orders-1), true
}

// Set records an order's contribution (nil e: removes it); it reports whether the
// ledger changed and, if so, rebuilds the order aggregates.
func (m *Metrics) Set(orderID string, e *Entry) bool {
	old, had := m.Ledger[orderID]
	switch {
	case e == nil && !had:
		return false
	case e == nil:
		delete(m.Ledger, orderID)
	case had && old.Kind == e.Kind && old.NetMinor == e.NetMinor && old.Currency == e.Currency && old.At.Equal(e.At):
		return false
	default:
		if m.Ledger == nil {
			m.Ledger = map[string]Entry{}
		}
		m.Ledger[orderID] = *e
	}
	m.rebuild()
	return true
}

// rebuild derives the order aggregates from the ledger. Deriving rather than adding
// deltas means they can never drift from what was counted, and min/max stay right when
// an order stops counting. Sums saturate at the int64 bounds instead of wrapping to the
// other sign; with order totals bounded by MaxAmountMinor that takes over 9,000 orders
// of the maximum amount on one profile.
func (m *Metrics) rebuild() {
	m.Orders, m.Cancellations, m.GrossMinor, m.ReturnsMinor, m.NetMinor = 0, 0, 0, 0, 0
	m.OtherNet, m.FirstOrderAt, m.LastOrderAt, m.Currency = nil, time.Time{}, time.Time{}, ""
	ids := make([]string, 0, len(m.Ledger))
	for id := range m.Ledger {
		ids = append(ids, id)
	}
	// The profile currency is that of the earliest entry (ties by id): deterministic.
	slices.SortFunc(ids, func(a, b string) int {
		if c := m.Ledger[a].At.Compare(m.Ledger[b].At); c != 0 {
			return c
		}
		return compareStrings(a, b)
	})
	for _, id := range ids {
		e := m.Ledger[id]
		if m.Currency == "" {
			m.Currency = e.Currency
		}
		if e.Kind == KindOrder {
			m.Orders++
			if m.FirstOrderAt.IsZero() || e.At.Before(m.FirstOrderAt) {
				m.FirstOrderAt = e.At
			}
			if e.At.After(m.LastOrderAt) {
				m.LastOrderAt = e.At
			}
		} else {
			m.Cancellations++
		}
		if e.Currency != m.Currency {
			if m.OtherNet == nil {
				m.OtherNet = map[string]int64{}
			}
			m.OtherNet[e.Currency] = money.SatAdd(m.OtherNet[e.Currency], e.NetMinor)
			continue
		}
		switch e.Kind {
		case KindOrder:
			m.GrossMinor = money.SatAdd(m.GrossMinor, e.NetMinor)
		case KindCredit:
			m.ReturnsMinor = money.SatSub(m.ReturnsMinor, e.NetMinor)
		}
	}
	m.NetMinor = money.SatSub(m.GrossMinor, m.ReturnsMinor)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Churn is a churn-risk score with its inputs.
type Churn struct {
	Score              float64 // in [0,1]
	DaysSinceLastOrder float64
	MeanIntervalDays   float64
	// Basis is "history" (own mean interval), "prior" (one order: the prior interval) or
	// "none" (no orders: score 0).
	Basis string
	Asof  time.Time
}

// ChurnRisk computes 1 − exp(−t/μ) (see the package doc).
func ChurnRisk(m *Metrics, now time.Time, priorDays float64) Churn {
	c := Churn{Basis: "none", Asof: now}
	if m.Orders == 0 {
		return c
	}
	c.DaysSinceLastOrder = max(0, now.Sub(m.LastOrderAt).Hours()/24)
	mu, ok := m.MeanIntervalDays()
	c.Basis = "history"
	if !ok {
		mu, c.Basis = priorDays, "prior"
	}
	c.MeanIntervalDays = max(mu, 1)
	c.Score = 1 - math.Exp(-c.DaysSinceLastOrder/c.MeanIntervalDays)
	return c
}

// Cuts are the four quintile cut points of an ascending population.
type Cuts [4]int64

// QuintileCuts returns the upper bounds of the first four fifths: the values at ranks
// ⌈i·n/5⌉ − 1, i = 1..4, of the sorted values.
func QuintileCuts(values []int64) Cuts {
	var c Cuts
	if len(values) == 0 {
		return c
	}
	s := slices.Clone(values)
	slices.Sort(s)
	for i := range c {
		c[i] = s[((i+1)*len(s)+4)/5-1]
	}
	return c
}

// Score is 1 + the number of cut points below v: 1 (lowest fifth) to 5 (highest). Equal
// values share a score, and the lowest value always scores 1.
func (c Cuts) Score(v int64) int {
	s := 1
	for _, x := range c {
		if v > x {
			s++
		}
	}
	return s
}
