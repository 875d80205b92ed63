package matchjob

import (
	"sort"
	"strings"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/eval"
)

// GuardFigures are the figures of what a run would merge automatically.
type GuardFigures struct {
	eval.Scores
	// Held counts automatic pairs held for review by the job's guard, by reason
	// (numbers left out).
	Held map[string]int
}

// EvaluateGuard replays the apply step of a run on a matcher's result without a
// database: automatic pairs, strongest first, are merged unless the guard holds them
// (contradicting evidence, or more than maxGroup profiles joined; 0 = no cap), and
// the merged groups are scored against the truth (record ID -> true cluster). This is
// what the job would merge, as opposed to the matcher's own clusters.
func EvaluateGuard(m *matching.Matcher, res *matching.Result, truth map[string]string, maxGroup int) GuardFigures {
	s := &Service{MaxGroup: maxGroup}
	pairs := scoredPairs(m, res, nil)
	sort.SliceStable(pairs, func(i, k int) bool {
		if pairs[i].Prob != pairs[k].Prob {
			return pairs[i].Prob > pairs[k].Prob
		}
		return PairID(pairs[i].A, pairs[i].B) < PairID(pairs[k].A, pairs[k].B)
	})
	parent := map[string]string{}
	size := map[string]int{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	fig := GuardFigures{Held: map[string]int{}}
	for _, p := range pairs {
		if p.Decision != matching.Auto {
			continue
		}
		ra, rb := find(p.A), find(p.B)
		if ra == rb {
			continue
		}
		if why := s.holdReason(p, max(1, size[ra])+max(1, size[rb])); why != "" {
			fig.Held[reasonKind(why)]++
			continue
		}
		parent[rb] = ra
		size[ra] = max(1, size[ra]) + max(1, size[rb])
	}
	pred := make(map[string]string, len(truth))
	for id := range truth {
		pred[id] = find(id)
	}
	fig.Scores = eval.Score(truth, pred)
	return fig
}

// reasonKind is a hold reason without its values.
func reasonKind(why string) string {
	if i := strings.IndexAny(why, "(0123456789"); i > 0 {
		return strings.TrimSpace(why[:i])
	}
	return why
}
