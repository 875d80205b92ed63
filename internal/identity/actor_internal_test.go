package identity

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// checkMerges is the check engine.go is to make before writing a planned batch.
func TestCheckMergesRefusesPlannedMerges(t *testing.T) {
	ctx := context.Background()
	none, merging := &plan{}, &plan{merges: []merge{{absorbed: "cus_b", survivor: "cus_a"}}}
	if err := merging.checkMerges(ctx); err != nil {
		t.Fatalf("system context: %v", err)
	}
	deny := WithoutMerges(WithActor(ctx, "desk"))
	if err := none.checkMerges(deny); err != nil {
		t.Fatalf("no merge planned: %v", err)
	}
	if e, ok := apperr.As(merging.checkMerges(deny)); !ok || e.Kind != apperr.Forbidden {
		t.Fatalf("planned merge without permission: %v", e)
	}
	if ActorOf(deny) != "desk" || MayMerge(deny) || !MayMerge(WithActor(ctx, "x")) {
		t.Fatal("caller lost")
	}
}
