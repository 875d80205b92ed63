package ingest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// exactNumber turns a JSON number into the value stored: an int64 when it is a whole
// number that fits, a float64 when the double holds exactly the number written (its
// shortest decimal form is the same number: 0.1, 2.5e3), and otherwise the number's
// own text, a string, so that nothing is silently rounded (12345678901234567890,
// 0.1000000000000000055511151231257827, 1e400).
func exactNumber(n json.Number) (any, error) {
	s := string(n)
	if len(s) > 1000 {
		return nil, fmt.Errorf("number longer than 1000 characters")
	}
	want, ok := canonDecimal(s)
	if !ok {
		if jsonNumber.MatchString(s) {
			return s, nil // an exponent beyond any double: kept as written
		}
		return nil, fmt.Errorf("%q is not a number", s)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if got, ok := canonDecimal(strconv.FormatFloat(f, 'g', -1, 64)); ok && got == want {
			return f, nil
		}
	}
	return s, nil
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// canonDecimal writes a decimal number (JSON number syntax) as sign, significant digits
// and power of ten ("-123e-2" for -1.230), so equal numbers compare equal as strings.
func canonDecimal(s string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) || hasExp && exp == "" {
		return "", false
	}
	e := 0
	if hasExp {
		es := strings.TrimPrefix(strings.TrimPrefix(exp, "+"), "-")
		if es == "" || !allDigits(es) || len(strings.TrimLeft(es, "0")) > 9 {
			return "", false // beyond any double: never exact
		}
		e, _ = strconv.Atoi(es)
		if strings.HasPrefix(exp, "-") {
			e = -e
		}
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	e -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	e += len(digits) - len(trimmed)
	if trimmed == "" {
		return "0", true // -0 and 0 are the same number
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return fmt.Sprintf("%s%se%d", sign, trimmed, e), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
