package matching

import (
	"context"
	"math"
	"testing"

	"github.com/tessera-cdp/tessera/internal/matching/field"
)

func TestSwappedNames(t *testing.T) {
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, a := m.prepare(Person{FirstName: "Isla", LastName: "Hall"}.Record())
	_, b := m.prepare(Person{FirstName: "Hall", LastName: "Isla"}.Record())
	g := m.compare(a, b)
	if g.Level(0) != 3 || g.Level(1) != 3 {
		t.Errorf("swapped names: levels %d %d, want 3 3", g.Level(0), g.Level(1))
	}
}

// A surname in the first-name column with no surname is compared with the
// other record's surname; address lines transposed compare crosswise.
func TestShiftedNamesAndLines(t *testing.T) {
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, a := m.prepare(Person{FirstName: "Hall", Street: "Rose Cottage", Street2: "12 Mill Lane"}.Record())
	_, b := m.prepare(Person{FirstName: "Isla", LastName: "Hall", Street: "12 Mill Lane", Street2: "Rose Cottage"}.Record())
	g := m.compare(a, b)
	if g.Level(0) != -1 || g.Level(1) != field.NameSwapLevel {
		t.Errorf("shifted surname: levels %d %d, want missing and swapped", g.Level(0), g.Level(1))
	}
	st, st2 := m.field[FStreet], m.field[FStreet2]
	if g.Level(st) != 0 || g.Level(st2) != 0 {
		t.Errorf("transposed address lines: levels %d %d, want exact", g.Level(st), g.Level(st2))
	}
	// One name transposed: "morrison" is the other record's first name.
	_, c := m.prepare(Person{FirstName: "Max", LastName: "Morrison"}.Record())
	_, d := m.prepare(Person{FirstName: "Morrison", LastName: "Riley"}.Record())
	if g := m.compare(c, d); g.Level(1) != field.NameSwapLevel {
		t.Errorf("half-transposed names: levels %d %d", g.Level(0), g.Level(1))
	}
}

// The "any order" names rule puts swapped names in one block; the fallback
// puts a surname in the first-name column with the records of that surname.
func TestBlockingKeys(t *testing.T) {
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	rule := func(name string) BlockingRule {
		for _, r := range m.cfg.Blocking {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no rule %q", name)
		return BlockingRule{}
	}
	_, a := m.prepare(Person{FirstName: "Isla", LastName: "Hall", BirthDate: "1970-01-02"}.Record())
	_, b := m.prepare(Person{FirstName: "Hall", LastName: "Isla", BirthDate: "1970"}.Record())
	_, c := m.prepare(Person{FirstName: "Hall", BirthDate: "02/01/1970"}.Record())
	if ka, kb := m.blockKey(rule("soundex(names, any order)"), a), m.blockKey(rule("soundex(names, any order)"), b); ka == "" || ka != kb {
		t.Errorf("swapped names: keys %q %q", ka, kb)
	}
	if ka, kc := m.blockKey(rule("surname3+year"), a), m.blockKey(rule("surname3+year"), c); ka == "" || ka != kc {
		t.Errorf("shifted surname: keys %q %q", ka, kc)
	}
	if k := m.blockKey(rule("birth_date"), b); k != "" {
		t.Errorf("a year-only date blocks on the exact date: %q", k)
	}
}

// Over-frequent 01-01 birth dates are defaults: they are compared at year
// precision and never block on the exact date; common names weigh less than
// rare ones; no level weighs more than MaxWeight.
func TestPlaceholdersAndFrequencies(t *testing.T) {
	recs, _ := synthPeople(3000, 0.2, 11)
	for i := range recs {
		if i%3 == 0 {
			recs[i].Fields[FBirthDate] = recs[i].Fields[FBirthDate][:4] + "-01-01"
		}
		if i%10 == 0 {
			recs[i].Fields[FFirstName] = "john"
		}
	}
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Match(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	dob := m.field[FBirthDate]
	if !m.stats.yearOnly[dob] {
		t.Fatal("01-01 dates not detected as defaults")
	}
	if got := m.vals[0][dob]; len(got) != 4 {
		t.Errorf("placeholder date kept as %q", got)
	}
	first := m.field[FFirstName]
	common := m.fieldWeight(first, 0, "john")
	var rare float64
	for i, v := range m.vals {
		if v[first] != "john" && m.stats.tf[first][v[first]] < 0.001 {
			rare = m.fieldWeight(first, 0, m.vals[i][first])
			break
		}
	}
	if common >= rare {
		t.Errorf("exact match on a common name weighs %.1f, on a rare one %.1f", common, rare)
	}
	md := m.Model()
	for f, fm := range md.Fields {
		w := md.Weights()[f]
		for l := range w {
			if math.Abs(w[l]) > md.MaxWeight+1e-9 {
				t.Errorf("%s %s weighs %.1f", fm.Name, fm.Levels[l], w[l])
			}
		}
		for _, ch := range field.Chains(fm.Kind) {
			for k := 1; k < len(ch); k++ {
				if w[ch[k]] > w[ch[k-1]] {
					t.Errorf("%s: %s (%.1f) weighs more than %s (%.1f)", fm.Name, fm.Levels[ch[k]], w[ch[k]], fm.Levels[ch[k-1]], w[ch[k-1]])
				}
			}
		}
	}
}
