package resolvers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// CustomerRef names the customer of an order or interaction: a source record id, or an
// identifier (type and value).
type CustomerRef struct{ RecordID, Type, Value string }

// ResolvedRef is the profile (and the customer's source record) a ref resolved to, or
// why it did not.
type ResolvedRef struct {
	ProfileID, RecordID string
	Reason              string
}

// CustomerRefs resolves refs in a few batched lookups.
type CustomerRefs interface {
	Resolve(ctx context.Context, refs []CustomerRef) ([]ResolvedRef, error)
}

// Erasure reports a GDPR erasure.
type Erasure struct {
	ProfileIDs                              []string
	SourceRecords, Identities, Interactions int64
	OrdersAnonymised, Tickets               int64
}

// Eraser erases a customer.
type Eraser interface {
	Erase(ctx context.Context, id string) (Erasure, error)
}

// Limits of the commerce fields.
const (
	maxCommerceBatch = 1000
	maxOrdersPage    = 100
	maxTimelinePage  = 200
)

var symbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}

func toMoney(minor int64, currency string) *model.Money {
	exp, _ := commerce.Exponent(currency)
	amount := commerce.FormatMinor(minor, exp)
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

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toMetrics(m commerce.Metrics) *model.CustomerMetrics {
	out := &model.CustomerMetrics{OrderCount: m.Orders, CancellationCount: m.Cancellations, InteractionCount: m.Interactions,
		OtherCurrencies: []*model.Money{}, FirstOrderAt: optTime(m.FirstOrderAt), LastOrderAt: optTime(m.LastOrderAt),
		LastSeenAt: optTime(m.LastSeenAt()),
		ChurnRisk: &model.ChurnRisk{Score: m.Churn.Score, DaysSinceLastOrder: m.Churn.DaysSinceLastOrder, MeanIntervalDays: m.Churn.MeanIntervalDays,
			Basis: model.ChurnBasis(strings.ToUpper(m.Churn.Basis)), AsOf: m.Churn.Asof}}
	if m.Currency != "" {
		out.Revenue, out.HistoricClv = toMoney(m.NetMinor, m.Currency), toMoney(m.CLVMinor(), m.Currency)
		out.GrossRevenue, out.Returns = toMoney(m.GrossMinor, m.Currency), toMoney(m.ReturnsMinor, m.Currency)
		out.AverageOrderValue = toMoney(m.AOVMinor(), m.Currency)
	}
	for _, c := range slices.Sorted(maps.Keys(m.OtherNet)) {
		out.OtherCurrencies = append(out.OtherCurrencies, toMoney(m.OtherNet[c], c))
	}
	if !m.RFM.ScoredAt.IsZero() {
		out.Rfm = &model.Rfm{Recency: m.RFM.Recency, Frequency: m.RFM.Frequency, Monetary: m.RFM.Monetary, ScoredAt: m.RFM.ScoredAt}
	}
	return out
}

func toOrder(o *commerce.Order) *model.Order {
	out := &model.Order{ID: o.ID, Source: o.Source, ExternalID: o.ExternalID, Status: model.OrderStatus(strings.ToUpper(o.Status)),
		Channel: o.Channel, Total: toMoney(o.TotalMinor, o.Currency), PlacedAt: o.PlacedAt, CustomerRecordID: opt(o.CustomerRecordID),
		Lines: make([]*model.OrderLine, len(o.Lines))}
	for i, l := range o.Lines {
		out.Lines[i] = &model.OrderLine{Sku: l.SKU, Description: opt(l.Description), Quantity: int(l.Quantity),
			UnitPrice: toMoney(l.UnitPriceMinor, o.Currency), Amount: toMoney(l.AmountMinor(), o.Currency)}
	}
	return out
}

func toInteraction(it *commerce.Interaction) *model.Interaction {
	out := &model.Interaction{ID: it.ID, Channel: it.Channel, Type: it.Type, At: it.At}
	if len(it.Attributes) > 0 {
		out.Attributes = it.Attributes
	}
	return out
}

func toTimelineItem(x commerce.TimelineItem) *model.TimelineItem {
	out := &model.TimelineItem{Kind: model.TimelineKind(strings.ToUpper(x.Kind)), ID: x.ID, At: x.At, Channel: x.Channel, Type: x.Type}
	switch {
	case x.Order != nil:
		out.Order = toOrder(x.Order)
	case x.Interaction != nil:
		out.Interaction = toInteraction(x.Interaction)
	}
	if t, ok := x.Extra.(ticket.Ticket); ok {
		out.Ticket = toTicket(t)
	}
	return out
}

func orderCursor(o *commerce.Order) string {
	return commerce.EncodeCursor(commerce.Position{At: o.PlacedAt, Kind: commerce.ItemOrder, ID: o.ID})
}

// toCustomerRef checks that a ref names the customer one way.
func toCustomerRef(in *model.CustomerRefInput) (CustomerRef, string) {
	if in == nil {
		return CustomerRef{}, ""
	}
	ref := CustomerRef{RecordID: strings.TrimSpace(val(in.RecordID)), Type: strings.TrimSpace(val(in.Type)), Value: val(in.Value)}
	switch {
	case ref.RecordID != "" && ref.Type == "" && ref.Value == "":
		if !strings.Contains(ref.RecordID, ":") {
			return ref, "customer.recordId must be source:externalId"
		}
	case ref.RecordID == "" && ref.Type != "" && strings.TrimSpace(ref.Value) != "":
	default:
		return ref, "customer needs either recordId, or type and value"
	}
	return ref, ""
}

// toOrderInput turns one input row into an order, or a reason to reject it.
func toOrderInput(source string, in *model.OrderInput) (commerce.Order, string) {
	o := commerce.Order{Source: source, ExternalID: strings.TrimSpace(in.ExternalID), Status: strings.ToLower(string(in.Status)),
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), PlacedAt: in.PlacedAt, Channel: val(in.Channel)}
	if o.ExternalID == "" || len(o.ExternalID) > 200 {
		return o, "externalId must have 1 to 200 characters"
	}
	o.ID = source + ":" + o.ExternalID
	exp, ok := commerce.Exponent(o.Currency)
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
		p, err := commerce.ParseMinor(l.UnitPrice, exp)
		if err != nil {
			return o, fmt.Sprintf("line %d: unit price %q: %v", i+1, l.UnitPrice, err)
		}
		o.Lines = append(o.Lines, commerce.Line{SKU: l.Sku, Description: val(l.Description), Quantity: int64(l.Quantity), UnitPriceMinor: p})
	}
	if in.Total != nil {
		t, err := commerce.ParseMinor(*in.Total, exp)
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

func toInteractionInput(source string, in *model.InteractionInput) (commerce.Interaction, string) {
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

// checkBatch validates what applies to the whole batch.
func (r *Resolver) checkBatch(ctx context.Context, source string, n int) error {
	if n > maxCommerceBatch {
		return apperr.Invalidf("at most %d rows per batch, got %d", maxCommerceBatch, n)
	}
	_, err := r.Ingest.Source(ctx, source)
	return err
}

// resolveRows resolves the customer refs of the rows still accepted (reason "").
func (r *Resolver) resolveRows(ctx context.Context, refs []CustomerRef, reasons []string, need func(i int) bool) ([]ResolvedRef, error) {
	var ask []CustomerRef
	var at []int
	for i, ref := range refs {
		if reasons[i] == "" && need(i) {
			ask = append(ask, ref)
			at = append(at, i)
		}
	}
	out := make([]ResolvedRef, len(refs))
	if len(ask) == 0 {
		return out, nil
	}
	got, err := r.Refs.Resolve(ctx, ask)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = got[j]
		if got[j].Reason != "" {
			reasons[i] = got[j].Reason
		}
	}
	return out, nil
}

func commerceResult(n int, reasons []string, ids []string, source string, extIDs []string) *model.CommerceIngestResult {
	out := &model.CommerceIngestResult{ProfileIds: make([]*string, n), Rejects: []*model.Reject{}}
	for i := range n {
		if reasons[i] != "" {
			out.Rejected++
			out.Rejects = append(out.Rejects, &model.Reject{Index: i, ExternalID: extIDs[i], Reason: reasons[i]})
			continue
		}
		out.ProfileIds[i] = opt(ids[i])
	}
	return out
}

// rankedCustomers lists customers with commerce data in a value order, restricted by
// the text query and filters.
func (r *Resolver) rankedCustomers(ctx context.Context, query string, filter *model.CustomerFilter, orderBy *model.CustomerOrder, n int, after string) (*model.CustomerConnection, error) {
	q := commerce.RankRequest{Order: commerce.RankNewest, Query: query, After: after, Limit: n}
	if orderBy != nil {
		q.Order = commerce.RankOrder(strings.ToLower(string(*orderBy)))
	}
	if filter != nil {
		if filter.MinRevenueMinor != nil {
			v := int64(*filter.MinRevenueMinor)
			q.Filter.MinNetMinor = &v
		}
		q.Filter.MinOrders = page(filter.MinOrders, 0)
		q.Filter.Currency = strings.ToUpper(val(filter.Currency))
		q.Country = filter.Country
	}
	pg, err := r.C360.Rank(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(pg.Metrics))
	for i, m := range pg.Metrics {
		ids[i] = m.ProfileID
	}
	ps, err := r.Profiles.Stored(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for i, p := range ps {
		byID[p.ID] = i
	}
	out := &model.CustomerConnection{Edges: []*model.CustomerEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}, TotalCount: int(pg.Total)}
	for i, id := range ids {
		c := pg.Cursors[i]
		out.PageInfo.EndCursor = &c
		// A profile absorbed by a merge the sweep has not followed yet is left out.
		if j, ok := byID[id]; ok && ps[j].MergedInto == "" {
			out.Edges = append(out.Edges, &model.CustomerEdge{Cursor: c, Node: toCustomer(ps[j])})
		}
	}
	return out, nil
}
