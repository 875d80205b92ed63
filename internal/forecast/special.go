package forecast

import (
	"errors"
	"fmt"
	"math"
)

// errSeries is returned when a series does not reach its accuracy within its term budget.
var errSeries = errors.New("forecast: hypergeometric series did not converge")

// hyp2f1 is the Gauss hypergeometric function 2F1(a, b; c; z) for |z| < 1, summed as its
// power series Σ (a)ₙ(b)ₙ/((c)ₙ n!) zⁿ until the tail is provably below 1e-15 of the sum.
//
// The ratio of term j+1 to term j is z·(a+j)/(c+j)·(b+j)/(1+j). For c+j > 0 each factor
// is at most 1 + |a−c|/(c+j) and 1 + |b−1|/(1+j) in size, bounds that decrease in j (and
// likewise with a and b swapped); so once their product ρ with |z| is below 1, every later
// ratio is too, and the remaining terms add up to at most |term|·ρ/(1−ρ). Pairing the
// parameters this way keeps the bound tight when a and c are both large, as they are in
// the BG/NBD expectation when the fitted b is.
func hyp2f1(a, b, c, z float64) (float64, error) {
	if !(math.Abs(z) < 1) {
		return math.NaN(), fmt.Errorf("forecast: 2F1 needs |z| < 1, got %g", z)
	}
	if c <= 0 && c == math.Trunc(c) {
		return math.NaN(), fmt.Errorf("forecast: 2F1 undefined for c = %g", c)
	}
	const eps, maxTerms = 1e-15, 1_000_000
	sum, term := 1.0, 1.0
	for j := 0.0; j < maxTerms; j++ {
		term *= z * (a + j) * (b + j) / ((c + j) * (j + 1))
		sum += term
		if term == 0 { // a or b is a non-positive integer: a polynomial, now complete
			return sum, nil
		}
		if n := j + 1; c+n > 0 { // the next ratio is that of term n
			rho := math.Abs(z) * math.Min((1+math.Abs(a-c)/(c+n))*(1+math.Abs(b-1)/(1+n)),
				(1+math.Abs(b-c)/(c+n))*(1+math.Abs(a-1)/(1+n)))
			if rho < 1 && math.Abs(term)*rho/(1-rho) <= eps*math.Abs(sum) {
				return sum, nil
			}
		}
	}
	return sum, errSeries
}
