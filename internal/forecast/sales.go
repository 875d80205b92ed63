package forecast

import (
	"fmt"
	"math"
	"time"
)

// SalesForecast is a forecast of the next values of a series with a prediction interval.
type SalesForecast struct {
	Point, Lower, Upper []float64 // Lower is not clipped at zero
	Level               float64   // of the interval, e.g. 0.95
	Alpha, Beta, Phi    float64   // smoothing of level and trend, damping
	Sigma               float64   // standard deviation of the one-step residuals
	Fit                 FitInfo   // LogLik is −SSE
	// Kept is the share of gross sales kept (NetForecast; 1 for DampedTrend's own):
	// Point, Lower, Upper and Sigma are scaled by it.
	Kept float64
}

// DampedTrend forecasts h steps of y by additive damped-trend exponential smoothing,
// ETS(A,Ad,N) (Gardner & McKenzie 1985; Hyndman et al. 2008):
//
//	ŷₜ = lₜ₋₁ + φbₜ₋₁,  eₜ = yₜ − ŷₜ,  lₜ = lₜ₋₁ + φbₜ₋₁ + αeₜ,  bₜ = φbₜ₋₁ + βeₜ
//	ŷₙ₊ₕ = lₙ + (φ + … + φʰ) bₙ
//
// It is chosen for weekly sales with less than a year of history: no seasonal component
// can be estimated, and the damped trend follows a recent rise without extrapolating it
// for ever, a combination that does well across forecasting competitions. α, β ≤ α,
// φ ∈ [0.8, 0.98] (the bounds of R's forecast::ets) and the initial level and trend
// minimise the one-step squared errors. The interval is normal with the model's h-step
// variance σ²(1 + Σⱼ₌₁..ₕ₋₁ cⱼ²), cⱼ = α + βφ(1−φʲ)/(1−φ), σ² estimated from the
// residuals with five degrees of freedom taken (three parameters, two initial states).
func DampedTrend(y []float64, h int, level float64) (SalesForecast, error) {
	n := len(y)
	if n < 8 || h < 1 || !(level > 0 && level < 1) {
		return SalesForecast{}, fmt.Errorf("%w: damped trend needs 8 values, h ≥ 1 and a level in (0, 1); got %d, %d, %g", errNoData, n, h, level)
	}
	// Initial states: a least-squares line through the first ten values (at index −1,
	// before the first), then refined with the smoothing parameters, in units of the
	// series' spread so that one simplex step suits every scale.
	m := min(n, 10)
	var sx, sy, sxx, sxy, mean, spread float64
	for i, v := range y[:m] {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
	}
	slope := (float64(m)*sxy - sx*sy) / (float64(m)*sxx - sx*sx)
	line := (sy-slope*sx)/float64(m) - slope
	for _, v := range y {
		mean += v / float64(n)
	}
	for _, v := range y {
		spread = math.Max(spread, math.Abs(v-mean))
	}
	if spread == 0 {
		spread = 1
	}
	params := func(u []float64) (al, be, phi, l0, b0 float64) {
		logistic := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
		al = logistic(u[0])
		return al, al * logistic(u[1]), 0.8 + 0.18*logistic(u[2]), line + spread*u[3], slope + spread*u[4]/float64(n)
	}
	run := func(al, be, phi, l0, b0 float64) (sse, l, b float64) {
		l, b = l0, b0
		for _, v := range y {
			e := v - (l + phi*b)
			sse += e * e
			l, b = l+phi*b+al*e, phi*b+be*e
		}
		return sse, l, b
	}
	u, _, info := nelderMead(func(u []float64) float64 {
		sse, _, _ := run(params(u))
		return sse / float64(n) / (spread * spread)
	}, []float64{0, 0, 0, 0, 0}, 1, maxEvals)
	al, be, phi, l0, b0 := params(u)
	sse, l, b := run(al, be, phi, l0, b0)
	info.N, info.LogLik = n, -sse
	f := SalesForecast{Level: level, Alpha: al, Beta: be, Phi: phi, Sigma: math.Sqrt(sse / float64(n-5)), Fit: info, Kept: 1}
	z := math.Sqrt2 * math.Erfinv(level)
	damp, variance := 0.0, 0.0
	for k := 1; k <= h; k++ {
		damp += math.Pow(phi, float64(k))
		if k > 1 {
			c := al + be*phi*(1-math.Pow(phi, float64(k-1)))/(1-phi)
			variance += c * c
		}
		p, w := l+damp*b, z*f.Sigma*math.Sqrt(1+variance)
		f.Point, f.Lower, f.Upper = append(f.Point, p), append(f.Lower, p-w), append(f.Upper, p+w)
	}
	return f, nil
}

// NetForecast forecasts net sales (sales less returns) as the damped-trend forecast of
// the gross sales times the share of them kept over the history. Returns come as rare
// large spikes (a credit note for a whole order, weeks after it) that a smoothing of the
// net series would take for changes of level; the kept share is stable. gross and
// returned are weekly sums, returned positive. The interval scales with the point.
func NetForecast(gross, returned []float64, h int, level float64) (SalesForecast, error) {
	f, err := DampedTrend(gross, h, level)
	if err != nil {
		return f, err
	}
	var g, r float64
	for i := range gross {
		g, r = g+gross[i], r+returned[i]
	}
	kept := 1.0
	if g > 0 {
		kept = math.Min(1, math.Max(0, 1-r/g))
	}
	f.Kept, f.Sigma = kept, f.Sigma*kept
	for i := range f.Point {
		f.Point[i], f.Lower[i], f.Upper[i] = f.Point[i]*kept, f.Lower[i]*kept, f.Upper[i]*kept
	}
	return f, nil
}

// Naive is the baseline forecast of h steps of y: seasonal-naive (each value the one a
// season earlier) when y covers a season, else the mean of the last four values. The
// name says which.
func Naive(y []float64, h, season int) (forecast []float64, name string) {
	n := len(y)
	if season > 0 && n >= season {
		for k := range h {
			forecast = append(forecast, y[n-season+k%season])
		}
		return forecast, fmt.Sprintf("seasonal naive (%d)", season)
	}
	k := min(n, 4)
	mean := 0.0
	for _, v := range y[n-k:] {
		mean += v / float64(k)
	}
	for range h {
		forecast = append(forecast, mean)
	}
	return forecast, fmt.Sprintf("mean of the last %d", k)
}

// Weekly sums orders into n weeks from start, week i being [start+7i days, start+7(i+1)
// days): the number of orders (returns, of negative value, are not orders), the value of
// the orders (gross) and of the returns (positive).
func Weekly(orders []Order, start time.Time, n int) (count, value, returned []float64) {
	count, value, returned = make([]float64, n), make([]float64, n), make([]float64, n)
	end := start.AddDate(0, 0, 7*n)
	for _, o := range orders {
		if o.At.Before(start) || !o.At.Before(end) {
			continue
		}
		i := int(o.At.Sub(start) / (7 * 24 * time.Hour))
		// Across a daylight-saving change a week is an hour off 168; place by calendar.
		for i > 0 && o.At.Before(start.AddDate(0, 0, 7*i)) {
			i--
		}
		for i < n-1 && !o.At.Before(start.AddDate(0, 0, 7*(i+1))) {
			i++
		}
		if o.Value >= 0 {
			count[i]++
			value[i] += o.Value
		} else {
			returned[i] -= o.Value
		}
	}
	return count, value, returned
}

// MAPE is the mean absolute percentage error of forecast against actual, over the
// non-zero actual values.
func MAPE(actual, forecast []float64) float64 {
	s, n := 0.0, 0
	for i, a := range actual {
		if a != 0 {
			s += math.Abs((forecast[i] - a) / a)
			n++
		}
	}
	return 100 * s / float64(n)
}
