package convert

import (
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
)

func ToCustomer(p profile.Profile) *model.Customer {
	t := p.Traits
	c := &model.Customer{
		ID: p.ID, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		FirstName: Opt(t.FirstName), LastName: Opt(t.LastName),
		Emails: NonNil(t.Emails), Phones: NonNil(t.Phones),
		BirthDate: Opt(t.BirthDate), Locale: Opt(t.Locale),
		TraitProvenance: []*model.TraitProvenance{}, MergeHistory: []*model.MergeEvent{}, InvalidValues: []*model.InvalidValue{},
		Addresses: []*model.Address{},
	}
	if len(t.Attributes) > 0 {
		c.Attributes = t.Attributes
	}
	c.Name = strings.TrimSpace(t.FirstName + " " + t.LastName)
	if c.Name == "" && len(t.Emails) > 0 {
		c.Name = t.Emails[0]
	}
	if c.Name == "" {
		c.Name = p.ID
	}
	for _, a := range t.Addresses {
		c.Addresses = append(c.Addresses, &model.Address{Line1: Opt(a.Line1), Line2: Opt(a.Line2), City: Opt(a.City), Postcode: Opt(a.Postcode), Region: Opt(a.Region), Country: Opt(a.Country)})
	}
	for _, pv := range p.Provenance {
		c.TraitProvenance = append(c.TraitProvenance, &model.TraitProvenance{Field: pv.Field, Value: pv.Value, Source: pv.Source, RecordID: pv.RecordID, ReceivedAt: pv.ReceivedAt, Rule: model.SurvivorshipRule(pv.Rule)})
	}
	for _, ev := range p.History {
		c.MergeHistory = append(c.MergeHistory, &model.MergeEvent{At: ev.At, Kind: model.MergeKind(ev.Kind), ProfileIds: ev.ProfileIDs, RecordID: Opt(ev.RecordID), Rule: ev.Rule, Actor: ev.Actor})
	}
	for _, iv := range p.Invalid {
		c.InvalidValues = append(c.InvalidValues, &model.InvalidValue{Field: iv.Field, Value: iv.Value, Reason: iv.Reason, Source: iv.Source, RecordID: iv.RecordID})
	}
	return c
}

func ToIdentity(i profile.Identity) *model.Identity {
	return &model.Identity{ID: i.ID, Type: i.Type, Value: i.Value, Sources: NonNil(i.Sources), FirstSeen: i.FirstSeen}
}

func ToRecord(r profile.Record) *model.SourceRecord {
	return &model.SourceRecord{ID: r.ID, Source: r.Source, ExternalID: r.ExternalID, Payload: r.Payload, ContentHash: r.Hash, ReceivedAt: r.ReceivedAt, ObservedAt: r.ObservedAt}
}

func ToKey(k auth.Key) *model.APIKey {
	return &model.APIKey{ID: k.ID, Name: k.Name, Role: model.Role(strings.ToUpper(string(k.Role))), Prefix: k.Prefix, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

func ToEdit(in model.CustomerInput) (customer.Edit, error) {
	e := customer.Edit{FirstName: in.FirstName, LastName: in.LastName, BirthDate: in.BirthDate, Locale: in.Locale, Emails: in.Emails, Phones: in.Phones}
	for _, a := range in.Addresses {
		e.Addresses = append(e.Addresses, profile.Address{Line1: Val(a.Line1), Line2: Val(a.Line2), City: Val(a.City), Postcode: Val(a.Postcode), Region: Val(a.Region), Country: Val(a.Country)})
	}
	if in.Attributes != nil {
		m, ok := in.Attributes.(map[string]any)
		if !ok {
			return e, apperr.Invalidf("attributes must be a JSON object")
		}
		e.Attributes = m
	}
	return e, nil
}

// ToCustomerConnection shows a page of the customer search.
func ToCustomerConnection(pg customer.Page) *model.CustomerConnection {
	out := &model.CustomerConnection{Edges: []*model.CustomerEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}, TotalCount: int(pg.Total)}
	for _, p := range pg.Profiles {
		c := customer.Cursor(p.ID)
		out.Edges = append(out.Edges, &model.CustomerEdge{Cursor: c, Node: ToCustomer(p)})
		out.PageInfo.EndCursor = &c
	}
	return out
}
