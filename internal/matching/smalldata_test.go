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

// The desktop's end-to-end data: 27 people sharing a surname and 6 more, names and
// e-mails only, and two pairs with a birth date and an address (one identical but for
// the e-mail and phone, one with a nickname and two birth-date digits swapped). Only
// the four carry a birth date, so the birth date's agreement rate among random pairs
// rests on six pairs: it must not decide alone (1 in 6 agree), or the identical pair
// is not even suggested.
func TestSmallPopulationSuggestsObviousDuplicates(t *testing.T) {
	sc := DefaultSchema()
	var recs []Record
	add := func(id string, f map[string]string) { recs = append(recs, Record{ID: id, Fields: f}) }
	for i := range 27 {
		add(fmt.Sprint("p", i), map[string]string{sc.FirstName: fmt.Sprint("P", i), sc.LastName: "Pagerson", sc.Emails[0]: fmt.Sprintf("pager%d@example.com", i)})
	}
	for i, f := range []string{"Ada", "Ben", "Cleo", "Dan", "Zelda", "Otto"} {
		add(fmt.Sprint("s", i), map[string]string{sc.FirstName: f, sc.LastName: "Segmenta", sc.Emails[0]: fmt.Sprintf("seg%d@example.com", i)})
	}
	person := func(first, dob, no, street, city, pc string) map[string]string {
		return map[string]string{sc.FirstName: first, sc.LastName: "Matchwell", sc.BirthDate: dob, sc.HouseNumber: no,
			sc.AddressLines[0]: street, sc.Locality: city, sc.Postcode: pc}
	}
	m1, m2 := person("Marguerite", "1971-04-23", "17", "Larkspur Lane", "Bristol", "BS1 4DJ"), person("Marguerite", "1971-04-23", "17", "Larkspur Lane", "Bristol", "BS1 4DJ")
	m1[sc.Emails[0]], m2[sc.Phones[0]] = "marguerite@example.com", "+441179460123"
	t1, t2 := person("Tobias", "1988-11-02", "4", "Mill Road", "Leeds", "LS2 7HY"), person("Toby", "1988-11-20", "4", "Mill Road", "Leeds", "LS2 7HY")
	t1[sc.LastName], t2[sc.LastName] = "Borderly", "Borderly"
	add("m1", m1)
	add("m2", m2)
	add("t1", t1)
	add("t2", t2)
	m, err := New(sc.Config())
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Match(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	prob := map[string]float64{}
	for _, p := range res.Pairs {
		prob[p.A+"-"+p.B], prob[p.B+"-"+p.A] = p.Prob, p.Prob
	}
	if prob["m1-m2"] < m.cfg.Upper {
		t.Errorf("identical pair: probability %.3f, want at least the upper threshold %.2f", prob["m1-m2"], m.cfg.Upper)
	}
	if prob["t1-t2"] < m.cfg.Lower {
		t.Errorf("borderline pair: probability %.3f, want at least the lower threshold %.2f", prob["t1-t2"], m.cfg.Lower)
	}
}
