package identity

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity/resolve"
)

// checkMerges is the check engine.go is to make before writing a planned batch.
func TestCheckMergesRefusesPlannedMerges(t *testing.T) {
	ctx := context.Background()
	none, merging := &resolve.Plan{}, &resolve.Plan{Merges: []resolve.Merge{{Absorbed: "cus_b", Survivor: "cus_a"}}}
	if err := checkMerges(ctx, merging); err != nil {
		t.Fatalf("system context: %v", err)
	}
	deny := WithoutMerges(WithActor(ctx, "desk"))
	if err := checkMerges(deny, none); err != nil {
		t.Fatalf("no merge planned: %v", err)
	}
	if e, ok := apperr.As(checkMerges(deny, merging)); !ok || e.Kind != apperr.Forbidden {
		t.Fatalf("planned merge without permission: %v", e)
	}
	if ActorOf(deny) != "desk" || MayMerge(deny) || !MayMerge(WithActor(ctx, "x")) {
		t.Fatal("caller lost")
	}
}
