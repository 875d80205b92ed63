package resolvers

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/profile"
)

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// intOr is *p, or def when the argument is absent (unlike page, 0 and negative values
// are kept for the domain to refuse).
func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toCustomer(p profile.Profile) *model.Customer {
	t := p.Traits
	c := &model.Customer{
		ID: p.ID, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		FirstName: opt(t.FirstName), LastName: opt(t.LastName),
		Emails: nonNil(t.Emails), Phones: nonNil(t.Phones),
		BirthDate: opt(t.BirthDate), Locale: opt(t.Locale),
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
		c.Addresses = append(c.Addresses, &model.Address{Line1: opt(a.Line1), Line2: opt(a.Line2), City: opt(a.City), Postcode: opt(a.Postcode), Region: opt(a.Region), Country: opt(a.Country)})
	}
	for _, pv := range p.Provenance {
		c.TraitProvenance = append(c.TraitProvenance, &model.TraitProvenance{Field: pv.Field, Value: pv.Value, Source: pv.Source, RecordID: pv.RecordID, ReceivedAt: pv.ReceivedAt, Rule: model.SurvivorshipRule(pv.Rule)})
	}
	for _, ev := range p.History {
		c.MergeHistory = append(c.MergeHistory, &model.MergeEvent{At: ev.At, Kind: model.MergeKind(ev.Kind), ProfileIds: ev.ProfileIDs, RecordID: opt(ev.RecordID), Rule: ev.Rule, Actor: ev.Actor})
	}
	for _, iv := range p.Invalid {
		c.InvalidValues = append(c.InvalidValues, &model.InvalidValue{Field: iv.Field, Value: iv.Value, Reason: iv.Reason, Source: iv.Source, RecordID: iv.RecordID})
	}
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toIdentity(i profile.Identity) *model.Identity {
	return &model.Identity{ID: i.ID, Type: i.Type, Value: i.Value, Sources: nonNil(i.Sources), FirstSeen: i.FirstSeen}
}

func toRecord(r profile.Record) *model.SourceRecord {
	return &model.SourceRecord{ID: r.ID, Source: r.Source, ExternalID: r.ExternalID, Payload: r.Payload, ContentHash: r.Hash, ReceivedAt: r.ReceivedAt, ObservedAt: r.ObservedAt}
}

func toKey(k auth.Key) *model.APIKey {
	return &model.APIKey{ID: k.ID, Name: k.Name, Role: model.Role(strings.ToUpper(string(k.Role))), Prefix: k.Prefix, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

func mappings(m map[string]string) []*model.FieldMapping {
	out := []*model.FieldMapping{}
	for f, t := range m {
		out = append(out, &model.FieldMapping{Field: f, Target: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// fromMappings keeps the input's order, so that errors can name the entry; nil stays nil.
func fromMappings(in []*model.FieldMappingInput) []ingest.Mapping {
	if in == nil {
		return nil
	}
	out := make([]ingest.Mapping, len(in))
	for i, x := range in {
		out[i] = ingest.Mapping{Field: x.Field, Target: x.Target}
	}
	return out
}

// toSource shows the trait mapping that applies: the source's own, and the default
// names for fields it does not map.
func toSource(s ingest.Source) *model.Source {
	return &model.Source{Name: s.Name, Kind: model.SourceKind(s.Kind), Priority: s.Priority, IdentifierFields: mappings(s.IdentifierFields),
		TraitFields: mappings(s.EffectiveTraitFields()), RecordCount: int(s.RecordCount), CreatedAt: s.CreatedAt}
}

func toJob(j ingest.Job) *model.IngestJob {
	st := model.IngestJobStateRunning
	switch {
	case j.Done:
		st = model.IngestJobStateDone
	case j.Interrupted:
		st = model.IngestJobStateInterrupted
	}
	return &model.IngestJob{ID: j.ID, Source: j.Source, State: st, Total: j.Total, Processed: j.Counts.Processed(),
		Created: j.Counts.Created, Updated: j.Counts.Updated, Unchanged: j.Counts.Unchanged, Merged: j.Counts.Merged, Rejected: j.Counts.Rejected,
		StartedAt: j.StartedAt, FinishedAt: j.FinishedAt}
}

func toEdit(in model.CustomerInput) (customer.Edit, error) {
	e := customer.Edit{FirstName: in.FirstName, LastName: in.LastName, BirthDate: in.BirthDate, Locale: in.Locale, Emails: in.Emails, Phones: in.Phones}
	for _, a := range in.Addresses {
		e.Addresses = append(e.Addresses, profile.Address{Line1: val(a.Line1), Line2: val(a.Line2), City: val(a.City), Postcode: val(a.Postcode), Region: val(a.Region), Country: val(a.Country)})
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

// payloadOf accepts only a JSON object as a record payload.
func payloadOf(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case json.RawMessage:
		var out map[string]any
		return out, json.Unmarshal(m, &out) == nil && out != nil
	}
	return nil, false
}

func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
