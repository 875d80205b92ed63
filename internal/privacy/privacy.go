// Package privacy holds what GDPR erasure and access requests need besides the stores:
// the suppression list's keyed hash of identity keys, the identity keys a profile
// carries, redaction of a person's values in free text (ticket conversations), and the
// consent-like attributes of an access export.
//
// The suppression list stores HMAC-SHA256(installation key, "type:normalised value")
// and the identifier type, never the value: with the key (kept in the database,
// created once) a known value can be checked with one point read by _id, but the list
// itself does not reveal who was erased.
package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Suppression is one entry of the suppression list.
type Suppression struct {
	// Hash is the hex HMAC-SHA256 of the identity key under the installation key.
	Hash string
	// Type is the identifier type (email, phone, customer_id...).
	Type      string
	CreatedAt time.Time
	// Actor erased the customer whose identifier this was.
	Actor string
}

// Hash returns the hex HMAC-SHA256 of an identity key ("email:ann@example.com").
func Hash(key []byte, identityKey string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(identityKey))
	return hex.EncodeToString(m.Sum(nil))
}

// KeyType is the type part of an identity key.
func KeyType(identityKey string) string {
	t, _, _ := strings.Cut(identityKey, ":")
	return t
}

// ProfileKeys lists the identity keys a profile carries: the identities it owns and, as
// email: and phone: keys, the e-mails and phones of its traits (a value mapped as a
// trait only is still the person's). Sorted, without duplicates.
func ProfileKeys(p profile.Profile) []string {
	keys := slices.Clone(p.Identifiers)
	keys = append(keys, TraitKeys(p.Traits)...)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// TraitKeys are the email: and phone: keys of traits (already normalised by ingest).
func TraitKeys(t profile.Traits) []string {
	var keys []string
	for _, e := range t.Emails {
		keys = append(keys, profile.Identifier{Type: "email", Value: e}.Key())
	}
	for _, ph := range t.Phones {
		keys = append(keys, profile.Identifier{Type: "phone", Value: ph}.Key())
	}
	return keys
}

// Erased replaces a person's values in free text.
const Erased = "[erased]"

// Redactor returns a function that replaces each of the values in a text, ignoring case,
// where it stands as a whole word (not inside a longer word or number), by Erased.
// Values shorter than two characters are ignored. Applying it twice changes nothing.
func Redactor(values []string) func(string) string {
	var alts []string
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.Join(strings.Fields(v), " ")
		k := strings.ToLower(v)
		if utf8.RuneCountInString(v) < 2 || seen[k] || strings.Contains(strings.ToLower(Erased), k) {
			continue
		}
		seen[k] = true
		// Inner white space matches any run of white space.
		parts := strings.Fields(v)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		alts = append(alts, strings.Join(parts, `\s+`))
	}
	if len(alts) == 0 {
		return func(s string) string { return s }
	}
	// Longest first, so "Ann Smith" wins over "Ann".
	slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
	re := regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}])(` + strings.Join(alts, "|") + `)($|[^\p{L}\p{N}])`)
	return func(s string) string {
		// A match consumes the character after it, so "Ann Ann" needs a second pass.
		for range 4 {
			out := re.ReplaceAllString(s, "${1}"+Erased+"${3}")
			if out == s {
				break
			}
			s = out
		}
		return s
	}
}

var consentRe = regexp.MustCompile(`(?i)consent|opt[_ -]?(in|out)|marketing|newsletter|subscri|gdpr|permission|do[_ -]?not[_ -]?(contact|email|call|sell)|privacy|tracking`)

// ConsentLike reports whether an attribute name looks like a consent or preference
// (marketing_opt_in, newsletter, consent_given_at, do_not_call...).
func ConsentLike(name string) bool { return consentRe.MatchString(name) }
