package forecast

import (
	"fmt"
	"math"
)

// BGNBD holds the parameters of the BG/NBD model: purchase rates λ ~ Gamma(shape R, rate
// Alpha) per day, dropout probabilities p ~ Beta(A, B).
type BGNBD struct {
	R, Alpha, A, B float64
}

// LogLikelihood is the log of the probability of the customer's summary (Fader, Hardie &
// Lee 2005, eq. 6):
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//	  + [x > 0] B(a+1, b+x−1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+tₓ)^(r+x))
func (p BGNBD) LogLikelihood(s Summary) float64 {
	x := float64(s.X)
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	common := lg(r+x) - lg(r) + r*math.Log(al) + lg(a+b) + lg(b+x) - lg(b) - lg(a+b+x)
	l1 := -(r + x) * math.Log(al+s.T)
	if s.X == 0 {
		return common + l1
	}
	l2 := math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(al+s.Tx)
	return common + logAddExp(l1, l2)
}

func logAddExp(u, v float64) float64 {
	m := math.Max(u, v)
	return m + math.Log(math.Exp(u-m)+math.Exp(v-m))
}

// FitBGNBD fits the model by maximum likelihood. At least one customer must have a repeat
// purchase: without any, the rates and dropout cannot be told apart.
//
// When the data show no dropout, the likelihood keeps rising towards a → 0 or b → ∞, the
// limit where nobody drops out (the NBD model, P(alive) = 1). The search stops where it
// no longer gains a relative 1e-10; a and b are then large or small but the predictions,
// which depend on them only through that limit, are settled.
func FitBGNBD(ss []Summary) (BGNBD, FitInfo, error) {
	var sumX, sumT float64
	for _, s := range ss {
		if err := checkSummary(s); err != nil {
			return BGNBD{}, FitInfo{}, err
		}
		sumX += float64(s.X)
		sumT += s.T
	}
	if sumX == 0 || sumT == 0 {
		return BGNBD{}, FitInfo{}, fmt.Errorf("%w: BG/NBD needs repeat purchases", errNoData)
	}
	nll := func(u []float64) float64 {
		v := expParams(u)
		p := BGNBD{v[0], v[1], v[2], v[3]}
		t := 0.0
		for _, s := range ss {
			t -= p.LogLikelihood(s)
		}
		return t / float64(len(ss))
	}
	// Start at r = a = b = 1 with the mean rate r/α matching the observed one.
	u, f, info := nelderMead(nll, []float64{0, math.Log(sumT / sumX), 0, 0}, 1, maxEvals)
	v := expParams(u)
	info.N, info.LogLik = len(ss), -f*float64(len(ss))
	return BGNBD{v[0], v[1], v[2], v[3]}, info, nil
}

// PAlive is the probability that the customer is still alive at T (Fader, Hardie & Lee,
// "Computing P(alive) using the BG/NBD model"):
//
//	1 / (1 + [x > 0] a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x))
//
// In this model a customer without repeat purchases cannot have dropped out, so it is 1.
func (p BGNBD) PAlive(s Summary) float64 {
	if s.X == 0 {
		return 1
	}
	x := float64(s.X)
	l := math.Log(p.A) - math.Log(p.B+x-1) + (p.R+x)*(math.Log(p.Alpha+s.T)-math.Log(p.Alpha+s.Tx))
	return 1 / (1 + math.Exp(l))
}

// ConditionalPurchases is the expected number of purchases in the t days after T
// (FHL 2005, eq. 10):
//
//	E[Y(t) | x, tₓ, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · PAlive
//
// with z = t/(α+T+t). Euler's transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a,c−b;c;z)
// turns the bracket into 1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z): the same value
// without the huge intermediate terms of a frequent buyer's series (both of whose upper
// parameters grow with x), and faster convergence, since c grows with x instead. For a new
// customer (x = tₓ = T = 0) it is the unconditional E[X(t)].
func (p BGNBD) ConditionalPurchases(s Summary, t float64) (float64, error) {
	if err := checkSummary(s); err != nil {
		return math.NaN(), err
	}
	if t < 0 || math.IsNaN(t) {
		return math.NaN(), fmt.Errorf("forecast: horizon %g", t)
	}
	if t == 0 {
		return 0, nil
	}
	x := float64(s.X)
	r, al, b := p.R, p.Alpha, p.B
	z := t / (al + s.T + t)
	growth := func(a float64) (float64, error) {
		f, err := hyp2f1(a+b-1-r, a-1, a+b+x-1, z)
		return (a + b + x - 1) / (a - 1) * (1 - math.Pow(1-z, a-1)*f), err
	}
	// A large a (the dropout probability concentrated near a/(a+b), as a fit gives when
	// every customer seems to drop out at about the same rate: a = 2.8·10⁶, b = 3.9·10⁶)
	// makes the transformed form's (1−z)^(a−1) underflow while its series overflows, a
	// NaN after a million terms; there the untransformed series converges fast, its terms
	// shrinking like (b/(a+b)·z)ⁿ.
	if (p.A-1)*-math.Log1p(-z) > 600 {
		growth = func(a float64) (float64, error) {
			f, err := hyp2f1(r+x, b+x, a+b+x-1, z)
			return (a + b + x - 1) / (a - 1) * (1 - math.Pow(1-z, r+x)*f), err
		}
	}
	// At a = 1 the bracket and a−1 both vanish; the expectation is smooth in a, so near
	// it take the mean of two points either side, away from the cancellation.
	const h = 1e-6
	g, err := growth(p.A)
	if math.Abs(p.A-1) < h {
		var g2 float64
		g, err = growth(1 - 2*h)
		if err == nil {
			g2, err = growth(1 + 2*h)
		}
		g = (g + g2) / 2
	}
	if err == nil && (math.IsNaN(g) || math.IsInf(g, 0)) {
		err = fmt.Errorf("forecast: expected purchases not finite (a=%g, b=%g)", p.A, b)
	}
	if err != nil {
		return math.NaN(), err
	}
	return g * p.PAlive(s), nil
}
