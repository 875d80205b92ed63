package forecast

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// CustomerOrder is an order with its customer's id, "" for a guest.
type CustomerOrder struct {
	Customer string
	Order
}

// BacktestConfig splits the history at Cutoff: the models see the orders before it and
// are scored on the Horizon days (customers) and Weeks weeks (sales) after it.
type BacktestConfig struct {
	Cutoff  time.Time
	Horizon int     // days
	Weeks   int     // of the sales forecast
	Level   float64 // of the sales prediction interval
}

// Score compares per-customer predictions with what happened.
type Score struct {
	MAE, RMSE, Corr   float64 // per customer; Corr is Pearson's
	Predicted, Actual float64 // totals
}

// Comparison scores the model and the naive baseline on the same customers.
type Comparison struct{ Model, Naive Score }

// FrequencyRow averages, over the customers with the same number of repeat purchases
// before the cut-off, the purchases in the horizon.
type FrequencyRow struct {
	X                        string
	Customers                int
	Actual, Predicted, Naive float64
}

// CustomerPrediction is a customer's prediction with the actual outcome.
type CustomerPrediction struct {
	Customer string
	Prediction
	ActualPurchases, ActualRevenue float64
}

// WeekRow is one forecast week of the sales backtest.
type WeekRow struct {
	Start                                 time.Time
	Actual, Forecast, Lower, Upper, Naive float64
}

// SalesBacktest scores a weekly sales forecast.
type SalesBacktest struct {
	Forecast  SalesForecast
	NaiveName string
	Weeks     []WeekRow
	MAPE      float64 // of the forecast, percent
	NaiveMAPE float64
	Inside    int // weeks whose actual is inside the interval
}

// BacktestResult is the outcome of Backtest. Purchases are days with orders, the models'
// unit; revenue is the value of the orders.
type BacktestResult struct {
	Config                 BacktestConfig
	Model                  Model
	PurchasesFit, SpendFit FitInfo
	Customers              int        // with orders before the cut-off: those scored
	Purchases, Revenue     Comparison // per customer over the horizon
	ByFrequency            []FrequencyRow
	Top                    []CustomerPrediction // highest predicted value first
	FrequencySpendCorr     float64              // of x and mean spend among repeat customers
	NewCustomers           int                  // first seen in the horizon, not scored
	NewPurchases           float64
	NewRevenue             float64
	HistoryStart           time.Time // of the weekly series the sales forecast is fitted on
	HistoryWeeks           int
	Orders, Sales          SalesBacktest // weekly orders (all, guests included) and revenue
}

// Backtest fits the customer-value model on the orders before the cut-off and compares
// its predictions for the horizon with what the customers did, next to the naive baseline
// "each customer keeps their past rate": x/T repeat purchases and their value per day
// since the first purchase, times the horizon (the first purchase only starts the clock,
// as in the model; counting it would give a customer first seen the day before the
// cut-off a rate of one purchase a day). It also forecasts weekly orders and revenue
// after the cut-off with DampedTrend and scores them, and the Naive baseline (52-week
// season), by MAPE. Orders are those the caller keeps: cancellations left out.
func Backtest(orders []CustomerOrder, cfg BacktestConfig) (*BacktestResult, error) {
	if cfg.Horizon < 1 || cfg.Weeks < 1 {
		return nil, fmt.Errorf("forecast: horizon %d days and %d weeks", cfg.Horizon, cfg.Weeks)
	}
	if len(orders) == 0 {
		return nil, fmt.Errorf("%w: no orders", errNoData)
	}
	first, last := orders[0].At, orders[0].At
	for _, o := range orders {
		first, last = minTime(first, o.At), maxTime(last, o.At)
	}
	// The last day of the file may be partial: the horizons must end by its start.
	lastDay := startOfDay(last)
	end, salesEnd := cfg.Cutoff.AddDate(0, 0, cfg.Horizon), cfg.Cutoff.AddDate(0, 0, 7*cfg.Weeks)
	if e := maxTime(end, salesEnd); e.After(lastDay) {
		return nil, fmt.Errorf("forecast: the orders end on %s, before the horizon ends (%s)", last.Format(time.DateOnly), e.Format(time.DateOnly))
	}
	res := &BacktestResult{Config: cfg}

	// Per customer: summaries before the cut-off, outcomes in the horizon.
	byCustomer := map[string][]Order{}
	var all []Order
	for _, o := range orders {
		all = append(all, o.Order)
		if o.Customer != "" {
			byCustomer[o.Customer] = append(byCustomer[o.Customer], o.Order)
		}
	}
	ids := make([]string, 0, len(byCustomer))
	for id := range byCustomer {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var ss []Summary
	var scored []string
	var actP, actR []float64
	for _, id := range ids {
		var future []Order
		for _, o := range byCustomer[id] {
			if !o.At.Before(cfg.Cutoff) && o.At.Before(end) {
				future = append(future, o)
			}
		}
		p, r := purchaseDays(future), 0.0
		for _, o := range future {
			r += o.Value
		}
		s, ok := Summarize(byCustomer[id], cfg.Cutoff)
		if !ok {
			if len(future) > 0 {
				res.NewCustomers++
				res.NewPurchases += p
				res.NewRevenue += r
			}
			continue
		}
		ss, scored = append(ss, s), append(scored, id)
		actP, actR = append(actP, p), append(actR, r)
	}
	res.Customers = len(ss)
	var err error
	res.Model, res.PurchasesFit, res.SpendFit, err = FitModel(ss)
	if err != nil {
		return nil, err
	}
	h := float64(cfg.Horizon)
	modP, modR := make([]float64, len(ss)), make([]float64, len(ss))
	naiP, naiR := make([]float64, len(ss)), make([]float64, len(ss))
	var xs, ms []float64
	for i, s := range ss {
		pr, err := res.Model.Predict(s, h)
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", scored[i], err)
		}
		modP[i], modR[i] = pr.Purchases, pr.Value
		if s.T > 0 {
			naiP[i] = float64(s.X) / s.T * h
			naiR[i] = float64(s.X) * s.Monetary / s.T * h
		}
		if s.X > 0 && s.Monetary > 0 {
			xs, ms = append(xs, float64(s.X)), append(ms, s.Monetary)
		}
		res.Top = append(res.Top, CustomerPrediction{scored[i], pr, actP[i], actR[i]})
	}
	slices.SortStableFunc(res.Top, func(a, b CustomerPrediction) int { return cmp.Compare(b.Value, a.Value) })
	res.Top = res.Top[:min(len(res.Top), 10)]
	res.Purchases = Comparison{score(modP, actP), score(naiP, actP)}
	res.Revenue = Comparison{score(modR, actR), score(naiR, actR)}
	res.FrequencySpendCorr = pearson(xs, ms)
	res.ByFrequency = byFrequency(ss, actP, modP, naiP)

	// Sales: whole weeks from the first order, ending at the cut-off.
	weeks := 0
	for !cfg.Cutoff.AddDate(0, 0, -7*(weeks+1)).Before(startOfDay(first)) {
		weeks++
	}
	res.HistoryWeeks, res.HistoryStart = weeks, cfg.Cutoff.AddDate(0, 0, -7*weeks)
	histN, histV, histR := Weekly(all, res.HistoryStart, weeks)
	futN, futV, futR := Weekly(all, cfg.Cutoff, cfg.Weeks)
	fo, err := DampedTrend(histN, cfg.Weeks, cfg.Level)
	if err != nil {
		return nil, err
	}
	res.Orders = salesBacktest(fo, histN, futN, cfg)
	// Revenue is net: the gross forecast times the share kept (NetForecast), against the
	// net actuals; the baseline is naive on the net history.
	fv, err := NetForecast(histV, histR, cfg.Weeks, cfg.Level)
	if err != nil {
		return nil, err
	}
	res.Sales = salesBacktest(fv, net(histV, histR), net(futV, futR), cfg)
	return res, nil
}

// net is value less returned, week by week.
func net(value, returned []float64) []float64 {
	out := make([]float64, len(value))
	for i := range value {
		out[i] = value[i] - returned[i]
	}
	return out
}

// salesBacktest compares the forecast f of actual with the naive baseline on hist.
func salesBacktest(f SalesForecast, hist, actual []float64, cfg BacktestConfig) SalesBacktest {
	naive, name := Naive(hist, len(actual), 52)
	b := SalesBacktest{Forecast: f, NaiveName: name, MAPE: MAPE(actual, f.Point), NaiveMAPE: MAPE(actual, naive)}
	for i, a := range actual {
		b.Weeks = append(b.Weeks, WeekRow{cfg.Cutoff.AddDate(0, 0, 7*i), a, f.Point[i], f.Lower[i], f.Upper[i], naive[i]})
		if f.Lower[i] <= a && a <= f.Upper[i] {
			b.Inside++
		}
	}
	return b
}

// purchaseDays counts the days with orders.
func purchaseDays(orders []Order) float64 {
	days := map[int64]bool{}
	for _, o := range orders {
		if o.Value >= 0 { // a return is not a purchase
			days[dayNumber(o.At)] = true
		}
	}
	return float64(len(days))
}

func byFrequency(ss []Summary, act, mod, nai []float64) []FrequencyRow {
	const top = 7 // rows 0 … 6 and 7+, as in Fader, Hardie & Lee's figure 4
	rows := make([]FrequencyRow, top+1)
	for i := range rows {
		rows[i].X = strconv.Itoa(i)
	}
	rows[top].X += "+"
	for i, s := range ss {
		r := &rows[min(s.X, top)]
		r.Customers++
		r.Actual += act[i]
		r.Predicted += mod[i]
		r.Naive += nai[i]
	}
	for i := range rows {
		if n := float64(rows[i].Customers); n > 0 {
			rows[i].Actual, rows[i].Predicted, rows[i].Naive = rows[i].Actual/n, rows[i].Predicted/n, rows[i].Naive/n
		}
	}
	return rows
}

func score(pred, act []float64) Score {
	var s Score
	for i := range pred {
		d := pred[i] - act[i]
		s.MAE += math.Abs(d)
		s.RMSE += d * d
		s.Predicted += pred[i]
		s.Actual += act[i]
	}
	n := float64(len(pred))
	s.MAE /= n
	s.RMSE = math.Sqrt(s.RMSE / n)
	s.Corr = pearson(pred, act)
	return s
}

// pearson is the correlation coefficient, NaN when a side is constant.
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i] / n
		mb += b[i] / n
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
