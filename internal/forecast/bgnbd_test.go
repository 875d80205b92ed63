package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Parameter recovery. With 20,000 customers observed for one to two years the asymptotic
// standard errors (inverse Hessian of the log-likelihood, checked below) of the log-
// parameters are at most 3% for r, α, a and b and 4% for p, q and γ of the Gamma-Gamma
// model, so a 15% tolerance is more than 3 standard errors for each, while a wrong
// likelihood or a stalled optimiser is off by far more. The test checks that the
// standard errors are indeed below 5%, which is what the tolerance rests on.
const recoveryTol, recoveryMaxSE = 0.15, 0.05

var (
	trueBG = BGNBD{R: 1, Alpha: 10, A: 0.8, B: 3} // 36 purchases a year while alive on average, mean dropout 0.21
	trueGG = GammaGamma{P: 2, Q: 3, Gamma: 40}    // mean spend 40
	simCut = [2]float64{365, 730}                 // range of T, days
)

func TestBGNBDRecovery(t *testing.T) {
	ss := summaries(simulate(rand.New(rand.NewPCG(1, 7)), trueBG, trueGG, 20_000, simCut[0], simCut[1], 0))
	fit, info, err := FitBGNBD(ss)
	if err != nil || !info.Converged {
		t.Fatal(err, info)
	}
	nll := func(u []float64) float64 {
		v := expParams(u)
		p, s := BGNBD{v[0], v[1], v[2], v[3]}, 0.0
		for _, c := range ss {
			s -= p.LogLikelihood(c)
		}
		return s
	}
	got := []float64{fit.R, fit.Alpha, fit.A, fit.B}
	se := logSE(t, nll, logs(got))
	checkRecovery(t, "BG/NBD", []string{"r", "alpha", "a", "b"}, got, []float64{trueBG.R, trueBG.Alpha, trueBG.A, trueBG.B}, se)
	t.Logf("BG/NBD fit %+v (%d evaluations, log-likelihood %.1f)", fit, info.Evals, info.LogLik)
}

func TestGammaGammaRecovery(t *testing.T) {
	ss := summaries(simulate(rand.New(rand.NewPCG(2, 7)), trueBG, trueGG, 20_000, simCut[0], simCut[1], 0))
	fit, info, err := FitGammaGamma(ss)
	if err != nil || !info.Converged {
		t.Fatal(err, info)
	}
	nll := func(u []float64) float64 {
		v := expParams(u)
		g, s := GammaGamma{v[0], v[1], v[2]}, 0.0
		for _, c := range ss {
			if c.X > 0 {
				s -= g.LogLikelihood(c.X, c.Monetary)
			}
		}
		return s
	}
	got := []float64{fit.P, fit.Q, fit.Gamma}
	se := logSE(t, nll, logs(got))
	checkRecovery(t, "Gamma-Gamma", []string{"p", "q", "gamma"}, got, []float64{trueGG.P, trueGG.Q, trueGG.Gamma}, se)
	t.Logf("Gamma-Gamma fit %+v on %d customers (%d evaluations)", fit, info.N, info.Evals)
}

func logs(v []float64) []float64 {
	u := make([]float64, len(v))
	for i := range v {
		u[i] = math.Log(v[i])
	}
	return u
}

func checkRecovery(t *testing.T, model string, names []string, got, want, se []float64) {
	t.Helper()
	for i, n := range names {
		rel := got[i]/want[i] - 1
		t.Logf("%s %-5s true %7.3f fitted %7.3f (%+5.1f%%, SE %.1f%%)", model, n, want[i], got[i], 100*rel, 100*se[i])
		if math.Abs(rel) > recoveryTol {
			t.Errorf("%s %s = %g, want %g within %.0f%%", model, n, got[i], want[i], 100*recoveryTol)
		}
		if se[i] > recoveryMaxSE {
			t.Errorf("%s %s: standard error %.3f above %.2f, the tolerance is not justified", model, n, se[i], recoveryMaxSE)
		}
	}
}

func TestConditionalPurchasesReference(t *testing.T) {
	// The CDNOW parameters of Fader, Hardie & Lee (2005), in weeks; reference values from
	// eq. 10 as printed (without Euler's transformation), by mpmath at 40 digits. The first
	// is the paper's worked example (1.226).
	p := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	for _, c := range []struct {
		x        int
		tx, T, t float64
		want     float64
	}{
		{2, 30.43, 38.86, 39, 1.2260281747671444637},
		{0, 0, 38.86, 39, 0.195098052011262641},
		{0, 0, 0, 39, 1.1967231933208168419},
		{50, 35, 38, 52, 27.337449873667605448},
		{1, 1, 1, 100, 5.8554290967646890723},
	} {
		got, err := p.ConditionalPurchases(Summary{X: c.x, Tx: c.tx, T: c.T}, c.t)
		if err != nil || math.Abs(got-c.want) > 1e-10*c.want {
			t.Errorf("E[Y(%g) | %d, %g, %g] = %.15g, %v; want %.15g", c.t, c.x, c.tx, c.T, got, err, c.want)
		}
	}
}

// TestConditionalMonteCarlo checks the conditional expectation and P(alive) against
// simulation with the true parameters: among customers with the same number of repeat
// purchases, the mean prediction must match the mean of what they went on to do (the law
// of total expectation), within 4 Monte-Carlo standard errors.
func TestConditionalMonteCarlo(t *testing.T) {
	const horizon = 90
	cs := simulate(rand.New(rand.NewPCG(3, 7)), trueBG, trueGG, 40_000, 30, 365, horizon)
	type acc struct{ n, pred, fut, fut2, alive, palive, spend, trueSpend, trueSpend2 float64 }
	buckets := map[string]*acc{}
	bucket := func(x int) string {
		switch {
		case x <= 2:
			return fmt.Sprint(x)
		case x <= 5:
			return "3-5"
		case x <= 15:
			return "6-15"
		}
		return "16+"
	}
	total, uncond := acc{}, 0.0
	for _, c := range cs {
		e, err := trueBG.ConditionalPurchases(c.s, horizon)
		if err != nil {
			t.Fatal(err)
		}
		b := buckets[bucket(c.s.X)]
		if b == nil {
			b = &acc{}
			buckets[bucket(c.s.X)] = b
		}
		alive := 0.0
		if c.alive {
			alive = 1
		}
		f := float64(c.future)
		spend := trueGG.ConditionalSpend(c.s)
		for _, a := range []*acc{b, &total} {
			a.n++
			a.pred += e
			a.fut += f
			a.fut2 += f * f
			a.alive += alive
			a.palive += trueBG.PAlive(c.s)
			a.spend += spend
			a.trueSpend += c.meanSpend
			a.trueSpend2 += c.meanSpend * c.meanSpend
		}
		// Averaged over all customers, the conditional expectation is the increment
		// E[X(T+t)] − E[X(T)] of the unconditional one.
		u1, _ := trueBG.ConditionalPurchases(Summary{}, c.s.T+horizon)
		u0, _ := trueBG.ConditionalPurchases(Summary{}, c.s.T)
		uncond += u1 - u0
	}
	buckets["all"] = &total
	if d := math.Abs(total.pred-uncond) / total.n; d > 0.01*uncond/total.n {
		t.Errorf("mean conditional expectation %.4f, unconditional increment %.4f", total.pred/total.n, uncond/total.n)
	}
	for _, k := range []string{"0", "1", "2", "3-5", "6-15", "16+", "all"} {
		a := buckets[k]
		se := math.Sqrt((a.fut2/a.n - (a.fut/a.n)*(a.fut/a.n)) / a.n)
		if d := math.Abs(a.pred-a.fut) / a.n; d > 4*se+1e-3 {
			t.Errorf("x=%s: mean predicted %.3f, simulated %.3f (SE %.3f)", k, a.pred/a.n, a.fut/a.n, se)
		}
		pa := a.alive / a.n
		if d := math.Abs(a.palive-a.alive) / a.n; d > 4*math.Sqrt(pa*(1-pa)/a.n)+1e-3 {
			t.Errorf("x=%s: mean P(alive) %.3f, simulated %.3f", k, a.palive/a.n, pa)
		}
		sse := math.Sqrt((a.trueSpend2/a.n - (a.trueSpend/a.n)*(a.trueSpend/a.n)) / a.n)
		if d := math.Abs(a.spend-a.trueSpend) / a.n; d > 4*sse {
			t.Errorf("x=%s: mean expected spend %.2f, true %.2f (SE %.2f)", k, a.spend/a.n, a.trueSpend/a.n, sse)
		}
		t.Logf("x=%-4s n=%5.0f purchases predicted %6.3f simulated %6.3f (SE %.3f)  P(alive) %.3f vs %.3f  spend %.2f vs %.2f",
			k, a.n, a.pred/a.n, a.fut/a.n, se, a.palive/a.n, pa, a.spend/a.n, a.trueSpend/a.n)
	}
}
