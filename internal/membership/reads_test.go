package membership

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// memReads is an in-memory Reader (and the two Store reads the reads use).
type memReads struct {
	Store
	segs     map[string]Segment
	members  []Member
	changes  []Change
	profiles map[string]profile.Profile
	tokens   map[string]string
	since    time.Time
	limit    int
}

func (m *memReads) GetSegment(_ context.Context, id string) (Segment, error) {
	if s, ok := m.segs[id]; ok {
		return s, nil
	}
	return Segment{}, apperr.NotFoundf("segment %q not found", id)
}

func (m *memReads) MembersPage(_ context.Context, seg, after string, limit int) ([]Member, error) {
	var out []Member
	for _, x := range m.members {
		if x.ProfileID > after {
			out = append(out, x)
		}
	}
	return out[:min(len(out), limit)], nil
}

func (m *memReads) Changes(_ context.Context, seg string, since time.Time, limit int) ([]Change, error) {
	m.since, m.limit = since, limit
	var out []Change
	for _, c := range m.changes {
		if !c.At.Before(since) {
			out = append(out, c)
		}
	}
	return out[:min(len(out), limit)], nil
}

func (m *memReads) ProfileSegments(_ context.Context, profileID string) ([]Segment, error) {
	var out []Segment
	for _, s := range m.segs {
		out = append(out, s)
	}
	return out, nil
}

func (m *memReads) SaveExportToken(_ context.Context, token, seg string, _ time.Time) error {
	m.tokens[token] = seg
	return nil
}

func (m *memReads) GetProfiles(_ context.Context, ids []string) ([]profile.Profile, error) {
	var out []profile.Profile
	for _, id := range ids {
		if p, ok := m.profiles[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// countEval counts a fixed set of profiles for any rule.
type countEval struct {
	segment.Querier
	ps []profile.Profile
}

func (e countEval) SegmentCount(context.Context, segment.Rule, time.Time) (int64, error) {
	return int64(len(e.ps)), nil
}

func (e countEval) SegmentSample(_ context.Context, _ segment.Rule, _ time.Time, limit int) ([]profile.Profile, error) {
	return e.ps[:min(limit, len(e.ps))], nil
}

func readsFixture() (*Service, *memReads) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	m := &memReads{
		segs:     map[string]Segment{"s1": {ID: "s1", Name: "VIP"}, "s2": {ID: "s2", Name: "At risk"}},
		members:  []Member{{ProfileID: "p1", EnteredAt: now}, {ProfileID: "p2", EnteredAt: now}, {ProfileID: "p3", EnteredAt: now}},
		profiles: map[string]profile.Profile{"p1": {ID: "p1"}, "p3": {ID: "p3"}}, // p2 erased
		changes:  []Change{{ProfileID: "p2", Kind: Exited, At: now.Add(-time.Hour)}, {ProfileID: "p1", Kind: Entered, At: now.Add(-8 * 24 * time.Hour)}},
		tokens:   map[string]string{},
	}
	m.Store = m
	ev := countEval{ps: []profile.Profile{{ID: "p1"}, {ID: "p3"}}}
	return &Service{Store: m, Reads: m, Eval: ev, Now: func() time.Time { return now }}, m
}

func TestPreview(t *testing.T) {
	s, _ := readsFixture()
	ctx := context.Background()
	pv, err := s.Preview(ctx, segment.Rule{}, 1)
	if err != nil || pv.Count != 2 || len(pv.Sample) != 1 {
		t.Fatalf("%+v %v", pv, err)
	}
	if pv, _ := s.Preview(ctx, segment.Rule{}, 0); pv.Sample == nil || len(pv.Sample) != 0 {
		t.Errorf("sample 0: %+v, want an empty, non-nil sample", pv.Sample)
	}
	for _, n := range []int{-1, 101} {
		if _, err := s.Preview(ctx, segment.Rule{}, n); !isInvalid(err) {
			t.Errorf("sample %d: %v", n, err)
		}
	}
}

func TestMembersAndChangeLog(t *testing.T) {
	s, m := readsFixture()
	ctx := context.Background()
	pg, err := s.Members(ctx, "s1", 2, "")
	if err != nil || !pg.HasNext || len(pg.Members) != 1 || pg.Members[0].Profile.ID != "p1" {
		t.Fatalf("page 1 (p2 erased): %+v %v", pg, err)
	}
	pg, _ = s.Members(ctx, "s1", 2, "p2")
	if pg.HasNext || len(pg.Members) != 1 || pg.Members[0].Profile.ID != "p3" {
		t.Errorf("page 2: %+v", pg)
	}
	for _, n := range []int{0, 501} {
		if _, err := s.Members(ctx, "s1", n, ""); !isInvalid(err) {
			t.Errorf("first %d: %v", n, err)
		}
	}

	cs, err := s.ChangeLog(ctx, "s1", time.Time{}, 100)
	if err != nil || len(cs) != 1 || cs[0].ProfileID != "p2" || cs[0].Profile != nil {
		t.Fatalf("last week: %+v %v", cs, err)
	}
	if want := s.now().Add(-DefaultChangesSince); !m.since.Equal(want) {
		t.Errorf("since %v, want %v", m.since, want)
	}
	cs, _ = s.ChangeLog(ctx, "s1", s.now().Add(-30*24*time.Hour), 100)
	if len(cs) != 2 || cs[1].Profile == nil || cs[1].Profile.ID != "p1" {
		t.Errorf("since a month: %+v", cs)
	}
	for _, n := range []int{0, 1001} {
		if _, err := s.ChangeLog(ctx, "s1", time.Time{}, n); !isInvalid(err) {
			t.Errorf("first %d: %v", n, err)
		}
	}
}

func TestProfileSegmentsAndExport(t *testing.T) {
	s, m := readsFixture()
	ctx := context.Background()
	segs, err := s.ProfileSegments(ctx, "p1")
	if err != nil || len(segs) != 2 || segs[0].Name != "At risk" || segs[1].Name != "VIP" {
		t.Errorf("by name: %+v %v", segs, err)
	}
	e, err := s.Export(ctx, "s1", "key1")
	if err != nil || !strings.HasPrefix(e.Token, "key1.") || len(e.Token) != len("key1.")+48 || m.tokens[e.Token] != "s1" {
		t.Fatalf("export %+v %v", e, err)
	}
	if d := time.Until(e.ExpiresAt); d <= ExportTTL-time.Minute || d > ExportTTL {
		t.Errorf("expires in %v", d)
	}
	if _, err := s.Export(ctx, "nope", "key1"); !apperr.IsNotFound(err) || len(m.tokens) != 1 {
		t.Errorf("unknown segment: %v", err)
	}
	got, err := s.Get(ctx, "s2")
	if err != nil || got.Name != "At risk" {
		t.Errorf("get: %+v %v", got, err)
	}
}
