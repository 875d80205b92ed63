package matchjob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/estimate"
	"github.com/tessera-cdp/tessera/internal/matching/field"
	"github.com/tessera-cdp/tessera/internal/matchjob/guard"
	"github.com/tessera-cdp/tessera/internal/privacy"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Start runs a job in the background and returns its id; the job document exists
// when Start returns. Only one job runs at a time: a second Start (or Run) gives a
// CONFLICT, also when another instance's job is running (seen by its document).
// The job outlives ctx; Cancel stops it.
func (s *Service) Start(ctx context.Context, opts Options) (string, error) {
	j, a, runCtx, err := s.begin(ctx, opts, true)
	if err != nil {
		return "", err
	}
	go func() {
		defer s.end(a)
		_, _ = s.execute(runCtx, j)
	}()
	return j.ID, nil
}

// Launch checks the job's source filter (SourceExists), starts the job on base (a
// context that outlives the request, the server's) and returns it as stored.
func (s *Service) Launch(ctx, base context.Context, opts Options) (Job, error) {
	if opts.SourceFilter != "" && s.SourceExists != nil {
		if err := s.SourceExists(ctx, opts.SourceFilter); err != nil {
			return Job{}, err
		}
	}
	id, err := s.Start(base, opts)
	if err != nil {
		return Job{}, err
	}
	return s.Job(ctx, id)
}

// Run runs a job and waits for it. A job that fails is returned with its error.
func (s *Service) Run(ctx context.Context, opts Options) (Job, error) {
	j, a, runCtx, err := s.begin(ctx, opts, false)
	if err != nil {
		return Job{}, err
	}
	defer s.end(a)
	return s.execute(runCtx, j)
}

// RunIncremental runs a job comparing only the profiles created or updated since the
// last run with the rest (a full run if there was none).
func (s *Service) RunIncremental(ctx context.Context, opts Options) (Job, error) {
	opts.Incremental = true
	return s.Run(ctx, opts)
}

// Wait blocks until the job running in this process with that id ends (at once if it
// is not running here) and returns its document.
func (s *Service) Wait(ctx context.Context, id string) (Job, error) {
	s.mu.Lock()
	a := s.cur
	s.mu.Unlock()
	if a != nil && a.id == id {
		select {
		case <-a.done:
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
	}
	return s.Job(ctx, id)
}

// Cancel stops the job running in this process; it ends FAILED ("cancelled").
func (s *Service) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	a := s.cur
	s.mu.Unlock()
	if a == nil || a.id != id {
		if _, err := s.Job(ctx, id); err != nil {
			return err
		}
		return apperr.Conflictf("match job %s is not running here", id)
	}
	a.cancel()
	return nil
}

// Job returns a job document.
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	return s.Store.GetMatchJob(ctx, id)
}

// Jobs lists the newest jobs first (limit 1..100, default 20).
func (s *Service) Jobs(ctx context.Context, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 20
	}
	return s.Store.ListMatchJobs(ctx, min(limit, 100))
}

func (s *Service) thresholds(o Options) (matching.Thresholds, error) {
	t := s.Config.Thresholds
	if t.Upper == 0 && t.Lower == 0 {
		t = matching.Thresholds{Upper: 0.9, Lower: 0.5}
	}
	if o.Upper != 0 {
		t.Upper = o.Upper
	}
	if o.Lower != 0 {
		t.Lower = o.Lower
	}
	if t.Lower <= 0 || t.Lower > t.Upper || t.Upper > 1 {
		return t, apperr.Invalidf("thresholds must satisfy 0 < lower (%v) <= upper (%v) <= 1", t.Lower, t.Upper)
	}
	return t, nil
}

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

func newJobID() string {
	idMu.Lock()
	defer idMu.Unlock()
	return "mj_" + strings.ToLower(ulid.MustNew(ulid.Now(), idEntropy).String())
}

// begin claims the one-job slot and writes the RUNNING job document. It returns the
// context the job runs in, detached from ctx's cancellation if asked, cancelled by
// Cancel.
func (s *Service) begin(ctx context.Context, opts Options, detach bool) (Job, *active, context.Context, error) {
	th, err := s.thresholds(opts)
	if err != nil {
		return Job{}, nil, nil, err
	}
	opts.SourceFilter = strings.TrimSpace(opts.SourceFilter)
	if opts.Actor == "" {
		opts.Actor = "matcher"
	}
	now := s.Now()
	j := Job{ID: newJobID(), Status: Running, Phase: PhaseLoading, Options: opts, Upper: th.Upper, Lower: th.Lower,
		Watermark: now, StartedAt: now, UpdatedAt: now}
	parent := ctx
	if detach {
		parent = context.WithoutCancel(ctx)
	}
	runCtx, cancel := context.WithCancel(parent)
	s.mu.Lock()
	if s.cur != nil {
		id := s.cur.id
		s.mu.Unlock()
		cancel()
		return Job{}, nil, nil, apperr.Conflictf("match job %s is running", id)
	}
	a := &active{id: j.ID, cancel: cancel, done: make(chan struct{})}
	s.cur = a
	s.mu.Unlock()
	fail := func(err error) (Job, *active, context.Context, error) {
		s.end(a)
		return Job{}, nil, nil, err
	}
	running, err := s.Store.RunningMatchJobs(ctx)
	if err != nil {
		return fail(err)
	}
	for _, r := range running {
		if now.Sub(r.UpdatedAt) < s.staleAfter() {
			return fail(apperr.Conflictf("match job %s is running", r.ID))
		}
		r.Status, r.Error, r.FinishedAt = Failed, "interrupted: no progress since "+r.UpdatedAt.Format(time.RFC3339), &now
		if err := s.Store.SaveMatchJob(ctx, r); err != nil {
			return fail(err)
		}
	}
	if err := s.Store.SaveMatchJob(ctx, j); err != nil {
		return fail(err)
	}
	return j, a, runCtx, nil
}

func (s *Service) end(a *active) {
	a.cancel()
	s.mu.Lock()
	if s.cur == a {
		s.cur = nil
	}
	s.mu.Unlock()
	close(a.done)
}

// tracker holds the job while it runs and writes it at most every interval.
type tracker struct {
	s         *Service
	mu        sync.Mutex
	job       Job
	dirty     bool
	lastWrite time.Time
	stop      chan struct{}
	stopped   chan struct{}
}

func (t *tracker) update(fn func(j *Job)) {
	t.mu.Lock()
	fn(&t.job)
	t.dirty = true
	t.mu.Unlock()
}

func (t *tracker) loop(ctx context.Context) {
	defer close(t.stopped)
	tick := time.NewTicker(t.s.interval())
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			_ = t.flush(ctx, false) // best effort; the final write reports errors
		case <-t.stop:
			return
		}
	}
}

func (t *tracker) flush(ctx context.Context, final bool) error {
	t.mu.Lock()
	since := time.Since(t.lastWrite)
	if !final && (since < t.s.interval() || !t.dirty && since < t.s.heartbeat()) {
		t.mu.Unlock()
		return nil
	}
	t.job.UpdatedAt = t.s.Now()
	j := t.job
	t.dirty, t.lastWrite = false, time.Now()
	t.mu.Unlock()
	err := t.s.Store.SaveMatchJob(ctx, j)
	if t.s.OnProgress != nil {
		t.s.OnProgress(j)
	}
	return err
}

// execute runs the job and writes its final document.
func (s *Service) execute(ctx context.Context, j Job) (Job, error) {
	t := &tracker{s: s, job: j, lastWrite: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	writeCtx := context.WithoutCancel(ctx)
	go t.loop(writeCtx)
	runErr := s.run(ctx, t)
	close(t.stop)
	<-t.stopped
	t.mu.Lock()
	now := s.Now()
	t.job.FinishedAt = &now
	if runErr != nil {
		t.job.Status = Failed
		t.job.Error = runErr.Error()
		if errors.Is(runErr, context.Canceled) {
			t.job.Error = "cancelled"
		}
	} else {
		t.job.Status, t.job.Phase, t.job.Processed = Succeeded, PhaseDone, t.job.Total
		t.job.Baseline = !t.job.Options.DryRun && t.job.Options.SourceFilter == ""
	}
	t.mu.Unlock()
	if err := t.flush(writeCtx, true); err != nil && runErr == nil {
		runErr = err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.job, runErr
}

// run is the job itself: load, compare, apply.
func (s *Service) run(ctx context.Context, t *tracker) error {
	opts := t.job.Options
	th := matching.Thresholds{Upper: t.job.Upper, Lower: t.job.Lower}

	// Load the live profiles.
	total, err := s.Store.CountLiveProfiles(ctx)
	if err != nil {
		return err
	}
	t.update(func(j *Job) { j.Phase, j.Processed, j.Total = PhaseLoading, 0, total })
	g := newGraph()
	var recs []matching.Record
	updated := map[string]time.Time{}
	// Profiles carrying an identifier of an erased person are left out: the matcher
	// must not link the person again. keysOf keeps the keys for a second check before
	// anything is written (an erasure may happen while pairs are scored).
	suppressed, err := s.Store.SuppressionFilter(ctx)
	if err != nil {
		return err
	}
	keysOf := map[string][]string{}
	err = s.Store.LiveProfiles(ctx, s.pageSize(), func(page []profile.Profile) error {
		for _, p := range page {
			if g.live[p.ID] {
				continue
			}
			keys := privacy.ProfileKeys(p)
			keysOf[p.ID] = keys
			if slices.ContainsFunc(keys, suppressed) {
				t.update(func(j *Job) { j.Suppressed++ })
				continue
			}
			recs = append(recs, RecordOf(s.schema(), p))
			updated[p.ID] = p.UpdatedAt
			g.addLive(p.ID, p.KeepApart)
		}
		t.update(func(j *Job) { j.Processed += len(page); j.Total = max(j.Total, j.Processed) })
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	// In id order (oldest first), so the model's random-pair sample and so the whole run
	// do not depend on the order the database returns documents in.
	sort.Slice(recs, func(i, k int) bool { return recs[i].ID < recs[k].ID })
	t.update(func(j *Job) { j.Profiles, j.Total = len(recs), len(recs) })

	// Focus: what an incremental or source-filtered run compares with the rest.
	var focus map[string]bool
	var model *estimate.Model
	modelFrom := ""
	if opts.Incremental || opts.SourceFilter != "" {
		base, err := s.Store.LastBaselineMatchJob(ctx)
		if err != nil {
			return err
		}
		if base != nil && fits(base.Model, s.config()) {
			model, modelFrom = base.Model, base.ID
		}
		if opts.Incremental && model != nil {
			focus = map[string]bool{}
			for id, at := range updated {
				if !at.Before(base.Watermark) {
					focus[id] = true
				}
			}
		}
	}
	if opts.SourceFilter != "" {
		ids, err := s.Store.ProfileIDsOfSource(ctx, opts.SourceFilter)
		if err != nil {
			return err
		}
		fin, err := s.finals(ctx, ids)
		if err != nil {
			return err
		}
		src := map[string]bool{}
		for _, id := range ids {
			if f := fin[id]; f != "" {
				src[f] = true
			}
		}
		if focus == nil {
			focus = src
		} else {
			for id := range focus {
				if !src[id] {
					delete(focus, id)
				}
			}
		}
	}

	// Compare.
	cfg := s.config()
	cfg.Thresholds = th
	progress := func(done, total int) {
		t.update(func(j *Job) { j.Processed, j.Total = done, total })
	}
	t.update(func(j *Job) { j.Phase, j.Processed, j.Total = PhaseComparing, 0, 0; j.Focus = len(focus) })
	var pairs []scored
	compared := 0
	switch {
	case len(recs) < 2:
	case focus != nil && model != nil:
		cfg.Model = model
		cfg.Progress = progress
		m, err := matching.New(cfg)
		if err != nil {
			return err
		}
		pairs, compared, err = focusedPairs(ctx, m, recs, focus)
		if err != nil {
			return err
		}
		t.update(func(j *Job) { j.Incremental, j.ModelFrom = true, modelFrom })
	default:
		cfg.Model = nil
		cfg.Progress = progress
		m, err := matching.New(cfg)
		if err != nil {
			return err
		}
		res, err := m.Match(ctx, recs)
		if err != nil {
			return err
		}
		model, compared = m.Model(), res.PairsCompared
		pairs = scoredPairs(m, res, focus)
	}
	sort.SliceStable(pairs, func(i, k int) bool {
		if pairs[i].Prob != pairs[k].Prob {
			return pairs[i].Prob > pairs[k].Prob
		}
		return PairID(pairs[i].A, pairs[i].B) < PairID(pairs[k].A, pairs[k].B)
	})
	t.update(func(j *Job) {
		j.PairsCompared, j.PairsScored, j.Model = compared, len(pairs), model
		j.Phase, j.Processed, j.Total = PhaseApplying, 0, len(pairs)
	})

	// Apply: merge, suggest, or leave each pair, strongest first.
	if err := s.loadRules(ctx, g); err != nil {
		return err
	}
	if suppressed, err = s.Store.SuppressionFilter(ctx); err != nil {
		return err
	}
	held := func(id string) bool { return slices.ContainsFunc(keysOf[id], suppressed) }
	return s.apply(ctx, t, g, pairs, held)
}

func (s *Service) config() matching.Config {
	if len(s.Config.Fields) == 0 {
		return s.schema().Config()
	}
	return s.Config
}

func (s *Service) schema() matching.Schema {
	if s.Schema == nil {
		return matching.DefaultSchema()
	}
	return *s.Schema
}

// fits reports whether a stored model was trained on the configuration's fields (a
// changed configuration needs a full run to train a new one).
func fits(m *estimate.Model, cfg matching.Config) bool {
	if m == nil || len(m.Fields) != len(cfg.Fields) {
		return false
	}
	for i, f := range cfg.Fields {
		if m.Fields[i].Name != f.Name || len(m.Fields[i].M) != len(field.Levels(f.Kind)) || len(m.Fields[i].U) != len(m.Fields[i].M) {
			return false
		}
	}
	return true
}

// loadRules reads rejections and resolves keep-apart and rejection ids that are not
// live profiles to the profiles they were merged into.
func (s *Service) loadRules(ctx context.Context, g *graph) error {
	rej, err := s.Store.Rejections(ctx)
	if err != nil {
		return err
	}
	var unknown []string
	for _, others := range g.apart {
		for _, o := range others {
			if !g.live[o] {
				unknown = append(unknown, o)
			}
		}
	}
	for _, r := range rej {
		for _, id := range []string{r.A, r.B} {
			if !g.live[id] {
				unknown = append(unknown, id)
			}
		}
	}
	fin, err := s.finals(ctx, unknown)
	if err != nil {
		return err
	}
	for id, f := range fin {
		g.alias[id] = f
	}
	for _, r := range rej {
		a, b := g.find(r.A), g.find(r.B)
		if a != "" && b != "" && a != b {
			g.rejected[a] = append(g.rejected[a], b)
			g.rejected[b] = append(g.rejected[b], a)
		}
	}
	return nil
}

// apply merges, suggests or leaves each pair; pairs with a side that is held
// (suppressed) are left.
func (s *Service) apply(ctx context.Context, t *tracker, g *graph, pairs []scored, held func(id string) bool) error {
	opts := t.job.Options
	runID := t.job.ID
	suggest := map[string]Suggestion{}
	now := s.Now()
	skip := func(p scored, why string) {
		t.update(func(j *Job) {
			j.SkippedCount++
			if len(j.Skipped) < MaxSkippedPairs {
				j.Skipped = append(j.Skipped, SkippedPair{A: p.A, B: p.B, Probability: p.Prob, Reason: why})
			}
		})
	}
	for i, p := range pairs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.update(func(j *Job) { j.Processed = i + 1 })
		if held(p.A) || held(p.B) {
			continue
		}
		ra, rb := g.find(p.A), g.find(p.B)
		if ra == "" || rb == "" || ra == rb {
			continue
		}
		if g.related(ra, rb, g.rejected) {
			t.update(func(j *Job) { j.KnownRejected++ })
			continue
		}
		if g.related(ra, rb, g.apart) {
			skip(p, "kept apart by an earlier unmerge")
			continue
		}
		note := ""
		if p.Held {
			note = "held for review: the profiles already matched to either side do not match the other"
		}
		if p.Decision == matching.Auto && !opts.DryRun {
			if why := guard.HoldReason(p.Evidence, g.size(ra)+g.size(rb), s.MaxGroup); why != "" {
				note = why
			} else {
				survivor, why, err := s.autoMerge(ctx, ra, rb, p, runID, opts.Actor)
				if err != nil {
					return err
				}
				if why != "" {
					skip(p, why)
					continue
				}
				g.union(ra, rb, survivor)
				t.update(func(j *Job) { j.AutoMerged++ })
				continue
			}
		}
		id := PairID(ra, rb)
		if prev, ok := suggest[id]; ok && prev.Probability >= p.Prob {
			continue
		}
		a, b := ra, rb
		if b < a {
			a, b = b, a
		}
		// Evidence A is the side of p.A; the suggestion's A is the smaller id.
		decision := DecisionReview
		if p.Decision == matching.Auto || p.Held {
			decision = DecisionAuto
		}
		suggest[id] = Suggestion{ID: id, A: a, B: b, Status: Pending, Probability: p.Prob, Weight: p.Weight, Decision: decision,
			Note: note, Evidence: evidence(p.Evidence, ra != a), RunID: runID, CreatedAt: now, UpdatedAt: now}
	}
	if len(suggest) > 0 {
		ids := make([]string, 0, len(suggest))
		for id := range suggest {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		existing, err := s.Store.GetSuggestions(ctx, ids)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Status == Rejected {
				delete(suggest, e.ID)
			}
		}
		out := make([]Suggestion, 0, len(suggest))
		for _, id := range ids {
			if sg, ok := suggest[id]; ok {
				out = append(out, sg)
			}
		}
		if err := s.Store.UpsertSuggestions(ctx, out); err != nil {
			return err
		}
		t.update(func(j *Job) { j.Suggested = len(out) })
	}
	closed, err := s.closeObsolete(ctx, opts.Actor, held)
	if err != nil {
		return err
	}
	t.update(func(j *Job) { j.Closed = closed })
	return nil
}

// autoMerge merges two profiles through the engine. A rule of the engine that forbids
// the merge (a CONFLICT such as two customer ids, or a profile gone) is returned as the
// reason to skip the pair, not as an error.
func (s *Service) autoMerge(ctx context.Context, a, b string, p scored, runID, actor string) (survivor, why string, err error) {
	fa, err := s.Engine.Final(ctx, a)
	if err != nil {
		return "", ruleError(err), keepRuleErrors(err)
	}
	fb, err := s.Engine.Final(ctx, b)
	if err != nil {
		return "", ruleError(err), keepRuleErrors(err)
	}
	if fa == fb {
		return fa, "", nil
	}
	rule := fmt.Sprintf("match: score %.3f (auto, run %s)", p.Prob, runID)
	survivor, err = s.Engine.MergeWithRule(ctx, []string{fa, fb}, rule, actor)
	if err != nil {
		return "", ruleError(err), keepRuleErrors(err)
	}
	return survivor, "", nil
}

// ruleError is the text of a domain error (conflict, invalid, not found), "" otherwise.
func ruleError(err error) string {
	if e, ok := apperr.As(err); ok {
		return strings.ToLower(string(e.Kind)) + ": " + e.Msg
	}
	return ""
}

// keepRuleErrors returns err unless it is a domain error (which skips the pair).
func keepRuleErrors(err error) error {
	if _, ok := apperr.As(err); ok {
		return nil
	}
	return err
}

// graph tracks, within one run, which live profiles the merges of the run joined and
// the keep-apart and rejection relations between them.
type graph struct {
	live     map[string]bool
	alias    map[string]string   // non-live id -> profile it was merged into (at load)
	parent   map[string]string   // merges of this run: absorbed -> survivor
	members  map[string][]string // root -> live profiles (at load) it holds
	apart    map[string][]string // live id -> ids kept apart from it
	rejected map[string][]string // live id -> live ids rejected with it
}

func newGraph() *graph {
	return &graph{live: map[string]bool{}, alias: map[string]string{}, parent: map[string]string{},
		members: map[string][]string{}, apart: map[string][]string{}, rejected: map[string][]string{}}
}

func (g *graph) addLive(id string, keepApart []string) {
	g.live[id] = true
	g.members[id] = []string{id}
	for _, o := range keepApart {
		g.apart[id] = append(g.apart[id], o)
		g.apart[o] = append(g.apart[o], id)
	}
}

func (g *graph) find(id string) string {
	if a, ok := g.alias[id]; ok {
		id = a
	}
	for n := 0; g.parent[id] != "" && n < 1<<20; n++ {
		id = g.parent[id]
	}
	return id
}

func (g *graph) size(root string) int { return max(1, len(g.members[root])) }

// related reports whether a profile of group a is in rel with one of group b, either way.
func (g *graph) related(a, b string, rel map[string][]string) bool {
	return g.relatedTo(a, b, rel) || g.relatedTo(b, a, rel)
}

func (g *graph) relatedTo(a, b string, rel map[string][]string) bool {
	ms := g.members[a]
	if len(ms) == 0 {
		ms = []string{a}
	}
	for _, m := range ms {
		for _, o := range rel[m] {
			if g.find(o) == b {
				return true
			}
		}
	}
	return false
}

func (g *graph) union(a, b, survivor string) {
	ms := append(append([]string{}, g.members[a]...), g.members[b]...)
	if survivor != a && survivor != b {
		ms = append(ms, g.members[survivor]...)
	}
	for _, r := range []string{a, b} {
		if r != survivor {
			g.parent[r] = survivor
			delete(g.members, r)
		}
	}
	g.members[survivor] = ms
}
