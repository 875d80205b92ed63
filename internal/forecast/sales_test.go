package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDampedTrendLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 7))
	var y []float64
	for i := range 60 {
		y = append(y, 100+5*float64(i)+rng.NormFloat64())
	}
	f, err := DampedTrend(y, 8, 0.95)
	if err != nil || !f.Fit.Converged {
		t.Fatal(err, f.Fit)
	}
	// A straight line wants as little damping as allowed.
	if f.Phi < 0.95 {
		t.Errorf("phi %.3f on a line", f.Phi)
	}
	damp := 0.0
	for k := range 8 {
		// Damping bends the forecast below the line by 5·(h − Σⱼ₌₁..ₕ φʲ); the noise moves
		// the level by about 1 and the trend by a fraction of 1 a step.
		damp += math.Pow(f.Phi, float64(k+1))
		truth := 100 + 5*float64(60+k)
		if want := truth - 5*(float64(k+1)-damp); math.Abs(f.Point[k]-want) > 2+float64(k+1) {
			t.Errorf("h=%d: forecast %.1f, damped line %.1f", k+1, f.Point[k], want)
		}
		if !(f.Lower[k] < f.Point[k] && f.Point[k] < f.Upper[k]) || k > 0 && f.Upper[k]-f.Lower[k] < f.Upper[k-1]-f.Lower[k-1] {
			t.Errorf("h=%d: interval [%.1f, %.1f] around %.1f", k+1, f.Lower[k], f.Upper[k], f.Point[k])
		}
	}
	if f.Sigma > 2 {
		t.Errorf("sigma %.2f for unit noise", f.Sigma)
	}
	if _, err := DampedTrend(y[:5], 3, 0.95); err == nil {
		t.Error("5 values: no error")
	}
	if _, err := DampedTrend(y, 3, 1); err == nil {
		t.Error("level 1: no error")
	}
}

// TestDampedTrendCoverage checks that the intervals from residuals are calibrated when the
// data come from a model of the family: a local level (random walk plus noise), 300
// series of 52 weeks. The 95% interval should hold about 95% of the next values; with
// 300 draws the binomial standard error is 1.3 points, and the estimated σ and
// parameters make the intervals a little narrow on short series, hence 88–99%.
func TestDampedTrendCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	const reps, h = 300, 4
	in := make([]int, h)
	for range reps {
		level := 1000.0
		var y []float64
		for range 52 + h {
			level += 10 * rng.NormFloat64()
			y = append(y, level+20*rng.NormFloat64())
		}
		f, err := DampedTrend(y[:52], h, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		for k := range h {
			if f.Lower[k] <= y[52+k] && y[52+k] <= f.Upper[k] {
				in[k]++
			}
		}
	}
	for k, n := range in {
		if c := float64(n) / reps; c < 0.88 || c > 0.99 {
			t.Errorf("h=%d: coverage %.3f of the 95%% interval", k+1, c)
		}
	}
	t.Logf("coverage of the 95%% interval at h = 1..%d over %d series: %v", h, reps, in)
}

func TestNaiveWeeklyMAPE(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6}
	if f, name := Naive(y, 3, 52); !slices.Equal(f, []float64{4.5, 4.5, 4.5}) || name != "mean of the last 4" {
		t.Errorf("short naive %v %q", f, name)
	}
	if f, _ := Naive(y, 5, 4); !slices.Equal(f, []float64{3, 4, 5, 6, 3}) {
		t.Errorf("seasonal naive %v", f)
	}
	start := time.Date(2011, 3, 25, 0, 0, 0, 0, time.UTC)
	orders := []Order{
		{start.Add(-time.Second), 100}, // before
		{start, 1},
		{start.AddDate(0, 0, 7).Add(-time.Second), 2}, // last second of week 0
		{start.AddDate(0, 0, 7), 4},
		{start.AddDate(0, 0, 8), -3},   // a return: not an order
		{start.AddDate(0, 0, 14), 100}, // after
	}
	if n, v, r := Weekly(orders, start, 2); !slices.Equal(n, []float64{2, 1}) || !slices.Equal(v, []float64{3, 4}) || !slices.Equal(r, []float64{0, 3}) {
		t.Errorf("weekly %v %v %v", n, v, r)
	}
	// Weeks of local calendar days across a daylight-saving change (27 March 2011 in London).
	lon, err := time.LoadLocation("Europe/London")
	if err == nil {
		s := time.Date(2011, 3, 25, 0, 0, 0, 0, lon)
		if n, _, _ := Weekly([]Order{{time.Date(2011, 4, 1, 0, 30, 0, 0, lon), 1}}, s, 2); !slices.Equal(n, []float64{0, 1}) {
			t.Errorf("weekly across DST %v", n)
		}
	}
	if m := MAPE([]float64{100, 0, 200}, []float64{110, 5, 100}); math.Abs(m-30) > 1e-12 {
		t.Errorf("MAPE %g, want 30 (the zero week left out)", m)
	}
}

// TestNetForecast: the net forecast is the gross series' damped-trend forecast times the
// share kept over the history, interval included.
func TestNetForecast(t *testing.T) {
	gross := []float64{100, 120, 110, 130, 125, 140, 135, 150, 145, 160}
	returned := []float64{0, 0, 60, 0, 0, 0, 0, 0, 70, 0} // 130 of 1,315 came back
	g, err := DampedTrend(gross, 4, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NetForecast(gross, returned, 4, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	kept := 1 - 130.0/1315
	if math.Abs(n.Kept-kept) > 1e-12 || g.Kept != 1 {
		t.Fatalf("kept %v (gross %v), want %v", n.Kept, g.Kept, kept)
	}
	for i := range g.Point {
		if math.Abs(n.Point[i]-kept*g.Point[i]) > 1e-9 || math.Abs(n.Lower[i]-kept*g.Lower[i]) > 1e-9 || math.Abs(n.Upper[i]-kept*g.Upper[i]) > 1e-9 {
			t.Errorf("week %d: %v [%v, %v], want %v × gross %v [%v, %v]", i, n.Point[i], n.Lower[i], n.Upper[i], kept, g.Point[i], g.Lower[i], g.Upper[i])
		}
	}
	// More returned than sold (write-offs of goods sold before the data): nothing kept.
	if z, _ := NetForecast(gross, []float64{2000, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 2, 0.9); z.Kept != 0 || z.Point[0] != 0 {
		t.Errorf("all returned: kept %v, point %v", z.Kept, z.Point)
	}
}
