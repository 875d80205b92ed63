package field

import (
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
			a, b := Normalize(k, DayFirst, s), Normalize(k, DayFirst, other)
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
