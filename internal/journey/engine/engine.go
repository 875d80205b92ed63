package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/journey"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// history is how far before a version's publication an event may lie and still enrol
// (an order imported from last year enrols no one).
const history = time.Minute

// engine is the in-process state: journeys with their versions, every position, the
// due-queue, and the events heard since the last tick.
type engine struct {
	mu        sync.Mutex
	loaded    bool
	journeys  map[string]*jstate
	pos       map[string]*journey.Position
	byJourney map[string]map[string]bool
	byProfile map[string][]string
	due       dueHeap
	events    []journey.Event
	wake      chan struct{}

	tick sync.Mutex // one tick at a time: each position advances in one place
}

type jstate struct {
	j        journey.Journey
	versions map[int]*journey.Version
}

func (e *engine) init() {
	e.journeys, e.pos = map[string]*jstate{}, map[string]*journey.Position{}
	e.byJourney, e.byProfile = map[string]map[string]bool{}, map[string][]string{}
	e.wake = make(chan struct{}, 1)
}

type dueItem struct {
	at time.Time
	id string
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// put records a stored position in process (the caller holds e.mu) and queues it when
// it has somewhere to go.
func (e *engine) put(p journey.Position) {
	old := e.pos[p.ID]
	cp := p.Clone()
	e.pos[p.ID] = &cp
	if old == nil {
		if e.byJourney[p.JourneyID] == nil {
			e.byJourney[p.JourneyID] = map[string]bool{}
		}
		e.byJourney[p.JourneyID][p.ID] = true
		e.byProfile[p.ProfileID] = append(e.byProfile[p.ProfileID], p.ID)
	}
	if !p.Status.Ended() && (old == nil || !old.WakeAt.Equal(p.WakeAt) || old.Status.Ended()) {
		heap.Push(&e.due, dueItem{p.WakeAt, p.ID})
	}
}

func (e *engine) archived(journeyID string) bool {
	st := e.journeys[journeyID]
	return st != nil && st.j.Status == journey.Archived
}

func (e *engine) get(id string) *journey.Position {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.pos[id]; p != nil {
		cp := p.Clone()
		return &cp
	}
	return nil
}

func (e *engine) store(p journey.Position) {
	e.mu.Lock()
	e.put(p)
	e.mu.Unlock()
}

// Start loads the journeys and positions (one pass over the positions) and runs the
// scheduler in the background until ctx ends.
func (s *Service) Start(ctx context.Context) {
	s.init()
	go func() {
		for wait := time.Second; ; wait = min(2*wait, time.Minute) {
			err := s.Load(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			s.Log.Error("journeys: load", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		every := s.Every
		if every <= 0 {
			every = time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := s.Tick(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.Log.Error("journeys", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.eng.wake:
			}
		}
	}()
}

// Load reads every journey, its versions and every position into process (once; later
// calls do nothing).
func (s *Service) Load(ctx context.Context) error {
	s.init()
	e := &s.eng
	e.tick.Lock()
	defer e.tick.Unlock()
	return s.load(ctx)
}

func (s *Service) load(ctx context.Context) error {
	e := &s.eng
	e.mu.Lock()
	loaded := e.loaded
	e.mu.Unlock()
	if loaded {
		return nil
	}
	js, err := s.Store.ListJourneys(ctx)
	if err != nil {
		return err
	}
	states := map[string]*jstate{}
	for _, j := range js {
		st := &jstate{j: j, versions: map[int]*journey.Version{}}
		vs, err := s.Versions(ctx, j)
		if err != nil {
			return err
		}
		for i := range vs {
			st.versions[vs[i].N] = &vs[i]
		}
		states[j.ID] = st
	}
	var ps []journey.Position
	if err := s.Store.Positions(ctx, func(p journey.Position) error { ps = append(ps, p); return nil }); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	maps.Copy(e.journeys, states)
	for _, p := range ps {
		e.put(p)
	}
	e.loaded = true
	return nil
}

// Hear takes events to act on at the next tick; it never blocks.
func (s *Service) Hear(evs ...journey.Event) {
	if len(evs) == 0 {
		return
	}
	s.init()
	e := &s.eng
	e.mu.Lock()
	e.events = append(e.events, evs...)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// changed brings the in-process copy of a journey up to date after an admin change,
// with its newly live version, and queues its customers again (a resumed journey goes
// on, an archived one lets them exit).
func (s *Service) changed(j journey.Journey, live *journey.Version) {
	s.init()
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.journeys[j.ID]
	if st == nil {
		st = &jstate{versions: map[int]*journey.Version{}}
		e.journeys[j.ID] = st
	}
	st.j = j
	if live != nil {
		v := *live
		st.versions[v.N] = &v
	}
	now := s.now()
	for id := range e.byJourney[j.ID] {
		if p := e.pos[id]; !p.Status.Ended() {
			at := p.WakeAt
			if at.After(now) && j.Status == journey.Archived {
				at = now // its customers exit now rather than at their wake time
			}
			heap.Push(&e.due, dueItem{at, id})
		}
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// version returns a version of a journey, reading it when it is not in process (a
// version published on another instance).
func (s *Service) version(ctx context.Context, journeyID string, n int) (*jstate, *journey.Version, error) {
	e := &s.eng
	e.mu.Lock()
	st := e.journeys[journeyID]
	var v *journey.Version
	if st != nil {
		v = st.versions[n]
	}
	e.mu.Unlock()
	if st == nil {
		j, err := s.Store.GetJourney(ctx, journeyID)
		if err != nil {
			return nil, nil, err
		}
		st = &jstate{j: j, versions: map[int]*journey.Version{}}
		e.mu.Lock()
		if cur := e.journeys[journeyID]; cur != nil {
			st = cur
		} else {
			e.journeys[journeyID] = st
		}
		e.mu.Unlock()
	}
	if v == nil {
		vs, err := s.Store.GetVersions(ctx, journeyID, []int{n})
		if err != nil {
			return nil, nil, err
		}
		if len(vs) != 1 {
			return nil, nil, apperr.NotFoundf("journey %s: version %d is missing", journeyID, n)
		}
		v = &vs[0]
		e.mu.Lock()
		st.versions[n] = v
		e.mu.Unlock()
	}
	return st, v, nil
}

// Tick does what is due at now: the events heard since the last tick (enrolments,
// waits for events, conversions), then every position whose wake time has come. The
// background loop calls it every second; tests call it with their clock.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	s.init()
	e := &s.eng
	e.tick.Lock()
	defer e.tick.Unlock()
	if err := s.load(ctx); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Millisecond)
	e.mu.Lock()
	evs := e.events
	e.events = nil
	e.mu.Unlock()
	for i, ev := range evs {
		if err := s.handle(ctx, ev, now); err != nil {
			e.mu.Lock()
			e.events = append(slices.Clone(evs[i:]), e.events...)
			e.mu.Unlock()
			return err
		}
	}
	for {
		e.mu.Lock()
		if e.due.Len() == 0 || e.due[0].at.After(now) {
			e.mu.Unlock()
			return nil
		}
		it := heap.Pop(&e.due).(dueItem)
		p := e.pos[it.id]
		// Every change of a wake time queues the position again: an item whose position
		// is not due (any more) is a leftover.
		stale := p == nil || p.Status.Ended() || p.WakeAt.After(now) && !e.archived(p.JourneyID)
		e.mu.Unlock()
		if stale {
			continue
		}
		if err := s.advance(ctx, it.id, now); err != nil {
			e.mu.Lock()
			heap.Push(&e.due, it)
			e.mu.Unlock()
			return fmt.Errorf("journey position %s: %w", it.id, err)
		}
	}
}

// handle acts on one event: conversions and waits for it first (so a run's own trigger
// never counts as its conversion), then enrolments.
func (s *Service) handle(ctx context.Context, ev journey.Event, now time.Time) error {
	if ev.ProfileID == "" {
		return nil
	}
	e := &s.eng
	e.mu.Lock()
	ids := slices.Clone(e.byProfile[ev.ProfileID])
	var active []*jstate
	for _, st := range e.journeys {
		if st.j.Status == journey.Active && st.j.Live > 0 {
			active = append(active, st)
		}
	}
	e.mu.Unlock()
	for _, id := range ids {
		p := e.get(id)
		if p == nil || len(p.Runs) == 0 {
			continue
		}
		_, v, err := s.version(ctx, p.JourneyID, p.Version)
		if err != nil {
			return err
		}
		switch ev.Kind {
		case journey.OrderPlaced:
			r := p.Current()
			if v.Def.Goal == nil || !r.ConvertedAt.IsZero() || ev.At.Before(r.EnteredAt) || ev.At.After(r.EnteredAt.Add(v.Def.Goal.Within)) {
				continue
			}
			run := p.Run
			if _, err := s.update(ctx, id, func(q *journey.Position) error {
				if q.Run != run || !q.Current().ConvertedAt.IsZero() {
					return errStale
				}
				q.Current().ConvertedAt = ev.At
				return nil
			}); err != nil {
				return err
			}
		case journey.InteractionOf:
			st := v.Def.Step(p.Step)
			if p.Status != journey.Waiting || st == nil || st.Kind != journey.Wait || st.Wait.Event != ev.Type || ev.At.Before(p.Visits[len(p.Visits)-1].At) {
				continue
			}
			if err := s.move(ctx, p, &v.Def, "event "+ev.Key, st.Next, now); err != nil {
				return err
			}
		}
	}
	for _, st := range active {
		e.mu.Lock()
		j, v := st.j, st.versions[st.j.Live]
		e.mu.Unlock()
		if v == nil {
			var err error
			if _, v, err = s.version(ctx, j.ID, j.Live); err != nil {
				return err
			}
		}
		if !v.Def.Trigger.Matches(ev) || ev.At.Before(v.PublishedAt.Add(-history)) {
			continue
		}
		if err := s.enroll(ctx, j, v, ev, now); err != nil {
			return err
		}
	}
	return nil
}

// errStale drops a transition computed from a position that moved on meanwhile.
var errStale = errors.New("position moved on")

// update writes a change of a position and keeps the result in process; a change
// returning errStale writes nothing and is no error (the stored position is kept).
func (s *Service) update(ctx context.Context, id string, change func(q *journey.Position) error) (journey.Position, error) {
	var seen journey.Position
	p, err := s.Store.UpdatePosition(ctx, id, func(q *journey.Position) error {
		if err := change(q); err != nil {
			seen = q.Clone()
			return err
		}
		q.UpdatedAt = s.now()
		return nil
	})
	if errors.Is(err, errStale) {
		s.eng.store(seen)
		return seen, errStale
	}
	if err != nil {
		return journey.Position{}, err
	}
	s.eng.store(p)
	return p, nil
}

// enroll starts a run of j's live version for the event's customer, as the re-entry
// rule allows.
func (s *Service) enroll(ctx context.Context, j journey.Journey, v *journey.Version, ev journey.Event, now time.Time) error {
	id := journey.PositionID(j.ID, ev.ProfileID)
	cur := s.eng.get(id)
	if !journey.MayEnter(cur, v.Def.Reentry, ev.Key, now) {
		return nil
	}
	if cur == nil {
		p := journey.Position{ID: id, JourneyID: j.ID, ProfileID: ev.ProfileID, UpdatedAt: now}
		p.Enter(v, ev.Key, now)
		ok, err := s.Store.InsertPosition(ctx, p)
		if err != nil {
			return err
		}
		if ok {
			s.eng.store(p)
			return nil
		}
	}
	_, err := s.update(ctx, id, func(q *journey.Position) error {
		if !journey.MayEnter(q, v.Def.Reentry, ev.Key, now) {
			return errStale
		}
		q.Enter(v, ev.Key, now)
		return nil
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// move leaves p's step with outcome for next (a transition from p's run and step only).
func (s *Service) move(ctx context.Context, p *journey.Position, d *journey.Definition, outcome, next string, now time.Time) error {
	run, step := p.Run, p.Step
	_, err := s.update(ctx, p.ID, func(q *journey.Position) error {
		if !q.At(run, step) {
			return errStale
		}
		q.Leave(outcome, now)
		q.Arrive(d, next, now)
		return nil
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// exit ends p's run early.
func (s *Service) exit(ctx context.Context, p *journey.Position, outcome, reason string, now time.Time) error {
	run, step := p.Run, p.Step
	_, err := s.update(ctx, p.ID, func(q *journey.Position) error {
		if !q.At(run, step) {
			return errStale
		}
		q.Leave(outcome, now)
		q.End(journey.Exited, reason, now)
		return nil
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// advance moves a due position on until it waits or its run ends.
func (s *Service) advance(ctx context.Context, id string, now time.Time) error {
	for range 2*journey.MaxSteps + 2 {
		p := s.eng.get(id)
		if p == nil || p.Status.Ended() {
			return nil
		}
		st, v, err := s.version(ctx, p.JourneyID, p.Version)
		if err != nil {
			return err
		}
		s.eng.mu.Lock()
		j := st.j
		s.eng.mu.Unlock()
		switch {
		case j.Status == journey.Archived:
			if err := s.exit(ctx, p, "journey archived", "journey archived", now); err != nil {
				return err
			}
			continue
		case p.WakeAt.After(now):
			return nil // queued for its wake time by the write that set it
		case j.Status == journey.Paused:
			return nil // queued again when the journey is published
		}
		step := v.Def.Step(p.Step)
		if step == nil {
			return fmt.Errorf("version %d has no step %q", v.N, p.Step)
		}
		if err := s.step(ctx, j, v, p, step, now); err != nil {
			return err
		}
	}
	return fmt.Errorf("no end after %d steps", 2*journey.MaxSteps+2)
}

// step does one transition of p at step.
func (s *Service) step(ctx context.Context, j journey.Journey, v *journey.Version, p *journey.Position, step *journey.Step, now time.Time) error {
	d := &v.Def
	switch step.Kind {
	case journey.Wait:
		if step.Wait.Event != "" {
			return s.move(ctx, p, d, "timed out", step.Wait.TimeoutNext, now)
		}
		return s.move(ctx, p, d, "waited", step.Next, now)
	case journey.Branch:
		pr, ok, err := s.profile(ctx, p, now)
		if err != nil || !ok {
			return err
		}
		yes, err := s.Rules.Matches(ctx, step.Branch.Rule, pr.ID, now)
		if err != nil {
			return err
		}
		if yes {
			return s.move(ctx, p, d, "yes", step.Branch.Yes, now)
		}
		return s.move(ctx, p, d, "no", step.Branch.No, now)
	case journey.Split:
		arm := journey.PickArm(j.ID, v.N, step.ID, p.ProfileID, step.Split.Arms)
		if !arm.Holdout {
			return s.move(ctx, p, d, "arm "+arm.Name, arm.Next, now)
		}
		run, at := p.Run, p.Step
		_, err := s.update(ctx, p.ID, func(q *journey.Position) error {
			if !q.At(run, at) {
				return errStale
			}
			q.Leave("holdout "+arm.Name, now)
			q.End(journey.Exited, "holdout", now)
			q.Current().Holdout = true
			return nil
		})
		if errors.Is(err, errStale) {
			return nil
		}
		return err
	case journey.Exit: // arrive ends the run at an EXIT step; a stored one is finished here
		return s.move(ctx, p, d, "exit", "", now)
	}
	return s.effect(ctx, j, v, p, step, now)
}

// effect does a step's side effect: the intent recorded first, the effect keyed by
// EffectKey, then the move on. A failure is retried with back-off, MaxAttempts times,
// then recorded as the step's outcome and the run goes on.
func (s *Service) effect(ctx context.Context, j journey.Journey, v *journey.Version, p *journey.Position, step *journey.Step, now time.Time) error {
	run := p.Run
	if p.Pending == nil || p.Pending.Step != step.ID {
		q, err := s.update(ctx, p.ID, func(q *journey.Position) error {
			if !q.At(run, step.ID) {
				return errStale
			}
			q.Pending = &journey.Intent{Step: step.ID, Attempt: 1, At: now}
			return nil
		})
		if errors.Is(err, errStale) {
			return nil
		}
		if err != nil {
			return err
		}
		p = &q
	}
	pr, ok, err := s.profile(ctx, p, now)
	if err != nil || !ok {
		return err
	}
	outcome, err := s.do(ctx, j, v, p, step, pr)
	if err == nil {
		return s.move(ctx, p, &v.Def, outcome, step.Next, now)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	attempt := p.Pending.Attempt
	if attempt >= s.maxAttempts() {
		return s.move(ctx, p, &v.Def, fmt.Sprintf("failed after %d attempts: %v", attempt, err), step.Next, now)
	}
	wait := s.retryAfter()
	for range attempt - 1 {
		wait = min(2*wait, time.Hour)
	}
	_, err = s.update(ctx, p.ID, func(q *journey.Position) error {
		if !q.At(run, step.ID) || q.Pending == nil || q.Pending.Attempt != attempt {
			return errStale
		}
		q.Pending.Attempt, q.Pending.Error = attempt+1, err.Error()
		q.Status, q.WakeAt = journey.Waiting, now.Add(wait)
		return nil
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 5
}

func (s *Service) retryAfter() time.Duration {
	if s.RetryAfter > 0 {
		return s.RetryAfter
	}
	return time.Minute
}
