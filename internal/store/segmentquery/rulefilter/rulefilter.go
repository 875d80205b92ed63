// Package rulefilter compiles the leaf conditions of segment rules to filters that
// select the same documents on MongoDB and FerretDB: conditions on the profile document
// (traits, identifiers), and numeric, money and recency conditions on the
// metrics documents. A leaf negated is compiled to its complement in place (see
// segmentquery, which pushes negation down to the leaves, for the forms it takes).
package rulefilter

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/segment"
)

const day = 24 * time.Hour

// traitPath maps a validated trait field to its document path.
func traitPath(field string) (string, error) {
	if strings.HasPrefix(field, segment.AttributePrefix) {
		key, ok := segment.AttributeKey(field)
		if !ok { // Validate refused it already; never build a path from it
			return "", apperr.Invalidf("rule: bad attribute field %q", field)
		}
		return "traits.attributes." + key, nil
	}
	switch field {
	case segment.FieldEmail:
		return "traits.emails", nil
	case segment.FieldPhone:
		return "traits.phones", nil
	case segment.FieldCity, segment.FieldPostcode, segment.FieldCountry:
		return "traits.addresses." + field, nil
	case segment.FieldFirstName, segment.FieldLastName, segment.FieldBirthDate, segment.FieldLocale:
		return "traits." + field, nil
	}
	return "", apperr.Invalidf("rule: unknown field %q", field)
}

var mongoOps = map[segment.Op]string{
	segment.EQ: "$eq", segment.NE: "$ne", segment.IN: "$in", segment.NotIn: "$nin",
	segment.GT: "$gt", segment.GTE: "$gte", segment.LT: "$lt", segment.LTE: "$lte",
}

// Trait compiles a trait condition, or its complement when neg.
func Trait(t segment.TraitCond, neg bool) (bson.D, error) {
	path, err := traitPath(t.Field)
	if err != nil {
		return nil, err
	}
	op := t.Op
	if neg {
		if n, ok := op.Negated(); ok {
			op, neg = n, false
		}
	}
	var operand any = t.Value
	switch {
	case t.Number != nil:
		operand = *t.Number
	case t.Bool != nil:
		operand = *t.Bool
	}
	// FerretDB v1.24 evaluates $ne, $nin and $not on a path through an array of
	// subdocuments (traits.addresses.city) as "some element does not match" instead
	// of "no element matches"; $nor is right there (TestSegmentFerretDBOperators).
	if strings.HasPrefix(path, "traits.addresses.") {
		switch op {
		case segment.NE:
			op, neg = segment.EQ, true
		case segment.NotIn:
			op, neg = segment.IN, true
		}
		if neg {
			pos, err := Trait(segment.TraitCond{Field: t.Field, Op: op, Value: t.Value, Values: t.Values}, false)
			return bson.D{{Key: "$nor", Value: bson.A{pos}}}, err
		}
	}
	var cond any
	switch op {
	case segment.IN, segment.NotIn:
		cond = bson.D{{Key: mongoOps[op], Value: slices.Clone(t.Values)}}
	case segment.Exists, segment.NotExists:
		cond = bson.D{{Key: "$exists", Value: op == segment.Exists}}
	case segment.Contains, segment.StartsWith:
		cond = literalRegex(t.Value, op == segment.StartsWith)
	default:
		cond = bson.D{{Key: mongoOps[op], Value: operand}}
	}
	if neg { // only operators without a complementary one get here
		cond = bson.D{{Key: "$not", Value: cond}}
	}
	return bson.D{{Key: path, Value: cond}}, nil
}

// literalRegex matches s literally, ignoring case; a prefix match is anchored, and
// case-sensitive when s has no cased letters, so MongoDB can use an index for it.
func literalRegex(s string, prefix bool) bson.Regex {
	p := regexp.QuoteMeta(s)
	if prefix {
		p = "^" + p
	}
	opts := "i"
	if strings.ToLower(s) == s && strings.ToUpper(s) == s {
		opts = ""
	}
	return bson.Regex{Pattern: p, Options: opts}
}

// Identifier compiles an identifier condition, or its complement when neg.
func Identifier(c segment.IdentifierCond, neg bool) bson.D {
	var cond any
	switch {
	case c.Value == "":
		cond = bson.Regex{Pattern: "^" + regexp.QuoteMeta(c.Type+":")}
		if neg {
			cond = bson.D{{Key: "$not", Value: cond}}
		}
	case neg:
		cond = bson.D{{Key: "$ne", Value: c.Type + ":" + c.Value}}
	default:
		cond = bson.D{{Key: "$eq", Value: c.Type + ":" + c.Value}}
	}
	return bson.D{{Key: "identifiers", Value: cond}}
}

// Number is a filter condition on a numeric field where a missing field counts as 0
// and must never match (the caller handles zero through the complement).
func Number(op segment.Op, v any) bson.D {
	if op == segment.NE {
		return bson.D{{Key: "$exists", Value: true}, {Key: "$ne", Value: v}}
	}
	return bson.D{{Key: mongoOps[op], Value: v}}
}

var complementOp = map[segment.Op]segment.Op{
	segment.EQ: segment.NE, segment.NE: segment.EQ, segment.GT: segment.LTE,
	segment.GTE: segment.LT, segment.LT: segment.GTE, segment.LTE: segment.GT,
}

// Complement is the comparison that holds where op fails ("" for an operator without
// one).
func Complement(op segment.Op) segment.Op { return complementOp[op] }

// ScaleMajor converts major units to minor units, snapping float noise (0.1×100) to
// the integer it stands for.
func ScaleMajor(v float64, exp int) float64 {
	x := v * math.Pow10(exp)
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*math.Max(1, math.Abs(x)) {
		return r
	}
	return x
}

// number gives integral thresholds as int64 (exact on MongoDB for large amounts).
func number(x float64) any {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return int64(x)
	}
	return x
}

// Exponent is the minor-unit exponent of a profile currency (2 when unknown or unset).
func Exponent(currency string) int {
	if e, ok := money.Exponent(currency); ok {
		return e
	}
	return 2
}

// Money compares a minor-unit field with v major units in each document's currency:
// one branch per minor-unit exponent in exponents (of each currency present).
func Money(field string, op segment.Op, v float64, exponents map[string]int) bson.D {
	byExp := map[int][]string{}
	var other []string
	for cur, e := range exponents {
		if e != 2 {
			byExp[e] = append(byExp[e], cur)
			other = append(other, cur)
		}
	}
	base := bson.D{{Key: field, Value: Number(op, number(ScaleMajor(v, 2)))}}
	if len(other) == 0 {
		return base
	}
	slices.Sort(other)
	branches := bson.A{append(bson.D{{Key: "currency", Value: bson.D{{Key: "$nin", Value: other}}}}, base...)}
	exps := make([]int, 0, len(byExp))
	for e := range byExp {
		exps = append(exps, e)
	}
	slices.Sort(exps)
	for _, e := range exps {
		curs := byExp[e]
		slices.Sort(curs)
		branches = append(branches, bson.D{{Key: "currency", Value: bson.D{{Key: "$in", Value: curs}}},
			{Key: field, Value: Number(op, number(ScaleMajor(v, e)))}})
	}
	return bson.D{{Key: "$or", Value: branches}}
}

// Days selects metrics documents by whole days since the last counted order,
// d = floor((now − lastOrderAt) / 24h): d ≥ k ⇔ lastOrderAt ≤ now − k days for an
// integer k. ok is false when nothing can match.
func Days(now time.Time, op segment.Op, v float64) (bson.D, bool) {
	at := func(k float64) time.Time { return now.Add(-time.Duration(k) * day) }
	atMost := func(k float64) bson.D {
		return bson.D{{Key: "lastOrderAt", Value: bson.D{{Key: "$lte", Value: at(k)}}}}
	}
	after := func(k float64) bson.D { return bson.D{{Key: "lastOrderAt", Value: bson.D{{Key: "$gt", Value: at(k)}}}} }
	f := bson.D{{Key: "orders", Value: bson.D{{Key: "$gt", Value: 0}}}}
	integral := v == math.Floor(v)
	switch op {
	case segment.GT: // d ≥ floor(v)+1
		return append(f, atMost(math.Floor(v)+1)...), true
	case segment.GTE: // d ≥ ceil(v)
		return append(f, atMost(math.Ceil(v))...), true
	case segment.LT: // d < ceil(v)
		return append(f, after(math.Ceil(v))...), true
	case segment.LTE: // d < floor(v)+1
		return append(f, after(math.Floor(v)+1)...), true
	case segment.EQ:
		if !integral {
			return nil, false
		}
		return append(f, bson.E{Key: "lastOrderAt", Value: bson.D{{Key: "$lte", Value: at(v)}, {Key: "$gt", Value: at(v + 1)}}}), true
	case segment.NE:
		if !integral {
			return f, true
		}
		return append(f, bson.E{Key: "$or", Value: bson.A{after(v), atMost(v + 1)}}), true
	}
	return nil, false
}
