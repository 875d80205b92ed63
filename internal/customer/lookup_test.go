package customer

import (
	"context"
	"slices"
	"testing"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// pagedProfiles serves search pages from a fixed list, newest (highest id) first.
type pagedProfiles struct {
	Store
	ids []string // descending
}

func (p pagedProfiles) SearchProfiles(_ context.Context, q Query) ([]profile.Profile, error) {
	var out []profile.Profile
	for _, id := range p.ids {
		if q.After == "" || id < q.After {
			out = append(out, profile.Profile{ID: id})
		}
	}
	return out[:min(len(out), q.Limit)], nil
}

func (p pagedProfiles) CountProfiles(context.Context, Query) (int64, error) {
	return int64(len(p.ids)), nil
}

func TestSearchIDs(t *testing.T) {
	s := &Service{Store: pagedProfiles{ids: []string{
		"cus_00000000000000000000000003", "cus_00000000000000000000000002", "cus_00000000000000000000000001"}}}
	ctx := context.Background()
	var all []string
	after, pages := "", 0
	for {
		ids, total, next, err := s.SearchIDs(ctx, "ann", 2, after)
		if err != nil || total != 3 {
			t.Fatalf("page %d: total %d err %v", pages, total, err)
		}
		all, pages = append(all, ids...), pages+1
		if next == "" {
			break
		}
		after = next
	}
	if pages != 2 || !slices.Equal(all, []string{"cus_00000000000000000000000003", "cus_00000000000000000000000002", "cus_00000000000000000000000001"}) {
		t.Errorf("%d pages: %v", pages, all)
	}
	if _, _, _, err := s.SearchIDs(ctx, "ann", 2, "not a cursor"); err == nil {
		t.Error("bad cursor accepted")
	}
}
