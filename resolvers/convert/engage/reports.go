package engage

import (
	"math"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/analytics"
	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/forecast"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

// Reports (internal/analytics) to the schema's report types.

// ReportScope is the scope arguments every report takes.
func ReportScope(asOf *time.Time, country, source, currency *string) analytics.Scope {
	sc := analytics.Scope{Country: convert.Val(country), Source: convert.Val(source), Currency: convert.Val(currency)}
	if asOf != nil {
		sc.AsOf = *asOf
	}
	return sc
}

// reportMoney is an amount in the report currency; nil without one.
func reportMoney(minor int64, currency string) *model.Money {
	if currency == "" {
		return nil
	}
	return convert.ToMoney(minor, currency)
}

// reportMoneyF rounds an amount of minor units given as a float.
func reportMoneyF(minor float64, currency string) *model.Money {
	return reportMoney(int64(math.Round(minor)), currency)
}

func ToReportsStatus(s orderbook.Status) *model.ReportsStatus {
	return &model.ReportsStatus{Ready: s.Ready, LoadedOrders: s.Loaded, Orders: s.Orders, Customers: s.Customers, GuestOrders: s.GuestOrders,
		FirstOrderAt: convert.OptTime(s.FirstOrder), LastOrderAt: convert.OptTime(s.LastOrder), DefaultAsOf: s.DefaultAsOf, Currencies: convert.NonNil(s.Currencies),
		Countries: convert.NonNil(s.Countries), Sources: convert.NonNil(s.Sources), PendingProfiles: s.PendingProfiles, Error: convert.Opt(s.Error)}
}

func ToCustomerTrend(t analytics.Trend) *model.CustomerTrend {
	out := &model.CustomerTrend{Ready: t.Ready, AsOf: t.AsOf, Currency: convert.Opt(t.Currency), Interval: model.TrendInterval(t.Interval),
		ChurnDays: t.ChurnDays, Periods: []*model.TrendPeriod{}}
	for _, p := range t.Periods {
		out.Periods = append(out.Periods, &model.TrendPeriod{Start: p.Start, End: p.End, Partial: p.Partial, NewCustomers: p.New,
			ActiveCustomers: p.Active, ReturningCustomers: p.Returning, ChurnedCustomers: p.Churned, Orders: p.Orders,
			Revenue: reportMoney(p.RevenueMinor, t.Currency), Change: &model.TrendChange{NewCustomers: p.Change.New, ActiveCustomers: p.Change.Active,
				ReturningCustomers: p.Change.Returning, ChurnedCustomers: p.Change.Churned, Orders: p.Change.Orders, Revenue: p.Change.Revenue}})
	}
	return out
}

func ToCohortRetention(c analytics.Cohorts) *model.CohortRetention {
	out := &model.CohortRetention{Ready: c.Ready, AsOf: c.AsOf, Currency: convert.Opt(c.Currency), Cohorts: []*model.Cohort{}}
	for _, co := range c.Cohorts {
		m := &model.Cohort{Month: co.Month, Customers: co.Customers, Revenue: reportMoney(co.RevenueMinor, c.Currency), Months: []*model.CohortMonth{}}
		for _, x := range co.Months {
			m.Months = append(m.Months, &model.CohortMonth{Offset: x.Offset, Month: x.Month, Partial: x.Partial, Customers: x.Customers,
				Share: x.Share, Revenue: reportMoney(x.RevenueMinor, c.Currency)})
		}
		out.Cohorts = append(out.Cohorts, m)
	}
	return out
}

func toBands(bs []analytics.Band) []*model.RfmBand {
	out := []*model.RfmBand{}
	for _, b := range bs {
		x := &model.RfmBand{Score: b.Score, Min: b.Min}
		if b.Max > 0 {
			x.Max = &b.Max
		}
		out = append(out, x)
	}
	return out
}

func ToRfmGrid(g analytics.RFMGrid) *model.RfmGrid {
	out := &model.RfmGrid{Ready: g.Ready, AsOf: g.AsOf, Currency: convert.Opt(g.Currency), Customers: g.Customers,
		Revenue: reportMoney(g.RevenueMinor, g.Currency), RecencyBands: toBands(g.RecencyBands), FrequencyBands: toBands(g.FrequencyBands),
		Cells: []*model.RfmGridCell{}}
	for _, c := range g.Cells {
		out.Cells = append(out.Cells, &model.RfmGridCell{R: c.R, F: c.F, Customers: c.Customers, Revenue: reportMoney(c.RevenueMinor, g.Currency)})
	}
	return out
}

func ToRfmCellPage(p analytics.CellPage) *model.RfmCellPage {
	out := &model.RfmCellPage{Ready: p.Ready, AsOf: p.AsOf, Currency: convert.Opt(p.Currency), R: p.R, F: p.F, TotalCount: p.Total,
		Edges: []*model.RfmCustomerEdge{}, PageInfo: &model.PageInfo{HasNextPage: p.HasNext, EndCursor: convert.Opt(p.EndCursor)}}
	for _, c := range p.Customers {
		n := &model.RfmCustomer{ID: c.ID, RecencyDays: c.RecencyDays, Orders: c.Orders, LastOrderAt: c.LastOrderAt,
			Revenue: reportMoney(c.RevenueMinor, p.Currency)}
		if c.Profile != nil {
			n.Name = &convert.ToCustomer(*c.Profile).Name
		}
		out.Edges = append(out.Edges, &model.RfmCustomerEdge{Cursor: c.Cursor, Node: n})
	}
	return out
}

func ToValueDistribution(d analytics.Distribution) *model.ValueDistribution {
	cur := d.Currency
	out := &model.ValueDistribution{Ready: d.Ready, AsOf: d.AsOf, Currency: convert.Opt(cur), Customers: d.Customers,
		TopDecileShare: d.TopDecileShare, Quantiles: []*model.ValueQuantile{}, Buckets: []*model.ValueBucket{}}
	if d.Customers > 0 {
		out.Total, out.Mean, out.Min, out.Max = reportMoney(d.TotalMinor, cur), reportMoney(d.MeanMinor, cur), reportMoney(d.MinMinor, cur), reportMoney(d.MaxMinor, cur)
	}
	for _, q := range d.Quantiles {
		out.Quantiles = append(out.Quantiles, &model.ValueQuantile{Q: q.Q, Value: convert.ToMoney(q.ValueMinor, cur)})
	}
	for _, b := range d.Buckets {
		x := &model.ValueBucket{Customers: b.Customers, Revenue: convert.ToMoney(b.RevenueMinor, cur)}
		if b.Lower != nil {
			x.Lower = convert.ToMoney(*b.Lower, cur)
		}
		if b.Upper != nil {
			x.Upper = convert.ToMoney(*b.Upper, cur)
		}
		out.Buckets = append(out.Buckets, x)
	}
	return out
}

func ToCustomerValueModel(m valuemodel.ModelInfo) *model.CustomerValueModel {
	out := &model.CustomerValueModel{Status: model.ModelStatus(m.Status), Message: convert.Opt(m.Message), AsOf: m.AsOf, Currency: convert.Opt(m.Currency),
		FittedAt: convert.OptTime(m.FittedAt), Refitting: m.Refitting, Customers: m.Customers}
	if m.Status == valuemodel.ModelReady {
		bg, gg := m.Model.Purchases, m.Model.Spend
		out.Purchases = &model.BgNbdFit{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B, LogLikelihood: m.Purchases.LogLik, Converged: m.Purchases.Converged}
		out.Spend = &model.GammaGammaFit{P: gg.P, Q: gg.Q, Gamma: gg.Gamma, MeanSpend: reportMoneyF(gg.MeanSpend(), m.Currency),
			Customers: m.Spend.N, LogLikelihood: m.Spend.LogLik, Converged: m.Spend.Converged}
	}
	return out
}

func ToPredictedValue(p valuemodel.Prediction) *model.PredictedValue {
	out := &model.PredictedValue{Status: model.PredictionStatus(p.Status), Message: convert.Opt(p.Message), AsOf: p.AsOf, HorizonDays: p.Days,
		Currency: convert.Opt(p.Currency), ModelFittedAt: convert.OptTime(p.Model.FittedAt)}
	if p.Status != valuemodel.PredictionReady {
		return out
	}
	cur := p.Currency
	out.ExpectedOrders, out.ProbabilityAlive = &p.Purchases, &p.PAlive
	out.ExpectedValue, out.ExpectedOrderValue = reportMoneyF(p.Value, cur), reportMoneyF(p.Spend, cur)
	out.Inputs = toInputs(p.Summary, cur)
	return out
}

func toInputs(s forecast.Summary, cur string) *model.PredictionInputs {
	return &model.PredictionInputs{Frequency: s.X, RecencyDays: s.Tx, AgeDays: s.T, MeanOrderValue: reportMoneyF(s.Monetary, cur), Orders: s.Orders,
		Revenue: reportMoneyF(s.Revenue, cur), Returned: reportMoneyF(s.Returned, cur), FirstOrderAt: s.First}
}

func ToSalesForecast(f analytics.SalesForecast) *model.SalesForecast {
	cur := f.Currency
	out := &model.SalesForecast{Ready: f.Ready, AsOf: f.AsOf, Currency: convert.Opt(cur), Weeks: f.Weeks, Level: f.Level, Message: convert.Opt(f.Message),
		History: []*model.SalesWeek{}, Forecast: []*model.SalesForecastWeek{}}
	for _, w := range f.History {
		out.History = append(out.History, &model.SalesWeek{Start: w.Start, Orders: w.Orders, Revenue: convert.ToMoney(w.RevenueMinor, cur)})
	}
	for _, w := range f.Forecast {
		out.Forecast = append(out.Forecast, &model.SalesForecastWeek{Start: w.Start,
			Orders:  &model.ForecastRange{Point: w.Orders.Point, Lower: w.Orders.Lower, Upper: w.Orders.Upper},
			Revenue: &model.MoneyRange{Point: reportMoneyF(w.Revenue.Point, cur), Lower: reportMoneyF(w.Revenue.Lower, cur), Upper: reportMoneyF(w.Revenue.Upper, cur)}})
	}
	if len(f.Forecast) > 0 {
		o, r := f.OrdersModel, f.RevenueModel
		out.OrdersModel = &model.SmoothingFit{Alpha: o.Alpha, Beta: o.Beta, Phi: o.Phi, Sigma: o.Sigma}
		out.RevenueModel = &model.SmoothingFit{Alpha: r.Alpha, Beta: r.Beta, Phi: r.Phi, Sigma: r.Sigma}
	}
	return out
}
