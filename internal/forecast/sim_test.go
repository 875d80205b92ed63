package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gammaRand draws from Gamma(shape, rate) (Marsaglia & Tsang 2000; shape < 1 by the
// boost Gamma(k) = Gamma(k+1)·U^(1/k)).
func gammaRand(rng *rand.Rand, shape, rate float64) float64 {
	if shape < 1 {
		return gammaRand(rng, shape+1, rate) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if math.Log(rng.Float64()) < x*x/2+d-d*v+d*math.Log(v) {
			return d * v / rate
		}
	}
}

func betaRand(rng *rand.Rand, a, b float64) float64 {
	x := gammaRand(rng, a, 1)
	return x / (x + gammaRand(rng, b, 1))
}

// simCustomer is a customer drawn from the models: the summary at T, and what happened
// in the following horizon.
type simCustomer struct {
	s         Summary
	alive     bool    // still alive at T
	future    int     // purchases in (T, T+horizon]
	meanSpend float64 // the customer's true mean purchase value p/ν
}

// simulate draws n customers from BG/NBD p and Gamma-Gamma g, customer i observed for
// T = tLo + (tHi−tLo)·i/n days after their first purchase. The first purchase's value is
// drawn but, as in Summarize, left out of Monetary.
func simulate(rng *rand.Rand, p BGNBD, g GammaGamma, n int, tLo, tHi, horizon float64) []simCustomer {
	cs := make([]simCustomer, n)
	for i := range cs {
		T := tLo + (tHi-tLo)*float64(i)/float64(n)
		lambda, drop := gammaRand(rng, p.R, p.Alpha), betaRand(rng, p.A, p.B)
		nu := gammaRand(rng, g.Q, g.Gamma)
		c := simCustomer{s: Summary{T: T}, alive: true, meanSpend: g.P / nu}
		sum := 0.0
		for t := 0.0; c.alive; {
			t += rng.ExpFloat64() / lambda
			if t > T+horizon {
				break
			}
			if t <= T {
				c.s.X++
				c.s.Tx = t
				sum += gammaRand(rng, g.P, nu)
			} else {
				c.future++
			}
			if rng.Float64() < drop {
				c.alive = t > T // alive at T if it dropped out only later
				break
			}
		}
		if c.s.X > 0 {
			c.s.Monetary = sum / float64(c.s.X)
		}
		cs[i] = c
	}
	return cs
}

func summaries(cs []simCustomer) []Summary {
	ss := make([]Summary, len(cs))
	for i, c := range cs {
		ss[i] = c.s
	}
	return ss
}

// logSE estimates the standard errors of the log-parameters of an ML fit from the
// inverse of the numerical Hessian of the summed negative log-likelihood at u.
func logSE(t *testing.T, nll func([]float64) float64, u []float64) []float64 {
	n := len(u)
	const h = 1e-3
	H := make([][]float64, n)
	for i := range H {
		H[i] = make([]float64, n)
		for j := range H[i] {
			f := func(di, dj float64) float64 {
				v := append([]float64(nil), u...)
				v[i] += di
				v[j] += dj
				return nll(v)
			}
			H[i][j] = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
		}
	}
	inv := invert(t, H)
	se := make([]float64, n)
	for i := range se {
		se[i] = math.Sqrt(inv[i][i])
	}
	return se
}

// invert inverts a small matrix by Gauss–Jordan elimination with partial pivoting.
func invert(t *testing.T, m [][]float64) [][]float64 {
	n := len(m)
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, 2*n)
		copy(a[i], m[i])
		a[i][n+i] = 1
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			t.Fatal("singular Hessian")
		}
		a[c], a[p] = a[p], a[c]
		for r := range n {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := range a[r] {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	inv := make([][]float64, n)
	for i := range inv {
		inv[i] = make([]float64, n)
		for j := range inv[i] {
			inv[i][j] = a[i][n+j] / a[i][i]
		}
	}
	return inv
}
