package engage

import (
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/marketing"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

// ToMarketingEffectiveness is the effectiveness report as GraphQL shows it.
func ToMarketingEffectiveness(e marketing.Effectiveness) *model.MarketingEffectiveness {
	cur := e.Currency
	money := func(minor int64) *model.Money {
		if cur == "" {
			return nil
		}
		return convert.ToMoney(minor, cur)
	}
	out := &model.MarketingEffectiveness{From: e.Query.From, To: e.Query.To, Ready: e.Ready, Currency: convert.Opt(cur), Currencies: e.Currencies,
		Campaigns: []*model.CampaignEffectiveness{}, Journeys: []*model.JourneyEffectiveness{},
		Totals: &model.MarketingTotals{MessagesSent: e.Totals.MessagesSent, Conversions: e.Totals.Conversions, AttributedRevenue: money(e.Totals.Revenue),
			SignificantCampaigns: e.Totals.SignificantCampaigns, SignificantJourneys: e.Totals.SignificantJourneys}}
	if out.Currencies == nil {
		out.Currencies = []string{}
	}
	group := func(g marketing.Group) *model.EffectivenessGroup {
		return &model.EffectivenessGroup{Customers: g.Customers, Converted: g.Converted, ConversionRate: g.Rate, Revenue: money(g.Revenue),
			RevenuePerCustomer: money(g.RevenuePerCustomer)}
	}
	for _, c := range e.Campaigns {
		out.Campaigns = append(out.Campaigns, &model.CampaignEffectiveness{CampaignID: c.ID, Name: c.Name, State: model.CampaignState(c.State),
			StartedAt: convert.OptTime(c.StartedAt), Planned: c.Planned, Sent: c.Sent, Delivered: c.Delivered, Opened: c.Opened, Clicked: c.Clicked,
			Unsubscribed: c.Unsubscribed, Treated: group(c.Treated), Holdout: group(c.Holdout), Uplift: toUplift(c.Uplift), ComputedAt: c.ComputedAt})
	}
	for _, j := range e.Journeys {
		out.Journeys = append(out.Journeys, &model.JourneyEffectiveness{JourneyID: j.JourneyID, Name: j.Name, Status: model.JourneyStatus(j.Status),
			Version: j.Version, Live: j.Live, Entered: j.Entered, InProgress: j.InProgress, Done: j.Done, Exited: j.Exited, Converted: j.Converted,
			ConversionRate: j.Rate, Holdout: j.Holdout, HoldoutConverted: j.HoldoutConverted, HoldoutConversionRate: j.HoldoutRate,
			MessagesSent: j.MessagesSent, Uplift: toUplift(j.Uplift), ComputedAt: j.ComputedAt})
	}
	return out
}

func toUplift(u *campaign.Uplift) *model.CampaignUplift {
	if u == nil {
		return nil
	}
	return &model.CampaignUplift{Difference: u.Difference, Low: u.Low, High: u.High, Relative: u.Relative, Z: u.Z, PValue: u.PValue, Significant: u.Significant()}
}

// FromMarketingQuery is the report's arguments as the domain takes them.
func FromMarketingQuery(from, to *time.Time, currency *string) marketing.Query {
	return marketing.Query{From: from, To: to, Currency: convert.Val(currency)}
}
