package convert

import (
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/quality"
)

// QualityGrouping and QualityOrdering map the report's enums.
func QualityGrouping(g model.QualityGrouping) quality.Grouping {
	if g == model.QualityGroupingCategory {
		return quality.ByCategory
	}
	return quality.ByProduct
}

func QualityOrdering(o model.QualityOrder) quality.Ordering {
	switch o {
	case model.QualityOrderCsat:
		return quality.ByCSAT
	case model.QualityOrderTicketRate:
		return quality.ByTicketRate
	case model.QualityOrderRevenue:
		return quality.ByRevenue
	}
	return quality.ByReturnRate
}

func timeOpt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ToProductQualityPage shows a page of the report; amounts are in the page's currency.
func ToProductQualityPage(pg quality.Page) *model.ProductQualityPage {
	out := &model.ProductQualityPage{Ready: pg.Ready, From: timeOpt(pg.From), To: timeOpt(pg.To), Currency: Opt(pg.Currency), MinUnits: pg.MinUnits,
		TicketWindowDays: pg.TicketWindowDays, Orders: pg.Orders, Tickets: pg.Tickets, TotalCount: pg.Total,
		Rows: make([]*model.ProductQualityRow, len(pg.Rows)), PageInfo: &model.PageInfo{HasNextPage: pg.Next != "", EndCursor: Opt(pg.Next)}}
	for i, r := range pg.Rows {
		m := &model.ProductQualityRow{Key: r.Key, Sku: Opt(r.SKU), Name: r.Name, Category: r.Category, Orders: r.Orders,
			UnitsSold: int(r.UnitsSold), UnitsReturned: int(r.UnitsReturned), ReturnRate: r.ReturnRate,
			UnmatchedReturnedUnits: int(r.UnmatchedUnits), UnmatchedReturns: r.UnmatchedReturns, NetRevenue: ToMoney(r.NetRevenue, pg.Currency),
			Tickets: r.Tickets, TicketsPer100Orders: r.TicketsPer100, RatedTickets: r.RatedTickets}
		if r.RatedTickets > 0 {
			avg, sat := r.AverageCSAT, r.SatisfiedShare
			m.AverageCsat, m.SatisfiedShare = &avg, &sat
		}
		out.Rows[i] = m
	}
	return out
}

func ToProduct(p quality.Product) *model.Product {
	return &model.Product{Sku: p.SKU, Name: p.Name, Category: Opt(p.Category)}
}

func FromProductInputs(in []*model.ProductInput) []quality.Product {
	out := make([]quality.Product, len(in))
	for i, p := range in {
		out[i] = quality.Product{SKU: p.Sku, Name: p.Name, Category: Val(p.Category)}
	}
	return out
}
