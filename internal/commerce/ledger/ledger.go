package ledger

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/money"
)

// The ledger in buckets. What each order contributed (its Entry) and which
// interactions a profile has are kept per profile, kind and period (the UTC year of the
// order's placedAt or the interaction's time) in bucket documents, read and written by
// _id. A profile's metrics document holds, per period, a compact summary of the bucket
// (Period: counts, sums per currency, first and last times, the earliest entry) and the
// aggregates derived from those summaries. So an ingest rewrites the buckets of the
// periods it touches and the metrics document, whose size grows with the number of
// periods with activity, not with the number of orders or interactions.
//
// A bucket carries a revision that every change raises; a summary records the bucket
// revision it was computed from, and a summary is only replaced by one computed from
// a bucket revision at least as recent (Metrics.Apply). Where updates are atomic
// (MongoDB) concurrent writers of one bucket are therefore ordered by the bucket's
// revision and the metrics document by its own rev; on FerretDB one process writes,
// under the store's metrics guard.

// BucketKey names one bucket: a profile's ledger for one period.
type BucketKey struct {
	ProfileID string
	Period    string
}

// Orders and interactions are kept in separate buckets, so that writing one kind does not
// rewrite the other: the period of a bucket is the kind's letter (its prefix) and the UTC
// year.
const (
	OrderPrefix       = "o"
	InteractionPrefix = "i"
)

// OrderPeriod is the period of the bucket of an order placed at t ("o2024").
func OrderPeriod(t time.Time) string { return OrderPrefix + yearOf(t) }

// InteractionPeriod is the period of the bucket of an interaction at t ("i2024").
func InteractionPeriod(t time.Time) string { return InteractionPrefix + yearOf(t) }

func yearOf(t time.Time) string { return fmt.Sprintf("%04d", t.UTC().Year()) }

// OrderBucket and InteractionBucket name the bucket of a profile's order or
// interaction at t.
func OrderBucket(profileID string, t time.Time) BucketKey {
	return BucketKey{ProfileID: profileID, Period: OrderPeriod(t)}
}

func InteractionBucket(profileID string, t time.Time) BucketKey {
	return BucketKey{ProfileID: profileID, Period: InteractionPeriod(t)}
}

// Bucket is one period of a profile's ledger: the entries of its orders and the times
// of its interactions, by id.
type Bucket struct {
	BucketKey
	Rev          int64
	Orders       map[string]Entry
	Interactions map[string]time.Time
}

// LedgerChange is a change of one bucket: entries set or removed, interactions listed
// or removed. Applying it twice changes nothing the second time (but the revision).
type LedgerChange struct {
	BucketKey
	SetOrders         map[string]Entry
	UnsetOrders       []string
	SetInteractions   map[string]time.Time
	UnsetInteractions []string
}

// Empty reports a change that changes nothing.
func (c *LedgerChange) Empty() bool {
	return len(c.SetOrders)+len(c.UnsetOrders)+len(c.SetInteractions)+len(c.UnsetInteractions) == 0
}

// Amounts are the sums of one currency's entries of a period.
type Amounts struct {
	Gross   int64 // counted orders
	Credits int64 // credit notes (negative)
}

// Period is the summary of one bucket, all the metrics need of it.
type Period struct {
	// Rev is the bucket revision summarised.
	Rev           int64
	Orders        int // counted orders
	Cancellations int // credit notes and voided orders
	FirstOrderAt  time.Time
	LastOrderAt   time.Time
	// The earliest entry (time, then id) decides the profile's currency.
	EarliestAt        time.Time
	EarliestID        string
	EarliestCurrency  string
	Amounts           map[string]Amounts // by currency, every currency of an entry
	Interactions      int
	LastInteractionAt time.Time
}

// Empty reports a period with no entries and no interactions.
func (p Period) Empty() bool { return p.Orders+p.Cancellations+p.Interactions == 0 }

// Entries is the number of order entries summarised.
func (p Period) Entries() int { return p.Orders + p.Cancellations }

// same compares the content of two summaries, not the revisions.
func (p *Period) same(q *Period) bool {
	return p.Orders == q.Orders && p.Cancellations == q.Cancellations && p.FirstOrderAt.Equal(q.FirstOrderAt) &&
		p.LastOrderAt.Equal(q.LastOrderAt) && p.EarliestAt.Equal(q.EarliestAt) && p.EarliestID == q.EarliestID &&
		p.EarliestCurrency == q.EarliestCurrency && maps.Equal(p.Amounts, q.Amounts) && p.Interactions == q.Interactions &&
		p.LastInteractionAt.Equal(q.LastInteractionAt)
}

// Summary summarises a bucket.
func (b *Bucket) Summary() Period {
	p := Period{Rev: b.Rev}
	for id, e := range b.Orders {
		at := e.At.UTC()
		if p.EarliestID == "" || at.Before(p.EarliestAt) || at.Equal(p.EarliestAt) && id < p.EarliestID {
			p.EarliestAt, p.EarliestID, p.EarliestCurrency = at, id, e.Currency
		}
		if p.Amounts == nil {
			p.Amounts = map[string]Amounts{}
		}
		a := p.Amounts[e.Currency]
		switch e.Kind {
		case KindOrder:
			p.Orders++
			if p.FirstOrderAt.IsZero() || at.Before(p.FirstOrderAt) {
				p.FirstOrderAt = at
			}
			if at.After(p.LastOrderAt) {
				p.LastOrderAt = at
			}
			a.Gross = money.SatAdd(a.Gross, e.NetMinor)
		case KindCredit:
			p.Cancellations++
			a.Credits = money.SatAdd(a.Credits, e.NetMinor)
		default:
			p.Cancellations++
		}
		p.Amounts[e.Currency] = a
	}
	for _, at := range b.Interactions {
		p.Interactions++
		if at.After(p.LastInteractionAt) {
			p.LastInteractionAt = at.UTC()
		}
	}
	return p
}

// Apply brings the period summaries of m up to date with buckets of its profile as they
// are now, keeping a summary computed from a later bucket revision, and derives the
// aggregates. It reports whether the metrics changed.
func (m *Metrics) Apply(buckets []Bucket) bool {
	changed := false
	for i := range buckets {
		b := &buckets[i]
		old, had := m.Periods[b.Period]
		if had && old.Rev > b.Rev {
			continue // a writer that saw a later state of the bucket was here
		}
		p := b.Summary()
		switch {
		case p.Empty() && had:
			delete(m.Periods, b.Period)
			changed = true
		case p.Empty():
		case !had || !old.same(&p):
			if m.Periods == nil {
				m.Periods = map[string]Period{}
			}
			m.Periods[b.Period] = p
			changed = true
		}
	}
	if changed {
		m.derive()
	}
	return changed
}

// derive computes the aggregates from the period summaries; it gives what rebuild
// gives from the whole ledger (see the package doc).
func (m *Metrics) derive() {
	m.Orders, m.Cancellations, m.GrossMinor, m.ReturnsMinor, m.NetMinor = 0, 0, 0, 0, 0
	m.OtherNet, m.FirstOrderAt, m.LastOrderAt, m.Currency = nil, time.Time{}, time.Time{}, ""
	m.Interactions, m.LastInteractionAt = 0, time.Time{}
	var earliestAt time.Time
	earliestID := ""
	for _, k := range keys(m.Periods) {
		p := m.Periods[k]
		m.Orders += p.Orders
		m.Cancellations += p.Cancellations
		m.Interactions += p.Interactions
		if p.LastInteractionAt.After(m.LastInteractionAt) {
			m.LastInteractionAt = p.LastInteractionAt
		}
		if p.Orders > 0 {
			if m.FirstOrderAt.IsZero() || p.FirstOrderAt.Before(m.FirstOrderAt) {
				m.FirstOrderAt = p.FirstOrderAt
			}
			if p.LastOrderAt.After(m.LastOrderAt) {
				m.LastOrderAt = p.LastOrderAt
			}
		}
		if p.EarliestID != "" && (earliestID == "" || p.EarliestAt.Before(earliestAt) || p.EarliestAt.Equal(earliestAt) && p.EarliestID < earliestID) {
			earliestAt, earliestID, m.Currency = p.EarliestAt, p.EarliestID, p.EarliestCurrency
		}
	}
	for _, k := range keys(m.Periods) {
		for c, a := range m.Periods[k].Amounts {
			if c == m.Currency {
				m.GrossMinor = money.SatAdd(m.GrossMinor, a.Gross)
				m.ReturnsMinor = money.SatSub(m.ReturnsMinor, a.Credits)
				continue
			}
			if m.OtherNet == nil {
				m.OtherNet = map[string]int64{}
			}
			m.OtherNet[c] = money.SatAdd(m.OtherNet[c], money.SatAdd(a.Gross, a.Credits))
		}
	}
	m.NetMinor = money.SatSub(m.GrossMinor, m.ReturnsMinor)
}

// BucketKeys lists the buckets of the profiles of ms (those their summaries name).
func BucketKeys(ms []Metrics) []BucketKey {
	var out []BucketKey
	for _, m := range ms {
		for _, p := range keys(m.Periods) {
			out = append(out, BucketKey{ProfileID: m.ProfileID, Period: p})
		}
	}
	return out
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
