package normalize

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var now = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func TestEmail(t *testing.T) {
	n := Default()
	cases := []struct{ in, want string }{
		{"  Ann@Example.COM ", "ann@example.com"},
		{"j.o.h.n+news@GoogleMail.com", "john@gmail.com"},
		{"j.o.h.n+news@example.org", "j.o.h.n+news@example.org"},
	}
	for _, c := range cases {
		got, err := n.Email(c.in)
		if err != nil || got != c.want {
			t.Errorf("Email(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "ann@@example.com", "+@gmail.com"} {
		if got, err := n.Email(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Email(%q) = %q, want ErrInvalid", bad, got)
		}
	}
}

func TestEmailRulesConfigurable(t *testing.T) {
	n := &Normalizer{DefaultRegion: "GB"}
	if got, _ := n.Email("j.o.h.n+x@gmail.com"); got != "j.o.h.n+x@gmail.com" {
		t.Fatalf("without rules the local part must stay, got %q", got)
	}
}

func TestPhone(t *testing.T) {
	n := Default()
	cases := []struct{ in, want string }{
		{"07911 123456", "+447911123456"},
		{"+44 7911 123456", "+447911123456"},
		{"0044 7911 123456", "+447911123456"},
		{"+1 (650) 253-0000", "+16502530000"},
	}
	for _, c := range cases {
		got, err := n.Phone(c.in)
		if err != nil || got != c.want {
			t.Errorf("Phone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	de := &Normalizer{DefaultRegion: "DE"}
	if got, err := de.Phone("030 123456"); err != nil || got != "+4930123456" {
		t.Errorf("default region DE: got %q, %v", got, err)
	}
	for _, bad := range []string{"", "0000000", "12", "abc"} {
		if _, err := n.Phone(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Phone(%q) want ErrInvalid, got %v", bad, err)
		}
	}
}

func TestNameFoldTokens(t *testing.T) {
	if got := Name("  Zoe\u0308   Mu\u0308ller "); got != "Zoë Müller" {
		t.Errorf("Name = %q", got)
	}
	if got := Fold("Zoë  MÜLLER"); got != "zoe muller" {
		t.Errorf("Fold = %q", got)
	}
	if got := strings.Join(Tokens("O'Brien-Smith, ann@x.io"), "|"); got != "o|brien|smith|ann|x|io" {
		t.Errorf("Tokens = %q", got)
	}
}

func TestDate(t *testing.T) {
	for in, want := range map[string]string{"1980-02-29": "1980-02-29", "19800229": "1980-02-29", "29/02/1980": "1980-02-29", "29.02.1980": "1980-02-29"} {
		if got, err := Date(in, now); err != nil || got != want {
			t.Errorf("Date(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"1981-02-29", "2030-01-01", "1850-01-01", "yesterday", ""} {
		if _, err := Date(bad, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("Date(%q) want ErrInvalid, got %v", bad, err)
		}
	}
}

func TestPostcode(t *testing.T) {
	if got := Postcode(" sw1a  1aa "); got != "SW1A1AA" {
		t.Errorf("Postcode = %q", got)
	}
}

// The normalisers take any bytes a source sends: they must not panic, and what they
// accept must be stable (normalising twice changes nothing) and valid UTF-8.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "J.O+x@gmail.com", "@", "a@b.c", "\xff@x.io"} {
		f.Add(s)
	}
	n := Default()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Email(s)
		if err != nil {
			return
		}
		again, err := n.Email(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, got, again, err)
		}
		if strings.Count(got, "@") != 1 {
			t.Fatalf("accepted %q with %d @", got, strings.Count(got, "@"))
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"07911 123456", "+1 650 253 0000", "0044", "+", "00000000000000000000"} {
		f.Add(s)
	}
	n := Default()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Phone(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") {
			t.Fatalf("%q -> %q is not E.164", s, got)
		}
		if again, err := n.Phone(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, got, again, err)
		}
	})
}

func FuzzNameAndDate(f *testing.F) {
	for _, s := range []string{"Zoë Müller", "  a  b ", "29/02/1980", "\u0301x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		n := Name(s)
		if Name(n) != n {
			t.Fatalf("Name not idempotent on %q", s)
		}
		_ = Tokens(s)
		if d, err := Date(s, now); err == nil {
			if d2, err := Date(d, now); err != nil || d2 != d {
				t.Fatalf("Date not idempotent: %q -> %q -> %q", s, d, d2)
			}
		}
	})
}
