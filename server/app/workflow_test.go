package app_test

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/ingest"
)

// TestWorkflowsFollowMergesWithoutTheSweep: the app wires the workflows as the engine's
// follower, so a merge made by ingest through them (no reconcile sweep on the way)
// leaves the customer with all the orders and interactions of both profiles at once,
// and an unmerge through them gives them back.
func TestWorkflowsFollowMergesWithoutTheSweep(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	s.ok(adminKey, shopSource, nil)
	c, e := seed(s, "300", 2, false), seedCustomer(s, "400", 5)
	metrics := func(id string) map[string]any {
		return get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id metrics { orderCount interactionCount } orders(first: 50) { edges { node { id } } } } }`,
			map[string]any{"id": id}), "customer").(map[string]any)
	}
	res, err := s.a.Workflows.Ingest(ctx, "shop", []ingest.Input{{ExternalID: "500", Payload: map[string]any{"email": "c300@example.com", "customer_no": "400"}}}, "")
	if err != nil || res.Merged != 1 || len(res.Merges) != 1 {
		t.Fatalf("bridge: %+v %v", res, err)
	}
	survivor := res.Merges[0].Survivor
	for _, id := range []string{c, e} {
		got := metrics(id)
		if get(got, "id") != survivor || get(got, "metrics", "orderCount") != 5.0 || get(got, "metrics", "interactionCount") != 4.0 || len(get(got, "orders", "edges").([]any)) != 7 {
			t.Fatalf("after the ingest merge, %s: %v", id, got)
		}
	}
	absorbed := res.Merges[0].Absorbed
	rec := map[string]string{c: "shop:300", e: "shop:400"}[absorbed]
	split, _, err := s.a.Workflows.Unmerge(ctx, survivor, []string{rec}, "tester")
	if err != nil || len(split) != 1 || split[0] != absorbed {
		t.Fatalf("unmerge %s: %v %v", rec, split, err)
	}
	for id, want := range map[string]float64{c: 1, e: 4} {
		if got := metrics(id); get(got, "id") != id || get(got, "metrics", "orderCount") != want {
			t.Fatalf("after unmerge %s: %v (want %v orders)", id, got, want)
		}
	}
}
