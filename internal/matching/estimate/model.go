// Package estimate holds the Fellegi-Sunter model of the matcher (m and u
// per comparison level of each field, the weights they give) and its
// estimation: u from random pairs, m by expectation-maximisation with u
// fixed, and the prior that two random records match.
package estimate

import (
	"math"
	"sort"

	"github.com/tessera-cdp/tessera/internal/matching/field"
)

// FieldModel holds the Fellegi-Sunter probabilities of one field: for each
// level l, M[l] = P(level | match) and U[l] = P(level | non-match).
type FieldModel struct {
	Name   string
	Kind   field.Kind
	Levels []string
	M, U   []float64
	// Group of dependent fields (an address): their weights together are
	// kept within ±MaxWeight, as the parts of one piece of evidence.
	Group string
	// Trained tells whether M was estimated by EM (else it is the starting
	// guess: no blocking rule left the field free with enough pairs).
	Trained bool
}

// Model is a trained (or configured) Fellegi-Sunter model.
type Model struct {
	Fields []FieldModel
	// Lambda is the prior probability that two records drawn at random
	// match; the score of a pair is this prior times the Bayes factors of its
	// fields, as if the pair had been drawn at random (blocking only decides
	// which pairs are looked at).
	Lambda float64
	// MaxWeight caps every level's weight, both ways (bits).
	MaxWeight float64
	// GroupCaps bound the summed positive weight of each group of dependent
	// fields: log2(1/u) of the group agreeing that strongly, u measured on
	// random pairs (at least MaxWeight).
	GroupCaps map[string]float64
	// Iterations EM ran (summed over the blocking rules) and whether every
	// run converged (informational).
	Iterations int
	Converged  bool
}

// Pattern packs one level per field, 4 bits each, stored as level+1 so that 0
// means missing. Patterns repeat a lot, so EM and scoring work on distinct
// patterns rather than on pairs.
type Pattern uint64

// Level is the level of field f, -1 if missing.
func (g Pattern) Level(f int) int { return int(g>>(4*f)&15) - 1 }

// Set sets the level of field f.
func (g *Pattern) Set(f, level int) { *g |= Pattern(level+1) << (4 * f) }

// defaultMaxWeight caps a level's weight: about 2000:1 either way, so that no
// single field (or a badly estimated u) decides a pair on its own.
const defaultMaxWeight = 11

// New returns starting values for fields given by Name, Kind and Group:
// agreement levels likely under match, disagreement likely under non-match.
func New(fields []FieldModel, prior float64) *Model {
	m := &Model{Lambda: prior, MaxWeight: defaultMaxWeight}
	for _, f := range fields {
		names := field.Levels(f.Kind)
		n := len(names)
		fm := FieldModel{Name: f.Name, Kind: f.Kind, Levels: names, M: make([]float64, n), U: make([]float64, n), Group: f.Group}
		fm.M[0], fm.U[0] = 0.7, 0.02
		fm.M[n-1], fm.U[n-1] = 0.05, 0.9
		for l := 1; l < n-1; l++ {
			fm.M[l], fm.U[l] = 0.25/float64(n-2), 0.08/float64(n-2)
		}
		m.Fields = append(m.Fields, fm)
	}
	return m
}

// WeightCap is MaxWeight, or the default if it is not set.
func (m *Model) WeightCap() float64 {
	if m.MaxWeight > 0 {
		return m.MaxWeight
	}
	return defaultMaxWeight
}

// LevelWeight is the log2 Bayes factor of field f at level l (0 if missing),
// within ±MaxWeight, monotone along the obvious order of levels (exact >=
// close >= different; "swapped" names never above exact), never negative
// for exact agreement and never positive for the weakest level.
func (m *Model) LevelWeight(f, l int) float64 {
	if l < 0 {
		return 0
	}
	return m.fieldWeights(f)[l]
}

// fieldWeights computes the constrained weights of every level of a field.
func (m *Model) fieldWeights(f int) []float64 {
	fm := m.Fields[f]
	cap := m.WeightCap()
	w := make([]float64, len(fm.M))
	for l := range w {
		w[l] = math.Max(-cap, math.Min(cap, math.Log2(fm.M[l]/fm.U[l])))
	}
	last := len(w) - 1
	w[0] = math.Max(w[0], 0)
	if last > 0 {
		w[last] = math.Min(w[last], 0)
	}
	if chains := field.Chains(fm.Kind); chains != nil && len(field.Levels(fm.Kind)) == len(w) {
		for _, ch := range chains {
			for k := 1; k < len(ch); k++ {
				w[ch[k]] = math.Min(w[ch[k]], w[ch[k-1]])
			}
		}
	}
	return w
}

// Weights returns the constrained weights of all fields.
func (m *Model) Weights() [][]float64 {
	out := make([][]float64, len(m.Fields))
	for f := range m.Fields {
		out[f] = m.fieldWeights(f)
	}
	return out
}

// Prior is the log2 prior odds of a match.
func (m *Model) Prior() float64 { return math.Log2(m.Lambda / (1 - m.Lambda)) }

// score returns the match weight (log2 odds incl. prior) and probability of
// a comparison pattern, without term-frequency adjustment.
func (m *Model) score(g Pattern) (weight, prob float64) {
	ws := make([]float64, len(m.Fields))
	for f := range m.Fields {
		ws[f] = m.LevelWeight(f, g.Level(f))
	}
	weight = m.Prior()
	for _, w := range m.CapGroups(ws) {
		weight += w
	}
	return weight, Prob(weight)
}

// CapGroups scales the weights of each group of dependent fields so that
// their sum stays within ±MaxWeight: agreeing street, city, postcode and
// region are one address (people sharing it, a household, agree on all of
// them), and a move changes all of them at once.
func (m *Model) CapGroups(ws []float64) []float64 {
	var sums map[string]float64
	for f, fm := range m.Fields {
		if fm.Group != "" {
			if sums == nil {
				sums = map[string]float64{}
			}
			sums[fm.Group] += ws[f]
		}
	}
	for f, fm := range m.Fields {
		if fm.Group == "" {
			continue
		}
		s := sums[fm.Group]
		cap := m.WeightCap()
		if s > 0 {
			cap = math.Max(cap, m.GroupCaps[fm.Group])
		}
		if math.Abs(s) > cap {
			ws[f] *= cap / math.Abs(s)
		}
	}
	return ws
}

// SetGroupCaps measures, on random pairs, how often each group's summed
// weight exceeds MaxWeight among non-matches, and caps it at log2(1/that
// rate) (with one pair of pseudo-count). Random pairs include some matches,
// and they are most of that tail: each pair counts by its probability of not
// being a match judged by the fields outside the group (the group itself
// counted at MaxWeight).
func (m *Model) SetGroupCaps(patterns []PatternCount) {
	var total float64
	strong := map[string]float64{}
	for _, p := range patterns {
		total += p.N
		sums := map[string]float64{}
		var all float64
		for f, fm := range m.Fields {
			w := m.LevelWeight(f, p.G.Level(f))
			all += w
			if fm.Group != "" {
				sums[fm.Group] += w
			}
		}
		for g, s := range sums {
			if s > m.WeightCap() {
				pm := Prob(m.Prior() + all - s + m.WeightCap())
				strong[g] += p.N * (1 - pm)
			}
		}
	}
	m.GroupCaps = map[string]float64{}
	for _, fm := range m.Fields {
		if fm.Group != "" && total > 0 {
			m.GroupCaps[fm.Group] = math.Max(m.WeightCap(), math.Log2((total+1)/(strong[fm.Group]+1)))
		}
	}
}

// Prob turns log2 odds into a probability.
func Prob(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// PatternCount is a comparison pattern and how many pairs have it.
type PatternCount struct {
	G Pattern
	N float64
}

// CountPatterns lists the counts in a deterministic order.
func CountPatterns(counts map[Pattern]int) []PatternCount {
	ps := make([]PatternCount, 0, len(counts))
	for g, n := range counts {
		ps = append(ps, PatternCount{g, float64(n)})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].G < ps[j].G }) // deterministic sums
	return ps
}

// SetU sets U from level frequencies among random pairs (almost all of which are
// non-matches). The starting model's U is a prior worth uPriorPairs pairs (a Dirichlet
// mean): with thousands of comparable pairs the data decide alone, while a field that
// only a handful of records carry (a birth date on six profiles of forty) does not get
// its agreement rate from those few pairs; an unseen level never gets zero.
func (m *Model) SetU(patterns []PatternCount, start *Model) {
	for f := range m.Fields {
		u := m.Fields[f].U
		u0 := start.Fields[f].U
		cnt := make([]float64, len(u))
		var sum float64
		for _, p := range patterns {
			if l := p.G.Level(f); l >= 0 {
				cnt[l] += p.N
				sum += p.N
			}
		}
		for l := range u {
			u[l] = (cnt[l] + uPriorPairs*u0[l]) / (sum + uPriorPairs)
		}
	}
}

// uPriorPairs is the weight, in pairs, of the starting U in SetU.
const uPriorPairs = 20

// EMResult is what one EM run learnt: m of the fields it estimated, the
// match share among its pairs and the expected number of matches.
type EMResult struct {
	M          [][]float64 // nil for fields left out
	Lambda     float64
	Matches    float64
	Iterations int
	Converged  bool
}

// EstimateM runs expectation-maximisation over the pattern counts of one blocking
// rule's pairs with u fixed (random pairs), estimating m of the included
// fields and the match share. Fields the rule fixes are left out: their
// agreement there says nothing about matches.
func (m *Model) EstimateM(patterns []PatternCount, include []bool, start *Model, lambda float64, maxIter int) EMResult {
	nf := len(m.Fields)
	res := EMResult{M: make([][]float64, nf), Lambda: lambda}
	mc := make([][]float64, nf)
	for f := range m.Fields {
		if include[f] {
			res.M[f] = append([]float64(nil), start.Fields[f].M...)
			mc[f] = make([]float64, len(res.M[f]))
		}
	}
	var total float64
	for _, p := range patterns {
		total += p.N
	}
	if total == 0 {
		return res
	}
	lw := make([][]float64, nf) // log2(m/u) per level, refreshed each iteration
	for it := 1; it <= maxIter; it++ {
		for f := range mc {
			if include[f] {
				clear(mc[f])
				lw[f] = make([]float64, len(res.M[f]))
				for l := range lw[f] {
					lw[f][l] = math.Log2(res.M[f][l] / m.Fields[f].U[l])
				}
			}
		}
		prior := math.Log2(res.Lambda / (1 - res.Lambda))
		var matches float64
		for _, p := range patterns { // E step
			w := prior
			for f := 0; f < nf; f++ {
				if l := p.G.Level(f); l >= 0 && include[f] {
					w += lw[f][l]
				}
			}
			pm := Prob(w) * p.N
			matches += pm
			for f := 0; f < nf; f++ {
				if l := p.G.Level(f); l >= 0 && include[f] {
					mc[f][l] += pm
				}
			}
		}
		delta := math.Abs(matches/total - res.Lambda)
		res.Lambda = math.Min(math.Max(matches/total, 1e-6), 1-1e-6)
		res.Matches = matches
		for f := range mc { // M step
			if !include[f] {
				continue
			}
			old := append([]float64(nil), res.M[f]...)
			withPrior(res.M[f], mc[f], start.Fields[f].M)
			for l := range old {
				delta = math.Max(delta, math.Abs(old[l]-res.M[f][l]))
			}
		}
		res.Iterations = it
		if delta < 1e-6 {
			res.Converged = true
			break
		}
	}
	return res
}

// em runs unconstrained EM over all pattern counts, updating m, lambda and
// (unless fixU) u. It is the textbook algorithm, kept for tests and for
// callers that train on pairs they chose themselves.
func (m *Model) em(patterns []PatternCount, maxIter int, fixU bool) {
	nf := len(m.Fields)
	mc := make([][]float64, nf)
	uc := make([][]float64, nf)
	for f := range m.Fields {
		mc[f] = make([]float64, len(m.Fields[f].M))
		uc[f] = make([]float64, len(m.Fields[f].U))
	}
	var total float64
	for _, p := range patterns {
		total += p.N
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
		for _, p := range patterns {
			w := math.Log2(m.Lambda / (1 - m.Lambda))
			for f := 0; f < nf; f++ {
				if l := p.G.Level(f); l >= 0 {
					w += math.Log2(m.Fields[f].M[l] / m.Fields[f].U[l])
				}
			}
			pw := Prob(w)
			wm, wu := pw*p.N, (1-pw)*p.N
			matches += wm
			for f := 0; f < nf; f++ {
				if l := p.G.Level(f); l >= 0 {
					mc[f][l] += wm
					uc[f][l] += wu
				}
			}
		}
		delta := math.Abs(matches/total - m.Lambda)
		m.Lambda = math.Min(math.Max(matches/total, 1e-9), 1-1e-9)
		for f := range m.Fields {
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

// mFloor is the least m of any level: no way of agreeing or disagreeing is
// impossible for a true match (records are typed by people).
const mFloor = 0.002

// FloorM raises every m to mFloor and renormalises.
func FloorM(m []float64) {
	var sum float64
	for l := range m {
		m[l] = math.Max(m[l], mFloor)
		sum += m[l]
	}
	for l := range m {
		m[l] /= sum
	}
}

// PriorFromPairs estimates the probability that two random records match:
// the expected number of matches among the compared pairs (each pair's match
// probability under that same prior) over the number of all pairs, found by
// fixed-point iteration. Pairs blocking never compared count as non-matches.
func PriorFromPairs(model *Model, patterns []PatternCount, allPairs float64) float64 {
	if allPairs < 1 {
		return 0.5
	}
	ws := make([]float64, len(patterns))
	for i, p := range patterns {
		ws[i], _ = model.score(p.G)
		ws[i] -= model.Prior()
	}
	lambda := math.Max(1/allPairs, 1e-12)
	for it := 0; it < 500; it++ {
		prior := math.Log2(lambda / (1 - lambda))
		var exp float64
		for i, p := range patterns {
			exp += p.N * Prob(prior+ws[i])
		}
		next := math.Min(math.Max(exp/allPairs, 1/allPairs/10), 0.5)
		if math.Abs(next-lambda) <= 1e-6*lambda {
			lambda = next
			break
		}
		lambda = next
	}
	return lambda
}

// HasLevels reports whether any pattern has a level for field f.
func HasLevels(patterns []PatternCount, f int) bool {
	for _, p := range patterns {
		if p.G.Level(f) >= 0 {
			return true
		}
	}
	return false
}
