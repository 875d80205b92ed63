package matching

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// A few dozen customers sharing a surname (a desktop app's test data, a small shop): EM
// has little to learn from, and once gave exact agreement on first name and birth date a
// weight of about -9.5, so two identical records were not even suggested. Exact agreement
// must never count against a match, and "different" never for one.
func TestSmallDataKeepsWeightsSane(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	firsts := []string{"Ada", "Ben", "Cora", "Dan", "Eve", "Finn", "Gus", "Hal", "Ivy", "Jo"}
	var recs []Record
	for i := range 27 {
		recs = append(recs, Person{ID: fmt.Sprint("p", i), FirstName: firsts[rng.IntN(len(firsts))], LastName: "Pager",
			BirthDate:    fmt.Sprintf("19%02d-%02d-%02d", 40+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28)),
			StreetNumber: fmt.Sprint(1 + rng.IntN(99)), Street: "Main Street", Suburb: "Leeds", Postcode: fmt.Sprintf("LS%d %dAB", 1+rng.IntN(9), rng.IntN(10)),
			Email: fmt.Sprintf("p%d@example.com", i)}.Record())
	}
	twin := Person{FirstName: "Marguerite", LastName: "Matchwell", BirthDate: "1971-04-23", StreetNumber: "17", Street: "Larkspur Lane", Suburb: "Bristol", Postcode: "BS1 4DJ"}
	a, b := twin, twin
	a.ID, a.Email = "twin-a", "mm@example.com"
	b.ID, b.Phone = "twin-b", "+441179000000"
	recs = append(recs, a.Record(), b.Record())

	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Match(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	var found *Pair
	for i, p := range res.Pairs {
		if p.A == "twin-a" && p.B == "twin-b" || p.A == "twin-b" && p.B == "twin-a" {
			found = &res.Pairs[i]
		}
	}
	if found == nil || found.Prob < 0.9 {
		t.Fatalf("identical twins not matched: %+v", found)
	}
	for f, fm := range m.Model().Fields {
		if w := m.Model().LevelWeight(f, 0); w < 0 {
			t.Errorf("%s: exact agreement weighs %.2f", fm.Name, w)
		}
		if w := m.Model().LevelWeight(f, len(fm.Levels)-1); w > 0 {
			t.Errorf("%s: %q weighs %.2f", fm.Name, fm.Levels[len(fm.Levels)-1], w)
		}
	}
}
