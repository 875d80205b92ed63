package matching

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizers(t *testing.T) {
	for in, want := range map[string]string{"O'Brien": "obrien", " Mary-Jane ": "maryjane", "Zoë": "zoë", "": ""} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"19560409": "19560409", "1956-04-09": "19560409", " 1956/04/09": "19560409",
		"1956-0409": "", "09/04/1956": "", "abcdefgh": "", "": "", "19561399": "19561399"} {
		if got := NormalizeDate(in); got != want {
			t.Errorf("NormalizeDate(%q) = %q, want %q", in, got, want)
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

// FuzzNormalize checks the normalisers never panic, are idempotent and
// produce only the characters the comparators and blocking keys expect.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"O'Brien", "1956-04-09", "19560409", "Zoë Ångström", "", "\xff\xfe", "1956/04/09", "  a  b "} {
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
		d := NormalizeDate(s)
		if d != "" && (len(d) != 8 || NormalizeDate(d) != d) {
			t.Fatalf("NormalizeDate(%q) = %q", s, d)
		}
		if sx := Soundex(n); sx != "" && len(sx) != 4 {
			t.Fatalf("Soundex(%q) = %q", n, sx)
		}
		for k := range levelNames {
			a, b := normalize(k, s), normalize(k, other)
			if l := CompareField(k, a, b); l < -1 || l >= len(Levels(k)) {
				t.Fatalf("CompareField(%d, %q, %q) = %d", k, a, b, l)
			}
			if CompareField(k, a, a) != map[bool]int{true: -1, false: 0}[a == ""] {
				t.Fatalf("CompareField(%d, %q, itself) not exact", k, a)
			}
		}
	})
}
