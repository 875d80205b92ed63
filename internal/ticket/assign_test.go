package ticket

import (
	"errors"
	"testing"
)

func TestNextAgentFairness(t *testing.T) {
	g := Group{ID: "g", AgentIDs: []string{"a", "b", "c", "d"}}
	agents := map[string]Agent{}
	for _, id := range g.AgentIDs {
		agents[id] = Agent{ID: id, Available: true}
	}
	const n = 101
	total := map[string]int{}
	second := map[string]int{}
	last := "" // the only state, as the Store would persist it
	for i := range n {
		if i == n/2 {
			a := agents["c"]
			a.Available = false
			agents["c"] = a
		}
		id, err := NextAgent(g, agents, last)
		if err != nil {
			t.Fatal(err)
		}
		total[id]++
		if i >= n/2 {
			second[id]++
		}
		last = id
	}
	if second["c"] != 0 {
		t.Fatalf("unavailable agent got %d tickets", second["c"])
	}
	spread := func(counts map[string]int, ids ...string) int {
		lo, hi := n, 0
		for _, id := range ids {
			lo, hi = min(lo, counts[id]), max(hi, counts[id])
		}
		return hi - lo
	}
	// Among agents available throughout, both overall and after the change.
	if s := spread(total, "a", "b", "d"); s > 1 {
		t.Fatalf("overall counts %v differ by %d", total, s)
	}
	if s := spread(second, "a", "b", "d"); s > 1 {
		t.Fatalf("second-half counts %v differ by %d", second, s)
	}
}

func TestNextAgentEdges(t *testing.T) {
	g := Group{ID: "g", AgentIDs: []string{"a", "b", "c"}}
	agents := map[string]Agent{"a": {Available: true}, "b": {Available: false}, "c": {Available: true}}
	for _, tc := range []struct{ last, want string }{
		{"", "a"},     // fresh group starts at the first member
		{"a", "c"},    // b skipped
		{"c", "a"},    // wraps
		{"b", "c"},    // last may have gone unavailable since
		{"gone", "a"}, // removed from group: restart
	} {
		got, err := NextAgent(g, agents, tc.last)
		if err != nil || got != tc.want {
			t.Errorf("after %q: got %q, %v; want %q", tc.last, got, err, tc.want)
		}
	}
	delete(agents, "a") // unknown agents count as unavailable
	if got, _ := NextAgent(g, agents, "c"); got != "c" {
		t.Errorf("single available agent: got %q", got)
	}
	for _, g := range []Group{{ID: "empty"}, {ID: "g", AgentIDs: []string{"b", "zzz"}}} {
		if _, err := NextAgent(g, agents, ""); !errors.Is(err, ErrNoAgentAvailable) {
			t.Errorf("%v: err = %v", g, err)
		}
	}
}
