package forecast

import (
	"math"
	"testing"
)

// With a and b both large the dropout probability is fixed at p = a/(a+b), and the
// expectation tends to (1/p)·[1 − ((α+T)/(α+T+p·t))^(r+x)]·P(alive) (the ₂F₁ of the
// untransformed form becomes (1 − (1−p)z)^−(r+x)). The transformed series gave NaN there.
func TestConditionalPurchasesWithLargeAB(t *testing.T) {
	p := BGNBD{R: 1.8199, Alpha: 199.02, A: 2.768e6, B: 3.875e6}
	drop := p.A / (p.A + p.B)
	for _, s := range []Summary{{X: 0, T: 94}, {X: 1, Tx: 29, T: 142}, {X: 4, Tx: 331, T: 367}} {
		got, err := p.ConditionalPurchases(s, 90)
		x := float64(s.X)
		want := (1 - math.Pow((p.Alpha+s.T)/(p.Alpha+s.T+drop*90), p.R+x)) / drop * p.PAlive(s)
		if err != nil || math.Abs(got-want) > 1e-4*want {
			t.Errorf("%+v: %g (%v), want about %g", s, got, err, want)
		}
	}
}
