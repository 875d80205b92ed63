package resolvers

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/matchjob"
)

func toMatchJob(j matchjob.Job) *model.MatchJob {
	m := &model.MatchJob{ID: j.ID, Status: model.MatchJobStatus(j.Status), Phase: string(j.Phase), Processed: j.Processed, Total: j.Total,
		PairsCompared: j.PairsCompared, AutoMerged: j.AutoMerged, Suggested: j.Suggested, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt}
	if j.Error != "" {
		m.Error = &j.Error
	}
	return m
}

func toSuggestion(s matchjob.Suggestion) *model.MatchSuggestion {
	m := &model.MatchSuggestion{ID: s.ID, Status: model.MatchSuggestionStatus(s.Status), Probability: s.Probability,
		CreatedAt: s.CreatedAt, DecidedAt: s.DecidedAt, Evidence: make([]*model.MatchEvidence, len(s.Evidence))}
	if s.DecidedBy != "" {
		m.DecidedBy = &s.DecidedBy
	}
	if s.Reason != "" {
		m.Reason = &s.Reason
	}
	for i, e := range s.Evidence {
		ev := &model.MatchEvidence{Field: e.Field, Level: e.Level, Weight: e.Weight}
		if e.A != "" {
			ev.Left = &e.A
		}
		if e.B != "" {
			ev.Right = &e.B
		}
		m.Evidence[i] = ev
	}
	// The sides as they are now (a side may have been merged since); resolved by the
	// left/right field resolvers through customer(id), which follows redirects.
	m.Left = &model.Customer{ID: pick(s.CurrentA, s.A)}
	m.Right = &model.Customer{ID: pick(s.CurrentB, s.B)}
	return m
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func toMatchOptions(in *model.MatchJobInput, actor string) matchjob.Options {
	o := matchjob.Options{Actor: actor}
	if in == nil {
		return o
	}
	o.SourceFilter = val(in.Source)
	o.Incremental = in.Incremental != nil && *in.Incremental
	o.DryRun = in.DryRun != nil && *in.DryRun
	if in.UpperThreshold != nil {
		o.Upper = *in.UpperThreshold
	}
	if in.LowerThreshold != nil {
		o.Lower = *in.LowerThreshold
	}
	return o
}

func (r *Resolver) startMatchJob(ctx context.Context, in *model.MatchJobInput) (*model.MatchJob, error) {
	o := toMatchOptions(in, "match job by "+auth.Actor(ctx))
	if o.SourceFilter != "" {
		if _, err := r.Ingest.Source(ctx, o.SourceFilter); err != nil {
			return nil, err
		}
	}
	// The job outlives the request: it runs on the server's context.
	id, err := r.Matching.Start(r.background(), o)
	if err != nil {
		return nil, err
	}
	j, err := r.Matching.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	return toMatchJob(j), nil
}

func (r *Resolver) background() context.Context {
	if r.BaseContext != nil {
		return r.BaseContext
	}
	return context.Background()
}

func (r *Resolver) matchSide(ctx context.Context, c *model.Customer) (*model.Customer, error) {
	if c == nil {
		return nil, nil
	}
	p, err := r.Profiles.Get(ctx, c.ID)
	if apperr.IsNotFound(err) {
		return nil, nil // erased since
	}
	if err != nil {
		return nil, err
	}
	return toCustomer(p), nil
}

func (r *Resolver) matchSuggestions(ctx context.Context, status *model.MatchSuggestionStatus, first *int, after *string) ([]*model.MatchSuggestion, error) {
	n := 50
	if first != nil {
		n = *first
	}
	if n < 1 || n > 200 {
		return nil, apperr.Invalidf("first must be between 1 and 200")
	}
	st := matchjob.Pending
	if status != nil {
		st = matchjob.SuggestionStatus(*status)
	}
	ss, err := r.Matching.Suggestions(ctx, st, val(after), n)
	if err != nil {
		return nil, err
	}
	out := make([]*model.MatchSuggestion, len(ss))
	for i, s := range ss {
		out[i] = toSuggestion(s)
	}
	return out, nil
}

// matchJobUpdates pushes the job until it ends (any instance may run it).
func (r *Resolver) matchJobUpdates(ctx context.Context, id string) (<-chan *model.MatchJob, error) {
	return pollUpdates(ctx, 500*time.Millisecond,
		func(ctx context.Context) (matchjob.Job, error) { return r.Matching.Job(ctx, id) },
		func(j matchjob.Job) (time.Time, bool) { return j.UpdatedAt, j.Status != matchjob.Running }, toMatchJob)
}

// pollUpdates serves a subscription on a document that another instance may be writing
// (no change streams on FerretDB): it sends the current state, then polls and sends each
// change until the document says it is done or the client leaves.
func pollUpdates[T, M any](ctx context.Context, every time.Duration, load func(context.Context) (T, error),
	state func(T) (updated time.Time, done bool), out func(T) M) (<-chan M, error) {
	cur, err := load(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan M, 1)
	ch <- out(cur)
	go func() {
		defer close(ch)
		last, done := state(cur)
		t := time.NewTicker(every)
		defer t.Stop()
		for !done {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if cur, err = load(ctx); err != nil {
				return
			}
			var at time.Time
			if at, done = state(cur); at.After(last) || done {
				last = at
				select {
				case ch <- out(cur):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
