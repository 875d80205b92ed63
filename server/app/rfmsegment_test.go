package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// TestSaveRfmCellAsSegment (issue 17): an RFM cell saved as a segment holds exactly the
// customers the test puts in that cell itself (as of a date in the past, which no rule
// over today's data could select); saving again returns the same segment, a save cut
// short is finished by saving again, refreshSegment keeps the members, a merge hands a
// member's place to the survivor, and a LIST segment cannot be made or changed into
// anything else.
func TestSaveRfmCellAsSegment(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	a := s.a
	if _, err := a.Ingest.CreateSource(ctx, ingest.Source{Name: "shop", Kind: "WEB_SHOP", Priority: 5,
		IdentifierFields: map[string]string{"email": "email"}}); err != nil {
		t.Fatal(err)
	}
	const n = 60
	var people []ingest.Input
	for i := range n {
		people = append(people, ingest.Input{ExternalID: fmt.Sprint("c", i), Payload: map[string]any{"email": fmt.Sprintf("cell%d@example.com", i)}})
	}
	res, err := a.Workflows.Ingest(ctx, "shop", people, "")
	if err != nil || len(res.ProfileIDs) != n {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	pids := res.ProfileIDs
	asOf := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	type pos struct{ recency, frequency int }
	want := map[string]pos{}
	var orders []commerce.Order
	for i, p := range pids {
		k := 1 + (i*5)%8                                                // 1 to 8 orders
		last := asOf.Add(-time.Duration(3+(i*37)%400) * 24 * time.Hour) // 3 to 402 days before
		for j := range k {
			orders = append(orders, commerce.Order{ID: fmt.Sprintf("shop:o%d-%d", i, j), ProfileID: p, CustomerRecordID: fmt.Sprint("shop:c", i),
				Status: commerce.Paid, Currency: "GBP", TotalMinor: int64(1000 + 100*j), PlacedAt: last.Add(-time.Duration(j*11) * 24 * time.Hour)})
		}
		want[p] = pos{int(asOf.Sub(last) / (24 * time.Hour)), k}
	}
	if _, err := a.Commerce.PutOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	score := func(bs []analytics.Band, v int) int {
		for _, b := range bs {
			if v >= b.Min && (b.Max == 0 || v <= b.Max) {
				return b.Score
			}
		}
		return 0
	}
	cells := map[[2]int][]string{}
	for p, x := range want {
		c := [2]int{score(analytics.RecencyBands, x.recency), score(analytics.FrequencyBands, x.frequency)}
		cells[c] = append(cells[c], p)
	}
	var cell [2]int
	for c, ps := range cells {
		if len(ps) > len(cells[cell]) || len(ps) == len(cells[cell]) && (c[0] < cell[0] || c[0] == cell[0] && c[1] < cell[1]) {
			cell = c
		}
	}
	expect := slices.Sorted(slices.Values(cells[cell]))
	if len(expect) < 4 {
		t.Fatalf("the data should put at least 4 customers in a cell: %v", cells)
	}
	for range 1000 {
		if get(s.ok(adminKey, `{ reportsStatus { ready pendingProfiles } }`, nil), "reportsStatus", "ready") == true {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	const save = `mutation($r: Int!, $f: Int!, $asOf: Time) { saveRfmCellAsSegment(recency: $r, frequency: $f, name: "Cell", asOf: $asOf) {
		id kind rule memberCount description } }`
	vars := map[string]any{"r": cell[0], "f": cell[1], "asOf": asOf.Format(time.RFC3339)}
	seg := get(s.ok(adminKey, save, vars), "saveRfmCellAsSegment").(map[string]any)
	id := seg["id"].(string)
	members := func() []string {
		t.Helper()
		var out []string
		after := ""
		for {
			c := get(s.ok(adminKey, `query($id: ID!, $after: String) { segment(id: $id) { members(first: 7, after: $after) {
				edges { node { customer { id } } } pageInfo { hasNextPage endCursor } } } }`, map[string]any{"id": id, "after": after}), "segment", "members").(map[string]any)
			for _, e := range c["edges"].([]any) {
				out = append(out, get(e, "node", "customer", "id").(string))
			}
			if c["pageInfo"].(map[string]any)["hasNextPage"] != true {
				slices.Sort(out)
				return out
			}
			after = c["pageInfo"].(map[string]any)["endCursor"].(string)
		}
	}
	if seg["kind"] != "LIST" || seg["memberCount"] != float64(len(expect)) || !slices.Equal(members(), expect) {
		t.Fatalf("saved cell R%d F%d: %v with members %v, want the %d customers %v", cell[0], cell[1], seg, members(), len(expect), expect)
	}
	if d := seg["description"].(string); !strings.Contains(d, fmt.Sprintf("R%d F%d as of 2024-12-01", cell[0], cell[1])) {
		t.Errorf("description %q does not say which cell", d)
	}

	// Saving again is the same segment; a save whose member writes were cut short (two
	// members missing) is finished by saving again.
	if _, err := a.SegmentStore.Apply(ctx, id, nil, expect[:2], time.Now()); err != nil {
		t.Fatal(err)
	}
	again := get(s.ok(adminKey, save, vars), "saveRfmCellAsSegment").(map[string]any)
	if again["id"] != id || again["memberCount"] != float64(len(expect)) || !slices.Equal(members(), expect) {
		t.Fatalf("saved again: %v, members %v, want %s with %v", again, members(), id, expect)
	}
	if n := len(get(s.ok(adminKey, `{ segments { id } }`, nil), "segments").([]any)); n != 1 {
		t.Errorf("%d segments after saving one cell twice", n)
	}

	// A refresh evaluates nothing: the members stay.
	s.ok(adminKey, `mutation($id: ID!) { refreshSegment(id: $id) { id } }`, map[string]any{"id": id})
	if got := members(); !slices.Equal(got, expect) {
		t.Fatalf("after refresh: %v, want %v", got, expect)
	}

	// A merge of a member with a customer outside the cell: the survivor holds the place.
	var outside string
	for _, p := range pids {
		if !slices.Contains(expect, p) {
			outside = p
			break
		}
	}
	survivor := get(s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`,
		map[string]any{"a": expect[0], "b": outside}), "mergeCustomers", "id").(string)
	merged := slices.Clone(expect)
	merged[0] = survivor
	slices.Sort(merged)
	merged = slices.Compact(merged)
	var got []string
	for range 500 {
		if got = members(); slices.Equal(got, merged) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Equal(got, merged) {
		t.Fatalf("after merging %s and %s into %s: members %v, want %v", expect[0], outside, survivor, got, merged)
	}

	// A LIST segment is only saved from a report, and stays a list.
	s.code(adminKey, `mutation { createSegment(input: {name: "x", kind: LIST, rule: {}}) { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation($id: ID!) { updateSegment(id: $id, input: {name: "x", kind: DYNAMIC, rule: {orders: {atLeast: 1}}}) { id } }`,
		map[string]any{"id": id}, "BAD_USER_INPUT")
	renamed := get(s.ok(adminKey, `mutation($id: ID!) { updateSegment(id: $id, input: {name: "Loyal, lapsing", kind: LIST, rule: {}}) { name memberCount } }`,
		map[string]any{"id": id}), "updateSegment").(map[string]any)
	if renamed["name"] != "Loyal, lapsing" || renamed["memberCount"] != float64(len(merged)) {
		t.Errorf("renamed list: %v", renamed)
	}
	s.code(adminKey, `mutation { saveRfmCellAsSegment(recency: 9, frequency: 1, name: "x") { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { saveRfmCellAsSegment(recency: 1, frequency: 1, name: " ") { id } }`, nil, "BAD_USER_INPUT")
	s.code(s.newKey("AGENT"), save, vars, "FORBIDDEN")
}
