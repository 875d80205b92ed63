package segment

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

func f64(x float64) *float64 { return &x }
func bl(b bool) *bool        { return &b }

func nest(depth int) Rule {
	r := Trait(FieldFirstName, Exists, "")
	for i := 1; i < depth; i++ {
		r = Not(r)
	}
	return r
}

func manyConds(n int) Rule {
	rs := make([]Rule, n)
	for i := range rs {
		rs[i] = Trait(FieldCountry, EQ, "UK")
	}
	return And(rs...)
}

func TestValidateOK(t *testing.T) {
	for _, r := range []Rule{
		Trait(FieldCountry, EQ, "United Kingdom"),
		Trait(FieldBirthDate, LT, "1990-01-01"),
		Trait(FieldFirstName, EQ, ""),
		TraitIn(FieldEmail, NotIn, "a@example.com", "b@example.com"),
		TraitNumber("attributes.score", GTE, 3.5),
		{Trait: &TraitCond{Field: "attributes.vip", Op: NE, Bool: bl(true)}},
		Trait("attributes.A_1", StartsWith, "x"),
		Trait("attributes."+strings.Repeat("a", 64), Exists, ""),
		{Identifier: &IdentifierCond{Type: "email"}},
		{Identifier: &IdentifierCond{Type: "crm_id", Value: "C-17"}},
		MetricIs(MetricNetRevenue, GT, 12.5),
		MetricIs(MetricDaysSinceLastOrder, LTE, 30),
		MetricIs(MetricAOV, LT, -3),
		{Orders: &CountCond{AtLeast: Int(2), WithinDays: Int(90)}},
		{Orders: &CountCond{AtMost: Int(0)}},
		{Orders: &CountCond{}},
		{Orders: &CountCond{AtLeast: Int(1), Statuses: []string{"cancelled", "refunded"}, Channel: "pos"}},
		{Interactions: &CountCond{AtLeast: Int(3), Channel: "email", WithinDays: Int(3650)}},
		{Tickets: &CountCond{AtLeast: Int(1), AtMost: Int(1), Statuses: []string{"open", "pending"}, Channel: "web_form"}},
		{Consent: &ConsentCond{Channel: "sms", Granted: true}},
		{Consent: &ConsentCond{Channel: "push", Purpose: "TRANSACTIONAL"}},
		And(Or(Trait(FieldCity, CONTAINS_, "lon"), Not(MetricIs(MetricOrders, EQ, 0))), Trait(FieldLocale, Exists, "")),
		nest(MaxDepth),
		manyConds(MaxConditions),
		TraitIn(FieldCity, IN, make([]string, MaxValues)...),
		Trait(FieldLastName, EQ, strings.Repeat("é", MaxValueBytes/2)),
	} {
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

// CONTAINS_ keeps the table above readable.
const CONTAINS_ = Contains

func TestValidateErrors(t *testing.T) {
	for _, tc := range []struct {
		r    Rule
		want string
	}{
		{Rule{}, "rule: empty rule"},
		{Rule{And: []Rule{}}, "rule.and: needs at least one rule"},
		{Rule{Or: []Rule{Trait(FieldCity, Exists, "")}, Trait: &TraitCond{Field: FieldCity, Op: Exists}}, "rule: a rule sets exactly one of its fields, found or, trait"},
		{And(Trait(FieldCity, Exists, ""), Trait("foo", EQ, "x")), `rule.and[1].trait.field: unknown field "foo"`},
		{Or(Not(Trait(FieldCity, "LIKE", "x"))), `rule.or[0].not.trait.op: unknown operator "LIKE"`},
		{Trait("attributes.$where", EQ, "x"), `rule.trait.field: attribute key "$where" must match`},
		{Trait("attributes.a.b", EQ, "x"), `rule.trait.field: attribute key "a.b" must match`},
		{Trait("attributes.x\x00", EQ, "x"), `rule.trait.field: attribute key "x\x00" must match`},
		{Trait("attributes.", EQ, "x"), `rule.trait.field: attribute key "" must match`},
		{Trait("attributes.1a", EQ, "x"), `attribute key "1a" must match`},
		{Trait("attributes."+strings.Repeat("a", 65), EQ, "x"), `must match`},
		{Trait("traits.firstName", EQ, "x"), `unknown field "traits.firstName"`},
		{Trait(FieldCity, EQ, "a\x00b"), "rule.trait.value: contains a NUL byte"},
		{Trait(FieldCity, EQ, "\xff"), "rule.trait.value: not valid UTF-8"},
		{Trait(FieldCity, EQ, strings.Repeat("x", MaxValueBytes+1)), "rule.trait.value: longer than 256 bytes"},
		{TraitIn(FieldCity, IN), "rule.trait.values: IN needs at least one value"},
		{TraitIn(FieldCity, IN, make([]string, MaxValues+1)...), "rule.trait.values: more than 500 values"},
		{TraitIn(FieldCity, IN, "a", strings.Repeat("x", 300)), "rule.trait.values[1]: longer than 256 bytes"},
		{Rule{Trait: &TraitCond{Field: FieldCity, Op: IN, Value: "x", Values: []string{"a"}}}, "rule.trait: IN takes values, not value, number or bool"},
		{Rule{Trait: &TraitCond{Field: FieldCity, Op: EQ, Values: []string{"a"}}}, "rule.trait.values: only IN and NOT_IN take values"},
		{Trait(FieldCity, Exists, "x"), "rule.trait: EXISTS takes no operand"},
		{Trait(FieldCity, Contains, ""), "rule.trait.value: CONTAINS needs a non-empty value"},
		{TraitNumber(FieldCity, GT, 1), "rule.trait.number: numeric comparison is only for attributes, not city"},
		{TraitNumber("attributes.n", GT, math.NaN()), "rule.trait.number: must be a finite number"},
		{TraitNumber("attributes.n", Contains, 1), "rule.trait: CONTAINS compares strings: set value"},
		{Rule{Trait: &TraitCond{Field: "attributes.n", Op: EQ, Number: f64(1), Bool: bl(true)}}, "rule.trait: set at most one of number and bool"},
		{Rule{Trait: &TraitCond{Field: "attributes.n", Op: EQ, Number: f64(1), Value: "1"}}, "rule.trait.value: set either value or a typed operand"},
		{Rule{Trait: &TraitCond{Field: "attributes.n", Op: GT, Bool: bl(true)}}, "rule.trait.bool: GT does not compare booleans"},
		{Rule{Trait: &TraitCond{Field: FieldCity, Op: EQ, Bool: bl(true)}}, "rule.trait.bool: boolean comparison is only for attributes"},
		{Rule{Identifier: &IdentifierCond{Type: "em:ail"}}, `rule.identifier.type: identifier type "em:ail" must match`},
		{Rule{Identifier: &IdentifierCond{Type: ""}}, `rule.identifier.type: identifier type "" must match`},
		{Rule{Identifier: &IdentifierCond{Type: "$gt"}}, `identifier type "$gt" must match`},
		{MetricIs("CLV", GT, 1), `rule.metric.metric: unknown metric "CLV"`},
		{MetricIs(MetricOrders, IN, 1), `rule.metric.op: metrics compare with EQ, NE, GT, GTE, LT or LTE, not "IN"`},
		{MetricIs(MetricOrders, GT, math.Inf(1)), "rule.metric.value: must be a finite number"},
		{MetricIs(MetricNetRevenue, GT, 2e12), "rule.metric.value: must be a finite number of magnitude at most 1e+12"},
		{MetricIs(MetricDaysSinceLastOrder, GT, -1), "rule.metric.value: days must be between 0 and 36500"},
		{Rule{Orders: &CountCond{AtLeast: Int(-1)}}, "rule.orders.atLeast: must be between 0 and 1000000"},
		{Rule{Orders: &CountCond{AtMost: Int(-1)}}, "rule.orders.atMost: must be between 0 and 1000000"},
		{Rule{Orders: &CountCond{AtLeast: Int(3), AtMost: Int(2)}}, "rule.orders: atLeast 3 is greater than atMost 2"},
		{Rule{Orders: &CountCond{WithinDays: Int(0)}}, "rule.orders.withinDays: must be between 1 and 3650"},
		{Rule{Tickets: &CountCond{WithinDays: Int(3651)}}, "rule.tickets.withinDays: must be between 1 and 3650"},
		{Rule{Interactions: &CountCond{Channel: "fax"}}, `rule.interactions.channel: unknown interactions channel "fax"`},
		{Rule{Interactions: &CountCond{Statuses: []string{"open"}}}, "rule.interactions.statuses: interactions have no status"},
		{Rule{Tickets: &CountCond{Statuses: []string{"open", "done"}}}, `rule.tickets.statuses[1]: unknown ticket status "done"`},
		{Rule{Orders: &CountCond{Statuses: []string{}}}, "rule.orders.statuses: needs at least one status when set"},
		{Rule{Orders: &CountCond{Statuses: []string{"open"}}}, `rule.orders.statuses[0]: unknown order status "open"`},
		{Rule{Orders: &CountCond{Channel: "$web"}}, `rule.orders.channel: unknown orders channel "$web"`},
		{Rule{Consent: &ConsentCond{Channel: "fax"}}, `rule.consent.channel: unknown consent channel "fax"`},
		{Rule{Consent: &ConsentCond{Channel: "email", Purpose: "sales"}}, `rule.consent.purpose: unknown consent purpose "sales" (marketing or transactional)`},
		{nest(MaxDepth + 1), "rule.not.not.not.not.not.not.not.not: rule nested deeper than 8 levels"},
		{manyConds(MaxConditions + 1), "rule.and[50]: more than 50 conditions"},
	} {
		err := tc.r.Validate()
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.r, tc.want)
			continue
		}
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s: error %v is not apperr.Invalid", tc.r, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.r, err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	r, err := Parse([]byte(`{"and":[{"trait":{"field":"country","op":"EQ","value":"United Kingdom"}},
		{"metric":{"metric":"NET_REVENUE","op":"GT","value":12.5}},
		{"not":{"orders":{"atLeast":2,"withinDays":90}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := And(Trait(FieldCountry, EQ, "United Kingdom"), MetricIs(MetricNetRevenue, GT, 12.5),
		Not(Rule{Orders: &CountCond{AtLeast: Int(2), WithinDays: Int(90)}}))
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %s\nwant %s", r, want)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"trait":{"field":"firstName","op":"EQ","value":{"$gt":""}}}`, "rule: field trait.value: expected string"},
		{`{"trait":{"field":"firstName","op":"EQ","value":"x","$where":"1"}}`, `rule: invalid JSON: json: unknown field "$where"`},
		{`{"trait":{"field":"firstName","op":"EQ","value":"x"}} {}`, "rule: trailing data after the rule"},
		{`{"trait":`, "rule: invalid JSON"},
		{`{}`, "rule: empty rule"},
		{`null`, "rule: empty rule"},
		{`{"metric":{"metric":"ORDERS","op":"GT","value":"5"}}`, "expected float64"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want Invalid %q", tc.in, err, tc.want)
		}
	}
	if _, err := Parse(make([]byte, MaxRuleJSON+1)); err == nil {
		t.Error("oversized rule accepted")
	}
}

func TestOpHelpers(t *testing.T) {
	for _, op := range Ops {
		if n, ok := op.Negated(); ok {
			if back, _ := n.Negated(); back != op {
				t.Errorf("%s negated twice = %s", op, back)
			}
		}
	}
	c := CountCond{}
	if c.Holds(0) || !c.Holds(1) {
		t.Error("no bounds means at least 1")
	}
	c = CountCond{AtMost: Int(0)}
	if !c.Holds(0) || c.Holds(1) {
		t.Error("AtMost 0 means none")
	}
	if !(MetricCond{Metric: MetricOrders, Op: LT, Value: 1}).ZeroHolds() ||
		(MetricCond{Metric: MetricDaysSinceLastOrder, Op: GTE, Value: 0}).ZeroHolds() {
		t.Error("ZeroHolds")
	}
}

// FuzzParse: no input panics; an accepted rule validates, survives a JSON round trip
// and never carries a field name that could become an operator or a path.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"and":[{"trait":{"field":"country","op":"EQ","value":"UK"}},{"metric":{"metric":"AOV","op":"GT","value":1}}]}`,
		`{"or":[{"not":{"identifier":{"type":"email"}}},{"consent":{"channel":"email","granted":true}}]}`,
		`{"trait":{"field":"attributes.score","op":"GT","number":3}}`,
		`{"trait":{"field":"attributes.$where","op":"EQ","value":"1"}}`,
		`{"orders":{"atMost":0,"withinDays":30,"statuses":["cancelled"]}}`,
		`{"tickets":{"atLeast":1,"statuses":["open"],"channel":"email"}}`,
		`{"trait":{"field":"email","op":"IN","values":["a","b"]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("error is not Invalid: %v", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("parsed rule fails validation: %v", err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Parse(b)
		if err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		if !reflect.DeepEqual(normalise(r), normalise(r2)) {
			t.Fatalf("round trip changed the rule:\n%s\n%s", r, r2)
		}
		checkKeys(t, r)
	})
}

// normalise maps empty-but-set slices that omitempty drops to nil.
func normalise(r Rule) Rule {
	b, _ := json.Marshal(r)
	var out Rule
	_ = json.Unmarshal(b, &out)
	return out
}

func checkKeys(t *testing.T, r Rule) {
	for _, k := range r.And {
		checkKeys(t, k)
	}
	for _, k := range r.Or {
		checkKeys(t, k)
	}
	if r.Not != nil {
		checkKeys(t, *r.Not)
	}
	var vals []string
	if r.Trait != nil {
		vals = append(vals, r.Trait.Value)
		vals = append(vals, r.Trait.Values...)
	}
	if r.Identifier != nil {
		vals = append(vals, r.Identifier.Type, r.Identifier.Value)
	}
	for _, v := range vals {
		if len(v) > MaxValueBytes || strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			t.Fatalf("accepted value %q", v)
		}
	}
	if r.Trait != nil && strings.ContainsAny(r.Trait.Field, "$\x00") {
		t.Fatalf("accepted field %q", r.Trait.Field)
	}
	if r.Trait != nil && strings.HasPrefix(r.Trait.Field, AttributePrefix) && strings.Count(r.Trait.Field, ".") != 1 {
		t.Fatalf("accepted attribute path %q", r.Trait.Field)
	}
}

// FuzzRuleValidate builds rules from raw fields (as a Go caller could) and checks
// that Validate never panics and only accepts safe attribute keys and bounded values.
func FuzzRuleValidate(f *testing.F) {
	f.Add("attributes.tier", "EQ", "gold", 1.5, 3, true)
	f.Add("attributes.$where", "GT", "", 0.0, -1, false)
	f.Add("email", "CONTAINS", ".*", math.NaN(), 4000, true)
	f.Fuzz(func(t *testing.T, field, op, value string, num float64, n int, wrap bool) {
		leaf := Rule{Trait: &TraitCond{Field: field, Op: Op(op), Value: value}}
		if n%2 == 0 {
			leaf.Trait.Number = &num
			leaf.Trait.Value = ""
		}
		rules := []Rule{leaf,
			{Metric: &MetricCond{Metric: Metric(op), Op: Op(value), Value: num}},
			{Orders: &CountCond{AtLeast: &n, WithinDays: &n, Channel: value}},
			{Identifier: &IdentifierCond{Type: field, Value: value}},
		}
		for _, r := range rules {
			if wrap {
				r = Not(And(r, r))
			}
			if err := r.Validate(); err != nil {
				if !errors.Is(err, apperr.ErrInvalid) {
					t.Fatalf("not Invalid: %v", err)
				}
				continue
			}
			checkKeys(t, r)
		}
	})
}
