package resolvers

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

func (r *Resolver) startMatchJob(ctx context.Context, in *model.MatchJobInput) (*model.MatchJob, error) {
	// The job outlives the request: it runs on the server's context.
	j, err := r.Matching.Launch(ctx, r.background(), convert.ToMatchOptions(in, "match job by "+auth.Actor(ctx)))
	if err != nil {
		return nil, err
	}
	return convert.ToMatchJob(j), nil
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
	return convert.ToCustomer(p), nil
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
	return convert.All(ss, convert.ToSuggestion), nil
}

// matchJobUpdates pushes the job until it ends (any instance may run it).
func (r *Resolver) matchJobUpdates(ctx context.Context, id string) (<-chan *model.MatchJob, error) {
	return notify.Poll(ctx, 500*time.Millisecond,
		func(ctx context.Context) (matchjob.Job, error) { return r.Matching.Job(ctx, id) },
		func(j matchjob.Job) (time.Time, bool) { return j.UpdatedAt, j.Status != matchjob.Running }, convert.ToMatchJob)
}
