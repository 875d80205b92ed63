package consent

import (
	"fmt"
	"slices"
	"time"
)

// The consent_<channel> profile attributes (consent_email: true, "yes", "Y", 1...) were
// the convention before consent was recorded here: segment conditions read them as
// marketing consent. The migration turns each into a marketing statement once; after
// it, such attributes are plain attributes.

// AttributePrefix starts the attribute keys of the old convention.
const AttributePrefix = "consent_"

// MigrationSource is the source of statements made from attributes.
const MigrationSource = "migration"

var (
	// The values segment conditions read as granted, exactly.
	grantedWords   = []string{"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "1"}
	withdrawnWords = []string{"false", "False", "FALSE", "no", "No", "NO", "n", "N", "0"}
)

// AttributeStatus interprets an attribute value the way segment conditions did:
// granted for true, 1 and the strings true/yes/y/1 (lower, capitalised or upper case);
// withdrawn for false, 0 and false/no/n/0 likewise; anything else says nothing (ok
// false). An array grants when an element does (as the conditions read it), else
// withdraws when an element does. So a segment condition selects the same profiles
// after the migration as before.
func AttributeStatus(v any) (Status, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return Granted, true
		}
		return Withdrawn, true
	case int32:
		return numberStatus(float64(x))
	case int64:
		return numberStatus(float64(x))
	case int:
		return numberStatus(float64(x))
	case float64:
		return numberStatus(x)
	case string:
		switch {
		case slices.Contains(grantedWords, x):
			return Granted, true
		case slices.Contains(withdrawnWords, x):
			return Withdrawn, true
		}
	case []any:
		var out Status
		for _, e := range x {
			if _, nested := e.([]any); nested {
				continue // a nested array is no value to a condition
			}
			if s, ok := AttributeStatus(e); ok && (s == Granted || out == "") {
				out = s
			}
		}
		return out, out != ""
	}
	return "", false
}

func numberStatus(n float64) (Status, bool) {
	switch n {
	case 1:
		return Granted, true
	case 0:
		return Withdrawn, true
	}
	return "", false
}

// AttributeOrigin is where an attribute's value came from (its provenance).
type AttributeOrigin struct {
	Source, RecordID string
	At               time.Time
}

// MigratedEntryID is the id of the statement made from an attribute: one per attribute,
// so running the migration again adds nothing.
func MigratedEntryID(attribute string) string { return "migrated:" + attribute }

// FromAttributes returns the marketing statements a profile's consent_<channel>
// attributes make; origins gives each attribute's provenance (by attribute key), and
// fallback the time of attributes without one.
func FromAttributes(attrs map[string]any, origins map[string]AttributeOrigin, fallback, now time.Time) []Entry {
	var out []Entry
	for _, c := range Channels {
		k := AttributePrefix + string(c)
		v, ok := attrs[k]
		if !ok {
			continue
		}
		st, ok := AttributeStatus(v)
		if !ok {
			continue
		}
		o, has := origins[k]
		at := fallback
		note := fmt.Sprintf("from the attribute %s = %v", k, v)
		if has && !o.At.IsZero() {
			at = o.At
			note += fmt.Sprintf(" (source %s, record %s)", o.Source, o.RecordID)
		}
		out = append(out, Entry{ID: MigratedEntryID(k), Channel: c, Purpose: Marketing, Status: st, At: at.UTC().Truncate(time.Millisecond),
			RecordedAt: now.UTC().Truncate(time.Millisecond), Source: MigrationSource, Note: note})
	}
	return out
}
