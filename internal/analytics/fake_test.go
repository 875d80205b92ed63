package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// fakeSource is a database of orders and profiles in memory.
type fakeSource struct {
	orders    map[string]commerce.Order
	countries map[string]string // live profiles
	reads     int               // profiles read by _id
}

func newFake() *fakeSource {
	return &fakeSource{orders: map[string]commerce.Order{}, countries: map[string]string{}}
}

func (f *fakeSource) EachOrder(_ context.Context, fn func([]commerce.Order) error) error {
	ids := slices.Sorted(maps.Keys(f.orders))
	for start := 0; start < len(ids); start += 7 {
		var batch []commerce.Order
		for _, id := range ids[start:min(start+7, len(ids))] {
			batch = append(batch, f.orders[id])
		}
		if err := fn(batch); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeSource) EachCountry(_ context.Context, fn func(id, country string)) error {
	for id, c := range f.countries {
		if c != "" {
			fn(id, c)
		}
	}
	return nil
}

func (f *fakeSource) Profiles(_ context.Context, ids []string) (map[string]orderbook.ProfileState, error) {
	out := map[string]orderbook.ProfileState{}
	for _, id := range ids {
		f.reads++
		if c, ok := f.countries[id]; ok {
			out[id] = orderbook.ProfileState{Country: c}
		}
	}
	return out, nil
}

func (f *fakeSource) profiles(_ context.Context, ids []string) ([]profile.Profile, error) {
	var out []profile.Profile
	for _, id := range ids {
		if c, ok := f.countries[id]; ok {
			out = append(out, profile.Profile{ID: id, Traits: profile.Traits{FirstName: "N" + id, Attributes: map[string]any{"country": c}}})
		}
	}
	return out, nil
}

// put stores orders in the fake and tells the service, as commerce does.
func (f *fakeSource) put(s *Service, os ...commerce.Order) {
	for _, o := range os {
		f.orders[o.ID] = o
	}
	s.Observe(os)
}

// newService builds a service on the fake, with the clock at now.
func newService(t *testing.T, f *fakeSource, now time.Time) *Service {
	t.Helper()
	s := New(orderbook.NewBook(), f, f.profiles, slog.New(slog.DiscardHandler))
	s.Now = func() time.Time { return now }
	if err := s.Book.Build(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return s
}

func order(id, pid string, at time.Time, total int64, opts ...func(*commerce.Order)) commerce.Order {
	o := commerce.Order{ID: "shop:" + id, Source: "shop", ProfileID: pid, Status: commerce.Paid, TotalMinor: total, Currency: "GBP", PlacedAt: at}
	for _, f := range opts {
		f(&o)
	}
	return o
}

func status(s string) func(*commerce.Order) { return func(o *commerce.Order) { o.Status = s } }
func source(s string) func(*commerce.Order) {
	return func(o *commerce.Order) { o.Source, o.ID = s, s+o.ID[4:] }
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// generate makes a random history: customers of three countries (and none), orders of
// two sources over two years, a tenth in EUR, cancellations (void) and credit notes,
// and guest orders.
func generate(rng *rand.Rand, f *fakeSource, customers int) {
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	countries := []string{"GB", "GB", "FR", "DE", ""}
	n := 0
	for i := range customers {
		pid := fmt.Sprintf("p%04d", i)
		f.countries[pid] = countries[rng.IntN(len(countries))]
		t := start.Add(time.Duration(rng.Int64N(int64(700 * 24 * time.Hour))))
		for k := rng.IntN(4); k >= 0 || rng.IntN(3) == 0; k-- {
			if t.After(start.AddDate(2, 0, 0)) {
				break
			}
			o := order(fmt.Sprint(n), pid, t.Truncate(time.Millisecond), int64(500+rng.IntN(20000)))
			n++
			switch r := rng.IntN(20); {
			case r == 0:
				o.Status = commerce.Cancelled // void
			case r == 1:
				o.Status, o.TotalMinor = commerce.Refunded, -o.TotalMinor/2 // credit note
			}
			if rng.IntN(10) == 0 {
				o.Currency = "EUR"
			}
			if rng.IntN(4) == 0 {
				o.Source, o.ID = "pos", "pos"+o.ID[4:]
			}
			f.orders[o.ID] = o
			if rng.IntN(8) == 0 { // a second order the same day
				p := o
				p.ID += "b"
				p.PlacedAt = p.PlacedAt.Add(time.Hour)
				f.orders[p.ID] = p
			}
			t = t.Add(time.Duration(rng.Int64N(int64(120 * 24 * time.Hour))))
		}
	}
	for g := range customers / 5 {
		at := start.Add(time.Duration(rng.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Millisecond)
		f.orders[fmt.Sprint("shop:g", g)] = order(fmt.Sprint("g", g), "", at, int64(100+rng.IntN(5000)))
	}
}
