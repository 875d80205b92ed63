package matchjob

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/privacy"
)

// Suggestions pages suggestions of a status ("" = any), most probable first; after is
// the id of the last suggestion of the previous page; limit 1..500 (default 50). Each
// comes with the profiles its sides are part of now.
func (s *Service) Suggestions(ctx context.Context, status SuggestionStatus, after string, limit int) ([]Suggestion, error) {
	switch status {
	case "", Pending, Accepted, Rejected:
	default:
		return nil, apperr.Invalidf("unknown suggestion status %q", status)
	}
	if limit <= 0 {
		limit = 50
	}
	ss, err := s.Store.ListSuggestions(ctx, status, after, min(limit, 500))
	if err != nil {
		return nil, err
	}
	return ss, s.resolve(ctx, ss)
}

// Suggestion returns one suggestion with its current profiles.
func (s *Service) Suggestion(ctx context.Context, id string) (Suggestion, error) {
	ss, err := s.Store.GetSuggestions(ctx, []string{id})
	if err != nil {
		return Suggestion{}, err
	}
	if len(ss) == 0 {
		return Suggestion{}, apperr.NotFoundf("match suggestion %q not found", id)
	}
	return ss[0], s.resolve(ctx, ss)
}

// Accept merges the two customers of a pending suggestion through the engine (rule
// "match review: accepted by ACTOR (p=0.83)") and marks it ACCEPTED; the returned
// suggestion's Survivor is the merged profile. Sides merged elsewhere since are
// followed to their current profiles; if both are one profile already, the suggestion
// is marked ACCEPTED without a merge. Accepting an accepted suggestion returns it.
func (s *Service) Accept(ctx context.Context, id, actor string) (Suggestion, error) {
	sg, err := s.toDecide(ctx, id, actor)
	if err != nil {
		return Suggestion{}, err
	}
	switch sg.Status {
	case Accepted:
		return sg, nil
	case Rejected:
		return Suggestion{}, apperr.Conflictf("match suggestion %s was rejected by %s", id, sg.DecidedBy)
	}
	fa, fb, err := sides(sg)
	if err != nil {
		return Suggestion{}, err
	}
	if err := s.notSuppressed(ctx, fa, fb); err != nil {
		return Suggestion{}, err
	}
	survivor, reason := fa, "already one customer"
	if fa != fb {
		rule := fmt.Sprintf("match review: accepted by %s (p=%.2f)", actor, sg.Probability)
		if survivor, err = s.Engine.MergeWithRule(ctx, []string{fa, fb}, rule, actor); err != nil {
			return Suggestion{}, err
		}
		reason = ""
	}
	now := s.Now()
	sg.Status, sg.DecidedBy, sg.DecidedAt, sg.Reason, sg.Survivor, sg.UpdatedAt = Accepted, actor, &now, reason, survivor, now
	return s.decide(ctx, sg)
}

// Reject marks a pending suggestion REJECTED and remembers the pair of customers for
// good: no later run suggests or merges them, even after either side is merged into
// another profile. Rejecting a rejected suggestion returns it.
func (s *Service) Reject(ctx context.Context, id, actor, reason string) (Suggestion, error) {
	sg, err := s.toDecide(ctx, id, actor)
	if err != nil {
		return Suggestion{}, err
	}
	switch sg.Status {
	case Rejected:
		return sg, nil
	case Accepted:
		return Suggestion{}, apperr.Conflictf("match suggestion %s was accepted; unmerge the customer to separate them", id)
	}
	fa, fb, err := sides(sg)
	if err != nil {
		return Suggestion{}, err
	}
	if fa == fb {
		return Suggestion{}, apperr.Conflictf("the two sides of %s are one customer now (%s); unmerge it to separate them", id, fa)
	}
	now := s.Now()
	a, b := min(fa, fb), max(fa, fb)
	// The rejection first: a run starting in between must not suggest the pair again.
	if err := s.Store.AddRejection(ctx, Rejection{ID: PairID(a, b), A: a, B: b, SuggestionID: sg.ID, Probability: sg.Probability,
		By: actor, Reason: reason, At: now}); err != nil {
		return Suggestion{}, err
	}
	sg.Status, sg.DecidedBy, sg.DecidedAt, sg.Reason, sg.UpdatedAt = Rejected, actor, &now, reason, now
	return s.decide(ctx, sg)
}

// notSuppressed refuses a merge of profiles one of which carries an identifier of an
// erased person (on the suppression list).
func (s *Service) notSuppressed(ctx context.Context, ids ...string) error {
	ps, err := s.Store.GetProfiles(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range ps {
		keys, err := s.Store.Suppressed(ctx, privacy.ProfileKeys(p))
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return apperr.Conflictf("SUPPRESSED: customer %s carries an identifier (%s) of an erased person; lift the suppression first",
				p.ID, privacy.KeyType(keys[0]))
		}
	}
	return nil
}

// toDecide reads a suggestion for a decision by actor.
func (s *Service) toDecide(ctx context.Context, id, actor string) (Suggestion, error) {
	if strings.TrimSpace(actor) == "" {
		return Suggestion{}, apperr.Invalidf("an actor is required")
	}
	return s.Suggestion(ctx, id)
}

// sides are the live profiles of a suggestion read through Suggestion (which follows
// merge redirects); a side that no longer exists (erased) is NOT_FOUND.
func sides(sg Suggestion) (a, b string, err error) {
	for _, x := range [][2]string{{sg.A, sg.CurrentA}, {sg.B, sg.CurrentB}} {
		if x[1] == "" {
			return "", "", apperr.NotFoundf("customer %s of match suggestion %s no longer exists", x[0], sg.ID)
		}
	}
	return sg.CurrentA, sg.CurrentB, nil
}

// decide writes a decision; if someone else decided first, their decision stands and
// ours is a conflict unless it is the same.
func (s *Service) decide(ctx context.Context, sg Suggestion) (Suggestion, error) {
	ok, err := s.Store.DecideSuggestion(ctx, sg)
	if err != nil {
		return Suggestion{}, err
	}
	now, err := s.Suggestion(ctx, sg.ID)
	if err != nil {
		return Suggestion{}, err
	}
	if !ok && now.Status != sg.Status {
		return Suggestion{}, apperr.Conflictf("match suggestion %s was %s by %s meanwhile", sg.ID, strings.ToLower(string(now.Status)), now.DecidedBy)
	}
	return now, nil
}

// closeObsolete marks pending suggestions whose sides became one profile (by a merge
// of this run, an ingest or a manual merge) as accepted, and deletes those with a side
// that no longer exists (an erased customer: an erasure running while this job scored
// its pairs may have missed what the job wrote since; the evidence holds the values) or
// that is held (carries a suppressed identifier).
func (s *Service) closeObsolete(ctx context.Context, actor string, held func(id string) bool) (int, error) {
	pending, err := s.Store.ListSuggestions(ctx, Pending, "", 0)
	if err != nil {
		return 0, err
	}
	if err := s.resolve(ctx, pending); err != nil {
		return 0, err
	}
	var gone []string
	for _, sg := range pending {
		if sg.CurrentA == "" || sg.CurrentB == "" || held(sg.CurrentA) || held(sg.CurrentB) {
			gone = append(gone, sg.ID)
		}
	}
	if err := s.Store.DeleteSuggestions(ctx, gone); err != nil {
		return 0, err
	}
	n := 0
	now := s.Now()
	for _, sg := range pending {
		if !sg.SameProfile || slices.Contains(gone, sg.ID) {
			continue
		}
		sg.Status, sg.DecidedBy, sg.DecidedAt, sg.Reason, sg.Survivor, sg.UpdatedAt = Accepted, actor, &now, "already one customer", sg.CurrentA, now
		ok, err := s.Store.DecideSuggestion(ctx, sg)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// resolve sets the current profiles of suggestions.
func (s *Service) resolve(ctx context.Context, ss []Suggestion) error {
	var ids []string
	for _, sg := range ss {
		ids = append(ids, sg.A, sg.B)
	}
	fin, err := s.finals(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ss {
		ss[i].CurrentA, ss[i].CurrentB = fin[ss[i].A], fin[ss[i].B]
		ss[i].SameProfile = ss[i].CurrentA != "" && ss[i].CurrentA == ss[i].CurrentB
	}
	return nil
}

// finals follows merge redirects of many profiles (identity.Follow, one batched read
// per hop); a profile that does not exist maps to "".
func (s *Service) finals(ctx context.Context, ids []string) (map[string]string, error) {
	return identity.Follow(ctx, identity.ProfileRedirects(s.Store.GetProfiles), ids)
}
