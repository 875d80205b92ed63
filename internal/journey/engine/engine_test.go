package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/journey/engine"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
)

var gb = segment.Rule{Trait: &segment.TraitCond{Field: "country", Op: segment.EQ, Value: "GB"}}

// waitBranch: an order enrols; wait 2 days; GB customers get the tag uk, others row.
func waitBranch() journey.Definition {
	return journey.Definition{
		Trigger: journey.Trigger{Kind: journey.OrderPlaced},
		Reentry: journey.Reentry{Mode: journey.After, After: 30 * 24 * time.Hour},
		Goal:    &journey.Goal{Within: 7 * 24 * time.Hour},
		Steps: []journey.Step{
			{ID: "wait", Kind: journey.Wait, Wait: &journey.WaitSpec{Duration: 48 * time.Hour}, Next: "gb"},
			{ID: "gb", Kind: journey.Branch, Branch: &journey.BranchSpec{Rule: gb, Yes: "tag-uk", No: "tag-row"}},
			{ID: "tag-uk", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.AddTag, Key: "uk"}},
			{ID: "tag-row", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.AddTag, Key: "row"}, Next: "end"},
			{ID: "end", Kind: journey.Exit},
		},
	}
}

// ---- the engine over an in-memory store ----

type memStore struct {
	mu        sync.Mutex
	journeys  map[string]journey.Journey
	versions  map[string]journey.Version
	positions map[string]journey.Position
}

func newMemStore() *memStore {
	return &memStore{journeys: map[string]journey.Journey{}, versions: map[string]journey.Version{}, positions: map[string]journey.Position{}}
}

func (m *memStore) InsertJourney(_ context.Context, j journey.Journey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.journeys[j.ID] = j
	return nil
}

func (m *memStore) GetJourney(_ context.Context, id string) (journey.Journey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.journeys[id]
	if !ok {
		return j, apperr.NotFoundf("no journey %s", id)
	}
	return j, nil
}

func (m *memStore) ListJourneys(context.Context) ([]journey.Journey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journey.Journey
	for _, j := range m.journeys {
		out = append(out, j)
	}
	return out, nil
}

func (m *memStore) UpdateJourney(ctx context.Context, id string, change func(*journey.Journey) error) (journey.Journey, error) {
	j, err := m.GetJourney(ctx, id)
	if err != nil {
		return j, err
	}
	if err := change(&j); err != nil {
		return j, err
	}
	j.Rev++
	return j, m.InsertJourney(ctx, j)
}

func (m *memStore) PutVersion(_ context.Context, v journey.Version) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.versions[journey.VersionID(v.JourneyID, v.N)] = v
	return nil
}

func (m *memStore) GetVersions(_ context.Context, jid string, ns []int) ([]journey.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journey.Version
	for _, n := range ns {
		if v, ok := m.versions[journey.VersionID(jid, n)]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

func (m *memStore) InsertPosition(_ context.Context, p journey.Position) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.positions[p.ID]; ok {
		return false, nil
	}
	m.positions[p.ID] = p.Clone()
	return true, nil
}

func (m *memStore) UpdatePosition(_ context.Context, id string, change func(*journey.Position) error) (journey.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.positions[id]
	if !ok {
		return p, apperr.NotFoundf("no position %s", id)
	}
	p = p.Clone()
	if err := change(&p); err != nil {
		return journey.Position{}, err
	}
	p.Rev++
	m.positions[id] = p.Clone()
	return p, nil
}

func (m *memStore) Positions(_ context.Context, fn func(journey.Position) error) error {
	m.mu.Lock()
	var ps []journey.Position
	for _, p := range m.positions {
		ps = append(ps, p.Clone())
	}
	m.mu.Unlock()
	for _, p := range ps {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

type world struct {
	mu      sync.Mutex
	country map[string]string
	writes  map[string]int // attribute record key -> writes
	tags    map[string][]string
	failing int // attribute writes to fail before succeeding
}

func (w *world) Get(_ context.Context, id string) (profile.Profile, error) {
	return profile.Profile{ID: id}, nil
}

func (w *world) Matches(_ context.Context, r segment.Rule, pid string, _ time.Time) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.country[pid] == r.Trait.Value, nil
}

func (w *world) SetAttributes(_ context.Context, key, pid string, attrs map[string]any, _ time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing > 0 {
		w.failing--
		return errors.New("database unavailable")
	}
	if w.writes[key] == 0 {
		for k := range attrs {
			w.tags[pid] = append(w.tags[pid], k)
		}
	}
	w.writes[key]++
	return nil
}

func newService(st journey.Store, w *world, clock *time.Time) *engine.Service {
	n := 0
	return &engine.Service{Store: st, Profiles: w, Rules: w, Attributes: w, Now: func() time.Time { return *clock },
		NewID: func() string { n++; return fmt.Sprintf("jrn_%d", n) }, RetryAfter: time.Minute}
}

func TestWaitAndBranchAcrossARestart(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st := newMemStore()
	w := &world{country: map[string]string{"ann": "GB", "bob": "FR", "cat": "GB"}, writes: map[string]int{}, tags: map[string][]string{}}
	s := newService(st, w, &clock)
	j, err := s.Create(ctx, "Welcome", waitBranch(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	// A draft enrols no one.
	s.Hear(journey.Event{Kind: journey.OrderPlaced, ProfileID: "ann", Key: "order:0", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Enrollments(j.ID, 10, ""); len(ps) != 0 {
		t.Fatalf("a draft enrolled %d", len(ps))
	}
	if j, err = s.Publish(ctx, j.ID); err != nil || j.Status != journey.Active || j.Live != 1 {
		t.Fatalf("publish: %+v %v", j, err)
	}
	for _, pid := range []string{"ann", "bob"} {
		s.Hear(journey.Event{Kind: journey.OrderPlaced, ProfileID: pid, Key: "order:" + pid, At: clock})
	}
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	// cat enters a day later; the first attribute write fails once.
	clock = clock.Add(24 * time.Hour)
	s.Hear(journey.Event{Kind: journey.OrderPlaced, ProfileID: "cat", Key: "order:cat", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if got := stats(s, j); got != "v1 entered 3 in progress 3 | wait 3/0/3" {
		t.Fatalf("day 1: %s", got)
	}
	// Day 2 (+1 minute): ann and bob wake; the write fails once and is retried later.
	w.failing = 1
	clock = clock.Add(24*time.Hour + time.Minute)
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	// Restart: a new service on the same store resumes every position.
	s = newService(st, w, &clock)
	for range 3 {
		clock = clock.Add(time.Hour)
		if err := s.Tick(ctx, clock); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.tags["ann"]) != 1 || w.tags["ann"][0] != "tag_uk" || len(w.tags["bob"]) != 1 || w.tags["bob"][0] != "tag_row" || len(w.tags["cat"]) != 0 {
		t.Fatalf("after day 2: %v", w.tags)
	}
	// Day 3: cat wakes. A second order from ann converts her run and does not enrol her again.
	clock = clock.Add(24 * time.Hour)
	s.Hear(journey.Event{Kind: journey.OrderPlaced, ProfileID: "ann", Key: "order:ann2", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if len(w.tags["cat"]) != 1 || w.tags["cat"][0] != "tag_uk" {
		t.Fatalf("cat: %v", w.tags["cat"])
	}
	for k, n := range w.writes {
		if n != 1 {
			t.Errorf("%s written %d times", k, n)
		}
	}
	want := "v1 entered 3 done 3 converted 1 | wait 3/3/0 | gb 3/3/0 no=1 yes=2 | tag-uk 2/2/0 add_tag tag_uk=2 | tag-row 1/1/0 add_tag tag_row=1 | end 1/1/0 exit=1"
	if got := stats(s, j); got != want {
		t.Fatalf("stats\n got %s\nwant %s", got, want)
	}
	// Re-entry after 30 days: bob's new order 31 days after his first enrols him again.
	clock = clock.Add(28 * 24 * time.Hour)
	s.Hear(journey.Event{Kind: journey.OrderPlaced, ProfileID: "bob", Key: "order:bob2", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	ps := s.CustomerPositions("bob")
	if len(ps) != 1 || ps[0].Run != 2 || ps[0].Status != journey.Waiting {
		t.Fatalf("bob after re-entry: %+v", ps)
	}
}

func stats(s *engine.Service, j journey.Journey) string {
	vs, _ := s.Versions(context.Background(), j)
	var b strings.Builder
	for _, v := range s.Stats(j.ID, vs[:1]) {
		fmt.Fprintf(&b, "v%d entered %d", v.Version, v.Entered)
		if v.InProgress > 0 {
			fmt.Fprintf(&b, " in progress %d", v.InProgress)
		}
		if v.Done > 0 {
			fmt.Fprintf(&b, " done %d", v.Done)
		}
		if v.Converted > 0 {
			fmt.Fprintf(&b, " converted %d", v.Converted)
		}
		for _, st := range v.Steps {
			if st.Entered == 0 {
				continue
			}
			fmt.Fprintf(&b, " | %s %d/%d/%d", st.Step, st.Entered, st.Completed, st.Waiting)
			if st.Kind == journey.Wait {
				continue
			}
			var keys []string
			for k := range st.Outcomes {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%d", k, st.Outcomes[k])
			}
		}
	}
	return b.String()
}

// A segment entry enrols; a split sends some customers to the holdout; the others wait
// for a visit (at most a day) and are tagged by how the wait ended. Pausing holds the
// customers where they are; archiving lets them exit.
func TestSegmentTriggerSplitEventWaitPauseArchive(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st := newMemStore()
	w := &world{writes: map[string]int{}, tags: map[string][]string{}}
	s := newService(st, w, &clock)
	d := journey.Definition{
		Trigger: journey.Trigger{Kind: journey.SegmentEntered, SegmentID: "seg1"},
		Reentry: journey.Reentry{Mode: journey.Always},
		Steps: []journey.Step{
			{ID: "ab", Kind: journey.Split, Split: &journey.SplitSpec{Arms: []journey.Arm{{Name: "go", Weight: 1, Next: "visit"}, {Name: "control", Weight: 1, Holdout: true}}}},
			{ID: "visit", Kind: journey.Wait, Wait: &journey.WaitSpec{Event: "visit", Timeout: 24 * time.Hour, TimeoutNext: "lost"}, Next: "came"},
			{ID: "came", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.SetAttr, Key: "came", Value: "yes"}},
			{ID: "lost", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.AddTag, Key: "lost"}},
		},
	}
	j, err := s.Create(ctx, "Visit", d, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	var treated, control []string
	for i := range 40 {
		pid := fmt.Sprintf("p%02d", i)
		s.Hear(journey.Event{Kind: journey.SegmentEntered, SegmentID: "seg1", ProfileID: pid, Key: "seg1:1", At: clock})
		if journey.PickArm(j.ID, 1, "ab", pid, d.Steps[0].Split.Arms).Holdout {
			control = append(control, pid)
		} else {
			treated = append(treated, pid)
		}
	}
	s.Hear(journey.Event{Kind: journey.SegmentEntered, SegmentID: "other", ProfileID: "p99", Key: "other:1", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if len(treated) < 10 || len(control) < 10 {
		t.Fatalf("split %d/%d", len(treated), len(control))
	}
	// The first treated customer visits; pausing holds the rest past their timeout.
	clock = clock.Add(time.Hour)
	s.Hear(journey.Event{Kind: journey.InteractionOf, Type: "visit", ProfileID: treated[0], Key: "i1", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pause(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(48 * time.Hour)
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if len(w.tags) != 1 || len(w.tags[treated[0]]) != 1 || w.tags[treated[0]][0] != "came" {
		t.Fatalf("while paused: %v", w.tags)
	}
	// Published again: the others have timed out meanwhile.
	if _, err := s.Publish(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if len(w.tags) != len(treated) || w.tags[treated[1]][0] != "tag_lost" {
		t.Fatalf("after resume: %d tagged of %d treated", len(w.tags), len(treated))
	}
	vs, _ := s.Versions(ctx, j)
	v := s.Stats(j.ID, vs)[0]
	if v.Entered != 40 || v.HoldoutRuns != len(control) || v.Exited != len(control) || v.Done != len(treated) {
		t.Fatalf("stats %+v", v)
	}
	// Re-entry ALWAYS: a new entry starts a second run; archiving lets it exit.
	clock = clock.Add(time.Hour)
	s.Hear(journey.Event{Kind: journey.SegmentEntered, SegmentID: "seg1", ProfileID: treated[0], Key: "seg1:2", At: clock})
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if ps := s.CustomerPositions(treated[0]); len(ps) != 1 || ps[0].Run != 2 || ps[0].Status != journey.Waiting {
		t.Fatalf("second run: %+v", ps)
	}
	if _, err := s.Archive(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Tick(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if ps := s.CustomerPositions(treated[0]); ps[0].Status != journey.Exited || ps[0].Current().Reason != "journey archived" {
		t.Fatalf("after archive: %+v", ps[0])
	}
}
