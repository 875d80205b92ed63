// Package forecast predicts customer value and sales from order history. It is pure
// domain code: orders in, numbers out, no storage.
//
// # Customer value
//
// Repeat purchasing follows the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your
// customers the easy way"): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α),
// and after each repeat purchase drops out for good with probability p ~ Beta(a, b). Spend
// follows the Gamma-Gamma model (Fader & Hardie 2013): the values of one customer's
// purchases are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of the
// purchase process. Both are fitted by maximum likelihood on per-customer summaries
// (Summarize), with Nelder–Mead on the log-parameters.
//
// Time is in days. As in the lifetimes library, a purchase is a day with orders: several
// orders on one day count once, their values added. x is the number of repeat purchases
// (purchase days after the first), tₓ the days from the first to the last purchase day, T
// the days from the start of the first purchase day to the as-of instant, and the
// monetary value the mean value of the repeat purchases (the first is left out, as in
// lifetimes and in Fader & Hardie's examples).
//
// For a horizon of t days after the as-of date, Predict gives the expected number of
// purchases E[Y(t) | x, tₓ, T], the probability of being alive, the expected value of a
// purchase E[M | x, m] and their product, the expected value of the period, together with
// the summary they were computed from.
//
// # Sales
//
// DampedTrend forecasts a weekly series with additive damped-trend exponential smoothing
// (ETS(A,Ad,N)) and a prediction interval from its one-step residuals; Naive is the
// seasonal-naive baseline, or the mean of the last four weeks when the series is shorter
// than a season. Backtest runs both evaluations on an order history split at a cut-off.
package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Order is one order of a customer: when it was placed and its value (any currency unit,
// the same for all orders). Callers leave cancellations out.
type Order struct {
	At    time.Time
	Value float64
}

// Summary is a customer's purchase history as of a date, the input of the models.
type Summary struct {
	AsOf time.Time // orders at or after it are not counted
	X    int       // repeat purchases: purchase days after the first
	Tx   float64   // days from the first purchase day to the last
	T    float64   // days from the start of the first purchase day to AsOf
	// Monetary is the mean value of the repeat purchases (0 when X = 0), times the share
	// of what the customer bought that they kept (returns are orders of negative value).
	Monetary float64
	Orders   int       // orders before AsOf, several a day counted each; returns are not orders
	Revenue  float64   // value of all orders before AsOf, the first purchase's included, less returns
	Returned float64   // value of the returns before AsOf (positive)
	First    time.Time // the first order
}

// dayNumber numbers calendar days (in t's location) consecutively.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Summarize builds the summary of one customer's orders as of asOf; ok is false when
// none was placed before it. The orders need not be sorted. An order of negative value
// is a return (a credit note): not a purchase, it lowers the value of the purchases by
// the share of the bought value that came back, so a customer who sent back what they
// bought is not expected to spend like one who kept it.
func Summarize(orders []Order, asOf time.Time) (s Summary, ok bool) {
	s.AsOf = asOf
	days := map[int64]float64{} // value per purchase day
	for _, o := range orders {
		if !o.At.Before(asOf) {
			continue
		}
		if o.Value < 0 {
			s.Returned -= o.Value
			continue
		}
		if s.Orders == 0 || o.At.Before(s.First) {
			s.First = o.At
		}
		s.Orders++
		s.Revenue += o.Value
		days[dayNumber(o.At)] += o.Value
	}
	if s.Orders == 0 {
		return s, false
	}
	first := dayNumber(s.First)
	last := first
	repeat := 0.0
	for d, v := range days {
		if d != first {
			repeat += v
		}
		last = max(last, d)
	}
	s.X = len(days) - 1
	s.Tx = float64(last - first)
	s.T = asOf.Sub(startOfDay(s.First)).Hours() / 24
	if s.X > 0 {
		s.Monetary = repeat / float64(s.X)
		if s.Returned > 0 && s.Revenue > 0 {
			s.Monetary *= max(0, 1-s.Returned/s.Revenue)
		}
	}
	s.Revenue -= s.Returned
	return s, true
}

// Model is a fitted customer-value model.
type Model struct {
	Purchases BGNBD
	Spend     GammaGamma
}

// FitModel fits both parts on the summaries of the same customers.
func FitModel(ss []Summary) (Model, FitInfo, FitInfo, error) {
	bg, bi, err := FitBGNBD(ss)
	if err != nil {
		return Model{}, bi, FitInfo{}, err
	}
	gg, gi, err := FitGammaGamma(ss)
	if err != nil {
		return Model{}, bi, gi, err
	}
	return Model{bg, gg}, bi, gi, nil
}

// Prediction is a customer's predicted purchases and value over Horizon days after
// Summary.AsOf, with the summary it was computed from.
type Prediction struct {
	Summary
	Horizon   float64 // days
	Purchases float64 // expected purchases (purchase days) in the horizon
	PAlive    float64 // probability of still being a customer at AsOf
	Spend     float64 // expected value of one purchase
	Value     float64 // Purchases × Spend
}

// Predict gives the expected purchases and value of the customer in the horizon.
func (m Model) Predict(s Summary, horizon float64) (Prediction, error) {
	e, err := m.Purchases.ConditionalPurchases(s, horizon)
	if err != nil {
		return Prediction{}, err
	}
	spend := m.Spend.ConditionalSpend(s)
	return Prediction{Summary: s, Horizon: horizon, Purchases: e, PAlive: m.Purchases.PAlive(s), Spend: spend, Value: e * spend}, nil
}

// checkSummary refuses summaries the likelihoods are not defined for.
func checkSummary(s Summary) error {
	if s.X < 0 || s.Tx < 0 || s.T < s.Tx || math.IsNaN(s.T) || math.IsInf(s.T, 0) {
		return fmt.Errorf("forecast: summary out of range: x=%d tx=%g T=%g", s.X, s.Tx, s.T)
	}
	return nil
}

var errNoData = errors.New("forecast: not enough data to fit")

// maxEvals bounds each maximum-likelihood search; the fits here need a few thousand.
const maxEvals = 40_000

// expParams maps log-parameters to parameters.
func expParams(u []float64) []float64 {
	p := slices.Clone(u)
	for i := range p {
		p[i] = math.Exp(p[i])
	}
	return p
}
