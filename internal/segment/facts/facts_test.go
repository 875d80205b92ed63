package facts_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/segment/facts"
)

func ids(c *facts.Cache, p *facts.Predicate, restrict []string) []string {
	var out []string
	c.Scan(p, restrict, func(id string) bool { out = append(out, id); return true })
	return out
}

// TestCacheOrderAndMarks: facts stay in id order through inserts, replacements and
// deletions; a mark renewed during a re-read survives Clear; marks before Start are
// ignored.
func TestCacheOrderAndMarks(t *testing.T) {
	c := facts.NewCache()
	c.Load([]*facts.Fact{{ID: "b", FirstName: "Ann"}, {ID: "a"}, {ID: "d", FirstName: "Ann"}})
	c.Apply([]facts.Fact{{ID: "c", FirstName: "Ann"}, {ID: "e", FirstName: "Ann"}, {ID: "a", FirstName: "Ann"}}, []string{"d", "zz"})
	p, err := facts.Compile(segment.Trait(segment.FieldFirstName, segment.EQ, "Ann"), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(c, p, nil); !slices.Equal(got, []string{"a", "b", "c", "e"}) {
		t.Errorf("members %v", got)
	}
	if got := ids(c, p, []string{"e", "x", "a", "e"}); !slices.Equal(got, []string{"a", "e"}) {
		t.Errorf("restricted %v", got)
	}
	if n, first := c.Count(p, 2); n != 4 || !slices.Equal(first, []string{"a", "b"}) {
		t.Errorf("count %d %v", n, first)
	}

	c.MarkDirty([]string{"a"})
	if c.DirtyCount() != 0 {
		t.Error("marked before Start")
	}
	c.Start()
	c.MarkDirty([]string{"a", "b"})
	m := c.DirtyMarks([]string{"a", "b", "c"}, false)
	c.MarkDirty([]string{"b"}) // written again while being re-read
	c.Clear(m)
	if got := c.DirtyMarks(nil, true); len(got) != 1 || got["b"] == 0 {
		t.Errorf("marks after clear: %v", got)
	}
}

// TestCountLeavesOncePerCondition: a count condition used several times is evaluated
// once, and a rule with one is refused without an evaluator.
func TestCountLeavesOncePerCondition(t *testing.T) {
	calls := 0
	leaves := func(r segment.Rule) ([]string, bool, error) { calls++; return []string{"a"}, true, nil }
	o := segment.Rule{Orders: &segment.CountCond{}}
	p, err := facts.Compile(segment.Or(o, segment.Not(o), segment.And(o, o)), time.Now(), leaves)
	if err != nil || calls != 1 || p.SetLeaves != 1 {
		t.Fatalf("calls %d, %v", calls, err)
	}
	if _, err := facts.Compile(o, time.Now(), nil); err == nil {
		t.Error("count condition compiled without an evaluator")
	}
}
