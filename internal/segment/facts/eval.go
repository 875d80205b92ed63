package facts

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// Leaves evaluates a condition on orders, interactions or tickets (a rule with exactly
// one of Orders, Interactions, Tickets set) into profile ids: the profiles satisfying
// it when in, or those failing it when !in (the query path's id-set leaves).
type Leaves func(r segment.Rule) (ids []string, in bool, err error)

// Predicate is a compiled rule.
type Predicate struct {
	match func(*Fact) bool
	// SetLeaves counts the distinct conditions evaluated by Leaves.
	SetLeaves int
}

// Match reports whether a live profile satisfies the rule.
func (p *Predicate) Match(f *Fact) bool { return p.match(f) }

// Compile validates r and compiles it against now (truncated to milliseconds, as the
// query path does); leaves evaluates the conditions on other collections, once per
// distinct condition (nil: such rules are refused).
func Compile(r segment.Rule, now time.Time, leaves Leaves) (*Predicate, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c := &compiler{now: now.Truncate(time.Millisecond), leaves: leaves, sets: map[string]func(*Fact) bool{}}
	m, err := c.node(r)
	if err != nil {
		return nil, err
	}
	return &Predicate{match: m, SetLeaves: len(c.sets)}, nil
}

type compiler struct {
	now    time.Time
	leaves Leaves
	sets   map[string]func(*Fact) bool
}

func (c *compiler) node(r segment.Rule) (func(*Fact) bool, error) {
	switch {
	case r.And != nil || r.Or != nil:
		kids, isAnd := r.And, true
		if r.Or != nil {
			kids, isAnd = r.Or, false
		}
		fs := make([]func(*Fact) bool, 0, len(kids))
		for _, k := range kids {
			f, err := c.node(k)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		if isAnd {
			return func(x *Fact) bool {
				for _, f := range fs {
					if !f(x) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(x *Fact) bool {
			for _, f := range fs {
				if f(x) {
					return true
				}
			}
			return false
		}, nil
	case r.Not != nil:
		f, err := c.node(*r.Not)
		if err != nil {
			return nil, err
		}
		return func(x *Fact) bool { return !f(x) }, nil
	case r.Trait != nil:
		return traitPred(*r.Trait)
	case r.Identifier != nil:
		return identifierPred(*r.Identifier), nil
	case r.Consent != nil:
		key, granted := r.Consent.Key(), r.Consent.Granted
		return func(x *Fact) bool { return slices.Contains(x.Consent, key) == granted }, nil
	case r.Metric != nil:
		return c.metricPred(*r.Metric)
	case r.Orders != nil:
		return c.setPred("orders", *r.Orders, segment.Rule{Orders: r.Orders})
	case r.Interactions != nil:
		return c.setPred("interactions", *r.Interactions, segment.Rule{Interactions: r.Interactions})
	case r.Tickets != nil:
		return c.setPred("tickets", *r.Tickets, segment.Rule{Tickets: r.Tickets})
	}
	return nil, apperr.Invalidf("rule: empty rule")
}

// setPred evaluates a count condition once per distinct condition into an id set.
func (c *compiler) setPred(kind string, cond segment.CountCond, leaf segment.Rule) (func(*Fact) bool, error) {
	b, err := json.Marshal(cond)
	if err != nil {
		return nil, err
	}
	key := kind + string(b)
	if f, ok := c.sets[key]; ok {
		return f, nil
	}
	if c.leaves == nil {
		return nil, fmt.Errorf("segment %s condition: no evaluator", kind)
	}
	ids, in, err := c.leaves(leaf)
	if err != nil {
		return nil, fmt.Errorf("segment %s condition: %w", kind, err)
	}
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	f := func(x *Fact) bool {
		_, ok := set[x.ID]
		return ok == in
	}
	c.sets[key] = f
	return f, nil
}

func identifierPred(c segment.IdentifierCond) func(*Fact) bool {
	if c.Value == "" {
		prefix := c.Type + ":"
		return func(x *Fact) bool {
			return slices.ContainsFunc(x.Identifiers, func(id string) bool { return strings.HasPrefix(id, prefix) })
		}
	}
	key := c.Type + ":" + c.Value
	return func(x *Fact) bool { return slices.Contains(x.Identifiers, key) }
}

// ---- traits ----

// strField returns a function that reports whether some string value of a fixed
// trait field passes a test (and, with a nil test, whether the field is present).
func strField(field string) (func(*Fact, func(string) bool) bool, error) {
	one := func(get func(*Fact) string) func(*Fact, func(string) bool) bool {
		return func(x *Fact, f func(string) bool) bool {
			s := get(x)
			return s != "" && (f == nil || f(s))
		}
	}
	list := func(get func(*Fact) []string) func(*Fact, func(string) bool) bool {
		return func(x *Fact, f func(string) bool) bool {
			ss := get(x)
			if f == nil {
				return len(ss) > 0
			}
			for _, s := range ss {
				if f(s) {
					return true
				}
			}
			return false
		}
	}
	switch field {
	case segment.FieldFirstName:
		return one(func(x *Fact) string { return x.FirstName }), nil
	case segment.FieldLastName:
		return one(func(x *Fact) string { return x.LastName }), nil
	case segment.FieldBirthDate:
		return one(func(x *Fact) string { return x.BirthDate }), nil
	case segment.FieldLocale:
		return one(func(x *Fact) string { return x.Locale }), nil
	case segment.FieldEmail:
		return list(func(x *Fact) []string { return x.Emails }), nil
	case segment.FieldPhone:
		return list(func(x *Fact) []string { return x.Phones }), nil
	case segment.FieldCity:
		return list(func(x *Fact) []string { return x.Cities }), nil
	case segment.FieldPostcode:
		return list(func(x *Fact) []string { return x.Postcodes }), nil
	case segment.FieldCountry:
		return list(func(x *Fact) []string { return x.Countries }), nil
	}
	return nil, apperr.Invalidf("rule: unknown field %q", field)
}

// valueTest tests one value of a field; present tells absent fields apart (EXISTS).
type valueTest func(Value) bool

// traitPred compiles a trait condition: the database's semantics of the operator on
// a field of zero or more values (an array matches when some element does; NE and
// NOT_IN hold when none does, and for absent fields).
func traitPred(t segment.TraitCond) (func(*Fact) bool, error) {
	test, negate, exists, err := opTest(t)
	if err != nil {
		return nil, err
	}
	var present func(*Fact) bool
	var anyValue func(*Fact, valueTest) bool
	if key, ok := segment.AttributeKey(t.Field); ok {
		present = func(x *Fact) bool { _, ok := x.Attr(key); return ok }
		anyValue = func(x *Fact, f valueTest) bool {
			a, ok := x.Attr(key)
			return ok && slices.ContainsFunc(a.Vals, f)
		}
	} else if strings.HasPrefix(t.Field, segment.AttributePrefix) {
		return nil, apperr.Invalidf("rule: bad attribute field %q", t.Field)
	} else {
		some, err := strField(t.Field)
		if err != nil {
			return nil, err
		}
		present = func(x *Fact) bool { return some(x, nil) }
		// Fixed fields hold strings only: test them without building Values.
		str := stringTest(t)
		anyValue = func(x *Fact, f valueTest) bool {
			if str != nil {
				return some(x, str)
			}
			return some(x, func(s string) bool { return f(Value{S: s, K: String}) })
		}
	}
	if exists != nil {
		want := *exists
		return func(x *Fact) bool { return present(x) == want }, nil
	}
	return func(x *Fact) bool { return anyValue(x, test) != negate }, nil
}

// stringTest is a faster test of a string value for the operators whose operand is a
// string, or nil.
func stringTest(t segment.TraitCond) func(string) bool {
	if t.Number != nil || t.Bool != nil {
		return func(string) bool { return false }
	}
	switch t.Op {
	case segment.EQ, segment.NE:
		v := t.Value
		return func(s string) bool { return s == v }
	case segment.IN, segment.NotIn:
		vs := t.Values
		return func(s string) bool { return slices.Contains(vs, s) }
	case segment.Contains, segment.StartsWith:
		return textTest(t.Value, t.Op == segment.StartsWith)
	case segment.GT:
		v := t.Value
		return func(s string) bool { return s > v }
	case segment.GTE:
		v := t.Value
		return func(s string) bool { return s >= v }
	case segment.LT:
		v := t.Value
		return func(s string) bool { return s < v }
	case segment.LTE:
		v := t.Value
		return func(s string) bool { return s <= v }
	}
	return nil
}

// opTest returns the positive test of one value, whether the field result is negated
// (NE, NOT_IN: no value matches), or for EXISTS/NOT_EXISTS the wanted presence.
func opTest(t segment.TraitCond) (test valueTest, negate bool, exists *bool, err error) {
	var operand Value
	switch {
	case t.Number != nil:
		operand = Value{N: *t.Number, K: Number}
	case t.Bool != nil:
		operand = Value{N: b2f(*t.Bool), K: Bool}
	default:
		operand = Value{S: t.Value, K: String}
	}
	eq := func(v Value) bool {
		if v.K != operand.K {
			return false
		}
		if v.K == String {
			return v.S == operand.S
		}
		return v.N == operand.N
	}
	cmp := func(ok func(int) bool) valueTest {
		return func(v Value) bool {
			if v.K != operand.K {
				return false
			}
			switch v.K {
			case String:
				return ok(strings.Compare(v.S, operand.S))
			case Number:
				switch {
				case v.N < operand.N:
					return ok(-1)
				case v.N > operand.N:
					return ok(1)
				case v.N == operand.N:
					return ok(0)
				}
			}
			return false
		}
	}
	switch t.Op {
	case segment.EQ:
		return eq, false, nil, nil
	case segment.NE:
		return eq, true, nil, nil
	case segment.IN, segment.NotIn:
		vs := t.Values
		return func(v Value) bool { return v.K == String && slices.Contains(vs, v.S) }, t.Op == segment.NotIn, nil, nil
	case segment.Exists, segment.NotExists:
		want := t.Op == segment.Exists
		return nil, false, &want, nil
	case segment.Contains, segment.StartsWith:
		m := textTest(t.Value, t.Op == segment.StartsWith)
		return func(v Value) bool { return v.K == String && m(v.S) }, false, nil, nil
	case segment.GT:
		return cmp(func(k int) bool { return k > 0 }), false, nil, nil
	case segment.GTE:
		return cmp(func(k int) bool { return k >= 0 }), false, nil, nil
	case segment.LT:
		return cmp(func(k int) bool { return k < 0 }), false, nil, nil
	case segment.LTE:
		return cmp(func(k int) bool { return k <= 0 }), false, nil, nil
	}
	return nil, false, nil, apperr.Invalidf("rule: unknown operator %q", t.Op)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// textTest matches s literally, ignoring case, like the query path's regular
// expression (regexp.QuoteMeta, option i unless s has no cased letters), which the
// embedded database evaluates with Go's regexp. Pure-ASCII values take a fast path
// that gives the same answer: Go's case folding of ASCII letters only reaches other
// ASCII letters, apart from K (Kelvin sign) and S (long s), which are not ASCII.
func textTest(s string, prefix bool) func(string) bool {
	p := regexp.QuoteMeta(s)
	if prefix {
		p = "^" + p
	}
	fold := !(strings.ToLower(s) == s && strings.ToUpper(s) == s)
	if fold {
		p = "(?i)" + p
	}
	re := regexp.MustCompile(p)
	if !fold {
		if prefix {
			return func(v string) bool { return strings.HasPrefix(v, s) }
		}
		return func(v string) bool { return strings.Contains(v, s) }
	}
	// Non-ASCII values go through the regular expression, once per distinct value
	// (values are interned, so few are distinct).
	var memoMu sync.Mutex
	memo := map[string]bool{}
	slow := func(v string) bool {
		memoMu.Lock()
		defer memoMu.Unlock()
		m, ok := memo[v]
		if !ok {
			m = re.MatchString(v)
			if len(memo) < 1<<16 {
				memo[v] = m
			}
		}
		return m
	}
	if !isASCII(s) {
		return slow
	}
	lower := strings.ToLower(s)
	return func(v string) bool {
		if !isASCII(v) {
			return slow(v)
		}
		if prefix {
			return len(v) >= len(lower) && asciiEqualFold(v[:len(lower)], lower)
		}
		for i := 0; i+len(lower) <= len(v); i++ {
			if asciiEqualFold(v[i:i+len(lower)], lower) {
				return true
			}
		}
		return false
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiEqualFold compares an ASCII string with a lower-case ASCII one, ignoring case.
func asciiEqualFold(v, lower string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// ---- metrics ----

const day = 24 * time.Hour

var rfmMetrics = map[segment.Metric]func(*Metrics) float64{
	segment.MetricRFMRecency:   func(m *Metrics) float64 { return m.R },
	segment.MetricRFMFrequency: func(m *Metrics) float64 { return m.F },
	segment.MetricRFMMonetary:  func(m *Metrics) float64 { return m.M },
}

// metricPred compiles a metric condition as the query path evaluates it: a profile
// without a metrics document has 0 for every metric (DAYS_SINCE_LAST_ORDER never holds);
// money compares minor units with the value scaled by the currency's exponent.
func (c *compiler) metricPred(m segment.MetricCond) (func(*Fact) bool, error) {
	zero := m.ZeroHolds()
	op, v := m.Op, m.Value
	switch m.Metric {
	case segment.MetricOrders:
		return func(x *Fact) bool {
			return x.Metrics == nil && zero || x.Metrics != nil && op.Compare(x.Metrics.Orders, v)
		}, nil
	case segment.MetricInteractions:
		return func(x *Fact) bool {
			return x.Metrics == nil && zero || x.Metrics != nil && op.Compare(x.Metrics.Interactions, v)
		}, nil
	case segment.MetricRFMRecency, segment.MetricRFMFrequency, segment.MetricRFMMonetary:
		get := rfmMetrics[m.Metric]
		return func(x *Fact) bool {
			return x.Metrics == nil && zero || x.Metrics != nil && op.Compare(get(x.Metrics), v)
		}, nil
	case segment.MetricNetRevenue:
		byCur := thresholds(v)
		return func(x *Fact) bool {
			if x.Metrics == nil {
				return zero
			}
			return op.Compare(float64(x.Metrics.NetMinor), byCur(x.Metrics.Currency))
		}, nil
	case segment.MetricAOV:
		byCur := thresholds(v)
		return func(x *Fact) bool {
			mm := x.Metrics
			if mm == nil || !(mm.Orders > 0) {
				return zero
			}
			cm := ledger.Metrics{Orders: int(mm.Orders), NetMinor: mm.NetMinor}
			return op.Compare(float64(cm.AOVMinor()), byCur(mm.Currency))
		}, nil
	case segment.MetricDaysSinceLastOrder:
		in := c.daysTest(op, v)
		return func(x *Fact) bool {
			mm := x.Metrics
			return mm != nil && mm.Orders > 0 && mm.HasLastOrder && in(mm.LastOrderAt)
		}, nil
	}
	return nil, apperr.Invalidf("rule: unknown metric %q", m.Metric)
}

// thresholds returns v major units in minor units of a currency (exponent 2 when the
// currency is unknown or unset), memoised per currency.
func thresholds(v float64) func(cur string) float64 {
	var last string
	var lastV float64
	have := false
	return func(cur string) float64 {
		if have && cur == last {
			return lastV
		}
		e, ok := money.Exponent(cur)
		if !ok {
			e = 2
		}
		last, lastV, have = cur, scaleMajor(v, e), true
		return lastV
	}
}

// scaleMajor converts major units to minor units, snapping float noise (0.1×100) to
// the integer it stands for (as the query path does).
func scaleMajor(v float64, exp int) float64 {
	x := v * math.Pow10(exp)
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*math.Max(1, math.Abs(x)) {
		return r
	}
	return x
}

// daysTest tests the last order time (Unix ms) by whole days since it,
// d = floor((now − last) / 24h), with the query path's thresholds: d ≥ k ⇔
// last ≤ now − k days for an integer k.
func (c *compiler) daysTest(op segment.Op, v float64) func(int64) bool {
	at := func(k float64) int64 { return c.now.Add(-time.Duration(k) * day).UnixMilli() }
	atMost := func(k float64) func(int64) bool { t := at(k); return func(x int64) bool { return x <= t } }
	after := func(k float64) func(int64) bool { t := at(k); return func(x int64) bool { return x > t } }
	integral := v == math.Floor(v)
	switch op {
	case segment.GT:
		return atMost(math.Floor(v) + 1)
	case segment.GTE:
		return atMost(math.Ceil(v))
	case segment.LT:
		return after(math.Ceil(v))
	case segment.LTE:
		return after(math.Floor(v) + 1)
	case segment.EQ:
		if !integral {
			return func(int64) bool { return false }
		}
		a, b := atMost(v), after(v+1)
		return func(x int64) bool { return a(x) && b(x) }
	case segment.NE:
		if !integral {
			return func(int64) bool { return true }
		}
		a, b := after(v), atMost(v+1)
		return func(x int64) bool { return a(x) || b(x) }
	}
	return func(int64) bool { return false }
}
