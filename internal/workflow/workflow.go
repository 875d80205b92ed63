// Package workflow is the home of the changes that span domains. Identity resolution
// decides merges and splits; the other domains follow them:
//
//	Ingest:  records -> identity (resolve, merge) -> commerce moves the absorbed
//	         profiles' orders, interactions and metrics to the survivor at once
//	         -> segment membership re-evaluates the changed profiles (queued)
//	Merge:   identity (manual merge) -> commerce -> segments (queued)
//	Unmerge: identity (split) -> commerce (orders follow their source records)
//	         -> segments (static memberships of the split-off parts, re-evaluation)
//	Match-job merges go through MergeWithRule, so their orders follow at once too.
//
// Commerce follows through identity's events: the Service is the identity engine's
// Follower, so a merge made anywhere (ingest, an API edit, a match job, a manual merge,
// the recovery of a change a crash interrupted) is followed before the change's journal
// is deleted, and again on replay if it did not finish. The commerce Reconcile sweep
// stays only as a safety net, off the request path.
//
// It also holds the rules that sit between domains: customer references of orders and
// interactions (ResolveRefs) and the entry to GDPR erasure (Erase). (The API-key rules
// of help-desk agents live in the help desk's configuration, ticket/admin's
// Service.CreateAgent, behind its Keys port.)
package workflow

import (
	"context"
	"log/slog"
	"slices"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// Segments is what the workflows need from segment membership.
type Segments interface {
	// Split gives profiles split off by an unmerge the static memberships of the
	// profile they were split from.
	Split(ctx context.Context, from string, split []string) error
	// Touch re-evaluates profiles in every segment.
	Touch(ctx context.Context, ids []string) error
}

// Service runs the cross-domain workflows. Build it, then Attach it to the engine.
type Service struct {
	Engine   *identity.Engine
	Ingester *ingest.Service
	Commerce *commerce.Service
	// Segments, if set, follows unmerges (merges reach segments through the engine's
	// Changed hook and the membership queue).
	Segments Segments
	// Profiles normalises identifiers of customer references (customer.Service).
	Profiles KeyNormalizer
	// Eraser performs a GDPR erasure (the journaled steps in server/app for now).
	Eraser EraseFunc
	Log    *slog.Logger
}

var _ identity.Follower = (*Service)(nil)

// Attach makes the service the engine's follower: from then on every merge and split is
// followed by commerce, whoever made it.
func (s *Service) Attach() *Service {
	s.Engine.Follower = s
	return s
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// FollowMerges moves the commerce data of absorbed profiles to their survivors (as
// they are now: a survivor merged further since is followed to the live profile). The
// engine calls it (see identity.Follower); it is idempotent.
func (s *Service) FollowMerges(ctx context.Context, ms []identity.MergeEvent) error {
	if s.Commerce == nil || len(ms) == 0 {
		return nil
	}
	var survivors []string
	for _, m := range ms {
		survivors = append(survivors, m.Survivor)
	}
	live, err := identity.Follow(ctx, identity.ProfileRedirects(s.Engine.Store.GetProfiles), survivors)
	if err != nil {
		return err
	}
	groups := map[string][]string{}
	for _, m := range ms {
		if sv := live[m.Survivor]; sv != "" { // "": the survivor is gone (erased)
			groups[sv] = append(groups[sv], m.Absorbed)
		}
	}
	return s.Commerce.FollowMerges(ctx, groups)
}

// FollowSplit moves orders and interactions to the profiles their source records
// belong to after an unmerge. The engine calls it (see identity.Follower); it is
// idempotent. Segment memberships follow in Unmerge, outside the engine's guard (they
// write profile documents under the same guard).
func (s *Service) FollowSplit(ctx context.Context, sp identity.SplitEvent) error {
	if s.Commerce == nil {
		return nil
	}
	return s.Commerce.FollowUnmerge(ctx, sp.Profiles())
}

// Ingest stores a batch of records of a source and resolves them (ingest.Service.Ingest):
// merges it makes are followed by commerce before it returns, and the changed profiles
// are queued for segment re-evaluation. The result lists the merges.
func (s *Service) Ingest(ctx context.Context, source string, in []ingest.Input, jobID string) (ingest.Result, error) {
	return s.Ingester.Ingest(ctx, source, in, jobID)
}

// MaxMerge is the most customers one manual merge takes.
const MaxMerge = 20

// Merge merges customers by hand (the oldest profile survives; a reason is required)
// and returns the survivor, whose orders, interactions and metrics now include the
// absorbed profiles'.
func (s *Service) Merge(ctx context.Context, ids []string, reason, actor string) (string, error) {
	if len(ids) > MaxMerge {
		return "", apperr.Invalidf("merge at most %d customers at once", MaxMerge)
	}
	return s.Engine.Merge(ctx, ids, reason, actor)
}

// MergeWithRule merges customers recording rule as it is (a match job's automatic merge
// or an accepted suggestion); commerce follows at once. With Final it is the merge
// function the match job calls (matchjob.Engine).
func (s *Service) MergeWithRule(ctx context.Context, ids []string, rule, actor string) (string, error) {
	return s.Engine.MergeWithRule(ctx, ids, rule, actor)
}

// Final follows merge redirects from id to the live profile.
func (s *Service) Final(ctx context.Context, id string) (string, error) {
	return s.Engine.Final(ctx, id)
}

// Unmerge splits source records off a customer (identity.Engine.Unmerge): orders and
// interactions follow their source records to the parts before it returns (a failure
// there fails the call; the split stands and is followed again on the engine's replay).
// Then segments: split-off parts keep the static memberships of the customer and every
// part is re-evaluated; a failure there is logged, not returned (the unmerge stands and
// the scheduled refresh repairs dynamic segments).
func (s *Service) Unmerge(ctx context.Context, id string, recordIDs []string, actor string) (split, remaining []string, err error) {
	pid, err := s.Engine.Final(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	split, remaining, err = s.Engine.Unmerge(ctx, pid, recordIDs, actor)
	if err != nil {
		return nil, nil, err
	}
	if s.Segments != nil {
		all := slices.Concat([]string{pid}, split, remaining)
		if err := s.Segments.Split(ctx, pid, split); err != nil {
			s.log().Error("segments after unmerge", "customer", pid, "err", err)
		} else if err := s.Segments.Touch(ctx, all); err != nil {
			s.log().Error("segments after unmerge", "customer", pid, "err", err)
		}
	}
	return split, remaining, nil
}
