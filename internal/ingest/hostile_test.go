package ingest

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
)

var shop = Source{Name: "shop", Kind: "WEB_SHOP", IdentifierFields: map[string]string{"email": "email", "card": "loyalty_card"}}

func mapped(t *testing.T, payload map[string]any) *profile.Record {
	t.Helper()
	clean, err := checkPayload(payload, 0)
	if err != nil {
		t.Fatalf("checkPayload: %v", err)
	}
	r := &profile.Record{ID: "shop:1", Payload: clean.(map[string]any)}
	Map(shop, normalize.Default(), r, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return r
}

// Issue 12 item 8: a list of e-mails is several identifiers, not nothing.
func TestListValuesAreIdentifiers(t *testing.T) {
	r := mapped(t, map[string]any{"email": []any{"Ann@Example.com", "ann.work@example.com", "not-an-email", nil, []any{"x"}},
		"card": []any{"C-1", json.Number("42")}, "firstName": []any{"Ann"}, "lastName": []any{"Smith", "Jones"}, "phone": []any{"07911 123456"}})
	var got []string
	for _, idf := range r.Identifiers {
		got = append(got, idf.Key())
	}
	want := "loyalty_card:C-1 loyalty_card:42 email:ann@example.com email:ann.work@example.com" // fields in name order
	if strings.Join(got, " ") != want {
		t.Fatalf("identifiers %v, want %s", got, want)
	}
	if strings.Join(r.Traits.Emails, " ") != "ann@example.com ann.work@example.com" || r.Traits.FirstName != "Ann" || len(r.Traits.Phones) != 1 {
		t.Fatalf("traits %+v", r.Traits)
	}
	reasons := map[string]string{}
	for _, iv := range r.Invalid {
		reasons[iv.Field+" "+iv.Value] += iv.Reason
	}
	if len(r.Invalid) != 3 || !strings.Contains(reasons["email not-an-email"], "no local part") || !strings.Contains(reasons["email "], "element 5") ||
		!strings.Contains(reasons["lastName Smith, Jones"], "list of 2") {
		t.Fatalf("invalid values %+v", r.Invalid)
	}
	many := make([]any, 30)
	for i := range many {
		many[i] = strings.Repeat("a", i+1) + "@example.com"
	}
	if r := mapped(t, map[string]any{"email": many}); len(r.Identifiers) != maxListValues || len(r.Invalid) != 30-maxListValues {
		t.Fatalf("a list of 30: %d identifiers, %d invalid", len(r.Identifiers), len(r.Invalid))
	}
}

// Issue 12 item 8: control characters never reach names, traits or attributes.
func TestControlCharactersStripped(t *testing.T) {
	r := mapped(t, map[string]any{"email": "ann@example.com", "firstName": "An\x00n\x1b", "lastName": "Smi\u202eth", "city": "Lon\x07don",
		"locale": "en\x00-GB", "note": "line 1\r\nline 2\tend\x00", "prefs": map[string]any{"x": []any{"a\x00b"}}, "card": "C\x00-9"})
	tr := r.Traits
	if tr.FirstName != "Ann" || tr.LastName != "Smith" || tr.Addresses[0].City != "London" || tr.Locale != "en-GB" {
		t.Fatalf("traits %+v", tr)
	}
	if tr.Attributes["note"] != "line 1\nline 2\tend" || tr.Attributes["prefs"].(map[string]any)["x"].([]any)[0] != "ab" {
		t.Fatalf("attributes %#v", tr.Attributes)
	}
	if r.Identifiers[0].Key() != "loyalty_card:C-9" {
		t.Fatalf("custom identifier %+v", r.Identifiers)
	}
	if _, err := checkPayload(map[string]any{"bad\x01key": 1}, 0); err == nil {
		t.Fatal("a control character in a field name was accepted")
	}
}

// Issue 12 item 8: numbers are stored exactly, or as their text.
func TestNumbersStayExact(t *testing.T) {
	for in, want := range map[string]any{
		"12": int64(12), "-9223372036854775808": int64(-9223372036854775808), "9223372036854775808": "9223372036854775808",
		"123456789012345678901234567890": "123456789012345678901234567890", "0.1": 0.1, "2.5e3": 2500.0, "1e400": "1e400",
		"0.1000000000000000055511151231257827": "0.1000000000000000055511151231257827", "1.0": 1.0, "-0": int64(0), "1E2": 100.0,
		"9007199254740993.0": "9007199254740993.0", "1e-400": "1e-400", "1e9999999999": "1e9999999999",
	} {
		got, err := checkPayload(json.Number(in), 0)
		if err != nil || got != want {
			t.Errorf("%s -> %#v, %v; want %#v", in, got, err, want)
		}
	}
}

// Issue 12 item 8: source definitions name the entry that is wrong.
func TestSourceMappingErrors(t *testing.T) {
	for _, c := range []struct {
		ms   []Mapping
		want string
	}{
		{[]Mapping{{"email", "email"}, {"a.b", "email"}}, `input.identifierFields[1].field "a.b"`},
		{[]Mapping{{"mail", "emial"}}, `input.identifierFields[0].target "emial": unknown identifier type: did you mean "email"? Valid types are email, phone, customer_id`},
		{[]Mapping{{"tel", "phone_number"}}, `did you mean "phone"`},
		{[]Mapping{{"$where", "email"}}, "may not start with $"},
		{[]Mapping{{"e", "email"}, {"e", "phone"}}, "mapped twice"},
		{[]Mapping{{"x", "Email"}}, "lowercase"},
	} {
		_, err := IdentifierMappings("input.identifierFields", c.ms)
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(e.Msg, c.want) {
			t.Errorf("%v: %v, want %q", c.ms, err, c.want)
		}
	}
	for _, ok := range [][]Mapping{{{"card", "loyalty_card"}}, {{"soc_sec_id", "ssn"}}, {{"customer_no", "customer_id"}, {"email", "email"}}} {
		if _, err := IdentifierMappings("input.identifierFields", ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	if _, err := TraitMappings("input.traitFields", []Mapping{{"x", "attributes.a.b"}}); err == nil || !strings.Contains(err.Error(), "input.traitFields[0].target") {
		t.Errorf("nested attribute target: %v", err)
	}
	src := Source{Name: "s", Kind: "CRM", IdentifierFields: map[string]string{"a.b": "email"}}
	if err := src.Validate(); err == nil || !strings.Contains(err.Error(), `identifierFields["a.b"].field`) {
		t.Errorf("Validate: %v", err)
	}
}

// Issue 12 item 8: a source shows the trait mapping that applies, defaults included.
func TestEffectiveTraitFields(t *testing.T) {
	s := Source{TraitFields: map[string]string{"given": "firstName", "email": "attributes.contact"}}
	eff := s.EffectiveTraitFields()
	for f, want := range map[string]string{"given": "firstName", "firstName": "firstName", "surname": "lastName", "email": "attributes.contact", "zipCode": "address.postcode"} {
		if eff[f] != want {
			t.Errorf("%s -> %q, want %q", f, eff[f], want)
		}
	}
	// Every default name shown maps like a payload field of that name.
	for f, target := range (&Source{}).EffectiveTraitFields() {
		if defaultTarget(f) != target {
			t.Errorf("%s shown as %s, maps to %s", f, target, defaultTarget(f))
		}
	}
}

// FuzzExactNumber: a JSON number is stored as an int64 or float64 of exactly its value,
// or as its own text.
func FuzzExactNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "12", "1e400", "0.1", "9223372036854775808", "1.5e-7", "-12.500e+2", "1e-400", "00", "1.e3", "0 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n json.Number
		if json.Unmarshal([]byte(s), &n) != nil || len(s) > 60 {
			return
		}
		s = string(n) // without the white space JSON allows around it
		got, err := exactNumber(n)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if _, e, _ := strings.Cut(strings.ToLower(s), "e"); len(strings.TrimLeft(strings.TrimLeft(e, "+-"), "0")) > 4 {
			return // big.Rat would expand 10^e; such exponents are beyond any double anyway
		}
		exact, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", s)
		}
		switch v := got.(type) {
		case int64:
			if exact.Cmp(new(big.Rat).SetInt64(v)) != 0 {
				t.Fatalf("%s stored as int64 %d", s, v)
			}
		case float64:
			// The double's shortest form is the number sent.
			short, _ := new(big.Rat).SetString(big.NewFloat(v).Text('g', -1))
			if short == nil || short.Cmp(exact) != 0 {
				t.Fatalf("%s stored as float64 %v", s, v)
			}
		case string:
			if v != s {
				t.Fatalf("%s stored as %q", s, v)
			}
		default:
			t.Fatalf("%s stored as %T", s, got)
		}
	})
}

// FuzzMap: whatever a payload holds, mapping does not panic and leaves no control
// characters in traits or identifiers.
func FuzzMap(f *testing.F) {
	f.Add("Ann\x00", "a@example.com", "x\ty", true)
	f.Add("", "", "", false)
	f.Add("\u202e", "b@example.com\x00", "07911 123456", true)
	f.Fuzz(func(t *testing.T, name, email, other string, asList bool) {
		p := map[string]any{"firstName": name, "email": email, "city": other, "note": other, "card": other}
		if asList {
			p["email"] = []any{email, other, name}
			p["firstName"] = []any{name}
		}
		clean, err := checkPayload(p, 0)
		if err != nil {
			return
		}
		r := &profile.Record{ID: "shop:1", Payload: clean.(map[string]any)}
		Map(shop, normalize.Default(), r, time.Now())
		ctl := func(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }
		tr := r.Traits
		if ctl(tr.FirstName) || ctl(tr.LastName) || ctl(tr.Locale) || ctl(strings.Join(tr.Emails, "")) {
			t.Fatalf("control characters in %+v", tr)
		}
		for _, a := range tr.Addresses {
			if ctl(a.City) {
				t.Fatalf("control characters in %+v", a)
			}
		}
		for _, idf := range r.Identifiers {
			if ctl(idf.Value) || idf.Value == "" {
				t.Fatalf("identifier %+v", idf)
			}
		}
		if s, ok := tr.Attributes["note"].(string); ok && strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' }) {
			t.Fatalf("note %q", s)
		}
	})
}

// FuzzSourceMappings: a mapping accepted from the API gives a source that validates, and
// its field can appear in a payload.
func FuzzSourceMappings(f *testing.F) {
	for _, c := range [][2]string{{"email", "email"}, {"a.b", "email"}, {"card", "loyalty_card"}, {"x", "emial"}, {"$x", "phone"}, {"n", "attributes.a"}, {"n\x00", "email"}} {
		f.Add(c[0], c[1], c[1])
	}
	f.Fuzz(func(t *testing.T, field, idType, trait string) {
		ids, err := IdentifierMappings("input.identifierFields", []Mapping{{field, idType}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "input.identifierFields[0].") {
				t.Fatalf("error without the path: %v", err)
			}
			return
		}
		traits, err := TraitMappings("input.traitFields", []Mapping{{field, trait}})
		if err != nil {
			traits = nil
		}
		src := Source{Name: "s", Kind: "CRM", IdentifierFields: ids, TraitFields: traits}
		if err := src.Validate(); err != nil {
			t.Fatalf("accepted mapping %q -> %q, %q fails Validate: %v", field, idType, trait, err)
		}
		if _, err := checkPayload(map[string]any{field: "v"}, 0); err != nil {
			t.Fatalf("accepted field %q cannot appear in a payload: %v", field, err)
		}
	})
}
