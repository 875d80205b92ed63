package consent

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
)

// Follower makes consent follow identity's merges and splits: an identity.Follower, so
// a merge made anywhere (ingest, an edit, a match job, a manual merge, the replay of a
// change a crash interrupted) is followed before the change's journal goes.
type Follower struct{ Service *Service }

var _ identity.Follower = Follower{}

// FollowMerges folds the absorbed profiles' consent into their live survivors.
func (f Follower) FollowMerges(ctx context.Context, ms []identity.MergeEvent) error {
	type group struct {
		absorbed []string
		actor    identity.MergeEvent
	}
	groups := map[string]*group{}
	var order []string
	for _, m := range ms {
		live, err := f.Service.Final(ctx, m.Survivor)
		if apperr.IsNotFound(err) {
			continue // the survivor is gone (erased)
		}
		if err != nil {
			return err
		}
		g := groups[live]
		if g == nil {
			g = &group{actor: m}
			groups[live] = g
			order = append(order, live)
		}
		g.absorbed = append(g.absorbed, m.Absorbed)
	}
	for _, live := range order {
		g := groups[live]
		if err := f.Service.FollowMerge(ctx, live, g.absorbed, g.actor.Actor, g.actor.At); err != nil {
			return err
		}
	}
	return nil
}

// FollowSplit gives the split-off parts the refusals of the profile they left.
func (f Follower) FollowSplit(ctx context.Context, sp identity.SplitEvent) error {
	return f.Service.FollowSplit(ctx, sp.From, sp.Profiles(), sp.Actor, sp.At)
}
