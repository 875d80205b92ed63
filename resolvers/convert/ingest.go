package convert

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

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

// ToSource shows the trait mapping that applies: the source's own, and the default
// names for fields it does not map.
func ToSource(s ingest.Source) *model.Source {
	return &model.Source{Name: s.Name, Kind: model.SourceKind(s.Kind), Priority: s.Priority, IdentifierFields: mappings(s.IdentifierFields),
		TraitFields: mappings(s.EffectiveTraitFields()), RecordCount: int(s.RecordCount), CreatedAt: s.CreatedAt, Revision: int(s.Revision), OwnTraitFields: mappings(s.TraitFields)}
}

func ToJob(j ingest.Job) *model.IngestJob {
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

// FromRecordInputs converts a batch of records; a payload that is not a JSON object is
// left nil.
func FromRecordInputs(records []*model.RecordInput) []ingest.Input {
	in := make([]ingest.Input, len(records))
	for i, x := range records {
		in[i] = ingest.Input{ExternalID: x.ExternalID, ObservedAt: timeOr(x.ObservedAt)}
		if m, ok := payloadOf(x.Payload); ok {
			in[i].Payload = m
		}
	}
	return in
}

// ToIngestResult reports a batch: counts, each record's profile and the rejects.
func ToIngestResult(res ingest.Result) *model.IngestResult {
	out := &model.IngestResult{Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Merged: res.Merged, Rejected: res.Rejected,
		ProfileIds: make([]*string, len(res.ProfileIDs)), Rejects: []*model.Reject{}}
	for i, p := range res.ProfileIDs {
		out.ProfileIds[i] = Opt(p)
	}
	for _, rj := range res.Rejects {
		out.Rejects = append(out.Rejects, &model.Reject{Index: rj.Index, ExternalID: rj.ExternalID, Reason: rj.Reason})
	}
	return out
}

// FromSourceInput checks the source's field mappings (errors name the input field) and
// builds the source.
func FromSourceInput(in model.SourceInput) (ingest.Source, error) {
	ids, err := ingest.IdentifierMappings("input.identifierFields", fromMappings(in.IdentifierFields))
	if err != nil {
		return ingest.Source{}, err
	}
	traits, err := ingest.TraitMappings("input.traitFields", fromMappings(in.TraitFields))
	if err != nil {
		return ingest.Source{}, err
	}
	src := ingest.Source{Name: in.Name, Kind: string(in.Kind), IdentifierFields: ids, TraitFields: traits}
	if in.Priority != nil {
		src.Priority = *in.Priority
	}
	return src, nil
}
