package matching

import (
	"context"
	"math"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizers(t *testing.T) {
	for in, want := range map[string]string{"O'Brien": "obrien", " Mary-Jane ": "maryjane", "Zoë": "zoë", "": "",
		"Mr John": "john", "Dr. Anna Maria": "annamaria", "Sir": "", "Smith Jr": "smith", "Unknown": "", "N/A": "", "-": "", "Mrs": ""} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"19560409": "19560409", "1956-04-09": "19560409", " 1956/04/09": "19560409",
		"1956-0409": "", "09/04/1956": "19560409", "9.4.1956": "19560409", "25/12/1956": "19561225", "12/25/1956": "19561225",
		"abcdefgh": "", "": "", "19561399": "19561399", "1811-81-01": "18118101", "1956-04-09T00:00:00Z": "19560409",
		"9 April 1956": "19560409", "April 9th, 1956": "19560409", "Apr 1956": "195604", "1956-04": "195604", "04/1956": "195604",
		"1956": "1956", "1956-00-00": "1956", "1956-04-00": "195604", "09041956": "19560409", "56": "", "0956-04-09": "",
		"unknown": "", "Sept 3 1956": "19560903"} {
		if got := NormalizeDate(in); got != want {
			t.Errorf("NormalizeDate(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"04/09/1956": "19560409", "25/12/1956": "19561225", "12/25/1956": "19561225"} {
		if got := ParseDate(in, MonthFirst); got != want {
			t.Errorf("ParseDate(%q, MonthFirst) = %q, want %q", in, got, want)
		}
	}
	if got := NormalizeText("  Wallaby   Place, Unit 3 "); got != "wallaby place unit 3" {
		t.Errorf("NormalizeText = %q", got)
	}
	if got := NormalizeCode(" 2 1-19 "); got != "2119" {
		t.Errorf("NormalizeCode = %q", got)
	}
	for in, want := range map[string]string{"robert": "R163", "rupert": "R163", "ashcraft": "A261", "tymczak": "T522", "pfister": "P236", "": "", "42": ""} {
		if got := Soundex(in); got != want {
			t.Errorf("Soundex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompareField(t *testing.T) {
	cases := []struct {
		k    Kind
		a, b string
		want string
	}{
		{KindName, "mitchell", "mitchell", "exact"},
		{KindName, "mitchell", "mitchel", "close"},
		{KindName, "isabelle", "isabel", "close"},
		{KindName, "smith", "smyth", "somewhat"},
		{KindName, "mitchell", "green", "different"},
		{KindName, "", "green", "missing"},
		{KindDate, "19560409", "19560409", "exact"},
		{KindDate, "19560409", "19560408", "one-digit-or-transposed"},
		{KindDate, "19560409", "19650409", "one-digit-or-transposed"},
		{KindDate, "19560409", "19560904", "one-digit-or-transposed"}, // day/month swapped
		{KindDate, "19560409", "19561122", "same-year-or-two-edits"},
		{KindDate, "19560409", "1956", "partial"},
		{KindDate, "195604", "19560409", "partial"},
		{KindDate, "1956", "1956", "partial"},
		{KindDate, "195605", "19560409", "same-year-or-two-edits"},
		{KindDate, "1957", "19560409", "different"},
		{KindDate, "19560409", "19710101", "different"},
		{KindCode, "2119", "2191", "one-edit"},
		{KindCode, "2119", "219", "one-edit"},
		{KindCode, "2119", "3165", "different"},
		{KindExact, "nsw", "vic", "different"},
		{KindEmail, "robert255@smith.net", "robert255@smyth.net", "same-user"},
		{KindEmail, "roberta25@smith.net", "robert255@smith.net", "close"},
		{KindEmail, "a@x.org", "zed@y.com", "different"},
	}
	for _, c := range cases {
		got := "missing"
		if l := CompareField(c.k, c.a, c.b); l >= 0 {
			got = Levels(c.k)[l]
		}
		if got != c.want {
			t.Errorf("CompareField(%d, %q, %q) = %s, want %s (jw %.3f)", c.k, c.a, c.b, got, c.want, JaroWinkler(c.a, c.b))
		}
	}
}

func TestSwappedNames(t *testing.T) {
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, a := m.prepare(Person{FirstName: "Isla", LastName: "Hall"}.Record())
	_, b := m.prepare(Person{FirstName: "Hall", LastName: "Isla"}.Record())
	g := m.compare(a, b)
	if g.level(0) != 3 || g.level(1) != 3 {
		t.Errorf("swapped names: levels %d %d, want 3 3", g.level(0), g.level(1))
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
	if g.level(0) != -1 || g.level(1) != nameSwapLevel {
		t.Errorf("shifted surname: levels %d %d, want missing and swapped", g.level(0), g.level(1))
	}
	st, st2 := m.field[FStreet], m.field[FStreet2]
	if g.level(st) != 0 || g.level(st2) != 0 {
		t.Errorf("transposed address lines: levels %d %d, want exact", g.level(st), g.level(st2))
	}
	// One name transposed: "morrison" is the other record's first name.
	_, c := m.prepare(Person{FirstName: "Max", LastName: "Morrison"}.Record())
	_, d := m.prepare(Person{FirstName: "Morrison", LastName: "Riley"}.Record())
	if g := m.compare(c, d); g.level(1) != nameSwapLevel {
		t.Errorf("half-transposed names: levels %d %d", g.level(0), g.level(1))
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
		w := md.fieldWeights(f)
		for l := range w {
			if math.Abs(w[l]) > md.MaxWeight+1e-9 {
				t.Errorf("%s %s weighs %.1f", fm.Name, fm.Levels[l], w[l])
			}
		}
		for _, ch := range levelChains[fm.Kind] {
			for k := 1; k < len(ch); k++ {
				if w[ch[k]] > w[ch[k-1]] {
					t.Errorf("%s: %s (%.1f) weighs more than %s (%.1f)", fm.Name, fm.Levels[ch[k]], w[ch[k]], fm.Levels[ch[k-1]], w[ch[k-1]])
				}
			}
		}
	}
}

// FuzzNormalize checks the normalisers never panic, are idempotent and
// produce only the characters the comparators and blocking keys expect.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"O'Brien", "1956-04-09", "19560409", "Zoë Ångström", "", "\xff\xfe", "1956/04/09", "  a  b ",
		"Dr. John Smith Jr", "m r", "N/A", "9 April 1956", "April 9th, 1956", "04/1956", "1956", "09041956", "1956-04-09T10:00",
		"31/12/1999", "12/31/1999", "1956-00-00", "Sept 1956"} {
		f.Add(s, "robert")
	}
	f.Fuzz(func(t *testing.T, s, other string) {
		n := NormalizeName(s)
		if NormalizeName(n) != n || !utf8.ValidString(n) {
			t.Fatalf("NormalizeName(%q) = %q not stable", s, n)
		}
		for _, r := range n {
			if !unicode.IsLetter(r) {
				t.Fatalf("NormalizeName(%q) = %q has non-letter", s, n)
			}
		}
		if x := NormalizeText(s); NormalizeText(x) != x {
			t.Fatalf("NormalizeText(%q) = %q not stable", s, x)
		}
		for _, order := range []DateOrder{DayFirst, MonthFirst} {
			d := ParseDate(s, order)
			if d != "" && (len(d) != 8 && len(d) != 6 && len(d) != 4 || !isDigits(d) || ParseDate(d, order) != d || d < "1800" || d >= "2200") {
				t.Fatalf("ParseDate(%q, %d) = %q", s, order, d)
			}
		}
		if nameNoise[n] || placeholder[n] {
			t.Fatalf("NormalizeName(%q) = %q is a title or placeholder", s, n)
		}
		if sx := Soundex(n); sx != "" && len(sx) != 4 {
			t.Fatalf("Soundex(%q) = %q", n, sx)
		}
		for k := range levelNames {
			a, b := normalize(k, s), normalize(k, other)
			if l := CompareField(k, a, b); l < -1 || l >= len(Levels(k)) {
				t.Fatalf("CompareField(%d, %q, %q) = %d", k, a, b, l)
			}
			want := map[bool]int{true: -1, false: 0}[a == ""]
			if k == KindDate && a != "" && len(a) != 8 {
				want = 2 // partial: a date known to the year or month only
			}
			if CompareField(k, a, a) != want {
				t.Fatalf("CompareField(%d, %q, itself) not exact", k, a)
			}
		}
	})
}
