// Package normalize turns identifiers and traits as sources send them into canonical
// forms. A value that cannot be normalised is reported with a reason: callers keep it as
// a trait but never use it as an identifier.
package normalize

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Normalizer holds the configurable parts: the phone region assumed for numbers without a
// country code, and per-domain e-mail rules.
type Normalizer struct {
	DefaultRegion string
	// EmailRules by lowercase domain. Gmail ignores dots and +tags, so two spellings
	// are one mailbox; other providers differ, hence configurable.
	EmailRules map[string]EmailRule
}

// EmailRule says how a provider canonicalises the local part.
type EmailRule struct {
	StripDots    bool
	StripPlusTag bool
	// CanonicalDomain replaces aliases such as googlemail.com.
	CanonicalDomain string
}

// Default returns the normaliser used when nothing is configured.
func Default() *Normalizer {
	gmail := EmailRule{StripDots: true, StripPlusTag: true, CanonicalDomain: "gmail.com"}
	return &Normalizer{
		DefaultRegion: "GB",
		EmailRules:    map[string]EmailRule{"gmail.com": gmail, "googlemail.com": gmail},
	}
}

// ErrInvalid is wrapped by every normalisation failure.
var ErrInvalid = errors.New("invalid value")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Email lowercases, trims and applies provider rules.
func (n *Normalizer) Email(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(norm.NFC.String(raw)))
	if s == "" {
		return "", invalid("empty e-mail")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", invalid("e-mail %q has no local part or domain", raw)
	}
	local, domain := s[:at], s[at+1:]
	if strings.ContainsAny(s, " \t\r\n,;<>()[]\\\"") || strings.Contains(local, "@") || Controlled(s) {
		return "", invalid("e-mail %q contains characters not allowed", raw)
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", invalid("e-mail %q has no valid domain", raw)
	}
	if len(s) > 254 {
		return "", invalid("e-mail longer than 254 characters")
	}
	if rule, ok := n.EmailRules[domain]; ok {
		if rule.StripPlusTag {
			if i := strings.IndexByte(local, '+'); i >= 0 {
				local = local[:i]
			}
		}
		if rule.StripDots {
			local = strings.ReplaceAll(local, ".", "")
		}
		if rule.CanonicalDomain != "" {
			domain = rule.CanonicalDomain
		}
		if local == "" {
			return "", invalid("e-mail %q has an empty mailbox", raw)
		}
	}
	return local + "@" + domain, nil
}

// Phone returns the number in E.164 form, e.g. +447911123456.
func (n *Normalizer) Phone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("empty phone number")
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	num, err := phonenumbers.Parse(s, n.DefaultRegion)
	if err != nil {
		return "", invalid("phone %q: %v", raw, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid("phone %q is not a valid number", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Name trims, composes Unicode (NFC) and folds runs of white space, keeping case and
// accents: it is the form shown to people. Control characters (NUL, escape, DEL, C1...)
// and the invisible bidirectional overrides are removed; tabs and line breaks count as
// white space.
func Name(raw string) string {
	return strings.Join(strings.Fields(norm.NFC.String(stripControls(raw, false))), " ")
}

// Text cleans free text (attribute values): control characters and bidirectional
// overrides are removed, except tab and newline; CR LF and lone CR become newline.
// Nothing else changes, so text that was clean stays byte for byte the same.
func Text(raw string) string {
	return stripControls(raw, true)
}

// Controlled reports whether s holds a character that Name or Text removes or changes.
func Controlled(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) })
}

// isBidiControl: the embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
// which reorder what is displayed around them ("Trojan Source" spoofing). The marks
// LRM and RLM, and ZWJ/ZWNJ that some scripts need, are kept.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// stripControls removes control characters. With layout, tab and newline are kept (CR LF
// and CR become newline); without, they and the other white-space controls become spaces.
func stripControls(s string, layout bool) string {
	if !Controlled(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevCR := false
	for _, r := range s {
		cr := r == '\r'
		switch {
		case layout && (r == '\t' || r == '\n'):
			if !(r == '\n' && prevCR) {
				b.WriteRune(r)
			}
		case layout && cr:
			b.WriteByte('\n')
		case !layout && unicode.IsSpace(r) && unicode.IsControl(r):
			b.WriteByte(' ')
		case unicode.IsControl(r) || isBidiControl(r):
		default:
			b.WriteRune(r)
		}
		prevCR = cr
	}
	return b.String()
}

var foldChain = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// Fold lowercases and removes accents, for comparisons and search tokens
// ("Zoë Müller" -> "zoe muller").
func Fold(s string) string {
	out, _, err := transform.String(foldChain, Name(s))
	if err != nil {
		out = Name(s)
	}
	return strings.ToLower(out)
}

var dateLayouts = []string{"2006-01-02", "20060102", "2006/01/02", "02/01/2006", "02.01.2006", "2-1-2006", "2006-1-2", time.RFC3339}

// Date parses common date spellings into YYYY-MM-DD. Day-first is assumed for slashed
// dates, as in the UK and most of Europe.
func Date(raw string, now time.Time) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("empty date")
	}
	for _, l := range dateLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if t.Year() < 1900 || t.After(now) {
			return "", invalid("date %q is out of range", raw)
		}
		return t.Format("2006-01-02"), nil
	}
	return "", invalid("date %q is not a recognised date", raw)
}

// Postcode uppercases and removes spaces so "sw1a 1aa" equals "SW1A1AA".
func Postcode(raw string) string {
	return strings.ToUpper(strings.Join(strings.Fields(raw), ""))
}

// Tokens splits text into folded search tokens of letters and digits.
func Tokens(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
