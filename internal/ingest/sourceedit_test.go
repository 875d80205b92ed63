package ingest

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// sourceStore keeps sources in memory; the rest of Store is not used.
type sourceStore struct {
	Store
	sources map[string]Source
}

func (s *sourceStore) GetSource(_ context.Context, name string) (Source, error) {
	src, ok := s.sources[name]
	if !ok {
		return Source{}, apperr.NotFoundf("source %q not found", name)
	}
	return src, nil
}

func (s *sourceStore) ReplaceSource(_ context.Context, src Source, prev int64) error {
	if s.sources[src.Name].Revision != prev {
		return apperr.Conflictf("changed")
	}
	s.sources[src.Name] = src
	return nil
}

func kindOf(err error) apperr.Kind {
	e, _ := apperr.As(err)
	return e.Kind
}

func TestUpdateSource(t *testing.T) {
	ctx := context.Background()
	st := &sourceStore{sources: map[string]Source{"shop": shop, ManualSource: {Name: ManualSource, Kind: "API"}}}
	svc := &Service{Store: st, Now: time.Now}
	payload := map[string]any{"email": "a@example.com"}
	before := shop.RecordHash(payload)
	if before != ContentHash(payload) {
		t.Fatalf("an unedited source's hash is the content's: %s", before)
	}

	// Kind and priority only: the mappings, and so the record hash, stay.
	crm, prio := "CRM", 7
	got, err := svc.UpdateSource(ctx, "shop", SourceUpdate{Kind: &crm, Priority: &prio})
	if err != nil || got.Kind != "CRM" || got.Priority != 7 || got.Revision != 1 || got.MappingRev != 0 ||
		!maps.Equal(got.IdentifierFields, shop.IdentifierFields) || got.RecordHash(payload) != before {
		t.Fatalf("kind and priority: %+v %v", got, err)
	}
	// New mappings: records sent again hash differently, so they are mapped again.
	ids, err := IdentifierMappings("input.identifierFields", []Mapping{{"mail", "email"}})
	if err != nil {
		t.Fatal(err)
	}
	traits, _ := TraitMappings("input.traitFields", []Mapping{{"given", "firstName"}})
	one := int64(1)
	got, err = svc.UpdateSource(ctx, "shop", SourceUpdate{IdentifierFields: ids, TraitFields: traits, SetTraitFields: true, ExpectedRevision: &one})
	if err != nil || got.Revision != 2 || got.MappingRev != 1 || got.IdentifierFields["mail"] != "email" || got.TraitFields["given"] != "firstName" {
		t.Fatalf("mappings: %+v %v", got, err)
	}
	if h := got.RecordHash(payload); h == before || !strings.HasPrefix(h, before) {
		t.Fatalf("hash after a mapping change: %s (was %s)", h, before)
	}
	// A stale revision, invalid input (exactly as Validate says), unknown and built-in sources.
	if _, err := svc.UpdateSource(ctx, "shop", SourceUpdate{Kind: &crm, ExpectedRevision: &one}); kindOf(err) != apperr.Conflict {
		t.Fatalf("stale revision: %v", err)
	}
	bad := "SHOPPING"
	_, err = svc.UpdateSource(ctx, "shop", SourceUpdate{Kind: &bad})
	want := (&Source{Name: "shop", Kind: bad, IdentifierFields: ids}).Validate()
	if kindOf(err) != apperr.Invalid || err.Error() != want.Error() {
		t.Fatalf("bad kind: %v, want %v", err, want)
	}
	if _, err := svc.UpdateSource(ctx, "shop", SourceUpdate{IdentifierFields: map[string]string{}}); kindOf(err) != apperr.Invalid {
		t.Fatalf("no identifier: %v", err)
	}
	if st.sources["shop"].Revision != 2 {
		t.Fatalf("a refused update was stored: %+v", st.sources["shop"])
	}
	if _, err := svc.UpdateSource(ctx, "nope", SourceUpdate{Kind: &crm}); kindOf(err) != apperr.NotFound {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := svc.UpdateSource(ctx, ManualSource, SourceUpdate{Kind: &crm}); kindOf(err) != apperr.Conflict {
		t.Fatalf("manual: %v", err)
	}
}
