package commerce

import (
	"errors"
	"fmt"
	"math"
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
