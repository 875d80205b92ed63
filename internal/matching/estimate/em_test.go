package estimate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tessera-cdp/tessera/internal/matching/field"
)

// EM must recover known m, u and match rate from comparison vectors drawn
// from them (conditional independence holds by construction).
func TestEMRecoversKnownParameters(t *testing.T) {
	fields := []FieldModel{{Name: "a", Kind: field.KindName}, {Name: "b", Kind: field.KindDate}, {Name: "c", Kind: field.KindCode}, {Name: "d", Kind: field.KindExact}}
	want := New(fields, 0.2)
	want.Fields[0].M, want.Fields[0].U = []float64{0.7, 0.15, 0.05, 0.02, 0.08}, []float64{0.01, 0.02, 0.05, 0.001, 0.919}
	want.Fields[1].M, want.Fields[1].U = []float64{0.85, 0.08, 0.03, 0.04}, []float64{0.003, 0.01, 0.1, 0.887}
	want.Fields[2].M, want.Fields[2].U = []float64{0.8, 0.1, 0.1}, []float64{0.05, 0.1, 0.85}
	want.Fields[3].M, want.Fields[3].U = []float64{0.95, 0.05}, []float64{0.3, 0.7}
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(p []float64) int {
		x := rng.Float64()
		for l, v := range p {
			if x -= v; x < 0 {
				return l
			}
		}
		return len(p) - 1
	}
	counts := map[Pattern]int{}
	for i := 0; i < 200000; i++ {
		match := rng.Float64() < want.Lambda
		var g Pattern
		for f, fm := range want.Fields {
			if rng.Float64() < 0.05 { // some missing values
				continue
			}
			if match {
				g.Set(f, draw(fm.M))
			} else {
				g.Set(f, draw(fm.U))
			}
		}
		counts[g]++
	}
	got := New(fields, 0.05)
	got.em(CountPatterns(counts), 500, false)
	if !got.Converged {
		t.Fatalf("EM did not converge in %d iterations", got.Iterations)
	}
	t.Logf("EM: %d iterations, lambda %.4f", got.Iterations, got.Lambda)
	if math.Abs(got.Lambda-want.Lambda) > 0.01 {
		t.Errorf("lambda = %.4f, want %.4f", got.Lambda, want.Lambda)
	}
	for f := range want.Fields {
		for l := range want.Fields[f].M {
			if d := math.Abs(got.Fields[f].M[l] - want.Fields[f].M[l]); d > 0.02 {
				t.Errorf("field %d level %d: m = %.3f, want %.3f", f, l, got.Fields[f].M[l], want.Fields[f].M[l])
			}
			if d := math.Abs(got.Fields[f].U[l] - want.Fields[f].U[l]); d > 0.02 {
				t.Errorf("field %d level %d: u = %.3f, want %.3f", f, l, got.Fields[f].U[l], want.Fields[f].U[l])
			}
		}
	}
}
