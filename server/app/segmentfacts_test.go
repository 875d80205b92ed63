package app_test

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestSegmentPreviewFromFacts (issue 14): once the segment facts are loaded, a preview
// reads no collection but by bare _id, and sees every write made before it without
// waiting for the segment queue (the write paths announce changed profiles).
func TestSegmentPreviewFromFacts(t *testing.T) {
	log := &testdb.CommandLog{}
	s, _ := newMonitoredServer(t, log.Monitor())
	c := s.a.SegmentQuery.Facts()
	if c == nil {
		t.Skip("the backend keeps the query path")
	}
	ctx := context.Background()
	// The monitored server runs no background loops: load as Start would.
	if err := s.a.SegmentQuery.LoadFacts(ctx, nil); err != nil || !c.Loaded() {
		t.Fatalf("load: %v", err)
	}
	s.ok(adminKey, shopSource, nil)
	in := func(id, first string) []ingest.Input {
		return []ingest.Input{{ExternalID: id, Payload: map[string]any{"email": id + "@example.com", "firstName": first}}}
	}
	for i, id := range []string{"c1", "c2", "c3"} {
		if _, err := s.a.Workflows.Ingest(ctx, "shop", in(id, []string{"Zed", "Zed", "Amy"}[i]), ""); err != nil {
			t.Fatal(err)
		}
	}
	q := `query { segmentPreview(rule: {trait: {field: "firstName", op: EQ, value: "Zed"}}, sample: 5) { count sample { id firstName } } }`
	log.Record(true)
	d := s.ok(adminKey, q, nil)
	cmds := log.Record(false)
	if get(d, "segmentPreview", "count") != 2.0 || len(get(d, "segmentPreview", "sample").([]any)) != 2 {
		t.Fatalf("preview: %v", d)
	}
	for _, c := range cmds {
		for _, f := range c.Filters {
			if c.Coll != "api_keys" && !testdb.BareID(f) {
				t.Errorf("preview sent %s", c)
			}
		}
	}
	// A change is seen by the next preview, before the segment queue runs.
	if _, err := s.a.Workflows.Ingest(ctx, "shop", in("c3", "Zed"), ""); err != nil {
		t.Fatal(err)
	}
	if d := s.ok(adminKey, q, nil); get(d, "segmentPreview", "count") != 3.0 {
		t.Fatalf("after a change: %v", d)
	}
}
