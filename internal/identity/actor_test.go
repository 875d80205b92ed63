package identity_test

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// Issue 12 item 4: the caller in the context decides whether resolution may merge and
// is recorded on the merges it makes.
func TestCallerInContext(t *testing.T) {
	st := identitystore.New(testdb.DB(t), testdb.Backend(t))
	eng := identity.NewEngine(st)
	svc := ingest.NewService(st, eng, normalize.Default())
	ctx := context.Background()
	if _, err := svc.CreateSource(ctx, ingest.Source{Name: "shop", Kind: "OTHER", IdentifierFields: map[string]string{"email": "email", "phone": "phone"}}); err != nil {
		t.Fatal(err)
	}
	in := func(id string, p map[string]any) []ingest.Input { return []ingest.Input{{ExternalID: id, Payload: p}} }
	a, err := svc.Ingest(ctx, "shop", in("a", map[string]any{"email": "a@example.com"}), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Ingest(ctx, "shop", in("b", map[string]any{"phone": "+447911123456"}), "")
	if err != nil {
		t.Fatal(err)
	}
	bridge := in("c", map[string]any{"email": "a@example.com", "phone": "+447911123456"})

	_, err = svc.Ingest(identity.WithoutMerges(identity.WithActor(ctx, "desk (key_2)")), "shop", bridge, "")
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Forbidden {
		t.Fatalf("merge without permission: %v, want FORBIDDEN", err)
	}
	for _, id := range []string{a.ProfileIDs[0], b.ProfileIDs[0]} {
		if f, err := eng.Final(ctx, id); err != nil || f != id {
			t.Fatalf("%s was merged into %s (%v)", id, f, err)
		}
	}

	res, err := svc.Ingest(identity.WithActor(ctx, "ops (key_1)"), "shop", bridge, "")
	if err != nil || res.Merged != 1 {
		t.Fatalf("merge: %+v %v", res, err)
	}
	ps, err := st.GetProfiles(ctx, []string{res.ProfileIDs[0]})
	if err != nil || len(ps) != 1 || len(ps[0].History) != 1 || ps[0].History[0].Actor != "ops (key_1)" {
		t.Fatalf("history %+v %v", ps, err)
	}
	if identity.ActorOf(ctx) != identity.SystemActor || !identity.MayMerge(ctx) {
		t.Fatal("a context without a caller is the system, allowed to merge")
	}
}
