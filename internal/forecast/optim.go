package forecast

import (
	"cmp"
	"math"
	"slices"
)

// FitInfo describes a maximum-likelihood (or least-squares) fit.
type FitInfo struct {
	N         int     // observations used
	LogLik    float64 // at the optimum, summed over the observations (−SSE for least squares)
	Evals     int     // objective evaluations
	Converged bool    // false if the evaluation budget ran out first
}

// nelderMead minimises f from x0 with the Nelder–Mead simplex (reflection 1, expansion 2,
// contraction and shrink ½), starting each simplex with the given step along every axis.
// A simplex can stall away from the optimum, the method's known weakness, so it restarts
// from the best point until a restart no longer improves f. Non-finite values count as +Inf,
// which keeps the search inside the region where f is defined.
func nelderMead(f func([]float64) float64, x0 []float64, step float64, maxEvals int) ([]float64, float64, FitInfo) {
	const ftol, xtol = 1e-10, 1e-7
	n := len(x0)
	info := FitInfo{}
	eval := func(x []float64) float64 {
		info.Evals++
		if v := f(x); !math.IsNaN(v) {
			return v
		}
		return math.Inf(1)
	}
	type vertex struct {
		x []float64
		f float64
	}
	at := func(c, d []float64, t float64) vertex { // c + t·(d − c)
		x := make([]float64, n)
		for i := range x {
			x[i] = c[i] + t*(d[i]-c[i])
		}
		return vertex{x, eval(x)}
	}
	best := vertex{slices.Clone(x0), eval(x0)}
	for restart := 0; ; restart++ {
		s := []vertex{best}
		for i := range n {
			x := slices.Clone(best.x)
			x[i] += step
			s = append(s, vertex{x, eval(x)})
		}
		for info.Evals < maxEvals {
			slices.SortStableFunc(s, func(p, q vertex) int { return cmp.Compare(p.f, q.f) })
			size := 0.0
			for _, v := range s[1:] {
				for i := range n {
					size = math.Max(size, math.Abs(v.x[i]-s[0].x[i]))
				}
			}
			if s[n].f-s[0].f <= ftol*(math.Abs(s[0].f)+ftol) && size <= xtol {
				break
			}
			c := make([]float64, n) // centroid of all but the worst
			for _, v := range s[:n] {
				for i := range c {
					c[i] += v.x[i] / float64(n)
				}
			}
			worst := s[n]
			r := at(c, worst.x, -1)
			switch {
			case r.f < s[0].f:
				if e := at(c, worst.x, -2); e.f < r.f {
					s[n] = e
				} else {
					s[n] = r
				}
			case r.f < s[n-1].f:
				s[n] = r
			default:
				t := -0.5 // outside contraction, towards r
				if r.f >= worst.f {
					t = 0.5 // inside, towards the worst
				}
				if k := at(c, worst.x, t); k.f < math.Min(r.f, worst.f) {
					s[n] = k
					break
				}
				for j := 1; j <= n; j++ {
					s[j] = at(s[0].x, s[j].x, 0.5)
				}
			}
		}
		slices.SortStableFunc(s, func(p, q vertex) int { return cmp.Compare(p.f, q.f) })
		improved := best.f - s[0].f
		best = s[0]
		if info.Evals >= maxEvals {
			return best.x, best.f, info
		}
		if restart > 0 && improved <= ftol*(math.Abs(best.f)+ftol) {
			info.Converged = true
			return best.x, best.f, info
		}
	}
}
