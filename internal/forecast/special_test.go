package forecast

import (
	"math"
	"testing"
)

func TestHyp2F1(t *testing.T) {
	close := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want)) }
	for _, c := range []struct{ a, b, c, z, want float64 }{
		// mpmath.hyp2f1 at 30 digits
		{2.243, 4.426, 5.219, 0.8, 17.879067709902412425},
		{0.5, -0.2, 3.1, 0.95, 0.96296188680521088222},
		{-0.457, -0.207, 20.2, 0.99, 1.0046849822226200497},
		{50.2, 52.4, 101.1, 0.3, 7210.2527199650934605},
		{1.5, 2.5, 3.5, -0.7, 0.55572066443896334228},
		{-3, 2, 1.5, 0.6, -0.066971428571428566658}, // a polynomial
		{0.243, 2.426, 2.219, 0.999, 11.09650428868049392},
	} {
		if got, err := hyp2f1(c.a, c.b, c.c, c.z); err != nil || !close(got, c.want, 1e-12) {
			t.Errorf("2F1(%g, %g; %g; %g) = %.17g, %v; want %.17g", c.a, c.b, c.c, c.z, got, err, c.want)
		}
	}
	for _, z := range []float64{-0.9, -0.3, 0, 0.1, 0.5, 0.9, 0.99} {
		if got, _ := hyp2f1(1, 1, 2, z); z != 0 && !close(got, -math.Log1p(-z)/z, 1e-12) {
			t.Errorf("2F1(1,1;2;%g) = %g, want -ln(1-z)/z", z, got)
		}
		if got, _ := hyp2f1(0.7, 3.2, 3.2, z); !close(got, math.Pow(1-z, -0.7), 1e-12) {
			t.Errorf("2F1(a,b;b;%g) = %g, want (1-z)^-a", z, got)
		}
		if s := math.Sqrt(math.Abs(z)); z > 0 {
			if got, _ := hyp2f1(0.5, 0.5, 1.5, z); !close(got, math.Asin(s)/s, 1e-12) {
				t.Errorf("2F1(1/2,1/2;3/2;%g) = %g, want asin(√z)/√z", z, got)
			}
		}
	}
	for _, c := range [][4]float64{{1, 1, 2, 1}, {1, 1, 2, -1.5}, {1, 1, -2, 0.5}, {1, 1, 2, math.NaN()}} {
		if _, err := hyp2f1(c[0], c[1], c[2], c[3]); err == nil {
			t.Errorf("2F1%v: no error", c)
		}
	}
}

func TestNelderMeadRosenbrock(t *testing.T) {
	f := func(x []float64) float64 { return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2) }
	x, fx, info := nelderMead(f, []float64{-1.2, 1}, 1, 10_000)
	if !info.Converged || fx > 1e-10 || math.Abs(x[0]-1) > 1e-4 || math.Abs(x[1]-1) > 1e-4 {
		t.Errorf("minimum %v f=%g %+v", x, fx, info)
	}
}
