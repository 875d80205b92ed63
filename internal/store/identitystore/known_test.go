package identitystore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The existence hints leave out only ids that were never written: before they are
// built every id may exist; after, ids stored before the build (read by it) and after
// it (written through) may, others not; an erased id stays a "maybe".
func TestExistenceHints(t *testing.T) {
	b := testdb.Backend(t)
	if b.IndexedFilters {
		t.Skip("hints are for backends without indexed filters")
	}
	ctx := context.Background()
	db := testdb.DB(t)
	st := identitystore.New(db, b)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := st.InsertRecords(ctx, []profile.Record{{ID: "shop:before", Source: "shop"}})
	must(err)
	_, err = st.ClaimIdentities(ctx, []profile.Identity{{ID: "email:before@example.com", ProfileID: "cus_1"}})
	must(err)
	// Before the build, every id is a maybe.
	if got := st.MaybeRecords([]string{"shop:x"}); !slices.Equal(got, []string{"shop:x"}) {
		t.Fatalf("before the build: %v", got)
	}
	must(st.BuildExistenceHints(ctx))
	_, err = st.InsertRecords(ctx, []profile.Record{{ID: "shop:after", Source: "shop"}})
	must(err)
	must(st.SetIdentityOwners(ctx, []profile.Identity{{ID: "phone:+441", ProfileID: "cus_1"}}))
	if got := st.MaybeRecords([]string{"shop:before", "shop:never", "shop:after"}); !slices.Equal(got, []string{"shop:before", "shop:after"}) {
		t.Errorf("records: %v", got)
	}
	if got := st.MaybeIdentities([]string{"email:before@example.com", "email:never@example.com", "phone:+441"}); !slices.Equal(got, []string{"email:before@example.com", "phone:+441"}) {
		t.Errorf("identities: %v", got)
	}
	// Another store of the same database in this process shares the hints.
	if got := identitystore.New(db, b).MaybeRecords([]string{"shop:after", "shop:never"}); !slices.Equal(got, []string{"shop:after"}) {
		t.Errorf("a second store: %v", got)
	}
}
