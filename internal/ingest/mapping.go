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

// defaultTarget maps a payload field name to a trait when the source names none.
func defaultTarget(field string) string {
	k := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(field))
	switch k {
	case "firstname", "givenname", "first":
		return "firstName"
	case "lastname", "surname", "familyname", "last":
		return "lastName"
	case "name", "fullname":
		return "name"
	case "email", "emailaddress", "mail":
		return "email"
	case "phone", "phonenumber", "mobile", "tel", "telephone":
		return "phone"
	case "birthdate", "dateofbirth", "dob":
		return "birthDate"
	case "locale", "language":
		return "locale"
	case "address", "address1", "street", "line1", "addressline1":
		return "address.line1"
	case "address2", "line2", "addressline2":
		return "address.line2"
	case "city", "town", "suburb":
		return "address.city"
	case "postcode", "zip", "zipcode", "postalcode":
		return "address.postcode"
	case "region", "state", "county":
		return "address.region"
	case "country":
		return "address.country"
	}
	return "attributes." + field
}

// Map turns a payload into a record's traits and identifiers. Values that fail
// normalisation are kept as invalid values with the reason and never become identifiers.
func Map(src Source, n *normalize.Normalizer, rec *profile.Record, now time.Time) {
	rec.Traits = profile.Traits{}
	rec.Identifiers = nil
	rec.Invalid = nil
	bad := func(field, val string, err error) {
		rec.Invalid = append(rec.Invalid, profile.Invalid{Field: field, Value: val, Reason: strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "), Source: src.Name, RecordID: rec.ID})
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
		raw, ok := asString(rec.Payload[f])
		if idType, isID := src.IdentifierFields[f]; isID && ok {
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
				addID(idType, raw)
			}
		}
		target, mapped := src.TraitFields[f]
		if !mapped {
			target = defaultTarget(f)
			if _, isID := src.IdentifierFields[f]; isID && strings.HasPrefix(target, "attributes.") {
				continue // an identifier such as customer_no is shown as an identity, not twice
			}
		}
		if !ok {
			if strings.HasPrefix(target, "attributes.") && rec.Payload[f] != nil {
				setAttr(rec, strings.TrimPrefix(target, "attributes."), rec.Payload[f])
			}
			continue
		}
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
			rec.Traits.Locale = raw
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
	if !addr.IsZero() {
		rec.Traits.Addresses = []profile.Address{addr}
	}
}

func setAttr(rec *profile.Record, k string, v any) {
	if rec.Traits.Attributes == nil {
		rec.Traits.Attributes = map[string]any{}
	}
	rec.Traits.Attributes[k] = v
}

func appendNew(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
