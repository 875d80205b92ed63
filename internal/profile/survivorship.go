package profile

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/tessera-cdp/tessera/internal/normalize"
)

// Rules chooses the survivorship rule per trait; attributes use the "attributes" entry.
type Rules map[string]Rule

// DefaultRules: names from the most trusted source (people correct names in the CRM, not
// in the newsletter form), contact points as a union, birth date by majority (one typo
// loses to two agreeing sources), locale and attributes from the freshest record.
func DefaultRules() Rules {
	return Rules{
		"firstName": SourcePriority, "lastName": SourcePriority,
		"emails": Union, "phones": Union, "addresses": Union,
		"birthDate": MostFrequent, "locale": MostRecent, "attributes": MostRecent,
	}
}

type candidate struct {
	value any
	rec   *Record
	prio  int
}

// Compute derives a profile's traits, provenance and invalid values from its records.
// priority gives each source's survivorship priority. The result does not depend on the
// order of records.
func Compute(records []Record, priority map[string]int, rules Rules) (Traits, []Provenance, []Invalid) {
	recs := make([]*Record, len(records))
	for i := range records {
		recs[i] = &records[i]
	}
	// Newest first, ties by id: every rule below breaks ties in this order.
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].ObservedAt.Equal(recs[j].ObservedAt) {
			return recs[i].ObservedAt.After(recs[j].ObservedAt)
		}
		return recs[i].ID < recs[j].ID
	})
	var t Traits
	var prov []Provenance
	var inv []Invalid
	pick := func(field string, get func(*Record) any) any {
		var cands []candidate
		for _, r := range recs {
			if v := get(r); v != nil {
				cands = append(cands, candidate{v, r, priority[r.Source]})
			}
		}
		if len(cands) == 0 {
			return nil
		}
		rule := rules[field]
		if strings.HasPrefix(field, "attributes.") {
			rule = rules["attributes"]
		}
		c := choose(cands, rule)
		prov = append(prov, Provenance{Field: field, Value: c.value, Source: c.rec.Source, RecordID: c.rec.ID, ReceivedAt: c.rec.ObservedAt, Rule: rule})
		return c.value
	}
	str := func(f func(*Record) string) func(*Record) any {
		return func(r *Record) any {
			if s := f(r); s != "" {
				return s
			}
			return nil
		}
	}
	if v := pick("firstName", str(func(r *Record) string { return r.Traits.FirstName })); v != nil {
		t.FirstName = v.(string)
	}
	if v := pick("lastName", str(func(r *Record) string { return r.Traits.LastName })); v != nil {
		t.LastName = v.(string)
	}
	if v := pick("birthDate", str(func(r *Record) string { return r.Traits.BirthDate })); v != nil {
		t.BirthDate = v.(string)
	}
	if v := pick("locale", str(func(r *Record) string { return r.Traits.Locale })); v != nil {
		t.Locale = v.(string)
	}
	// Union fields: every distinct value, newest first, each with the record that last said it.
	union := func(field string, vals func(*Record) []string) []string {
		seen := map[string]bool{}
		var out []string
		for _, r := range recs {
			for _, v := range vals(r) {
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
					prov = append(prov, Provenance{Field: field, Value: v, Source: r.Source, RecordID: r.ID, ReceivedAt: r.ObservedAt, Rule: Union})
				}
			}
		}
		return out
	}
	t.Emails = union("emails", func(r *Record) []string { return r.Traits.Emails })
	t.Phones = union("phones", func(r *Record) []string { return r.Traits.Phones })
	seenAddr := map[string]bool{}
	for _, r := range recs {
		for _, a := range r.Traits.Addresses {
			k := normalize.Fold(a.Line1) + "|" + normalize.Postcode(a.Postcode) + "|" + normalize.Fold(a.City)
			if !seenAddr[k] {
				seenAddr[k] = true
				t.Addresses = append(t.Addresses, a)
				prov = append(prov, Provenance{Field: "addresses", Value: FormatAddress(a), Source: r.Source, RecordID: r.ID, ReceivedAt: r.ObservedAt, Rule: Union})
			}
		}
	}
	keys := map[string]bool{}
	for _, r := range recs {
		for k := range r.Traits.Attributes {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		v := pick("attributes."+k, func(r *Record) any { return r.Traits.Attributes[k] })
		if v != nil {
			if t.Attributes == nil {
				t.Attributes = map[string]any{}
			}
			t.Attributes[k] = v
		}
	}
	for _, r := range recs {
		inv = append(inv, r.Invalid...)
	}
	return t, prov, inv
}

// choose applies one rule to candidates ordered newest first.
func choose(cands []candidate, rule Rule) candidate {
	switch rule {
	case SourcePriority:
		best := cands[0]
		for _, c := range cands[1:] {
			if c.prio > best.prio {
				best = c
			}
		}
		return best
	case FirstSeen:
		return cands[len(cands)-1]
	case MostFrequent:
		counts := map[string]int{}
		for _, c := range cands {
			counts[fmt.Sprint(c.value)]++
		}
		best := cands[0]
		for _, c := range cands[1:] {
			n, bn := counts[fmt.Sprint(c.value)], counts[fmt.Sprint(best.value)]
			if n > bn || (n == bn && c.prio > best.prio && !reflect.DeepEqual(c.value, best.value)) {
				best = c
			}
		}
		return best
	default: // MostRecent
		return cands[0]
	}
}

// FormatAddress renders an address on one line.
func FormatAddress(a Address) string {
	var parts []string
	for _, s := range []string{a.Line1, a.Line2, a.City, a.Postcode, a.Region, a.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// SearchTokens returns the folded tokens a profile is found by: name parts, e-mail
// addresses and their parts, phone digits (full and national tail), and the id.
func SearchTokens(id string, t Traits) []string {
	set := map[string]bool{strings.ToLower(id): true}
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" {
				set[s] = true
			}
		}
	}
	add(normalize.Tokens(t.FirstName + " " + t.LastName)...)
	for _, e := range t.Emails {
		add(e)
		add(normalize.Tokens(e)...)
	}
	for _, p := range t.Phones {
		digits := strings.TrimPrefix(p, "+")
		add(digits)
		if len(digits) > 9 {
			add(digits[len(digits)-9:]) // national significant number, typed without country code
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
