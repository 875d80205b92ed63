package analytics

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce"
)

// predictedOrder is the ranking computed here: every customer's own prediction
// (PredictedValue, one call each), those READY in the currency, by value then id, both
// descending.
func predictedOrder(t *testing.T, s *Service, f *fakeSource, cur string, days int, asOf time.Time) (ids []string, values map[string]float64) {
	t.Helper()
	values = map[string]float64{}
	for id := range f.countries {
		p, err := s.PredictedValue(ctx, valuemodel.PredictQuery{ProfileID: id, Days: days, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status == valuemodel.PredictionReady && p.Currency == cur {
			ids = append(ids, id)
			values[id] = p.Value
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if values[a] != values[b] {
			if values[a] > values[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(b, a)
	})
	return ids, values
}

// pageAll pages through a ranking, size at a time.
func pageAll(t *testing.T, s *Service, q valuemodel.ValueRankQuery, size int) (ids []string, values []float64, total int) {
	t.Helper()
	q.Limit = size
	for range 1000 {
		pg, err := s.RankPredicted(ctx, q)
		if err != nil || pg.Status != valuemodel.RankReady {
			t.Fatalf("page after %q: %+v %v", q.After, pg, err)
		}
		if len(pg.IDs) > size || len(pg.Cursors) != len(pg.IDs) || pg.HasNext && len(pg.IDs) < size {
			t.Fatalf("page of %d (cursors %d, more %v)", len(pg.IDs), len(pg.Cursors), pg.HasNext)
		}
		ids, values, total = append(ids, pg.IDs...), append(values, pg.Values...), pg.Total
		if !pg.HasNext {
			return ids, values, total
		}
		q.After = pg.Cursors[len(pg.Cursors)-1]
	}
	t.Fatal("too many pages")
	return nil, nil, 0
}

// metricsOf is what the other customer orders filter on, from the plain order list: the
// counted orders (any currency) and the net revenue in the currency of the earliest order.
func metricsOf(f *fakeSource) map[string]struct {
	orders int
	net    int64
} {
	byCustomer := map[string][]commerce.Order{}
	for _, o := range f.orders {
		if o.ProfileID != "" {
			byCustomer[o.ProfileID] = append(byCustomer[o.ProfileID], o)
		}
	}
	out := map[string]struct {
		orders int
		net    int64
	}{}
	for id, os := range byCustomer {
		slices.SortFunc(os, func(a, b commerce.Order) int { return a.PlacedAt.Compare(b.PlacedAt) })
		m := out[id]
		for _, o := range os {
			if counted(o) {
				m.orders++
			}
			if o.Currency == os[0].Currency && (counted(o) || o.TotalMinor < 0) { // a credit note subtracts, a voided order nothing
				m.net += o.TotalMinor
			}
		}
		out[id] = m
	}
	return out
}

func TestRankByPredictedValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 90))
	f := newFake()
	generate(rng, f, 500)
	s := newService(t, f, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	asOf := time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)

	// Nothing is fitted or ranked by a request: it answers the state and no customers.
	q := valuemodel.ValueRankQuery{AsOf: asOf.Add(13 * time.Hour), Limit: 10}
	pg, err := s.RankPredicted(ctx, q)
	if err != nil || pg.Status != valuemodel.RankFitting || len(pg.IDs) != 0 || pg.Total != 0 || !pg.AsOf.Equal(asOf) || pg.Days != 90 || pg.Currency != "GBP" {
		t.Fatalf("before the fit: %+v %v", pg, err)
	}
	s.values.FitDue(ctx)
	if pg, _ = s.RankPredicted(ctx, q); pg.Status != valuemodel.RankRanking || len(pg.IDs) != 0 {
		t.Fatalf("fitted, not ranked: %+v", pg)
	}
	s.values.RankDue(ctx)

	for _, c := range []struct {
		cur  string
		days int
	}{{"GBP", 90}, {"GBP", 30}, {"EUR", 365}} {
		name := fmt.Sprintf("%s %d days", c.cur, c.days)
		want, values := predictedOrder(t, s, f, c.cur, c.days, asOf)
		if len(want) < 20 {
			t.Fatalf("%s: only %d customers predicted", name, len(want))
		}
		q := valuemodel.ValueRankQuery{AsOf: asOf, Days: c.days, Currency: c.cur}
		if pg, _ := s.RankPredicted(ctx, q); pg.Status != valuemodel.RankReady {
			s.values.FitDue(ctx) // another currency: its own model
			s.values.RankDue(ctx)
		}
		// Every page size gives the same order, each customer once, with the model's value.
		for _, size := range []int{1, 7, 100} {
			got, vs, total := pageAll(t, s, q, size)
			if !slices.Equal(got, want) || total != len(want) {
				t.Fatalf("%s, pages of %d: %d customers (total %d), want %d; first %v, want %v", name, size, len(got), total, len(want), got[:min(5, len(got))], want[:5])
			}
			for i, id := range got {
				if vs[i] != values[id] {
					t.Fatalf("%s: %s valued %v, want %v", name, id, vs[i], values[id])
				}
			}
		}
	}

	// The filters of the other orders, and a text search's profiles.
	want, _ := predictedOrder(t, s, f, "GBP", 90, asOf)
	ms := metricsOf(f)
	minNet := int64(15000)
	some := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(f.countries))[:200] {
		some[id] = true
	}
	for _, c := range []struct {
		name string
		q    valuemodel.ValueRankQuery
		keep func(id string) bool
	}{
		{"min orders", valuemodel.ValueRankQuery{MinOrders: 3}, func(id string) bool { return ms[id].orders >= 3 }},
		{"min revenue", valuemodel.ValueRankQuery{MinNetMinor: &minNet}, func(id string) bool { return ms[id].net >= minNet }},
		{"country", valuemodel.ValueRankQuery{Country: new("FR")}, func(id string) bool { return f.countries[id] == "FR" }},
		{"unknown country", valuemodel.ValueRankQuery{Country: new("XX")}, func(string) bool { return false }},
		{"search", valuemodel.ValueRankQuery{ProfileIDs: slices.Collect(maps.Keys(some)), Restrict: true, MinOrders: 2},
			func(id string) bool { return some[id] && ms[id].orders >= 2 }},
		{"search without matches", valuemodel.ValueRankQuery{Restrict: true}, func(string) bool { return false }},
	} {
		c.q.AsOf = asOf
		got, _, total := pageAll(t, s, c.q, 9)
		exp := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return !c.keep(id) })
		if !slices.Equal(got, exp) || total != len(exp) {
			t.Fatalf("%s: %d customers (total %d), want %d", c.name, len(got), total, len(exp))
		}
		if c.name == "country" && len(exp) < 10 {
			t.Fatalf("%s: only %d customers", c.name, len(exp))
		}
	}

	// New orders: the next fit ranks again; until then the old ranking answers.
	mutate(rng, f, s, 80)
	if _, err := s.Refit(ctx, valuemodel.ModelQuery{AsOf: asOf}); err != nil {
		t.Fatal(err)
	}
	if pg, _ := s.RankPredicted(ctx, valuemodel.ValueRankQuery{AsOf: asOf, Limit: 5}); pg.Status != valuemodel.RankReady || len(pg.IDs) != 5 {
		t.Fatalf("while refitting: %+v", pg)
	}
	s.values.FitDue(ctx)
	s.values.RankDue(ctx)
	want, _ = predictedOrder(t, s, f, "GBP", 90, asOf)
	if got, _, _ := pageAll(t, s, valuemodel.ValueRankQuery{AsOf: asOf}, 50); !slices.Equal(got, want) {
		t.Fatalf("after the refit: %d customers, want %d", len(got), len(want))
	}

	for _, bad := range []valuemodel.ValueRankQuery{{Days: -1}, {Days: valuemodel.MaxHorizonDays + 1}, {Limit: 101}, {After: "nope"}, {Currency: "XYZ"}} {
		if _, err := s.RankPredicted(ctx, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
