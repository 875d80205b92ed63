package analytics

import (
	"context"
	"math"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/forecast"
	"github.com/tessera-cdp/tessera/internal/money"
)

// SalesQuery asks for a forecast of the Weeks after the as-of date (default 13) with a
// prediction interval of Level (default 0.95).
type SalesQuery struct {
	Scope
	Weeks int
	Level float64
}

// Limits of the sales forecast.
const (
	MaxForecastWeeks = 52
	MaxHistoryWeeks  = 520
	minHistoryWeeks  = 8 // what forecast.DampedTrend needs
)

// SalesWeek is one week of history: counted orders and net revenue (ReturnedMinor is
// the credit notes' part of it, positive).
type SalesWeek struct {
	Start         time.Time
	Orders        int
	RevenueMinor  int64
	ReturnedMinor int64
}

// Estimate is a forecast value with its prediction interval (the lower bound clipped at
// zero: sales are not negative).
type Estimate struct{ Point, Lower, Upper float64 }

// ForecastWeek is one forecast week.
type ForecastWeek struct {
	Start           time.Time
	Orders, Revenue Estimate // revenue in minor units
}

// Smoothing is a fitted damped-trend model.
type Smoothing struct{ Alpha, Beta, Phi, Sigma float64 }

// SalesForecast is the weekly sales forecast and the history it was fitted on.
type SalesForecast struct {
	Resolved
	Weeks        int
	Level        float64
	Message      string // why there is no forecast (too little history)
	History      []SalesWeek
	Forecast     []ForecastWeek
	OrdersModel  Smoothing
	RevenueModel Smoothing
}

// SalesForecast forecasts weekly counted orders (every currency, guest orders included
// unless a country is asked) and net revenue in the report currency by damped-trend
// exponential smoothing (forecast.DampedTrend; revenue: forecast.NetForecast, the gross
// sales' forecast times the share kept), fitted on the whole weeks ending at the
// as-of date since the first order (at most MaxHistoryWeeks). The weekly series is one
// walk of the book; the fit takes milliseconds. On MongoDB the series is a $group of
// the orders by week, O(orders) per request, or weekly counters kept on write.
func (s *Service) SalesForecast(_ context.Context, q SalesQuery) (SalesForecast, error) {
	if q.Weeks == 0 {
		q.Weeks = 13
	}
	if q.Level == 0 {
		q.Level = 0.95
	}
	if q.Weeks < 1 || q.Weeks > MaxForecastWeeks {
		return SalesForecast{}, apperr.Invalidf("weeks must be between 1 and %d", MaxForecastWeeks)
	}
	if !(q.Level >= 0.5 && q.Level <= 0.995) {
		return SalesForecast{}, apperr.Invalidf("level must be between 0.5 and 0.995")
	}
	out := SalesForecast{Weeks: q.Weeks, Level: q.Level, History: []SalesWeek{}, Forecast: []ForecastWeek{}}
	var err error
	out.Resolved, err = s.report(q.Scope, func(st *orderbook.State, v view, r Resolved) error {
		out.History = weekly(st, v)
		return nil
	})
	if err != nil || !out.Ready {
		return out, err
	}
	if len(out.History) < minHistoryWeeks {
		out.Message = "a forecast needs 8 whole weeks of orders before the as-of date"
		return out, nil
	}
	n := len(out.History)
	orders, gross, returned := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, w := range out.History {
		orders[i], gross[i], returned[i] = float64(w.Orders), float64(w.RevenueMinor+w.ReturnedMinor), float64(w.ReturnedMinor)
	}
	fo, err := forecast.DampedTrend(orders, q.Weeks, q.Level)
	if err != nil {
		return out, err
	}
	// Net revenue: the gross sales' forecast times the share kept (credit notes are rare
	// large spikes that a smoothing of the net series takes for changes of level).
	fr, err := forecast.NetForecast(gross, returned, q.Weeks, q.Level)
	if err != nil {
		return out, err
	}
	out.OrdersModel = Smoothing{fo.Alpha, fo.Beta, fo.Phi, fo.Sigma}
	out.RevenueModel = Smoothing{fr.Alpha, fr.Beta, fr.Phi, fr.Sigma}
	for i := range q.Weeks {
		out.Forecast = append(out.Forecast, ForecastWeek{Start: out.AsOf.AddDate(0, 0, 7*i),
			Orders:  Estimate{math.Max(0, fo.Point[i]), math.Max(0, fo.Lower[i]), math.Max(0, fo.Upper[i])},
			Revenue: Estimate{math.Max(0, fr.Point[i]), math.Max(0, fr.Lower[i]), math.Max(0, fr.Upper[i])}})
	}
	return out, nil
}

// weekly sums the view into the whole weeks that end at the as-of date, from the week
// of the first counted order.
func weekly(st *orderbook.State, v view) []SalesWeek {
	first := int64(math.MaxInt64)
	v.each(st, true, func(_ *orderbook.Customer, es []orderbook.Entry) {
		for _, e := range es {
			if e.Kind == orderbook.KindOrder {
				first = min(first, e.At)
				break
			}
		}
	})
	if first == math.MaxInt64 {
		return []SalesWeek{}
	}
	const weekMs = 7 * dayMs
	day := orderbook.StartOfDay(time.UnixMilli(first)).UnixMilli()
	n := int((v.asOf - day) / weekMs)
	n = min(n, MaxHistoryWeeks)
	start := v.asOf - int64(n)*weekMs
	out := make([]SalesWeek, n)
	for i := range out {
		out[i].Start = time.UnixMilli(start + int64(i)*weekMs).UTC()
	}
	v.each(st, true, func(_ *orderbook.Customer, es []orderbook.Entry) {
		for _, e := range es {
			if e.At < start {
				continue
			}
			w := &out[(e.At-start)/weekMs]
			if e.Kind == orderbook.KindOrder {
				w.Orders++
			}
			if v.cur >= 0 && int(e.Cur) == v.cur {
				w.RevenueMinor = money.SatAdd(w.RevenueMinor, e.Net)
				if e.Kind == orderbook.KindCredit && e.Net < 0 {
					w.ReturnedMinor = money.SatAdd(w.ReturnedMinor, -e.Net)
				}
			}
		}
	})
	return out
}
