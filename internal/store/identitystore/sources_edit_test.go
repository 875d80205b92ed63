package identitystore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// ReplaceSource is a compare-and-set on the revision that keeps the record count and
// the source priorities the identity graph reads (cached in process on FerretDB).
func TestReplaceSource(t *testing.T) {
	ctx := context.Background()
	st := identitystore.New(testdb.DB(t), testdb.Backend(t))
	src := ingest.Source{Name: "shop", Kind: "WEB_SHOP", Priority: 1, IdentifierFields: map[string]string{"email": "email"},
		TraitFields: map[string]string{"given": "firstName"}, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := st.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SourcePriorities(ctx); err != nil { // fills the cache where there is one
		t.Fatal(err)
	}
	if err := st.IncSourceRecords(ctx, "shop", 3); err != nil {
		t.Fatal(err)
	}
	edit := src
	edit.Kind, edit.Priority, edit.Revision, edit.MappingRev = "CRM", 9, 1, 1
	edit.IdentifierFields, edit.TraitFields = map[string]string{"mail": "email"}, nil
	if err := st.ReplaceSource(ctx, edit, 0); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSource(ctx, "shop")
	if err != nil || got.Kind != "CRM" || got.Priority != 9 || got.Revision != 1 || got.MappingRev != 1 || got.RecordCount != 3 ||
		got.IdentifierFields["mail"] != "email" || len(got.IdentifierFields) != 1 || got.TraitFields != nil || !got.CreatedAt.Equal(src.CreatedAt) {
		t.Fatalf("stored %+v %v", got, err)
	}
	if prio, err := st.SourcePriorities(ctx); err != nil || prio["shop"] != 9 {
		t.Fatalf("priorities %v %v", prio, err)
	}
	// A second instance of the store reads the database: the same priority.
	if prio, _ := identitystore.New(st.DB, testdb.Backend(t)).SourcePriorities(ctx); prio["shop"] != 9 {
		t.Fatalf("fresh priorities %v", prio)
	}
	edit.Priority = 2
	if err := st.ReplaceSource(ctx, edit, 0); !isKind(err, apperr.Conflict) {
		t.Fatalf("stale revision: %v", err)
	}
	edit.Name = "nope"
	if err := st.ReplaceSource(ctx, edit, 0); !isKind(err, apperr.NotFound) {
		t.Fatalf("unknown source: %v", err)
	}
}

func isKind(err error, k apperr.Kind) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == k
}
