package segmentstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestMembersPageBounded (issue 14): with the member index built, a page of a segment's
// members and the member count after a change cost the same at 50 and at 1,000 members
// of other segments, all bare-_id; pages walk every member once, in profile id order,
// as the query did, also across writes made while the index was being built.
func TestMembersPageBounded(t *testing.T) {
	b := testdb.Backend(t)
	if b.IndexedFilters {
		t.Skip("the member index is the embedded backend's")
	}
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rule := segment.Trait(segment.FieldFirstName, segment.EQ, "Ann")
	counts := map[int][2]int{}
	for _, others := range []int{50, 1000} {
		log := &testdb.CommandLog{}
		db := testdb.MonitoredClient(t, log).Database(fmt.Sprintf("segmembers_%d_%d", others, time.Now().UnixNano()))
		t.Cleanup(func() { _ = db.Drop(ctx) })
		s := segmentstore.New(db, b, noMerges{})
		for _, id := range []string{"seg_big", "seg_small"} {
			if err := s.InsertSegment(ctx, membership.Segment{ID: id, Name: id, Kind: membership.Static, Rule: rule, CreatedAt: at, UpdatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		var big []string
		for i := range others {
			big = append(big, fmt.Sprintf("cus_%05d", i))
		}
		if _, err := s.Apply(ctx, "seg_big", big, nil, at); err != nil {
			t.Fatal(err)
		}
		small := []string{"cus_a1", "cus_a2", "cus_a3", "cus_a4", "cus_a5"}
		if _, err := s.Apply(ctx, "seg_small", small[:3], nil, at); err != nil {
			t.Fatal(err)
		}
		if err := s.BuildMemberIndex(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := s.Apply(ctx, "seg_small", small[3:], []string{"cus_a2"}, at.Add(time.Hour))
		if err != nil || n != 4 {
			t.Fatalf("%d others: count after apply %d %v", others, n, err)
		}
		var got []string
		after := ""
		log.Record(true)
		for {
			pg, err := s.MembersPage(ctx, "seg_small", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(pg) == 0 {
				break
			}
			for _, m := range pg {
				got = append(got, m.ProfileID)
			}
			after = pg[len(pg)-1].ProfileID
		}
		pages := log.Record(true)
		if !slices.Equal(got, []string{"cus_a1", "cus_a3", "cus_a4", "cus_a5"}) {
			t.Fatalf("%d others: members %v", others, got)
		}
		if _, err := s.Apply(ctx, "seg_small", []string{"cus_a6"}, nil, at.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		apply := log.Record(false)
		for _, c := range append(pages, apply...) {
			for _, f := range c.Filters {
				if c.Name != "insert" && !testdb.BareID(f) {
					t.Errorf("%d others: not a bare _id: %s", others, c)
				}
			}
		}
		counts[others] = [2]int{len(pages), len(apply)}
		big2, err := s.MembersPage(ctx, "seg_big", big[others-3], 10)
		if err != nil || len(big2) != 2 || big2[0].ProfileID != big[others-2] || !big2[0].EnteredAt.Equal(at) {
			t.Fatalf("%d others: the tail of the big segment: %+v %v", others, big2, err)
		}
	}
	if counts[50] != counts[1000] {
		t.Errorf("commands grow with the other segments' members: %v", counts)
	}
	t.Logf("commands (member pages, an apply): %v", counts)
}
