package matching

import (
	"math"
	"sort"
)

// FieldModel holds the Fellegi-Sunter probabilities of one field: for each
// level l, M[l] = P(level | match) and U[l] = P(level | non-match).
type FieldModel struct {
	Name   string
	Levels []string
	M, U   []float64
}

// Model is a trained (or configured) Fellegi-Sunter model.
type Model struct {
	Fields []FieldModel
	// Lambda is the prior probability that a compared pair is a match.
	Lambda float64
	// Iterations EM ran and whether it converged (informational).
	Iterations int
	Converged  bool
}

// gamma packs one level per field, 4 bits each, stored as level+1 so that 0
// means missing. Patterns repeat a lot, so EM and scoring work on distinct
// patterns rather than on pairs.
type gamma uint64

func (g gamma) level(f int) int { return int(g>>(4*f)&15) - 1 }

func (g *gamma) set(f, level int) { *g |= gamma(level+1) << (4 * f) }

// newModel returns starting values: agreement levels likely under match,
// disagreement likely under non-match.
func newModel(fields []FieldSpec, prior float64) *Model {
	m := &Model{Lambda: prior}
	for _, f := range fields {
		names := levelNames[f.Kind]
		n := len(names)
		fm := FieldModel{Name: f.Name, Levels: names, M: make([]float64, n), U: make([]float64, n)}
		fm.M[0], fm.U[0] = 0.7, 0.02
		fm.M[n-1], fm.U[n-1] = 0.05, 0.9
		for l := 1; l < n-1; l++ {
			fm.M[l], fm.U[l] = 0.25/float64(n-2), 0.08/float64(n-2)
		}
		m.Fields = append(m.Fields, fm)
	}
	return m
}

// LevelWeight is the log2 Bayes factor of field f at level l (0 if missing), clamped
// where EM on small or skewed data can go wrong (seen on a few dozen customers sharing
// a surname): exact agreement is never evidence against a match, and the weakest level
// ("different") never evidence for one. Levels in between keep their learnt order
// ("swapped" names can rightly outweigh "somewhat" similar ones).
func (m *Model) LevelWeight(f, l int) float64 {
	if l < 0 {
		return 0
	}
	fm := m.Fields[f]
	w := math.Log2(fm.M[l] / fm.U[l])
	switch {
	case l == 0:
		return math.Max(w, 0)
	case l == len(fm.M)-1 && l > 0:
		return math.Min(w, 0)
	}
	return w
}

// score returns the match weight (log2 odds incl. prior) and probability.
func (m *Model) score(g gamma) (weight, prob float64) {
	return m.scoreWith(g, m.LevelWeight)
}

// rawScore scores with the unconstrained weights: EM iterates on these (constraining
// inside EM traps it in a flat solution on some data sets, such as fake_1000).
func (m *Model) rawScore(g gamma) (weight, prob float64) {
	return m.scoreWith(g, func(f, l int) float64 {
		if l < 0 {
			return 0
		}
		return math.Log2(m.Fields[f].M[l] / m.Fields[f].U[l])
	})
}

func (m *Model) scoreWith(g gamma, lw func(f, l int) float64) (weight, prob float64) {
	weight = math.Log2(m.Lambda / (1 - m.Lambda))
	for f := range m.Fields {
		weight += lw(f, g.level(f))
	}
	return weight, 1 / (1 + math.Exp2(-weight))
}

type patternCount struct {
	g gamma
	n float64
}

func countPatterns(counts map[gamma]int) []patternCount {
	ps := make([]patternCount, 0, len(counts))
	for g, n := range counts {
		ps = append(ps, patternCount{g, float64(n)})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].g < ps[j].g }) // deterministic sums
	return ps
}

// setU sets U from level frequencies among random pairs (almost all of
// which are non-matches).
func (m *Model) setU(patterns []patternCount) {
	for f := range m.Fields {
		u := m.Fields[f].U
		cnt := make([]float64, len(u))
		for _, p := range patterns {
			if l := p.g.level(f); l >= 0 {
				cnt[l] += p.n
			}
		}
		normalise(u, cnt, 1)
	}
}

// normalise writes (cnt+alpha)/sum into dst; the pseudo-count keeps
// unseen levels from getting a zero (infinite weight) probability.
func normalise(dst, cnt []float64, alpha float64) {
	var sum float64
	for _, c := range cnt {
		sum += c + alpha
	}
	if sum == 0 {
		return
	}
	for l, c := range cnt {
		dst[l] = (c + alpha) / sum
	}
}

// em runs expectation-maximisation over the pattern counts of the compared
// pairs, updating m, lambda and (unless fixU) u.
func (m *Model) em(patterns []patternCount, maxIter int, fixU bool) {
	nf := len(m.Fields)
	mc := make([][]float64, nf)
	uc := make([][]float64, nf)
	for f := range m.Fields {
		mc[f] = make([]float64, len(m.Fields[f].M))
		uc[f] = make([]float64, len(m.Fields[f].U))
	}
	var total float64
	for _, p := range patterns {
		total += p.n
	}
	if total == 0 {
		return
	}
	prior := &Model{Fields: make([]FieldModel, nf)}
	for f, fm := range m.Fields {
		prior.Fields[f] = FieldModel{M: append([]float64(nil), fm.M...), U: append([]float64(nil), fm.U...)}
	}
	for it := 1; it <= maxIter; it++ {
		for f := range mc {
			clear(mc[f])
			clear(uc[f])
		}
		var matches float64
		for _, p := range patterns { // E step: posterior match probability per pattern
			_, w := m.rawScore(p.g)
			wm, wu := w*p.n, (1-w)*p.n
			matches += wm
			for f := 0; f < nf; f++ {
				if l := p.g.level(f); l >= 0 {
					mc[f][l] += wm
					uc[f][l] += wu
				}
			}
		}
		delta := math.Abs(matches/total - m.Lambda)
		m.Lambda = math.Min(math.Max(matches/total, 1e-9), 1-1e-9)
		for f := range m.Fields { // M step
			fm := &m.Fields[f]
			old := append([]float64(nil), fm.M...)
			withPrior(fm.M, mc[f], prior.Fields[f].M)
			for l := range old {
				delta = math.Max(delta, math.Abs(old[l]-fm.M[l]))
			}
			if !fixU {
				copy(old, fm.U)
				withPrior(fm.U, uc[f], prior.Fields[f].U)
				for l := range old {
					delta = math.Max(delta, math.Abs(old[l]-fm.U[l]))
				}
			}
		}
		m.Iterations = it
		if delta < 1e-6 {
			m.Converged = true
			return
		}
	}
}

// priorPairs is the weight, in pairs, of the starting probabilities in each M step (a
// Dirichlet prior): negligible on thousands of pairs, but on a few dozen it keeps EM from
// inventing weights out of noise.
const priorPairs = 5

// withPrior writes (cnt + priorPairs*prior) / (sum + priorPairs) into dst, with a tiny
// floor so no level gets probability zero (an infinite weight).
func withPrior(dst, cnt, prior []float64) {
	var sum float64
	for l, c := range cnt {
		sum += c + priorPairs*prior[l] + 1e-3
	}
	if sum == 0 {
		return
	}
	for l, c := range cnt {
		dst[l] = (c + priorPairs*prior[l] + 1e-3) / sum
	}
}
