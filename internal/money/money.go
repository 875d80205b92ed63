// Package money is exact money arithmetic: amounts are integers of a currency's minor
// units (ISO 4217 exponents), parsed and formatted without floats, and summed with
// overflow checks or saturation.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// exponents are ISO 4217 minor-unit exponents: how many decimal digits a currency's
// minor unit has. Amounts are always integers of minor units, never floats.
var exponents = map[string]int{
	"GBP": 2, "EUR": 2, "USD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2,
	"CAD": 2, "AUD": 2, "NZD": 2, "SGD": 2, "HKD": 2, "CNY": 2, "INR": 2, "BRL": 2, "ZAR": 2,
	"ILS": 2, "AED": 2, "SAR": 2, "MXN": 2, "TRY": 2, "HUF": 2,
	"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}

// Exponent returns the number of minor-unit digits of an ISO 4217 currency code.
func Exponent(currency string) (int, bool) {
	e, ok := exponents[currency]
	return e, ok
}

// Errors of money parsing.
var (
	ErrMoneySyntax    = errors.New("not a decimal amount")
	ErrMoneyPrecision = errors.New("more decimals than the currency's minor unit")
	ErrMoneyRange     = errors.New("amount out of range")
)

// ParseMinor reads a plain decimal string ("2.55", "-11062.06", "3") as an integer number
// of minor units with exp decimals (2 → pence). It is exact: digits beyond exp must be
// zeros, otherwise ErrMoneyPrecision. Exponent notation and separators are refused.
func ParseMinor(s string, exp int) (int64, error) {
	return parseMinor(s, exp, false)
}

// RoundMinor is ParseMinor that rounds extra decimals half away from zero instead of
// failing: for sources that quote sub-minor prices (the retail file has a few 0.001).
func RoundMinor(s string, exp int) (int64, error) {
	return parseMinor(s, exp, true)
}

func parseMinor(s string, exp int, round bool) (int64, error) {
	if exp < 0 || exp > 9 {
		return 0, fmt.Errorf("exponent %d: %w", exp, ErrMoneyRange)
	}
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || !digits(intPart) || !digits(frac) {
		return 0, ErrMoneySyntax
	}
	var extra string
	if len(frac) > exp {
		frac, extra = frac[:exp], frac[exp:]
	}
	frac += strings.Repeat("0", exp-len(frac))
	var v uint64
	for _, c := range intPart + frac {
		d := uint64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, ErrMoneyRange
		}
		v = v*10 + d
	}
	if strings.Trim(extra, "0") != "" {
		if !round {
			return 0, ErrMoneyPrecision
		}
		if extra[0] >= '5' {
			if v == math.MaxInt64 {
				return 0, ErrMoneyRange
			}
			v++
		}
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatMinor writes minor units as a plain decimal string with exp decimals.
func FormatMinor(minor int64, exp int) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-(minor+1))+1 // no overflow at MinInt64
	}
	s := fmt.Sprintf("%0*d", exp+1, u)
	if exp == 0 {
		return sign + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// Money is an amount in minor units of a currency.
type Money struct {
	Minor    int64  `bson:"minor"`
	Currency string `bson:"currency"`
}

// ParseMoney parses an exact decimal amount of an ISO 4217 currency.
func ParseMoney(s, currency string) (Money, error) {
	exp, ok := Exponent(currency)
	if !ok {
		return Money{}, fmt.Errorf("unknown currency %q", currency)
	}
	v, err := ParseMinor(s, exp)
	if err != nil {
		return Money{}, fmt.Errorf("amount %q: %w", s, err)
	}
	return Money{Minor: v, Currency: currency}, nil
}

// String formats as "2.55 GBP".
func (m Money) String() string {
	exp, _ := Exponent(m.Currency)
	return FormatMinor(m.Minor, exp) + " " + m.Currency
}

// AddMinor adds two amounts and reports false where int64 would overflow.
func AddMinor(a, b int64) (int64, bool) {
	s := a + b
	// Overflow iff both operands have the same sign and the sum's sign differs.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, false
	}
	return s, true
}

// MulMinor multiplies two amounts (or a quantity and a price) and reports false where
// int64 would overflow.
func MulMinor(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(absU(a), absU(b))
	if hi != 0 {
		return 0, false
	}
	if neg {
		if lo > 1<<63 {
			return 0, false
		}
		return int64(-lo), true // -lo wraps to MinInt64 exactly when lo == 1<<63
	}
	if lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1 // no overflow at MinInt64
	}
	return uint64(v)
}

// SatAdd adds with saturation at the int64 bounds: totals never wrap around to the
// other sign.
func SatAdd(a, b int64) int64 {
	if s, ok := AddMinor(a, b); ok {
		return s
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}

// SatSub is a − b with saturation.
func SatSub(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b // a < 0: a − MinInt64 = a + 2^63 fits
	}
	return SatAdd(a, -b)
}
