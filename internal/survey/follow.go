package survey

import (
	"context"
	"slices"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
)

// Follower folds the surveys of absorbed profiles into their survivors (an
// identity.Follower). A split leaves them with the profile they were on: which part an
// answer was about is not known.
type Follower struct{ Service *Service }

var _ identity.Follower = Follower{}

// FollowMerges moves each absorbed profile's summary into its live survivor, then
// deletes it; repeating it after a crash adds nothing twice.
func (f Follower) FollowMerges(ctx context.Context, ms []identity.MergeEvent) error {
	st := f.Service.Store
	for _, m := range ms {
		from, err := st.Summary(ctx, m.Absorbed)
		if err != nil {
			return err
		}
		if len(from.Sends) == 0 && len(from.LastSent) == 0 {
			continue
		}
		live, err := f.Service.Final(ctx, m.Survivor)
		if apperr.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		to, err := st.Summary(ctx, live)
		if err != nil {
			return err
		}
		to.ProfileID = live
		to.Sends = mergeIDs(to.Sends, from.Sends)
		for k, t := range from.LastSent {
			to.LastSent = withTime(to.LastSent, k, t)
		}
		for k, l := range from.Latest {
			if cur, ok := to.Latest[k]; !ok || l.At.After(cur.At) {
				if to.Latest == nil {
					to.Latest = map[Kind]Latest{}
				}
				to.Latest[k] = l
			}
		}
		if err := st.PutSummary(ctx, to); err != nil {
			return err
		}
		if err := st.DeleteSummaries(ctx, []string{m.Absorbed}); err != nil {
			return err
		}
	}
	return nil
}

// FollowSplit keeps the surveys where they are.
func (Follower) FollowSplit(context.Context, identity.SplitEvent) error { return nil }

func mergeIDs(a, b []string) []string {
	for _, id := range b {
		if !slices.Contains(a, id) {
			a = append(a, id)
		}
	}
	slices.Sort(a) // send ids carry no time; the reads order by creation
	if len(a) > MaxListed {
		a = a[len(a)-MaxListed:]
	}
	return a
}

// Forget deletes the surveys of erased customers (their sends and summaries). The NPS
// aggregate keeps its counts: they name nobody.
func (s *Service) Forget(ctx context.Context, ids []string) error {
	for _, id := range ids {
		sum, err := s.Store.Summary(ctx, id)
		if err != nil {
			return err
		}
		for _, sid := range sum.Sends {
			if err := s.Store.Delete(ctx, sid); err != nil {
				return err
			}
		}
	}
	return s.Store.DeleteSummaries(ctx, ids)
}
