package segment

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Limits of a rule: they bound the size of the compiled query and of the work per
// evaluation.
const (
	MaxDepth       = 8    // nesting levels, the root being 1
	MaxConditions  = 50   // leaf conditions in the whole rule
	MaxValues      = 500  // values of one IN / NOT_IN
	MaxValueBytes  = 256  // bytes of one string value
	MaxWithinDays  = 3650 // ten years
	MaxCount       = 1_000_000
	MaxMetricValue = 1e12 // |value| of a metric (major units for money)
	MaxDays        = 36500
)

var (
	identifierType = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)
	orderChannel   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)
)

// Validate checks the rule's shape, operators, operands and limits. Errors are
// apperr.Invalid with the path of the offending part, e.g.
// `rule.and[1].trait.field: unknown field "foo"`.
func (r Rule) Validate() error {
	v := validator{}
	return v.rule(r, "rule", 1)
}

type validator struct {
	conditions int
}

func invalid(path, format string, a ...any) error {
	return apperr.Invalidf("%s: %s", path, fmt.Sprintf(format, a...))
}

func (v *validator) rule(r Rule, path string, depth int) error {
	if depth > MaxDepth {
		return invalid(path, "rule nested deeper than %d levels", MaxDepth)
	}
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"and", r.And != nil}, {"or", r.Or != nil}, {"not", r.Not != nil}, {"trait", r.Trait != nil},
		{"identifier", r.Identifier != nil}, {"metric", r.Metric != nil}, {"orders", r.Orders != nil},
		{"interactions", r.Interactions != nil}, {"tickets", r.Tickets != nil}, {"consent", r.Consent != nil},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	switch len(set) {
	case 0:
		return invalid(path, "empty rule: set one of and, or, not, trait, identifier, metric, orders, interactions, tickets, consent")
	case 1:
	default:
		return invalid(path, "a rule sets exactly one of its fields, found %s", strings.Join(set, ", "))
	}
	if r.And != nil || r.Or != nil {
		kids, name := r.And, "and"
		if r.Or != nil {
			kids, name = r.Or, "or"
		}
		if len(kids) == 0 {
			return invalid(path+"."+name, "needs at least one rule")
		}
		for i, k := range kids {
			if err := v.rule(k, fmt.Sprintf("%s.%s[%d]", path, name, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if r.Not != nil {
		return v.rule(*r.Not, path+".not", depth+1)
	}
	v.conditions++
	if v.conditions > MaxConditions {
		return invalid(path, "more than %d conditions", MaxConditions)
	}
	switch {
	case r.Trait != nil:
		return validTrait(*r.Trait, path+".trait")
	case r.Identifier != nil:
		return validIdentifier(*r.Identifier, path+".identifier")
	case r.Metric != nil:
		return validMetric(*r.Metric, path+".metric")
	case r.Orders != nil:
		return validCount(*r.Orders, path+".orders", "orders")
	case r.Interactions != nil:
		return validCount(*r.Interactions, path+".interactions", "interactions")
	case r.Tickets != nil:
		return validCount(*r.Tickets, path+".tickets", "tickets")
	default:
		return validConsent(*r.Consent, path+".consent")
	}
}

// validString bounds a user string that becomes a query value.
func validString(s, path string) error {
	switch {
	case len(s) > MaxValueBytes:
		return invalid(path, "longer than %d bytes", MaxValueBytes)
	case !utf8.ValidString(s):
		return invalid(path, "not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return invalid(path, "contains a NUL byte")
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func validTrait(c TraitCond, path string) error {
	attr := strings.HasPrefix(c.Field, AttributePrefix)
	switch {
	case attr:
		if _, ok := AttributeKey(c.Field); !ok {
			return invalid(path+".field", "attribute key %q must match ^[A-Za-z][A-Za-z0-9_]{0,63}$", strings.TrimPrefix(c.Field, AttributePrefix))
		}
	case !slices.Contains(Fields, c.Field):
		return invalid(path+".field", "unknown field %q (one of %s, or attributes.<key>)", c.Field, strings.Join(Fields, ", "))
	}
	if !slices.Contains(Ops, c.Op) {
		return invalid(path+".op", "unknown operator %q", c.Op)
	}
	typed := 0
	if c.Number != nil {
		typed++
		if !attr {
			return invalid(path+".number", "numeric comparison is only for attributes, not %s", c.Field)
		}
		if !finite(*c.Number) {
			return invalid(path+".number", "must be a finite number")
		}
	}
	if c.Bool != nil {
		typed++
		if !attr {
			return invalid(path+".bool", "boolean comparison is only for attributes, not %s", c.Field)
		}
	}
	if typed > 1 {
		return invalid(path, "set at most one of number and bool")
	}
	if err := validString(c.Value, path+".value"); err != nil {
		return err
	}
	if typed > 0 && c.Value != "" {
		return invalid(path+".value", "set either value or a typed operand (number, bool), not both")
	}
	switch c.Op {
	case IN, NotIn:
		if typed > 0 || c.Value != "" {
			return invalid(path, "%s takes values, not value, number or bool", c.Op)
		}
		if len(c.Values) == 0 {
			return invalid(path+".values", "%s needs at least one value", c.Op)
		}
		if len(c.Values) > MaxValues {
			return invalid(path+".values", "more than %d values", MaxValues)
		}
		for i, s := range c.Values {
			if err := validString(s, fmt.Sprintf("%s.values[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if c.Values != nil {
		return invalid(path+".values", "only IN and NOT_IN take values")
	}
	switch c.Op {
	case Exists, NotExists:
		if typed > 0 || c.Value != "" {
			return invalid(path, "%s takes no operand", c.Op)
		}
	case Contains, StartsWith:
		if typed > 0 {
			return invalid(path, "%s compares strings: set value", c.Op)
		}
		if c.Value == "" {
			return invalid(path+".value", "%s needs a non-empty value", c.Op)
		}
	case GT, GTE, LT, LTE:
		if c.Bool != nil {
			return invalid(path+".bool", "%s does not compare booleans", c.Op)
		}
	}
	return nil
}

func validIdentifier(c IdentifierCond, path string) error {
	if !identifierType.MatchString(c.Type) {
		return invalid(path+".type", "identifier type %q must match %s", c.Type, identifierType)
	}
	return validString(c.Value, path+".value")
}

func validMetric(c MetricCond, path string) error {
	if !slices.Contains(Metrics, c.Metric) {
		return invalid(path+".metric", "unknown metric %q", c.Metric)
	}
	switch c.Op {
	case EQ, NE, GT, GTE, LT, LTE:
	default:
		return invalid(path+".op", "metrics compare with EQ, NE, GT, GTE, LT or LTE, not %q", c.Op)
	}
	switch {
	case !finite(c.Value) || math.Abs(c.Value) > MaxMetricValue:
		return invalid(path+".value", "must be a finite number of magnitude at most %g", MaxMetricValue)
	case c.Metric == MetricDaysSinceLastOrder && (c.Value < 0 || c.Value > MaxDays):
		return invalid(path+".value", "days must be between 0 and %d", MaxDays)
	}
	return nil
}

func validCount(c CountCond, path, kind string) error {
	for _, b := range []struct {
		name string
		p    *int
	}{{"atLeast", c.AtLeast}, {"atMost", c.AtMost}} {
		if b.p != nil && (*b.p < 0 || *b.p > MaxCount) {
			return invalid(path+"."+b.name, "must be between 0 and %d", MaxCount)
		}
	}
	if c.AtLeast != nil && c.AtMost != nil && *c.AtLeast > *c.AtMost {
		return invalid(path, "atLeast %d is greater than atMost %d", *c.AtLeast, *c.AtMost)
	}
	if c.WithinDays != nil && (*c.WithinDays < 1 || *c.WithinDays > MaxWithinDays) {
		return invalid(path+".withinDays", "must be between 1 and %d", MaxWithinDays)
	}
	if c.Channel != "" {
		ok := false
		switch kind {
		case "orders":
			ok = orderChannel.MatchString(c.Channel)
		case "interactions":
			ok = slices.Contains(commerce.Channels, c.Channel)
		case "tickets":
			ok = ticket.Channel(c.Channel).Valid()
		}
		if !ok {
			return invalid(path+".channel", "unknown %s channel %q", kind, c.Channel)
		}
	}
	if c.Statuses != nil {
		if kind == "interactions" {
			return invalid(path+".statuses", "interactions have no status")
		}
		if len(c.Statuses) == 0 {
			return invalid(path+".statuses", "needs at least one status when set")
		}
		for i, s := range c.Statuses {
			ok := slices.Contains(commerce.Statuses, strings.ToLower(s))
			if kind == "tickets" {
				ok = ticket.Status(strings.ToLower(s)).Valid()
			}
			if !ok {
				return invalid(fmt.Sprintf("%s.statuses[%d]", path, i), "unknown %s status %q", strings.TrimSuffix(kind, "s"), s)
			}
		}
	}
	return nil
}

func validConsent(c ConsentCond, path string) error {
	if !slices.Contains(ConsentChannels, c.Channel) {
		return invalid(path+".channel", "unknown consent channel %q (one of %s)", c.Channel, strings.Join(ConsentChannels, ", "))
	}
	if c.Purpose != "" && !consent.Purpose(strings.ToLower(c.Purpose)).Valid() {
		return invalid(path+".purpose", "unknown consent purpose %q (marketing or transactional)", c.Purpose)
	}
	return nil
}
