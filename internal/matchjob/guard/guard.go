// Package guard decides whether an automatic pair of a matching run is merged or held
// for review (hard evidence against it, or too large a group), and replays that
// decision offline on a matcher's result (Evaluate).
package guard

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/eval"
)

// HoldReason tells why an automatic pair with evidence ev that would join n profiles
// of a run is held for review instead of merged ("" to merge); maxGroup caps n (0 = no
// cap).
func HoldReason(ev []matching.Evidence, n, maxGroup int) string {
	if why := contradiction(ev); why != "" {
		return "held for review: " + why
	}
	if maxGroup > 0 && n > maxGroup {
		return fmt.Sprintf("held for review: the merge would join %d profiles of this run (limit %d)", n, maxGroup)
	}
	return ""
}

// minAutoFields is the fewest agreeing fields of an automatic merge: a shared name and
// city alone is a question for a person, however rare the name.
const minAutoFields = 4

// contradiction names hard evidence against a pair that an otherwise high score would
// merge. Household members share surname, address and phone and score high; a person
// keeps first name and birth date, so a pair that differs on one of them is merged
// automatically only when the other one agrees (a retyped or replaced first name with
// the same birth date, a mistyped birth date with the same first name); otherwise it
// goes to review.
func contradiction(ev []matching.Evidence) string {
	agree := 0
	var first, birth *matching.Evidence
	for i, e := range ev {
		if e.Level != "missing" && e.Level != "different" {
			agree++
		}
		switch e.Field {
		case matching.FFirstName:
			first = &ev[i]
		case matching.FBirthDate:
			birth = &ev[i]
		}
	}
	if agree < minAutoFields {
		return fmt.Sprintf("only %d fields agree (an automatic merge needs %d)", agree, minAutoFields)
	}
	firstAgrees := first != nil && (first.Level == "exact" || first.Level == "close" || first.Level == "swapped")
	birthAgrees := birth != nil && (birth.Level == "exact" || birth.Level == "one-digit-or-transposed")
	switch {
	case first != nil && first.Level == "different" && !birthAgrees:
		return fmt.Sprintf("first names differ (%q, %q) and birth dates do not agree: same household?", first.A, first.B)
	case birth != nil && birth.Level == "different" && !firstAgrees:
		return fmt.Sprintf("birth dates differ (%s, %s) and first names do not agree", birth.A, birth.B)
	}
	return ""
}

// Figures are the figures of what a run would merge automatically.
type Figures struct {
	eval.Scores
	// Held counts automatic pairs held for review by the job's guard, by reason
	// (numbers left out).
	Held map[string]int
}

// Evaluate replays the apply step of a run on a matcher's result without a
// database: automatic pairs, strongest first, are merged unless the guard holds them
// (contradicting evidence, or more than maxGroup profiles joined; 0 = no cap), and
// the merged groups are scored against the truth (record ID -> true cluster). This is
// what the job would merge, as opposed to the matcher's own clusters.
func Evaluate(m *matching.Matcher, res *matching.Result, truth map[string]string, maxGroup int) Figures {
	pairs := slices.Clone(res.Pairs)
	sort.SliceStable(pairs, func(i, k int) bool {
		if pairs[i].Prob != pairs[k].Prob {
			return pairs[i].Prob > pairs[k].Prob
		}
		return pairID(pairs[i]) < pairID(pairs[k])
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
	fig := Figures{Held: map[string]int{}}
	for _, p := range pairs {
		if p.Decision != matching.Auto {
			continue
		}
		ra, rb := find(p.A), find(p.B)
		if ra == rb {
			continue
		}
		if why := HoldReason(m.Explain(p), max(1, size[ra])+max(1, size[rb]), maxGroup); why != "" {
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

// pairID orders pairs of equal probability as a run does (matchjob.PairID).
func pairID(p matching.Pair) string {
	a, b := p.A, p.B
	if b < a {
		a, b = b, a
	}
	return a + "|" + b
}
