package segmentstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

type noMerges struct{}

func (noMerges) MergedInto(context.Context, []string) (map[string]string, error) { return nil, nil }

// TestProfileSegmentsFromListInProcess: once the definitions are listed, a profile's
// segments cost only bare-_id reads of member documents, and the store's own writes
// (create, rename, member counts, delete) show without reading the definitions again.
func TestProfileSegmentsFromListInProcess(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	log := &testdb.CommandLog{}
	mdb := testdb.MonitoredClient(t, log).Database(db.Name())
	s := segmentstore.New(mdb, testdb.Backend(t), noMerges{})
	now := time.Now().UTC().Truncate(time.Millisecond)
	rule := segment.Trait(segment.FieldFirstName, segment.EQ, "Ann")
	a := membership.Segment{ID: "seg_a", Name: "b-first", Kind: membership.Dynamic, Rule: rule, CreatedAt: now, UpdatedAt: now}
	if err := s.InsertSegment(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListSegments(ctx); err != nil { // loads the list
		t.Fatal(err)
	}
	b := membership.Segment{ID: "seg_b", Name: "a-second", Kind: membership.Static, Rule: rule, CreatedAt: now, UpdatedAt: now}
	if err := s.InsertSegment(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, seg := range []string{"seg_a", "seg_b"} {
		if _, err := s.Apply(ctx, seg, []string{"p1", "p2"}, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	a.Name = "c-renamed"
	if err := s.ReplaceSegment(ctx, a); err != nil {
		t.Fatal(err)
	}
	log.Record(true)
	got, err := s.ProfileSegments(ctx, "p1")
	cmds := log.Record(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a-second" || got[1].Name != "c-renamed" || got[0].MemberCount != 2 || got[1].MemberCount != 2 {
		t.Fatalf("segments %+v", got)
	}
	for _, c := range cmds {
		if c.Coll != "segment_members" || c.Name != "find" || len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) {
			if !testdb.Backend(t).IndexedFilters || c.Coll != "segment_members" {
				t.Errorf("command %s", c)
			}
		}
	}
	if _, err := s.Apply(ctx, "seg_b", nil, []string{"p1"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSegment(ctx, "seg_a"); err != nil {
		t.Fatal(err)
	}
	log.Record(true)
	got, err = s.ProfileSegments(ctx, "p2")
	cmds = log.Record(false)
	if err != nil || len(got) != 1 || got[0].ID != "seg_b" || got[0].MemberCount != 1 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	for _, c := range cmds {
		if c.Coll == "segments" {
			t.Errorf("read the definitions again: %s", c)
		}
	}
}
