package orderbook

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/live"
	"github.com/tessera-cdp/tessera/internal/money"
)

// RefreshProfiles reads the countries of changed profiles that have orders by _id from
// src (the Service's loop); the profiles of a failed read are read again next time.
func (b *Book) RefreshProfiles(ctx context.Context, src Source) error {
	for {
		ids := b.takeDirty(500)
		if len(ids) == 0 || ctx.Err() != nil {
			return nil
		}
		found, err := src.Profiles(ctx, ids)
		if err != nil {
			b.unread(ids)
			return err
		}
		b.setProfiles(ids, found)
	}
}

// Wake is signalled when a change is queued or a profile marked changed: the Service's
// loop applies and reads them.
func (b *Book) Wake() <-chan struct{} { return b.wake }

// Historical is how old the newest order may be for the data to count as current: the
// default as-of date of older data is the end of the day of its newest order.
const Historical = 30 * 24 * time.Hour

// Status is where the book stands.
type Status struct {
	Ready       bool
	Loaded      int // orders read by a running build
	Orders      int // held
	Customers   int
	GuestOrders int
	FirstOrder  time.Time // counted orders; zero without any
	LastOrder   time.Time
	DefaultAsOf time.Time
	Currencies  []string // most counted orders first
	Countries   []string
	Sources     []string
	Error       string
	BuiltAt     time.Time
	// PendingProfiles changed and not read again yet: their country may be stale.
	PendingProfiles int
}

// Status reports the book's state and size (computed once per version of the book);
// now is the clock of the default as-of date.
func (b *Book) Status(now time.Time) Status {
	var out Status
	var version uint64
	b.v.Inspect(func(_ *State, m live.Meta) {
		out = Status{Error: m.Err, BuiltAt: m.BuiltAt, Loaded: int(m.Loaded), PendingProfiles: b.pendingProfiles()}
		version = m.Version
	})
	b.statusMu.Lock()
	defer b.statusMu.Unlock()
	if b.status.Ready && b.statusVersion == version {
		pending := out.PendingProfiles
		out = b.status
		out.DefaultAsOf, out.PendingProfiles = defaultAsOf(now, out.LastOrder), pending
		return out
	}
	ok := b.Read(func(st *State) {
		out.Ready = true
		out.Orders = st.Orders
		perCur := make([]int, len(st.Curs.Names))
		var first, last int64
		for id, c := range st.Customers {
			if id == "" {
				out.GuestOrders = len(c.Entries)
			} else {
				out.Customers++
			}
			for _, e := range c.Entries {
				if e.Kind != KindOrder {
					continue
				}
				perCur[e.Cur]++
				if first == 0 || e.At < first {
					first = e.At
				}
				last = max(last, e.At)
			}
		}
		if last != 0 {
			out.FirstOrder, out.LastOrder = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		}
		out.Currencies = slices.Clone(st.Curs.Names)
		slices.SortStableFunc(out.Currencies, func(a, b string) int {
			ia, _ := st.Curs.Lookup(a)
			ib, _ := st.Curs.Lookup(b)
			if d := perCur[ib] - perCur[ia]; d != 0 {
				return d
			}
			if a < b {
				return -1
			}
			return 1
		})
		out.Countries = sortedNames(st.Countries.Names[1:])
		out.Sources = sortedNames(st.Srcs.Names)
	})
	if !ok {
		out.Currencies, out.Countries, out.Sources = []string{}, []string{}, []string{}
	} else {
		b.status, b.statusVersion = out, version
	}
	out.DefaultAsOf = defaultAsOf(now, out.LastOrder)
	return out
}

func sortedNames(ns []string) []string {
	out := slices.Clone(ns)
	slices.Sort(out)
	return out
}

// AsOf is the default as-of date of every time-dependent metric (churn risk too): now,
// or for historical data the end of the newest order's day; now while the book loads.
// It reads one number, so a request path can ask it.
func (b *Book) AsOf(now time.Time) time.Time {
	var last int64
	b.Read(func(st *State) { last = st.LastAt })
	if last == 0 {
		return now
	}
	return defaultAsOf(now, time.UnixMilli(last).UTC())
}

// defaultAsOf is now, or for historical data (the newest order older than Historical)
// the end of the newest order's day (UTC).
func defaultAsOf(now, last time.Time) time.Time {
	if last.IsZero() || now.Sub(last) <= Historical {
		return now
	}
	return StartOfDay(last).AddDate(0, 0, 1)
}

func StartOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CheckCurrency refuses a currency code money does not know ("" is no currency).
func CheckCurrency(c string) error {
	if _, ok := money.Exponent(c); c != "" && !ok {
		return apperr.Invalidf("unknown currency %q", c)
	}
	return nil
}
