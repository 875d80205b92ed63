package forecast

import (
	"fmt"
	"math"
)

// GammaGamma holds the parameters of the Gamma-Gamma spend model: a customer's purchase
// values are Gamma(shape P, rate ν), with ν ~ Gamma(shape Q, rate Gamma) across customers.
type GammaGamma struct {
	P, Q, Gamma float64
}

// LogLikelihood is the log density of the mean m of x purchase values (Fader & Hardie
// 2013, "The Gamma-Gamma model of monetary value"):
//
//	f(m | x) = Γ(px+q)/(Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q)
func (g GammaGamma) LogLikelihood(x int, m float64) float64 {
	px := g.P * float64(x)
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	return lg(px+g.Q) - lg(px) - lg(g.Q) + g.Q*math.Log(g.Gamma) + (px-1)*math.Log(m) +
		px*math.Log(float64(x)) - (px+g.Q)*math.Log(g.Gamma+m*float64(x))
}

// FitGammaGamma fits the model by maximum likelihood on the customers with repeat
// purchases of positive mean value. It fails when the fitted q ≤ 1: the population mean
// spend pγ/(q−1) would be infinite.
func FitGammaGamma(ss []Summary) (GammaGamma, FitInfo, error) {
	var xs []int
	var ms []float64
	mean := 0.0
	for _, s := range ss {
		if s.X > 0 && s.Monetary > 0 {
			xs, ms = append(xs, s.X), append(ms, s.Monetary)
			mean += s.Monetary
		}
	}
	if len(xs) < 3 {
		return GammaGamma{}, FitInfo{}, fmt.Errorf("%w: Gamma-Gamma needs customers with repeat purchases", errNoData)
	}
	mean /= float64(len(xs))
	nll := func(u []float64) float64 {
		v := expParams(u)
		g := GammaGamma{v[0], v[1], v[2]}
		t := 0.0
		for i, x := range xs {
			t -= g.LogLikelihood(x, ms[i])
		}
		return t / float64(len(xs))
	}
	// Start at p = 1, q = 2, where the population mean pγ/(q−1) is the observed one.
	u, f, info := nelderMead(nll, []float64{0, math.Log(2), math.Log(mean)}, 1, maxEvals)
	v := expParams(u)
	info.N, info.LogLik = len(xs), -f*float64(len(xs))
	g := GammaGamma{v[0], v[1], v[2]}
	if g.Q <= 1 {
		return g, info, fmt.Errorf("forecast: Gamma-Gamma fit has q = %.3g ≤ 1, no finite mean spend", g.Q)
	}
	return g, info, nil
}

// MeanSpend is the population mean value of a purchase, pγ/(q−1).
func (g GammaGamma) MeanSpend() float64 { return g.P * g.Gamma / (g.Q - 1) }

// ConditionalSpend is the expected value of the customer's purchases given their repeat
// purchases (Fader & Hardie 2013), a weighted mean of the population mean and the
// customer's own:
//
//	E[M | x, m] = p(γ + x·m) / (px + q − 1)
//
// Without repeat purchases of positive value it is the population mean.
func (g GammaGamma) ConditionalSpend(s Summary) float64 {
	if s.X == 0 || s.Monetary <= 0 {
		return g.MeanSpend()
	}
	x := float64(s.X)
	return g.P * (g.Gamma + x*s.Monetary) / (g.P*x + g.Q - 1)
}
