package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

var symbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}

func ToMoney(minor int64, currency string) *model.Money {
	exp, _ := money.Exponent(currency)
	amount := money.FormatMinor(minor, exp)
	return &model.Money{AmountMinor: int(minor), Amount: amount, Currency: currency, Formatted: formatMoney(amount, currency)}
}

// formatMoney groups thousands: "-£11,062.06", "JPY 1,200" for codes without a symbol.
func formatMoney(amount, currency string) string {
	sign := ""
	if strings.HasPrefix(amount, "-") {
		sign, amount = "-", amount[1:]
	}
	whole, frac, hasFrac := strings.Cut(amount, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	if sym, ok := symbols[currency]; ok {
		return sign + sym + b.String()
	}
	return sign + currency + " " + b.String()
}

// OptTime is &t, or nil for the zero time.
func OptTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func ToMetrics(m ledger.Metrics) *model.CustomerMetrics {
	out := &model.CustomerMetrics{OrderCount: m.Orders, CancellationCount: m.Cancellations, InteractionCount: m.Interactions,
		OtherCurrencies: []*model.Money{}, FirstOrderAt: OptTime(m.FirstOrderAt), LastOrderAt: OptTime(m.LastOrderAt),
		LastSeenAt: OptTime(m.LastSeenAt()),
		ChurnRisk: &model.ChurnRisk{Score: m.Churn.Score, DaysSinceLastOrder: m.Churn.DaysSinceLastOrder, MeanIntervalDays: m.Churn.MeanIntervalDays,
			Basis: model.ChurnBasis(strings.ToUpper(m.Churn.Basis)), AsOf: m.Churn.Asof}}
	if m.Currency != "" {
		out.Revenue, out.HistoricClv = ToMoney(m.NetMinor, m.Currency), ToMoney(m.CLVMinor(), m.Currency)
		out.GrossRevenue, out.Returns = ToMoney(m.GrossMinor, m.Currency), ToMoney(m.ReturnsMinor, m.Currency)
		out.AverageOrderValue = ToMoney(m.AOVMinor(), m.Currency)
	}
	for _, c := range slices.Sorted(maps.Keys(m.OtherNet)) {
		out.OtherCurrencies = append(out.OtherCurrencies, ToMoney(m.OtherNet[c], c))
	}
	if !m.RFM.ScoredAt.IsZero() {
		out.Rfm = &model.Rfm{Recency: m.RFM.Recency, Frequency: m.RFM.Frequency, Monetary: m.RFM.Monetary, ScoredAt: m.RFM.ScoredAt}
	}
	return out
}

func ToOrder(o *commerce.Order) *model.Order {
	out := &model.Order{ID: o.ID, Source: o.Source, ExternalID: o.ExternalID, Status: model.OrderStatus(strings.ToUpper(o.Status)),
		Channel: o.Channel, Total: ToMoney(o.TotalMinor, o.Currency), PlacedAt: o.PlacedAt, CustomerRecordID: Opt(o.CustomerRecordID),
		Lines: make([]*model.OrderLine, len(o.Lines))}
	for i, l := range o.Lines {
		out.Lines[i] = &model.OrderLine{Sku: l.SKU, Description: Opt(l.Description), Quantity: int(l.Quantity),
			UnitPrice: ToMoney(l.UnitPriceMinor, o.Currency), Amount: ToMoney(l.AmountMinor(), o.Currency)}
	}
	return out
}

func ToInteraction(it *commerce.Interaction) *model.Interaction {
	out := &model.Interaction{ID: it.ID, Channel: it.Channel, Type: it.Type, At: it.At}
	if len(it.Attributes) > 0 {
		out.Attributes = it.Attributes
	}
	return out
}

func ToTimelineItem(x c360.TimelineItem) *model.TimelineItem {
	out := &model.TimelineItem{Kind: model.TimelineKind(strings.ToUpper(x.Kind)), ID: x.ID, At: x.At, Channel: x.Channel, Type: x.Type}
	switch {
	case x.Order != nil:
		out.Order = ToOrder(x.Order)
	case x.Interaction != nil:
		out.Interaction = ToInteraction(x.Interaction)
	}
	if t, ok := x.Extra.(ticket.Ticket); ok {
		out.Ticket = ToTicket(t)
	}
	if e, ok := x.Extra.(consent.Entry); ok {
		out.Consent = ToConsentEntry(e)
	}
	if s, ok := x.Extra.(survey.Send); ok { // surveys (issue 18)
		out.Survey = ToSurvey(s)
	}
	return out
}

func orderCursor(o *commerce.Order) string {
	return c360.EncodeCursor(c360.Position{At: o.PlacedAt, Kind: c360.ItemOrder, ID: o.ID})
}

// FromOrderInput turns one input row into an order, or a reason to reject it.
func FromOrderInput(source string, in *model.OrderInput) (commerce.Order, string) {
	o := commerce.Order{Source: source, ExternalID: strings.TrimSpace(in.ExternalID), Status: strings.ToLower(string(in.Status)),
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), PlacedAt: in.PlacedAt, Channel: Val(in.Channel)}
	if o.ExternalID == "" || len(o.ExternalID) > 200 {
		return o, "externalId must have 1 to 200 characters"
	}
	o.ID = source + ":" + o.ExternalID
	exp, ok := money.Exponent(o.Currency)
	if !ok {
		return o, fmt.Sprintf("unknown currency %q", in.Currency)
	}
	if o.Channel != "" && !slices.Contains(commerce.Channels, o.Channel) {
		return o, fmt.Sprintf("unknown channel %q (%s)", o.Channel, strings.Join(commerce.Channels, ", "))
	}
	if len(in.Lines) > 1000 {
		return o, "at most 1000 lines per order"
	}
	for i, l := range in.Lines {
		p, err := money.ParseMinor(l.UnitPrice, exp)
		if err != nil {
			return o, fmt.Sprintf("line %d: unit price %q: %v", i+1, l.UnitPrice, err)
		}
		o.Lines = append(o.Lines, commerce.Line{SKU: l.Sku, Description: Val(l.Description), Quantity: int64(l.Quantity), UnitPriceMinor: p,
			Category: Val(l.Category)})
	}
	if in.Total != nil {
		t, err := money.ParseMinor(*in.Total, exp)
		if err != nil {
			return o, fmt.Sprintf("total %q: %v", *in.Total, err)
		}
		o.TotalMinor = t
	}
	if in.Total == nil && len(o.Lines) == 0 {
		return o, "give a total or lines"
	}
	if err := o.CheckAmounts(); err != nil {
		return o, err.Error()
	}
	return o, ""
}

func FromInteractionInput(source string, in *model.InteractionInput) (commerce.Interaction, string) {
	it := commerce.Interaction{ID: source + ":" + strings.TrimSpace(in.ExternalID), Channel: in.Channel, Type: strings.TrimSpace(in.Type), At: in.At}
	if strings.TrimSpace(in.ExternalID) == "" || len(in.ExternalID) > 200 {
		return it, "externalId must have 1 to 200 characters"
	}
	if !slices.Contains(commerce.Channels, it.Channel) {
		return it, fmt.Sprintf("unknown channel %q (%s)", it.Channel, strings.Join(commerce.Channels, ", "))
	}
	if it.Type == "" || len(it.Type) > 50 {
		return it, "type must have 1 to 50 characters"
	}
	if in.Attributes != nil {
		m, ok := payloadOf(in.Attributes)
		if !ok || len(m) > 50 {
			return it, "attributes must be a JSON object of at most 50 strings"
		}
		it.Attributes = map[string]string{}
		for k, v := range m {
			s, ok := v.(string)
			if !ok || strings.ContainsAny(k, ".$") || k == "" {
				return it, fmt.Sprintf("attribute %q must be a string under a plain key", k)
			}
			it.Attributes[k] = s
		}
	}
	return it, ""
}

// ToCommerceIngestResult reports a batch of n rows: the profile of each accepted row
// (ids), and each rejected one (reasons[i] != "") with its external id.
func ToCommerceIngestResult(n int, reasons []string, ids []string, extIDs []string) *model.CommerceIngestResult {
	out := &model.CommerceIngestResult{ProfileIds: make([]*string, n), Rejects: []*model.Reject{}}
	for i := range n {
		if reasons[i] != "" {
			out.Rejected++
			out.Rejects = append(out.Rejects, &model.Reject{Index: i, ExternalID: extIDs[i], Reason: reasons[i]})
			continue
		}
		out.ProfileIds[i] = Opt(ids[i])
	}
	return out
}

// ToRfmReport shows an RFM refresh; the cut points are empty when nothing was scored.
func ToRfmReport(rep commerce.RFMReport) *model.RfmReport {
	out := &model.RfmReport{Profiles: rep.Profiles, Scored: rep.Scored, At: rep.At, RecencyCuts: []*time.Time{}, FrequencyCuts: []int{}, MonetaryCutsMinor: []int{}}
	if rep.Scored > 0 {
		for i := range rep.Recency {
			t := time.Unix(rep.Recency[i], 0).UTC()
			out.RecencyCuts = append(out.RecencyCuts, &t)
			out.FrequencyCuts = append(out.FrequencyCuts, int(rep.Frequency[i]))
			out.MonetaryCutsMinor = append(out.MonetaryCutsMinor, int(rep.Monetary[i]))
		}
	}
	return out
}

// ToOrderConnection shows a page of a customer's orders.
func ToOrderConnection(pg c360.OrdersPage) *model.OrderConnection {
	out := &model.OrderConnection{Edges: []*model.OrderEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}}
	for i := range pg.Orders {
		c := orderCursor(&pg.Orders[i])
		out.Edges = append(out.Edges, &model.OrderEdge{Cursor: c, Node: ToOrder(&pg.Orders[i])})
		out.PageInfo.EndCursor = &c
	}
	return out
}

// ToTimelineConnection shows a page of a customer's timeline.
func ToTimelineConnection(pg c360.TimelinePage) *model.TimelineConnection {
	out := &model.TimelineConnection{Edges: []*model.TimelineEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.Next != ""}}
	for _, x := range pg.Items {
		c := c360.EncodeCursor(c360.Position{At: x.At, Kind: x.Kind, ID: x.ID})
		out.Edges = append(out.Edges, &model.TimelineEdge{Cursor: c, Node: ToTimelineItem(x)})
		out.PageInfo.EndCursor = &c
	}
	return out
}

// ToRankRequest asks for customers with commerce data in a value order (newest first
// by default), restricted by the text query and the filter.
func ToRankRequest(query string, filter *model.CustomerFilter, orderBy *model.CustomerOrder, n int, after string) c360.RankRequest {
	q := c360.RankRequest{Order: c360.RankNewest, Query: query, After: after, Limit: n}
	if orderBy != nil {
		q.Order = c360.RankOrder(strings.ToLower(string(*orderBy)))
	}
	if filter != nil {
		if filter.MinRevenueMinor != nil {
			v := int64(*filter.MinRevenueMinor)
			q.Filter.MinNetMinor = &v
		}
		if filter.MinOrders != nil && *filter.MinOrders > 0 {
			q.Filter.MinOrders = *filter.MinOrders
		}
		q.Filter.Currency = strings.ToUpper(Val(filter.Currency))
		q.Country = filter.Country
		if filter.PredictionDays != nil {
			q.Days = *filter.PredictionDays
		}
		q.AsOf = TimeOr(filter.PredictionAsOf)
	}
	return q
}

// ToRankedConnection shows a page of ranked customers with their profiles (ps, in any
// order).
func ToRankedConnection(pg c360.RankPage, ps []profile.Profile) *model.CustomerConnection {
	byID := map[string]int{}
	for i, p := range ps {
		byID[p.ID] = i
	}
	out := &model.CustomerConnection{Edges: []*model.CustomerEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}, TotalCount: int(pg.Total)}
	if p := pg.Predicted; p != nil {
		out.Ranking = &model.CustomerRanking{Status: model.CustomerRankingStatus(p.Status), Message: Opt(p.Message), AsOf: p.AsOf, Days: p.Days,
			Currency: Opt(p.Currency), ModelFittedAt: OptTime(p.ModelFittedAt), ComputedAt: OptTime(p.ComputedAt)}
	}
	for i, m := range pg.Metrics {
		c := pg.Cursors[i]
		out.PageInfo.EndCursor = &c
		// A profile absorbed by a merge that commerce has not followed yet is not in ps.
		if j, ok := byID[m.ProfileID]; ok {
			out.Edges = append(out.Edges, &model.CustomerEdge{Cursor: c, Node: ToCustomer(ps[j])})
		}
	}
	return out
}
