package matchjob

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Record maps a profile to the fields of the default schema (see RecordOf).
func Record(p profile.Profile) matching.Record { return RecordOf(matching.DefaultSchema(), p) }

// RecordOf maps a profile to a schema's fields: names, birth date, the first
// address (a leading house number of line 1 becomes the house number when the
// schema has one; city is the locality, region the region), phones and
// e-mails in order, and categorical fields from the address country
// ("country") or the profile's attributes of that name.
func RecordOf(sc matching.Schema, p profile.Profile) matching.Record {
	t := p.Traits
	f := map[string]string{}
	set := func(name, v string) {
		if name != "" && v != "" {
			f[name] = v
		}
	}
	set(sc.FirstName, t.FirstName)
	set(sc.LastName, t.LastName)
	set(sc.BirthDate, t.BirthDate)
	country := ""
	if len(t.Addresses) > 0 {
		a := t.Addresses[0]
		line1 := a.Line1
		if sc.HouseNumber != "" {
			var n string
			n, line1 = splitHouseNumber(a.Line1)
			set(sc.HouseNumber, n)
		}
		for i, l := range []string{line1, a.Line2} {
			if i < len(sc.AddressLines) {
				set(sc.AddressLines[i], l)
			}
		}
		set(sc.Locality, a.City)
		set(sc.Postcode, a.Postcode)
		set(sc.Region, a.Region)
		country = a.Country
	}
	for i, name := range sc.Phones {
		if i < len(t.Phones) {
			set(name, t.Phones[i])
		}
	}
	for i, name := range sc.Emails {
		if i < len(t.Emails) {
			set(name, t.Emails[i])
		}
	}
	for _, name := range sc.Categorical {
		if name == matching.FCountry && country != "" {
			set(name, country)
		} else if v, ok := t.Attributes[name]; ok && v != nil {
			set(name, fmt.Sprint(v))
		}
	}
	return matching.Record{ID: p.ID, Fields: f}
}

// splitHouseNumber splits "12a High Street" into "12a" and "High Street"; a line
// whose first word has no digit is all street.
func splitHouseNumber(line string) (number, street string) {
	line = strings.TrimSpace(line)
	first, rest, _ := strings.Cut(line, " ")
	first = strings.TrimRight(first, ",")
	if strings.IndexFunc(first, unicode.IsDigit) >= 0 && strings.TrimSpace(rest) != "" {
		return first, strings.TrimSpace(rest)
	}
	return "", line
}

// scored is a pair at or above the lower threshold, A and B being profile ids.
type scored struct {
	A, B     string
	Prob     float64
	Weight   float64
	Decision matching.Decision
	// Held: above the upper threshold, but the matcher's clustering did not join the
	// two sides (the pairs across their clusters do not support it).
	Held     bool
	Evidence []matching.Evidence
}

// focusedPairs compares every focus record with each record sharing a blocking key
// with it, scoring with the matcher's model and clustering as the matcher does. It
// returns the pairs at or above the lower threshold and the number of pairs compared.
func focusedPairs(ctx context.Context, m *matching.Matcher, recs []matching.Record, focus map[string]bool) ([]scored, int, error) {
	res, err := m.MatchFocused(ctx, recs, focus)
	if err != nil {
		return nil, 0, err
	}
	return scoredPairs(m, res, nil), res.PairsCompared, nil
}

// scoredPairs converts a result's pairs, keeping those with a side in focus (all if
// focus is nil).
func scoredPairs(m *matching.Matcher, res *matching.Result, focus map[string]bool) []scored {
	var out []scored
	for _, p := range res.Pairs {
		if focus != nil && !focus[p.A] && !focus[p.B] {
			continue
		}
		out = append(out, scored{A: p.A, B: p.B, Prob: p.Prob, Weight: p.Weight, Decision: p.Decision, Held: p.Held, Evidence: m.Explain(p)})
	}
	return out
}

// evidence keeps the fields with a value on either side, oriented so that A is the
// profile a (the pair may have been scored the other way round).
func evidence(ev []matching.Evidence, swapped bool) []Evidence {
	out := make([]Evidence, 0, len(ev))
	for _, e := range ev {
		if e.A == "" && e.B == "" {
			continue
		}
		x := Evidence{Field: e.Field, A: e.A, B: e.B, Level: e.Level, Weight: e.Weight}
		if swapped {
			x.A, x.B = x.B, x.A
		}
		out = append(out, x)
	}
	return out
}
