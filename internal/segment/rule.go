// Package segment defines audience rules over customer profiles: a boolean tree of
// conditions on traits, identifiers, value metrics, orders, interactions, support tickets
// and consent, with validation. It is pure domain code; the store compiles a Rule into
// database queries (see internal/store/segment_query.go) and must give exactly the
// semantics written here.
//
// # Semantics
//
// A rule selects live profiles (never ones merged into another). Not selects the
// complement within live profiles, so Not(Not(r)) = r and Not(And(a, b)) = Or(Not a, Not b).
//
// Trait conditions compare the values of a field. A field has zero or more values: the
// scalar traits (firstName, lastName, birthDate, locale) one when set; email and phone
// every element of traits.emails / traits.phones; city, postcode and country that field of
// every address; attributes.<key> the attribute (every element when it is an array).
//
//	EQ v          some value equals v (string, Number or Bool; types never mix: "5" ≠ 5)
//	NE v          no value equals v (a profile without the field matches)
//	IN vs         some value is one of vs
//	NOT_IN vs     no value is one of vs
//	EXISTS        the field is present
//	NOT_EXISTS    the field is absent
//	CONTAINS s    some string value contains s, ignoring case (s is literal, not a pattern)
//	STARTS_WITH s some string value starts with s, ignoring case
//	GT GTE LT LTE some value compares so with Number (numbers only) or with Value (strings
//	              only, byte order: works for ISO dates such as birthDate "1990-01-01")
//
// Value comparisons are exact: traits are stored normalised (e-mails lower case, phones
// E.164, postcodes upper case), so compare with normalised values.
//
// Metric conditions compare a profile's value metrics; a profile without metrics (or
// without that metric) has 0 for every metric except DAYS_SINCE_LAST_ORDER, which a
// profile without counted orders does not have (no comparison holds; Not of it does).
// Money metrics are in major units of the profile's currency (NET_REVENUE GT 12.5 is net
// revenue above 1250 pence for a GBP profile, above 12 yen rounded for JPY).
// DAYS_SINCE_LAST_ORDER counts whole days: floor((now − last order) / 24h).
//
// Count conditions (Orders, Interactions, Tickets) count a profile's documents, optionally
// within the last WithinDays days (from now − WithinDays×24h to now inclusive), and hold
// when AtLeast ≤ count ≤ AtMost (an unset bound is open; both unset means AtLeast 1).
// Orders count placed, paid, shipped and delivered orders (cancellations and refunds excluded)
// unless Statuses says otherwise; Tickets ignore tickets merged into another ticket.
//
// Consent reads the customer's recorded consent (internal/consent): it holds when the
// current status for Channel and Purpose (marketing when unset) is granted; Granted
// false selects every profile where it is not, including profiles without a statement
// and those whose grant is still pending. (It read the attribute consent_<channel> until
// consent was recorded; those attributes were migrated once into marketing statements.)
//
// Time-relative conditions use the now passed by the caller, truncated to milliseconds
// (the precision of stored times); nothing reads the wall clock.
package segment

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/tessera-cdp/tessera/internal/consent"
)

// Rule is one node of a segment rule: exactly one field is set.
type Rule struct {
	And          []Rule          `json:"and,omitempty"`
	Or           []Rule          `json:"or,omitempty"`
	Not          *Rule           `json:"not,omitempty"`
	Trait        *TraitCond      `json:"trait,omitempty"`
	Identifier   *IdentifierCond `json:"identifier,omitempty"`
	Metric       *MetricCond     `json:"metric,omitempty"`
	Orders       *CountCond      `json:"orders,omitempty"`
	Interactions *CountCond      `json:"interactions,omitempty"`
	Tickets      *CountCond      `json:"tickets,omitempty"`
	Consent      *ConsentCond    `json:"consent,omitempty"`
}

// Op is a comparison operator.
type Op string

const (
	EQ         Op = "EQ"
	NE         Op = "NE"
	IN         Op = "IN"
	NotIn      Op = "NOT_IN"
	Exists     Op = "EXISTS"
	NotExists  Op = "NOT_EXISTS"
	Contains   Op = "CONTAINS"
	StartsWith Op = "STARTS_WITH"
	GT         Op = "GT"
	GTE        Op = "GTE"
	LT         Op = "LT"
	LTE        Op = "LTE"
)

// Ops lists every operator.
var Ops = []Op{EQ, NE, IN, NotIn, Exists, NotExists, Contains, StartsWith, GT, GTE, LT, LTE}

// Negated returns the operator selecting exactly the complement (EQ ↔ NE, IN ↔ NOT_IN,
// EXISTS ↔ NOT_EXISTS); ok is false for operators without one (CONTAINS, range operators:
// their complement also holds for absent fields and for values of other types).
func (o Op) Negated() (Op, bool) {
	switch o {
	case EQ:
		return NE, true
	case NE:
		return EQ, true
	case IN:
		return NotIn, true
	case NotIn:
		return IN, true
	case Exists:
		return NotExists, true
	case NotExists:
		return Exists, true
	}
	return "", false
}

// IsRange reports GT, GTE, LT, LTE.
func (o Op) IsRange() bool { return o == GT || o == GTE || o == LT || o == LTE }

// Compare applies a numeric comparison operator (EQ NE GT GTE LT LTE) to x and v.
func (o Op) Compare(x, v float64) bool {
	switch o {
	case EQ:
		return x == v
	case NE:
		return x != v
	case GT:
		return x > v
	case GTE:
		return x >= v
	case LT:
		return x < v
	case LTE:
		return x <= v
	}
	return false
}

// Trait fields other than attributes.
const (
	FieldFirstName = "firstName"
	FieldLastName  = "lastName"
	FieldEmail     = "email"
	FieldPhone     = "phone"
	FieldBirthDate = "birthDate"
	FieldLocale    = "locale"
	FieldCity      = "city"
	FieldPostcode  = "postcode"
	FieldCountry   = "country"
	// AttributePrefix starts a custom attribute field: "attributes.<key>".
	AttributePrefix = "attributes."
)

// Fields lists the fixed trait fields.
var Fields = []string{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldBirthDate, FieldLocale, FieldCity, FieldPostcode, FieldCountry}

// attributeKey is what an attribute key must look like: never an operator ($), a path
// (.) or anything a database could read as more than a plain name.
var attributeKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// AttributeKey returns the key of an "attributes.<key>" field; ok is false for other
// fields and for keys that do not match ^[A-Za-z][A-Za-z0-9_]{0,63}$.
func AttributeKey(field string) (key string, ok bool) {
	key, ok = strings.CutPrefix(field, AttributePrefix)
	return key, ok && attributeKey.MatchString(key)
}

// TraitCond compares a trait field.
type TraitCond struct {
	// Field is one of Fields or "attributes.<key>".
	Field string `json:"field"`
	Op    Op     `json:"op"`
	// Value is the string operand of EQ NE CONTAINS STARTS_WITH GT GTE LT LTE.
	Value string `json:"value,omitempty"`
	// Values are the operands of IN and NOT_IN.
	Values []string `json:"values,omitempty"`
	// Number makes EQ NE GT GTE LT LTE numeric (attributes only).
	Number *float64 `json:"number,omitempty"`
	// Bool makes EQ NE compare with a boolean (attributes only).
	Bool *bool `json:"bool,omitempty"`
}

// IdentifierCond holds when the profile owns an identifier of Type with Value, or any
// identifier of Type when Value is empty.
type IdentifierCond struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// Metric names a value metric.
type Metric string

const (
	MetricOrders             Metric = "ORDERS"
	MetricNetRevenue         Metric = "NET_REVENUE"
	MetricAOV                Metric = "AOV"
	MetricRFMRecency         Metric = "RFM_RECENCY"
	MetricRFMFrequency       Metric = "RFM_FREQUENCY"
	MetricRFMMonetary        Metric = "RFM_MONETARY"
	MetricDaysSinceLastOrder Metric = "DAYS_SINCE_LAST_ORDER"
	MetricInteractions       Metric = "INTERACTIONS"
)

// Metrics lists every metric.
var Metrics = []Metric{MetricOrders, MetricNetRevenue, MetricAOV, MetricRFMRecency, MetricRFMFrequency, MetricRFMMonetary, MetricDaysSinceLastOrder, MetricInteractions}

// IsMoney reports metrics in major currency units.
func (m Metric) IsMoney() bool { return m == MetricNetRevenue || m == MetricAOV }

// MetricCond compares a metric; Op is one of EQ NE GT GTE LT LTE.
type MetricCond struct {
	Metric Metric  `json:"metric"`
	Op     Op      `json:"op"`
	Value  float64 `json:"value"`
}

// ZeroHolds reports whether a profile without metrics satisfies the condition (such a
// profile has 0 for every metric but DAYS_SINCE_LAST_ORDER, which never holds).
func (c MetricCond) ZeroHolds() bool {
	return c.Metric != MetricDaysSinceLastOrder && c.Op.Compare(0, c.Value)
}

// CountCond bounds the number of a profile's orders, interactions or tickets.
type CountCond struct {
	AtLeast *int `json:"atLeast,omitempty"`
	AtMost  *int `json:"atMost,omitempty"`
	// WithinDays counts only the last WithinDays days before now.
	WithinDays *int `json:"withinDays,omitempty"`
	// Channel counts only that channel.
	Channel string `json:"channel,omitempty"`
	// Statuses counts only these statuses (orders and tickets), in any case ("OPEN" is
	// the stored "open").
	Statuses []string `json:"statuses,omitempty"`
}

// LowerStatuses returns Statuses in lower case, as stored (nil when unset).
func (c CountCond) LowerStatuses() []string {
	if c.Statuses == nil {
		return nil
	}
	out := make([]string, len(c.Statuses))
	for i, s := range c.Statuses {
		out[i] = strings.ToLower(s)
	}
	return out
}

// Bounds returns the count range: lo ≤ n, and n ≤ hi when hasHi.
func (c CountCond) Bounds() (lo int, hi int, hasHi bool) {
	lo = 1
	if c.AtLeast != nil {
		lo = *c.AtLeast
	} else if c.AtMost != nil {
		lo = 0
	}
	if c.AtMost != nil {
		return lo, *c.AtMost, true
	}
	return lo, 0, false
}

// Holds reports whether a count n satisfies the bounds.
func (c CountCond) Holds(n int) bool {
	lo, hi, hasHi := c.Bounds()
	return n >= lo && (!hasHi || n <= hi)
}

// CountedOrderStatuses are the order statuses Orders counts by default.
var CountedOrderStatuses = []string{"placed", "paid", "shipped", "delivered"}

// Consent channels.
var ConsentChannels = []string{"email", "sms", "phone", "push"}

// ConsentCond holds when consent on Channel for Purpose is granted (Granted) or not
// (!Granted). Purpose is marketing when empty; its case is ignored.
type ConsentCond struct {
	Channel string `json:"channel"`
	Purpose string `json:"purpose,omitempty"`
	Granted bool   `json:"granted"`
}

// Key is the "channel:purpose" key of the consent the condition reads.
func (c ConsentCond) Key() string {
	p := strings.ToLower(c.Purpose)
	if p == "" {
		p = string(consent.Marketing)
	}
	return consent.KeyString(c.Channel, p)
}

// String renders the rule as JSON, for logs and test failures.
func (r Rule) String() string {
	b, err := json.Marshal(r)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// Constructors for building rules in code.

// And combines rules.
func And(rs ...Rule) Rule { return Rule{And: rs} }

// Or combines rules.
func Or(rs ...Rule) Rule { return Rule{Or: rs} }

// Not negates a rule.
func Not(r Rule) Rule { return Rule{Not: &r} }

// Trait builds a trait condition with a string operand.
func Trait(field string, op Op, value string) Rule {
	return Rule{Trait: &TraitCond{Field: field, Op: op, Value: value}}
}

// TraitIn builds an IN or NOT_IN condition.
func TraitIn(field string, op Op, values ...string) Rule {
	return Rule{Trait: &TraitCond{Field: field, Op: op, Values: values}}
}

// TraitNumber builds a numeric attribute condition.
func TraitNumber(field string, op Op, n float64) Rule {
	return Rule{Trait: &TraitCond{Field: field, Op: op, Number: &n}}
}

// MetricIs builds a metric condition.
func MetricIs(m Metric, op Op, v float64) Rule {
	return Rule{Metric: &MetricCond{Metric: m, Op: op, Value: v}}
}

// Int returns a pointer to n, for CountCond bounds.
func Int(n int) *int { return &n }
