package ingest

import (
	"context"
	"maps"
	"strconv"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// SourceUpdate changes the fields given (nil: unchanged). The mappings are checked
// lists turned into maps by IdentifierMappings and TraitMappings, as for a new source.
type SourceUpdate struct {
	Kind             *string
	Priority         *int
	IdentifierFields map[string]string // nil: unchanged
	// TraitFields replaces the source's own trait mappings when SetTraitFields; empty
	// means the default names only.
	TraitFields    map[string]string
	SetTraitFields bool
	// ExpectedRevision, if set, must be the source's Revision (else a conflict): the
	// update was made on what the client saw.
	ExpectedRevision *int64
}

// UpdateSource changes a source's kind, priority and mappings, validated exactly as a
// new source is (Validate). It applies to records ingested afterwards: new records and
// records sent again, which are mapped and resolved again even when their content is
// the same, because a change of mappings changes their hash (RecordHash). Records not
// sent again keep what they were mapped to, and profiles keep their traits until
// something about them changes.
func (s *Service) UpdateSource(ctx context.Context, name string, u SourceUpdate) (Source, error) {
	if name == ManualSource {
		return Source{}, apperr.Conflictf("source %q is built in: the API's edits depend on its mappings", ManualSource)
	}
	src, err := s.Store.GetSource(ctx, name)
	if err != nil {
		return Source{}, err
	}
	if u.ExpectedRevision != nil && *u.ExpectedRevision != src.Revision {
		return Source{}, apperr.Conflictf("source %s was changed meanwhile (revision %d, not %d): reload it", name, src.Revision, *u.ExpectedRevision)
	}
	prev := src
	if u.Kind != nil {
		src.Kind = *u.Kind
	}
	if u.Priority != nil {
		src.Priority = *u.Priority
	}
	if u.IdentifierFields != nil {
		src.IdentifierFields = u.IdentifierFields
	}
	if u.SetTraitFields {
		src.TraitFields = u.TraitFields
	}
	if err := src.Validate(); err != nil {
		return Source{}, err
	}
	src.Revision++
	if !maps.Equal(prev.IdentifierFields, src.IdentifierFields) || !maps.Equal(prev.EffectiveTraitFields(), src.EffectiveTraitFields()) {
		src.MappingRev++
	}
	return src, s.Store.ReplaceSource(ctx, src, prev.Revision)
}

// RecordHash is the hash a record of this source is stored with: its content's, and
// after a change of the source's mappings the mapping revision too, so a record sent
// again is not "unchanged" but mapped with the new mappings.
func (s *Source) RecordHash(payload map[string]any) string {
	h := ContentHash(payload)
	if s.MappingRev > 0 {
		h += "-m" + strconv.FormatInt(s.MappingRev, 10)
	}
	return h
}
