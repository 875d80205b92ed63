package normalize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Issue 12 item 8: NUL and other control characters never reach stored names, text
// attributes or e-mail identifiers.
func TestControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"Ann\x00":                   "Ann",
		"An\x00n\x1b[31m Smith\x7f": "Ann[31m Smith",
		"Ann\tSmith\r\nJr":          "Ann Smith Jr",
		"\u202eevil\u202c Name":     "evil Name",
		"Zo\u0308e\u0085Li":         "Zöe Li",
		"\u200dzwj\u200c":           "\u200dzwj\u200c",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"line 1\r\nline 2\rline 3\n": "line 1\nline 2\nline 3\n",
		"a\tb\x00c\x07":              "a\tbc",
		"plain text":                 "plain text",
		"\u2066iso\u2069":            "iso",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	n := Default()
	for _, bad := range []string{"ann\x00@example.com", "ann@exa\x1bmple.com", "\u202eann@example.com"} {
		if v, err := n.Email(bad); err == nil {
			t.Errorf("Email(%q) accepted as %q", bad, v)
		}
	}
}

func controlFree(s string, allow string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return (unicode.IsControl(r) || isBidiControl(r)) && !strings.ContainsRune(allow, r)
	})
}

// FuzzText: Name and Text are idempotent, keep valid UTF-8 valid and leave no control
// characters (Text: tab and newline only).
func FuzzText(f *testing.F) {
	for _, s := range []string{"Ann\x00", "a\r\nb\rc", "\u202eabc", "\t\n\v\f", "plain", "\xff\x00", "Zo\u0308e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tx := Text(s)
		if Text(tx) != tx {
			t.Fatalf("Text not idempotent on %q", s)
		}
		if !controlFree(tx, "\t\n") || strings.ContainsRune(tx, '\r') {
			t.Fatalf("Text(%q) = %q keeps controls", s, tx)
		}
		if !Controlled(s) && tx != s {
			t.Fatalf("Text changed clean %q", s)
		}
		if !utf8.ValidString(s) {
			return
		}
		if !utf8.ValidString(tx) {
			t.Fatalf("Text(%q) is not UTF-8", s)
		}
		nm := Name(s)
		if Name(nm) != nm || !controlFree(nm, "") {
			t.Fatalf("Name(%q) = %q", s, nm)
		}
	})
}
