package facts_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/segment/facts"
)

// BenchmarkEvaluate: evaluating rules over 100,000 synthetic profiles in memory (no
// database): go test ./internal/segment/facts/ -run '^$' -bench Evaluate
func BenchmarkEvaluate(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	c := facts.NewCache()
	countries := []string{"United Kingdom", "United Kingdom", "France", "Germany", "US"}
	lasts := []string{"Smith", "smithson", "Ng", "Müller", "van der Berg", "Doe"}
	cities := []string{"London", "Leeds", "Paris", "München", "St. Albans"}
	all := make([]*facts.Fact, 0, 100_000)
	for i := range 100_000 {
		f := &facts.Fact{ID: fmt.Sprintf("p%07d", i), FirstName: c.Intern(fmt.Sprint("F", i%97)), LastName: c.Intern(lasts[r.IntN(len(lasts))]),
			Emails: []string{fmt.Sprintf("c%d@example.com", i)}, Cities: []string{c.Intern(cities[r.IntN(len(cities))])},
			Countries:   []string{c.Intern(countries[r.IntN(len(countries))])},
			Identifiers: []string{fmt.Sprintf("email:c%d@example.com", i), fmt.Sprintf("crm:%d", i)},
			Attrs:       []facts.Attr{{Key: c.Intern("score"), Vals: []facts.Value{{K: facts.Number, N: float64(r.IntN(11))}}}}}
		if r.IntN(2) == 0 {
			f.Consent = []string{"email:marketing"}
		}
		if r.IntN(10) < 7 {
			f.Metrics = &facts.Metrics{Orders: float64(r.IntN(8)), NetMinor: r.Int64N(100000), Currency: "GBP", HasLastOrder: true,
				LastOrderAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - r.Int64N(700*86400000)}
		}
		all = append(all, f)
	}
	c.Load(all)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	country := segment.Trait(segment.FieldCountry, segment.EQ, "United Kingdom")
	for _, rc := range []struct {
		name string
		rule segment.Rule
	}{
		{"country", country},
		{"3profile+metric", segment.And(country, segment.TraitNumber("attributes.score", segment.GTE, 5),
			segment.Trait(segment.FieldLastName, segment.StartsWith, "s"), segment.MetricIs(segment.MetricNetRevenue, segment.GT, 500))},
		{"contains+not+consent+aov", segment.Or(segment.And(segment.Trait(segment.FieldCity, segment.Contains, "on"),
			segment.Not(segment.Rule{Consent: &segment.ConsentCond{Channel: "email", Granted: true}})),
			segment.MetricIs(segment.MetricAOV, segment.GT, 150), segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.LT, 30))},
	} {
		b.Run(rc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := facts.Compile(rc.rule, now, nil)
				if err != nil {
					b.Fatal(err)
				}
				c.Count(p, 10)
			}
		})
	}
}
