package engage

import (
	"maps"
	"slices"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

// FromCampaignInput is a campaign as the domain takes it.
func FromCampaignInput(in model.CampaignInput) campaign.Input {
	out := campaign.Input{Name: in.Name, SegmentID: in.SegmentID, Subject: in.Subject, HTML: convert.Val(in.HTML), Text: in.Text, FromName: convert.Val(in.FromName),
		HoldoutPercent: in.HoldoutPercent, AttributionDays: intValue(in.AttributionDays), RatePerMinute: intValue(in.RatePerMinute)}
	if in.Audience != nil {
		out.Audience = campaign.Audience(*in.Audience)
	}
	if len(in.Defaults) > 0 {
		out.Defaults = map[string]string{}
		for _, d := range in.Defaults {
			out.Defaults[d.Placeholder] = d.Value
		}
	}
	return out
}

// ToCampaign is a campaign as GraphQL shows it.
func ToCampaign(c campaign.Campaign) *model.Campaign {
	m := &model.Campaign{ID: c.ID, Name: c.Name, SegmentID: c.SegmentID, Audience: model.CampaignAudience(c.Audience), Subject: c.Subject,
		HTML: c.HTML, Text: c.Text, FromName: convert.Opt(c.FromName), Defaults: []*model.PlaceholderDefault{}, HoldoutPercent: c.HoldoutPercent,
		AttributionDays: c.AttributionDays, RatePerMinute: c.RatePerMinute, Links: c.Links, State: model.CampaignState(c.State),
		ScheduledAt: convert.OptTime(c.ScheduledAt), ScheduledLocal: convert.Opt(c.LocalTime), TimeZone: convert.Opt(c.TimeZone), StartedAt: convert.OptTime(c.StartedAt),
		FinishedAt: convert.OptTime(c.FinishedAt), Planned: c.Planned, LastError: convert.Opt(c.LastError), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if m.Links == nil {
		m.Links = []string{}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Defaults)) {
		m.Defaults = append(m.Defaults, &model.PlaceholderDefault{Placeholder: k, Value: c.Defaults[k]})
	}
	return m
}

func toCampaignGroup(g campaign.Group) *model.CampaignGroup {
	out := &model.CampaignGroup{Customers: g.Customers, Converted: g.Converted, ConversionRate: g.Rate, Revenue: []*model.Money{}}
	for _, cur := range slices.Sorted(maps.Keys(g.Revenue)) {
		out.Revenue = append(out.Revenue, convert.ToMoney(g.Revenue[cur], cur))
	}
	return out
}

// ToCampaignReport is a campaign report (figures, holdout, uplift) as GraphQL shows it.
func ToCampaignReport(r campaign.Report) *model.CampaignReport {
	out := &model.CampaignReport{Campaign: ToCampaign(r.Campaign), Planned: r.Planned, Pending: r.Pending, HeldOut: r.HeldOut, Suppressed: r.Suppressed,
		SuppressedBy: []*model.CampaignCount{}, Sent: r.Sent, Failed: r.Failed, Unconfirmed: r.Unconfirmed, Delivered: r.Delivered, Bounced: r.Bounced,
		Complained: r.Complained, Opened: r.Opened, Clicked: r.Clicked, Unsubscribed: r.Unsubscribed, AttributionFrom: convert.OptTime(r.From),
		AttributionTo: convert.OptTime(r.To), Treated: toCampaignGroup(r.Treated), Holdout: toCampaignGroup(r.Holdout)}
	if r.From.IsZero() {
		out.AttributionTo = nil
	}
	for _, reason := range slices.Sorted(maps.Keys(r.SuppressedBy)) {
		out.SuppressedBy = append(out.SuppressedBy, &model.CampaignCount{Reason: reason, Count: r.SuppressedBy[reason]})
	}
	out.Uplift = toUplift(r.Uplift)
	return out
}

// intValue is *p, or 0 when the argument is absent.
func intValue(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
