package matching

import (
	"strings"
	"unicode"
)

// NormalizeName lower-cases and keeps letters only (spaces, hyphens,
// apostrophes and digits are noise for names: "O'Brien" == "obrien").
// Non-ASCII letters are kept; their case is folded.
func NormalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// NormalizeText lower-cases, keeps letters and digits, and collapses every
// other run of characters into a single space.
func NormalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		} else {
			space = true
		}
	}
	return b.String()
}

// NormalizeCode keeps ASCII letters and digits, lower-cased ("2 119" == "2119").
func NormalizeCode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// NormalizeDate turns YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD (surrounding spaces
// allowed) into YYYYMMDD. Calendar validity is not checked on purpose: a
// typo'd date ("19561309") is still strong evidence when compared digit-wise.
// Anything else yields "" (missing).
func NormalizeDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4] {
		s = s[:4] + s[5:7] + s[8:]
	}
	if len(s) != 8 {
		return ""
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ""
		}
	}
	return s
}

// NormalizeEmail lower-cases and trims.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func normalize(k Kind, s string) string {
	switch k {
	case KindName:
		return NormalizeName(s)
	case KindDate:
		return NormalizeDate(s)
	case KindCode:
		return NormalizeCode(s)
	case KindEmail:
		return NormalizeEmail(s)
	default:
		return NormalizeText(s)
	}
}

// Soundex is the American Soundex code of the ASCII letters of s ("" if none),
// used as a phonetic blocking key so "smith" and "smyth" share a block.
func Soundex(s string) string {
	const codes = "01230120022455012623010202" // a..z
	out := make([]byte, 0, 4)
	var last byte
	for i := 0; i < len(s) && len(out) < 4; i++ {
		c := s[i] | 0x20 // ASCII lower-case
		if c < 'a' || c > 'z' {
			continue
		}
		code := codes[c-'a']
		if len(out) == 0 {
			out = append(out, c-'a'+'A')
			last = code
			continue
		}
		if code != '0' && code != last {
			out = append(out, code)
		}
		if c != 'h' && c != 'w' { // h/w do not separate equal codes
			last = code
		}
	}
	if len(out) == 0 {
		return ""
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}
