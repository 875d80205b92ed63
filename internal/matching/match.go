package matching

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tessera-cdp/tessera/internal/matching/estimate"
	"github.com/tessera-cdp/tessera/internal/matching/field"
)

// Matcher holds the configuration, the trained model and an index of the
// records seen so far (blocking keys and clusters), so that later batches can
// be matched incrementally with Add.
type Matcher struct {
	cfg   Config
	swap  []int // per field: index of its SwapWith partner or -1
	field map[string]int
	model *estimate.Model
	w     [][]float64 // the model's constrained level weights

	ids  []string
	raw  [][]string // original values, for evidence
	vals [][]string // normalised values, per record and field

	stats   *dataStats         // value frequencies and placeholders of the data
	focus   []bool             // per record: compared with everything (nil = all are)
	keys    []int32            // block id per record and rule (len(ids)*len(rules)), -1 = no key
	blocks  [][]int32          // members of each block, in insertion order (ascending)
	keyMaps []map[string]int32 // per rule: key -> block id

	parent, size []int32           // union-find over records
	members      map[int32][]int32 // root -> records of clusters of more than one
}

// Pair is a compared pair with its score. A and B are record IDs; A was
// indexed before B.
type Pair struct {
	A, B     string
	Weight   float64 // log2 odds of a match, prior included
	Prob     float64
	Decision Decision
	// Held is set on a pair that scored above the upper threshold but whose
	// clusters were not joined: the pairs across them did not support it
	// (its Decision is then Review).
	Held   bool
	ai, bi int32
	g      estimate.Pattern
}

// Evidence explains one field's contribution to a pair's score.
type Evidence struct {
	Field  string
	A, B   string // values as given
	Level  string // comparison level, "missing" if either side is empty
	Weight float64
}

// Result of Match or Add.
type Result struct {
	PairsCompared int
	SkippedBlocks int    // distinct blocks over MaxBlockSize that were not expanded
	Pairs         []Pair // pairs with Prob >= Lower, most probable first
	// Clusters maps every record ID indexed so far to its cluster ID (the ID of
	// the cluster's earliest indexed record, so IDs are stable under Add).
	Clusters map[string]string
}

// New validates cfg and returns a Matcher. If cfg.Model is set it is used
// without training.
func New(cfg Config) (*Matcher, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.Blocking) > 64 {
		return nil, fmt.Errorf("matching: at most 64 blocking rules, got %d", len(cfg.Blocking))
	}
	if cfg.MaxBlockSize == 0 {
		cfg.MaxBlockSize = 1000
	}
	if cfg.PriorMatch <= 0 || cfg.PriorMatch >= 1 {
		cfg.PriorMatch = 0.05
	}
	if cfg.USamples == 0 {
		cfg.USamples = 300000
	}
	if cfg.EMIterations == 0 {
		cfg.EMIterations = 200
	}
	if cfg.Cohesion <= 0 {
		cfg.Cohesion = 0.5
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	idx := cfg.fieldIndex()
	m := &Matcher{cfg: cfg, field: idx}
	for _, f := range cfg.Fields {
		s := -1
		if p, ok := idx[f.SwapWith]; ok && f.SwapWith != "" && (f.Kind == field.KindName || f.Kind == field.KindText) && cfg.Fields[p].Kind == f.Kind {
			s = p
		}
		m.swap = append(m.swap, s)
	}
	m.setModel(cfg.Model)
	m.reset()
	return m, nil
}

func (m *Matcher) setModel(model *estimate.Model) {
	m.model = model
	if model != nil {
		m.w = model.Weights()
	}
}

// Model returns the model in use (nil before the first Match without a
// configured model).
func (m *Matcher) Model() *estimate.Model { return m.model }

func (m *Matcher) reset() {
	m.ids, m.raw, m.vals, m.keys, m.blocks, m.parent, m.size, m.focus = nil, nil, nil, nil, nil, nil, nil, nil
	m.members = map[int32][]int32{}
	m.keyMaps = make([]map[string]int32, len(m.cfg.Blocking))
	for k := range m.keyMaps {
		m.keyMaps[k] = map[string]int32{}
	}
}

// Match indexes recs from scratch, compares all candidate pairs, trains the
// model (unless one was configured), scores and clusters.
func (m *Matcher) Match(ctx context.Context, recs []Record) (*Result, error) {
	m.reset()
	return m.run(ctx, recs, m.cfg.Model == nil, true)
}

// Add indexes new records and compares them only against records in their
// blocks (existing ones and each other), reusing the trained model and the
// value frequencies of the data matched before; existing pairs are not
// recompared. Clusters of existing records can merge.
func (m *Matcher) Add(ctx context.Context, recs []Record) (*Result, error) {
	if m.model == nil {
		return nil, errors.New("matching: Add needs a model: call Match first or configure Model")
	}
	return m.run(ctx, recs, false, false)
}

// MatchFocused indexes recs from scratch and, with the model in use (no
// training), compares only pairs with at least one record in focus, then
// scores and clusters them. Value frequencies come from all of recs.
func (m *Matcher) MatchFocused(ctx context.Context, recs []Record, focus map[string]bool) (*Result, error) {
	if m.model == nil {
		return nil, errors.New("matching: MatchFocused needs a model: call Match first or configure Model")
	}
	m.reset()
	m.focus = make([]bool, 0, len(recs))
	for _, r := range recs {
		m.focus = append(m.focus, focus[r.ID])
	}
	return m.run(ctx, recs, false, true)
}

// Observe computes the value frequencies and placeholders that Compare uses
// from recs, without indexing them.
func (m *Matcher) Observe(recs []Record) {
	vals := make([][]string, len(recs))
	for i, r := range recs {
		_, vals[i] = m.prepare(r)
	}
	m.stats = m.computeStats(vals)
}

func (m *Matcher) run(ctx context.Context, recs []Record, train, observe bool) (*Result, error) {
	from := len(m.ids)
	raws := make([][]string, len(recs))
	vals := make([][]string, len(recs))
	for i, r := range recs {
		raws[i], vals[i] = m.prepare(r)
	}
	if observe || m.stats == nil {
		m.stats = m.computeStats(vals)
	}
	for i, r := range recs {
		m.stats.apply(vals[i])
		m.index(r.ID, raws[i], vals[i])
	}
	cands, skipped, err := m.compareNew(ctx, from)
	if err != nil {
		return nil, err
	}
	if train {
		m.setModel(m.train(cands))
	}
	res := &Result{PairsCompared: len(cands), SkippedBlocks: skipped}
	for _, c := range cands {
		w := m.pairWeight(m.vals[c.i], m.vals[c.j], c.g)
		p := estimate.Prob(w)
		if d := m.cfg.Classify(p); d != None {
			res.Pairs = append(res.Pairs, Pair{A: m.ids[c.j], B: m.ids[c.i], Weight: w, Prob: p, Decision: d, ai: c.j, bi: c.i, g: c.g})
		}
	}
	sort.SliceStable(res.Pairs, func(i, j int) bool { return res.Pairs[i].Weight > res.Pairs[j].Weight })
	for _, p := range res.Pairs { // strongest links first
		if p.Decision == Auto {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			m.link(p.ai, p.bi)
		}
	}
	for i := range res.Pairs {
		if p := &res.Pairs[i]; p.Decision == Auto && m.find(p.ai) != m.find(p.bi) {
			p.Decision, p.Held = Review, true
		}
	}
	res.Clusters = make(map[string]string, len(m.ids))
	for i, id := range m.ids {
		res.Clusters[id] = m.ids[m.find(int32(i))]
	}
	return res, nil
}

// prepare normalises a record's fields in config order.
func (m *Matcher) prepare(r Record) (raw, vals []string) {
	raw = make([]string, len(m.cfg.Fields))
	vals = make([]string, len(m.cfg.Fields))
	for f, spec := range m.cfg.Fields {
		raw[f] = r.Fields[spec.Name]
		vals[f] = field.Normalize(spec.Kind, spec.DateOrder, raw[f])
	}
	return raw, vals
}

// dataStats are what the data says about its values: how common each value
// is (term frequencies) and which date defaults stand for "not known".
type dataStats struct {
	tf []map[string]float64 // per field with TF and enough values
	// Per date field: 01-01 (day and month) or the 1st of a month occur far
	// more often than chance, so such dates are taken as year-only or
	// month-year (a default filled in, not a birthday).
	yearOnly, monthOnly []bool
}

// minTFValues is the fewest values of a field whose frequencies are used.
const minTFValues = 100

func (m *Matcher) computeStats(vals [][]string) *dataStats {
	nf := len(m.cfg.Fields)
	st := &dataStats{tf: make([]map[string]float64, nf), yearOnly: make([]bool, nf), monthOnly: make([]bool, nf)}
	for f, spec := range m.cfg.Fields {
		if spec.Kind != field.KindDate {
			continue
		}
		var full, jan1, first int
		for _, v := range vals {
			if d := v[f]; len(d) == 8 {
				full++
				switch {
				case d[4:] == "0101":
					jan1++
				case d[6:] == "01":
					first++
				}
			}
		}
		// Chance gives 1 in 365 for 01-01 and 1 in 30 for the 1st; ten and
		// three times that, seen often enough, is a default.
		st.yearOnly[f] = jan1 >= 10 && float64(jan1) > 10*float64(full)/365.25
		st.monthOnly[f] = first >= 20 && float64(first) > 3*float64(full-jan1)/30.4
	}
	for f, spec := range m.cfg.Fields {
		if !spec.TF {
			continue
		}
		counts := map[string]int{}
		n := 0
		for _, v := range vals {
			x := st.degrade(f, v[f])
			if x != "" {
				counts[x]++
				n++
			}
		}
		if n < minTFValues {
			continue
		}
		tf := make(map[string]float64, len(counts))
		for v, c := range counts {
			tf[v] = float64(c) / float64(n)
		}
		st.tf[f] = tf
	}
	return st
}

// degrade lowers the precision of a date that is a detected default.
func (st *dataStats) degrade(f int, v string) string {
	if len(v) != 8 {
		return v
	}
	switch {
	case st.yearOnly[f] && v[4:] == "0101":
		return v[:4]
	case st.monthOnly[f] && v[6:] == "01":
		return v[:6]
	}
	return v
}

func (st *dataStats) apply(vals []string) {
	for f := range vals {
		vals[f] = st.degrade(f, vals[f])
	}
}

func (m *Matcher) blockKey(rule BlockingRule, vals []string) string {
	parts := make([]string, 0, len(rule.Parts))
	for _, p := range rule.Parts {
		v := vals[m.field[p.Field]]
		if v == "" && p.Fallback != "" {
			v = vals[m.field[p.Fallback]]
		}
		if p.Transform != nil && v != "" {
			v = p.Transform(v)
		}
		if v == "" {
			return "" // a missing part means no key
		}
		parts = append(parts, v)
	}
	if rule.Unordered {
		sort.Strings(parts)
	}
	return strings.Join(parts, "\x00")
}

func (m *Matcher) index(id string, raw, vals []string) {
	i := int32(len(m.ids))
	m.ids, m.raw, m.vals = append(m.ids, id), append(m.raw, raw), append(m.vals, vals)
	m.parent, m.size = append(m.parent, i), append(m.size, 1)
	for k, rule := range m.cfg.Blocking {
		key := m.blockKey(rule, vals)
		if key == "" {
			m.keys = append(m.keys, -1)
			continue
		}
		b, ok := m.keyMaps[k][key]
		if !ok {
			b = int32(len(m.blocks))
			m.keyMaps[k][key] = b
			m.blocks = append(m.blocks, nil)
		}
		m.blocks[b] = append(m.blocks[b], i)
		m.keys = append(m.keys, b)
	}
}

func (m *Matcher) usable(b int32) bool { return b >= 0 && len(m.blocks[b]) <= m.cfg.MaxBlockSize }

// candidates calls fn for every earlier record j < i sharing a block with i.
// A pair found by rule k is skipped if an earlier rule also joins it, so each
// pair is produced once without a global set. Oversize blocks are skipped.
// In a focused run, pairs of two records out of focus are skipped.
func (m *Matcher) candidates(i int32, fn func(j int32), oversize func(b int32)) {
	R := len(m.cfg.Blocking)
	ki := m.keys[int(i)*R : int(i)*R+R]
	for k, b := range ki {
		if b < 0 {
			continue
		}
		if !m.usable(b) {
			oversize(b)
			continue
		}
	members:
		for _, j := range m.blocks[b] {
			if j >= i {
				break
			}
			if m.focus != nil && !m.focus[i] && !m.focus[j] {
				continue
			}
			kj := m.keys[int(j)*R : int(j)*R+R]
			for r := 0; r < k; r++ {
				if ki[r] == kj[r] && m.usable(ki[r]) {
					continue members
				}
			}
			fn(j)
		}
	}
}

// ruleMask has bit k set if blocking rule k puts records i and j together.
func (m *Matcher) ruleMask(i, j int32) uint64 {
	R := len(m.cfg.Blocking)
	var mask uint64
	for k := 0; k < R; k++ {
		if b := m.keys[int(i)*R+k]; b >= 0 && b == m.keys[int(j)*R+k] && m.usable(b) {
			mask |= 1 << k
		}
	}
	return mask
}

type cand struct {
	i, j int32 // j < i
	g    estimate.Pattern
}

// compareNew compares every record from index `from` on with the earlier
// records of its blocks, in parallel, reporting progress.
func (m *Matcher) compareNew(ctx context.Context, from int) ([]cand, int, error) {
	n := len(m.ids)
	total := 0
	over := map[int32]bool{}
	for i := from; i < n; i++ { // cheap first pass: total for progress, oversize blocks
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		m.candidates(int32(i), func(int32) { total++ }, func(b int32) { over[b] = true })
	}
	const chunk = 256
	nChunks := (n - from + chunk - 1) / chunk
	out := make([][]cand, nChunks)
	var next, done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < m.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks || ctx.Err() != nil {
					return
				}
				var local []cand
				for i := from + c*chunk; i < min(n, from+(c+1)*chunk); i++ {
					m.candidates(int32(i), func(j int32) {
						local = append(local, cand{int32(i), j, m.compare(m.vals[j], m.vals[i])})
					}, func(int32) {})
				}
				out[c] = local
				d := done.Add(int64(len(local)))
				if m.cfg.Progress != nil {
					mu.Lock()
					m.cfg.Progress(int(d), total)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	all := make([]cand, 0, total)
	for _, o := range out {
		all = append(all, o...)
	}
	return all, len(over), nil
}

// compare computes the comparison vector of two prepared records.
func (m *Matcher) compare(a, b []string) estimate.Pattern {
	var g estimate.Pattern
	for f, spec := range m.cfg.Fields {
		s := m.swap[f]
		if s >= 0 && s < f && m.swap[s] == f {
			continue // done with its partner
		}
		if s >= 0 && m.swap[s] == f {
			var lf, ls int
			if spec.Kind == field.KindName {
				lf, ls = field.CompareNames(a[f], a[s], b[f], b[s])
			} else {
				lf, ls = field.CompareLines(a[f], a[s], b[f], b[s])
			}
			if lf >= 0 {
				g.Set(f, lf)
			}
			if ls >= 0 {
				g.Set(s, ls)
			}
			continue
		}
		l := field.CompareField(spec.Kind, a[f], b[f])
		if s >= 0 && spec.Kind == field.KindName && l > 1 && field.IsSwapped(a[f], b[f], a[s], b[s]) {
			l = field.NameSwapLevel
		}
		if l >= 0 {
			g.Set(f, l)
		}
	}
	return g
}

// fieldWeight is the weight of field f at level l for a pair whose value (on
// the side given) is v: the level's weight, or for exact agreement on a
// field with term frequencies, m over the value's frequency (a common value
// weighs less, a rare one more), never below the next level's weight.
func (m *Matcher) fieldWeight(f, l int, v string) float64 {
	if l < 0 {
		return 0
	}
	w := m.w[f][l]
	if l == 0 && m.stats != nil && m.stats.tf[f] != nil {
		if tf, ok := m.stats.tf[f][v]; ok {
			cap := m.model.WeightCap()
			w = math.Max(0, math.Min(cap, math.Log2(m.model.Fields[f].M[0]/tf)))
			if len(m.w[f]) > 1 {
				w = math.Max(w, m.w[f][1])
			}
		}
	}
	return w
}

// pairWeight is the match weight (log2 odds, prior included) of two prepared
// records with comparison vector g.
func (m *Matcher) pairWeight(a, b []string, g estimate.Pattern) float64 {
	w := m.model.Prior()
	for _, x := range m.fieldWeights(a, g) {
		w += x
	}
	return w
}

// fieldWeights are the weights of each field of a pair (a is one side's
// prepared values), dependent groups capped.
func (m *Matcher) fieldWeights(a []string, g estimate.Pattern) []float64 {
	ws := make([]float64, len(m.cfg.Fields))
	for f := range ws {
		ws[f] = m.fieldWeight(f, g.Level(f), a[f])
	}
	return m.model.CapGroups(ws)
}

// newModel returns the starting model of the fields.
func newModel(fields []FieldSpec, prior float64) *estimate.Model {
	fms := make([]estimate.FieldModel, len(fields))
	for i, f := range fields {
		fms[i] = estimate.FieldModel{Name: f.Name, Kind: f.Kind, Group: f.Group}
	}
	return estimate.New(fms, prior)
}

// train estimates the model the way Splink does: u from random record pairs
// (almost all non-matches, and unbiased by blocking); m by EM with u fixed,
// once per blocking rule on that rule's pairs, leaving out the fields the
// rule fixes (and the fields that depend on them), averaged over the rules
// weighted by their expected matches; then the prior that two random records
// match, as the expected matches among the compared pairs over all pairs.
func (m *Matcher) train(cands []cand) *estimate.Model {
	model := newModel(m.cfg.Fields, m.cfg.PriorMatch)
	if m.cfg.MaxWeight > 0 {
		model.MaxWeight = m.cfg.MaxWeight
	}
	start := newModel(m.cfg.Fields, m.cfg.PriorMatch)
	n := len(m.ids)
	allPairs := float64(n) * float64(n-1) / 2
	random := map[estimate.Pattern]int{}
	if m.cfg.USamples > 0 && n > 1 {
		if allPairs <= float64(m.cfg.USamples) {
			for i := 1; i < n; i++ {
				for j := 0; j < i; j++ {
					random[m.compare(m.vals[j], m.vals[i])]++
				}
			}
		} else {
			rng := rand.New(rand.NewPCG(m.cfg.Seed, 0x7e55e7a))
			for s := 0; s < m.cfg.USamples; s++ {
				i, j := rng.IntN(n), rng.IntN(n-1)
				if j >= i {
					j++
				}
				random[m.compare(m.vals[i], m.vals[j])]++
			}
		}
		model.SetU(estimate.CountPatterns(random), start)
	}
	minPairs := m.cfg.MinEMPairs
	if minPairs == 0 {
		minPairs = 200
	}
	R := len(m.cfg.Blocking)
	perRule := make([]map[estimate.Pattern]int, R)
	for k := range perRule {
		perRule[k] = map[estimate.Pattern]int{}
	}
	all := map[estimate.Pattern]int{}
	for _, c := range cands {
		all[c.g]++
		for mask := m.ruleMask(c.i, c.j); mask != 0; mask &= mask - 1 {
			perRule[bits.TrailingZeros64(mask)][c.g]++
		}
	}
	nf := len(m.cfg.Fields)
	sumM := make([][]float64, nf)
	sumE := make([]float64, nf)
	model.Converged = true
	for k, rule := range m.cfg.Blocking {
		pairs := 0
		for _, c := range perRule[k] {
			pairs += c
		}
		if pairs == 0 || minPairs > 0 && pairs < minPairs {
			continue
		}
		patterns := estimate.CountPatterns(perRule[k])
		include := m.freeFields(rule, patterns)
		if include == nil {
			continue
		}
		res := model.EstimateM(patterns, include, start, m.cfg.PriorMatch, m.cfg.EMIterations)
		model.Iterations += res.Iterations
		model.Converged = model.Converged && res.Converged
		if res.Matches < 1 {
			continue
		}
		for f := range include {
			if !include[f] || !estimate.HasLevels(patterns, f) {
				continue
			}
			if sumM[f] == nil {
				sumM[f] = make([]float64, len(res.M[f]))
			}
			for l, v := range res.M[f] {
				sumM[f][l] += res.Matches * v
			}
			sumE[f] += res.Matches
		}
	}
	for f := range model.Fields {
		fm := &model.Fields[f]
		if sumE[f] > 0 {
			for l := range fm.M {
				fm.M[l] = sumM[f][l] / sumE[f]
			}
			fm.Trained = true
		}
		estimate.FloorM(fm.M)
	}
	pairs := estimate.CountPatterns(all)
	model.Lambda = estimate.PriorFromPairs(model, pairs, allPairs) // groups capped at MaxWeight
	model.SetGroupCaps(estimate.CountPatterns(random))
	model.Lambda = estimate.PriorFromPairs(model, pairs, allPairs)
	return model
}

// freeFields are the fields a blocking rule's EM run estimates: all but those
// the rule fixes, their swap partners and the fields of their groups. It
// returns nil when fewer than three fields with values in at least a tenth of
// the pairs are left (EM cannot tell m from the match share on fewer).
func (m *Matcher) freeFields(rule BlockingRule, patterns []estimate.PatternCount) []bool {
	nf := len(m.cfg.Fields)
	include := make([]bool, nf)
	for f := range include {
		include[f] = true
	}
	groups := map[string]bool{}
	fix := func(name string) {
		if f, ok := m.field[name]; ok && name != "" {
			include[f] = false
			if s := m.swap[f]; s >= 0 {
				include[s] = false
			}
			for _, g := range []string{m.cfg.Fields[f].Group, m.cfg.Fields[f].Related} {
				if g != "" {
					groups[g] = true
				}
			}
		}
	}
	for _, p := range rule.Parts {
		fix(p.Field)
		fix(p.Fallback)
	}
	for f, spec := range m.cfg.Fields {
		if spec.Group != "" && groups[spec.Group] || spec.Related != "" && groups[spec.Related] {
			include[f] = false
		}
	}
	var total float64
	present := make([]float64, nf)
	for _, p := range patterns {
		total += p.N
		for f := range present {
			if p.G.Level(f) >= 0 {
				present[f] += p.N
			}
		}
	}
	usable := 0
	for f := range include {
		if include[f] && present[f] >= 0.1*total {
			usable++
		}
	}
	if usable < 3 {
		return nil
	}
	return include
}

func (m *Matcher) find(i int32) int32 {
	for m.parent[i] != i {
		m.parent[i] = m.parent[m.parent[i]] // path halving
		i = m.parent[i]
	}
	return i
}

// maxSupportPairs bounds the cross pairs link looks at (a deterministic
// subset beyond it).
const maxSupportPairs = 4096

// link joins the clusters of records a and b, linked by an automatic pair,
// if the pairs across them support it (average linkage): their mean match
// probability must reach Cohesion. Pairs never compared are scored now. So a
// chain of strong links through records that do not match each other does
// not grow one cluster, however large. MaxClusterSize, if set, also bounds
// the size. The earliest record stays the root (stable cluster IDs).
func (m *Matcher) link(a, b int32) bool {
	ra, rb := m.find(a), m.find(b)
	if ra == rb || m.cfg.MaxClusterSize > 0 && int(m.size[ra]+m.size[rb]) > m.cfg.MaxClusterSize {
		return false
	}
	ma, mb := m.clusterMembers(ra), m.clusterMembers(rb)
	if len(ma)+len(mb) > 2 {
		step := max(1, len(ma)*len(mb)/maxSupportPairs)
		var sum float64
		n := 0
		for k := 0; k < len(ma)*len(mb); k += step {
			x, y := ma[k/len(mb)], mb[k%len(mb)]
			g := m.compare(m.vals[x], m.vals[y])
			sum += estimate.Prob(m.pairWeight(m.vals[x], m.vals[y], g))
			n++
		}
		if sum/float64(n) < m.cfg.Cohesion {
			return false
		}
	}
	if rb < ra {
		ra, rb = rb, ra
		ma, mb = mb, ma
	}
	m.parent[rb] = ra
	m.size[ra] += m.size[rb]
	m.members[ra] = append(ma, mb...)
	delete(m.members, rb)
	return true
}

func (m *Matcher) clusterMembers(root int32) []int32 {
	if ms, ok := m.members[root]; ok {
		return ms
	}
	return []int32{root}
}

// Explain returns the per-field evidence behind a pair from a Result.
func (m *Matcher) Explain(p Pair) []Evidence {
	return m.evidence(m.raw[p.ai], m.raw[p.bi], m.vals[p.ai], p.g)
}

// Compare scores two arbitrary records with the current model (nothing is
// indexed) and explains the score. Value frequencies are those of the last
// Match, MatchFocused or Observe.
func (m *Matcher) Compare(a, b Record) (Pair, []Evidence, error) {
	if m.model == nil {
		return Pair{}, nil, errors.New("matching: no model: call Match first or configure Model")
	}
	ra, va := m.prepare(a)
	rb, vb := m.prepare(b)
	if m.stats != nil {
		m.stats.apply(va)
		m.stats.apply(vb)
	}
	g := m.compare(va, vb)
	w := m.pairWeight(va, vb, g)
	p := estimate.Prob(w)
	return Pair{A: a.ID, B: b.ID, Weight: w, Prob: p, Decision: m.cfg.Classify(p), ai: -1, bi: -1, g: g}, m.evidence(ra, rb, va, g), nil
}

func (m *Matcher) evidence(a, b, va []string, g estimate.Pattern) []Evidence {
	ev := make([]Evidence, len(m.cfg.Fields))
	ws := m.fieldWeights(va, g)
	for f, spec := range m.cfg.Fields {
		l := g.Level(f)
		ev[f] = Evidence{Field: spec.Name, A: a[f], B: b[f], Level: "missing", Weight: ws[f]}
		if l >= 0 {
			ev[f].Level = field.Levels(spec.Kind)[l]
		}
	}
	return ev
}

// ForEachCandidate calls fn with the IDs of every pair blocking puts up for
// comparison among the indexed records (diagnostics: blocking recall).
func (m *Matcher) ForEachCandidate(fn func(a, b string)) {
	for i := range m.ids {
		m.candidates(int32(i), func(j int32) { fn(m.ids[j], m.ids[i]) }, func(int32) {})
	}
}
