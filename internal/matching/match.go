package matching

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Matcher holds the configuration, the trained model and an index of the
// records seen so far (blocking keys and clusters), so that later batches can
// be matched incrementally with Add.
type Matcher struct {
	cfg   Config
	swap  []int // per field: index of its SwapWith partner or -1
	field map[string]int
	model *Model

	ids  []string
	raw  [][]string // original values, for evidence
	vals [][]string // normalised values, per record and field

	keys    []int32            // block id per record and rule (len(ids)*len(rules)), -1 = no key
	keyMaps []map[string]int32 // per rule: key -> block id
	blocks  [][]int32          // members of each block, in insertion order (ascending)

	parent, size []int32 // union-find over records
}

// Pair is a compared pair with its score. A and B are record IDs; A was
// indexed before B.
type Pair struct {
	A, B     string
	Weight   float64 // log2 odds of a match, prior included
	Prob     float64
	Decision Decision
	ai, bi   int32
	g        gamma
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
	if cfg.MaxBlockSize == 0 {
		cfg.MaxBlockSize = 1000
	}
	if cfg.PriorMatch <= 0 || cfg.PriorMatch >= 1 {
		cfg.PriorMatch = 0.05
	}
	if cfg.USamples == 0 {
		cfg.USamples = 200000
	}
	if cfg.EMIterations == 0 {
		cfg.EMIterations = 200
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	idx := cfg.fieldIndex()
	m := &Matcher{cfg: cfg, model: cfg.Model, field: idx}
	for _, f := range cfg.Fields {
		s := -1
		if f.SwapWith != "" && f.Kind == KindName {
			s = idx[f.SwapWith]
		}
		m.swap = append(m.swap, s)
	}
	m.reset()
	return m, nil
}

// Model returns the model in use (nil before the first Match without a
// configured model).
func (m *Matcher) Model() *Model { return m.model }

func (m *Matcher) reset() {
	m.ids, m.raw, m.vals, m.keys, m.blocks, m.parent, m.size = nil, nil, nil, nil, nil, nil, nil
	m.keyMaps = make([]map[string]int32, len(m.cfg.Blocking))
	for k := range m.keyMaps {
		m.keyMaps[k] = map[string]int32{}
	}
}

// Match indexes recs from scratch, compares all candidate pairs, trains the
// model (unless one was configured), scores and clusters.
func (m *Matcher) Match(ctx context.Context, recs []Record) (*Result, error) {
	m.reset()
	return m.run(ctx, recs, m.cfg.Model == nil)
}

// Add indexes new records and compares them only against records in their
// blocks (existing ones and each other), reusing the trained model; existing
// pairs are not recompared. Clusters of existing records can merge.
func (m *Matcher) Add(ctx context.Context, recs []Record) (*Result, error) {
	if m.model == nil {
		return nil, errors.New("matching: Add needs a model: call Match first or configure Model")
	}
	return m.run(ctx, recs, false)
}

func (m *Matcher) run(ctx context.Context, recs []Record, train bool) (*Result, error) {
	from := len(m.ids)
	for _, r := range recs {
		m.index(r)
	}
	cands, skipped, err := m.compareNew(ctx, from)
	if err != nil {
		return nil, err
	}
	if train {
		m.model = m.train(cands)
	}
	res := &Result{PairsCompared: len(cands), SkippedBlocks: skipped}
	scores := map[gamma][2]float64{} // weight, prob per distinct pattern
	for _, c := range cands {
		s, ok := scores[c.g]
		if !ok {
			s[0], s[1] = m.model.score(c.g)
			scores[c.g] = s
		}
		if d := m.cfg.Classify(s[1]); d != None {
			res.Pairs = append(res.Pairs, Pair{A: m.ids[c.i], B: m.ids[c.j], Weight: s[0], Prob: s[1], Decision: d, ai: c.i, bi: c.j, g: c.g})
		}
	}
	sort.SliceStable(res.Pairs, func(i, j int) bool { return res.Pairs[i].Prob > res.Pairs[j].Prob })
	for _, p := range res.Pairs { // strongest links first, so the size guard drops the weak ones
		if p.Decision == Auto {
			m.union(p.ai, p.bi)
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
		vals[f] = normalize(spec.Kind, raw[f])
	}
	return raw, vals
}

func (m *Matcher) blockKey(rule BlockingRule, vals []string) string {
	var b strings.Builder
	for n, p := range rule.Parts {
		v := vals[m.field[p.Field]]
		if p.Transform != nil && v != "" {
			v = p.Transform(v)
		}
		if v == "" {
			return "" // a missing part means no key
		}
		if n > 0 {
			b.WriteByte(0)
		}
		b.WriteString(v)
	}
	return b.String()
}

func (m *Matcher) index(r Record) {
	raw, vals := m.prepare(r)
	i := int32(len(m.ids))
	m.ids, m.raw, m.vals = append(m.ids, r.ID), append(m.raw, raw), append(m.vals, vals)
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

// candidates calls fn for every earlier record j < i sharing a block with i.
// A pair found by rule k is skipped if an earlier rule also joins it, so each
// pair is produced once without a global set. Oversize blocks are skipped.
func (m *Matcher) candidates(i int32, fn func(j int32), oversize func(b int32)) {
	R := len(m.cfg.Blocking)
	ki := m.keys[int(i)*R : int(i)*R+R]
	usable := func(b int32) bool { return b >= 0 && len(m.blocks[b]) <= m.cfg.MaxBlockSize }
	for k, b := range ki {
		if b < 0 {
			continue
		}
		if !usable(b) {
			oversize(b)
			continue
		}
	members:
		for _, j := range m.blocks[b] {
			if j >= i {
				break
			}
			kj := m.keys[int(j)*R : int(j)*R+R]
			for r := 0; r < k; r++ {
				if ki[r] == kj[r] && usable(ki[r]) {
					continue members
				}
			}
			fn(j)
		}
	}
}

type cand struct {
	i, j int32 // j < i
	g    gamma
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
						local = append(local, cand{int32(i), j, m.compare(m.vals[i], m.vals[j])})
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
func (m *Matcher) compare(a, b []string) gamma {
	var g gamma
	for f, spec := range m.cfg.Fields {
		l := CompareField(spec.Kind, a[f], b[f])
		if s := m.swap[f]; s >= 0 && l > 1 && isSwapped(a[f], b[f], a[s], b[s]) {
			l = 3 // "swapped" level of KindName
		}
		if l >= 0 {
			g.set(f, l)
		}
	}
	return g
}

// isSwapped reports whether a record's field values appear transposed in the
// other (first name in the surname column and vice versa).
func isSwapped(af, bf, as, bs string) bool {
	return as != "" && bs != "" && JaroWinkler(af, bs) >= jwClose && JaroWinkler(as, bf) >= jwClose
}

// train estimates u from random record pairs, then runs EM on the compared pairs.
func (m *Matcher) train(cands []cand) *Model {
	model := newModel(m.cfg.Fields, m.cfg.PriorMatch)
	if n := len(m.ids); m.cfg.USamples > 0 && n > 1 {
		rng := rand.New(rand.NewPCG(m.cfg.Seed, 0x7e55e7a))
		random := map[gamma]int{}
		for s := 0; s < m.cfg.USamples; s++ {
			i, j := rng.IntN(n), rng.IntN(n-1)
			if j >= i {
				j++
			}
			random[m.compare(m.vals[i], m.vals[j])]++
		}
		model.setU(countPatterns(random))
	}
	// Too few compared pairs to learn m from: EM then fits noise (a few dozen customers
	// sharing a surname taught it that agreeing on a birth date argues against a match).
	// Keep the configured m and the u measured on random pairs instead.
	minPairs := m.cfg.MinEMPairs
	if minPairs == 0 {
		minPairs = 1000
	}
	if minPairs > 0 && len(cands) < minPairs {
		return model
	}
	counts := map[gamma]int{}
	for _, c := range cands {
		counts[c.g]++
	}
	model.em(countPatterns(counts), m.cfg.EMIterations, m.cfg.FixU && m.cfg.USamples > 0)
	return model
}

func (m *Matcher) find(i int32) int32 {
	for m.parent[i] != i {
		m.parent[i] = m.parent[m.parent[i]] // path halving
		i = m.parent[i]
	}
	return i
}

// union joins the clusters of a and b, keeping the earliest record as root
// (stable cluster IDs) and honouring MaxClusterSize.
func (m *Matcher) union(a, b int32) {
	ra, rb := m.find(a), m.find(b)
	if ra == rb || m.cfg.MaxClusterSize > 0 && int(m.size[ra]+m.size[rb]) > m.cfg.MaxClusterSize {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	m.parent[rb] = ra
	m.size[ra] += m.size[rb]
}

// Explain returns the per-field evidence behind a pair from a Result.
func (m *Matcher) Explain(p Pair) []Evidence {
	return m.evidence(m.raw[p.ai], m.raw[p.bi], p.g)
}

// Compare scores two arbitrary records with the current model (nothing is
// indexed) and explains the score.
func (m *Matcher) Compare(a, b Record) (Pair, []Evidence, error) {
	if m.model == nil {
		return Pair{}, nil, errors.New("matching: no model: call Match first or configure Model")
	}
	ra, va := m.prepare(a)
	rb, vb := m.prepare(b)
	g := m.compare(va, vb)
	w, p := m.model.score(g)
	return Pair{A: a.ID, B: b.ID, Weight: w, Prob: p, Decision: m.cfg.Classify(p), ai: -1, bi: -1, g: g}, m.evidence(ra, rb, g), nil
}

func (m *Matcher) evidence(a, b []string, g gamma) []Evidence {
	ev := make([]Evidence, len(m.cfg.Fields))
	for f, spec := range m.cfg.Fields {
		l := g.level(f)
		ev[f] = Evidence{Field: spec.Name, A: a[f], B: b[f], Level: "missing", Weight: m.model.LevelWeight(f, l)}
		if l >= 0 {
			ev[f].Level = levelNames[spec.Kind][l]
		}
	}
	return ev
}
