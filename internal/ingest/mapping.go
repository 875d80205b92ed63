package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// ContentHash identifies a payload's content: JSON with sorted keys, so key order and
// re-sends do not count as changes.
func ContentHash(payload map[string]any) string {
	b, _ := json.Marshal(payload) // encoding/json sorts map keys
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		s := strings.TrimSpace(x)
		return s, s != ""
	case json.Number:
		return x.String(), true
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x)), true
		}
		return fmt.Sprint(x), true
	case bool, int, int64, int32:
		return fmt.Sprint(x), true
	default:
		return "", false
	}
}

// DefaultTraitNames are the payload field names that become traits when a source does
// not map them itself, by trait. A field matches a name ignoring case, "_", "-" and
// spaces (first_name, First Name and FIRSTNAME are all firstName); any other unmapped
// field becomes the attribute of its own name.
var DefaultTraitNames = []struct {
	Target string
	Names  []string
}{
	{"firstName", []string{"firstName", "givenName", "first"}},
	{"lastName", []string{"lastName", "surname", "familyName", "last"}},
	{"name", []string{"name", "fullName"}},
	{"email", []string{"email", "emailAddress", "mail"}},
	{"phone", []string{"phone", "phoneNumber", "mobile", "tel", "telephone"}},
	{"birthDate", []string{"birthDate", "dateOfBirth", "dob"}},
	{"locale", []string{"locale", "language"}},
	{"address.line1", []string{"address", "address1", "street", "line1", "addressLine1"}},
	{"address.line2", []string{"address2", "line2", "addressLine2"}},
	{"address.city", []string{"city", "town", "suburb"}},
	{"address.postcode", []string{"postcode", "zip", "zipCode", "postalCode"}},
	{"address.region", []string{"region", "state", "county"}},
	{"address.country", []string{"country"}},
}

var defaultTargets = func() map[string]string {
	m := map[string]string{}
	for _, d := range DefaultTraitNames {
		for _, n := range d.Names {
			m[fieldKey(n)] = d.Target
		}
	}
	return m
}()

func fieldKey(field string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(field))
}

// defaultTarget maps a payload field name to a trait when the source names none.
func defaultTarget(field string) string {
	if t, ok := defaultTargets[fieldKey(field)]; ok {
		return t
	}
	return "attributes." + field
}

// EffectiveTraitFields is the trait mapping that applies to the source's records: its own
// mappings, then the default names (DefaultTraitNames) of the fields it does not map.
// Fields in neither become attributes.
func (s *Source) EffectiveTraitFields() map[string]string {
	out := make(map[string]string, len(s.TraitFields)+len(defaultTargets))
	for _, d := range DefaultTraitNames {
		for _, n := range d.Names {
			out[n] = d.Target
		}
	}
	for f, t := range s.TraitFields {
		out[f] = t
	}
	return out
}

// Map turns a payload into a record's traits and identifiers. Values that fail
// normalisation are kept as invalid values with the reason and never become identifiers.
func Map(src Source, n *normalize.Normalizer, rec *profile.Record, now time.Time) {
	rec.Traits = profile.Traits{}
	rec.Identifiers = nil
	rec.Invalid = nil
	bad := func(field, val string, err error) {
		rec.Invalid = append(rec.Invalid, profile.Invalid{Field: field, Value: normalize.Text(val), Reason: strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "), Source: src.Name, RecordID: rec.ID})
	}
	fields := make([]string, 0, len(rec.Payload))
	for f := range rec.Payload {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var addr profile.Address
	addID := func(t, v string) {
		idf := profile.Identifier{Type: t, Value: v}
		for _, x := range rec.Identifiers {
			if x == idf {
				return
			}
		}
		rec.Identifiers = append(rec.Identifiers, idf)
	}
	for _, f := range fields {
		if attrs, isMap := rec.Payload[f].(map[string]any); isMap && f == "attributes" {
			for k, v := range attrs {
				setAttr(rec, k, v)
			}
			continue
		}
		target, mapped := src.TraitFields[f]
		if !mapped {
			target = defaultTarget(f)
		}
		idType, isID := src.IdentifierFields[f]
		// A list is several values of the field: each is an identifier, and each e-mail
		// or phone a trait value; another trait takes a list of one value. A longer list
		// where one value is expected, or a nested element, is kept as an invalid value
		// with the reason. Lists mapped to attributes are kept as they are.
		if list, isList := rec.Payload[f].([]any); isList && (isID || !strings.HasPrefix(target, "attributes.")) {
			vals := listValues(f, list, bad)
			if isID {
				for _, raw := range vals {
					identify(n, idType, raw, addID)
				}
			}
			switch {
			case strings.HasPrefix(target, "attributes."):
				if mapped {
					setAttr(rec, strings.TrimPrefix(target, "attributes."), list)
				}
			case multiValued(target):
				for _, raw := range vals {
					mapTrait(rec, &addr, n, f, target, raw, now, bad)
				}
			case len(vals) == 1:
				mapTrait(rec, &addr, n, f, target, vals[0], now, bad)
			case len(vals) > 1:
				bad(f, strings.Join(vals, ", "), fmt.Errorf("a list of %d values where %s takes one", len(vals), target))
			}
			continue
		}
		raw, ok := asString(rec.Payload[f])
		if isID && ok {
			identify(n, idType, raw, addID)
		}
		if !mapped && isID && strings.HasPrefix(target, "attributes.") {
			continue // an identifier such as customer_no is shown as an identity, not twice
		}
		if !ok {
			if strings.HasPrefix(target, "attributes.") && rec.Payload[f] != nil {
				setAttr(rec, strings.TrimPrefix(target, "attributes."), rec.Payload[f])
			} else if isObject(rec.Payload[f]) {
				bad(f, "", fmt.Errorf("an object where %s takes one value", target))
			}
			continue
		}
		mapTrait(rec, &addr, n, f, target, raw, now, bad)
	}
	if !addr.IsZero() {
		rec.Traits.Addresses = []profile.Address{addr}
	}
}

// maxListValues bounds the values taken from one list field (more are reported invalid).
const maxListValues = 20

func multiValued(target string) bool { return target == "email" || target == "phone" }

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// listValues returns the scalar elements of a list field as strings; nested lists and
// objects, and elements past maxListValues, are reported.
func listValues(field string, list []any, bad func(field, val string, err error)) []string {
	var out []string
	for i, el := range list {
		s, ok := asString(el)
		switch {
		case el == nil:
		case !ok:
			bad(field, "", fmt.Errorf("element %d is a list or object, not a value", i+1))
		case len(out) == maxListValues:
			bad(field, s, fmt.Errorf("more than %d values in one field: element %d ignored", maxListValues, i+1))
		default:
			out = append(out, s)
		}
	}
	return out
}

// identify adds a raw value as an identifier of the given type, normalised; values that
// do not normalise are left to the trait mapping to report.
func identify(n *normalize.Normalizer, idType, raw string, addID func(t, v string)) {
	switch idType {
	case "email":
		if v, err := n.Email(raw); err == nil {
			addID("email", v)
		}
	case "phone":
		if v, err := n.Phone(raw); err == nil {
			addID("phone", v)
		}
	default:
		if v := strings.TrimSpace(strings.NewReplacer("\t", " ", "\n", " ").Replace(normalize.Text(raw))); v != "" {
			addID(idType, v)
		}
	}
}

// mapTrait sets one trait from one raw value of field f.
func mapTrait(rec *profile.Record, addr *profile.Address, n *normalize.Normalizer, f, target, raw string, now time.Time, bad func(field, val string, err error)) {
	switch target {
	case "firstName":
		rec.Traits.FirstName = normalize.Name(raw)
	case "lastName":
		rec.Traits.LastName = normalize.Name(raw)
	case "name":
		parts := strings.Fields(normalize.Name(raw))
		if len(parts) > 0 {
			rec.Traits.FirstName = parts[0]
			rec.Traits.LastName = strings.Join(parts[1:], " ")
		}
	case "email":
		if v, err := n.Email(raw); err == nil {
			rec.Traits.Emails = appendNew(rec.Traits.Emails, v)
		} else {
			bad(f, raw, err)
		}
	case "phone":
		if v, err := n.Phone(raw); err == nil {
			rec.Traits.Phones = appendNew(rec.Traits.Phones, v)
		} else {
			bad(f, raw, err)
		}
	case "birthDate":
		if v, err := normalize.Date(raw, now); err == nil {
			rec.Traits.BirthDate = v
		} else {
			bad(f, raw, err)
		}
	case "locale":
		rec.Traits.Locale = normalize.Name(raw)
	case "address.line1":
		addr.Line1 = normalize.Name(raw)
	case "address.line2":
		addr.Line2 = normalize.Name(raw)
	case "address.city":
		addr.City = normalize.Name(raw)
	case "address.postcode":
		addr.Postcode = strings.ToUpper(normalize.Name(raw))
	case "address.region":
		addr.Region = normalize.Name(raw)
	case "address.country":
		addr.Country = normalize.Name(raw)
	default:
		setAttr(rec, strings.TrimPrefix(target, "attributes."), rec.Payload[f])
	}
}

// setAttr keeps a custom attribute, its text cleaned of control characters (tab and
// newline stay) at every depth.
func setAttr(rec *profile.Record, k string, v any) {
	if rec.Traits.Attributes == nil {
		rec.Traits.Attributes = map[string]any{}
	}
	rec.Traits.Attributes[normalize.Name(k)] = cleanValue(v)
}

func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return normalize.Text(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[normalize.Name(k)] = cleanValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cleanValue(e)
		}
		return out
	}
	return v
}

func appendNew(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
