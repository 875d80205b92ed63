package identity

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity/resolve"
)

// MergeWithRule merges profiles like Merge, recording rule as it is (not "manual: ...")
// in the survivor's history, e.g. "match: score 0.973 (auto, run mj_...)". The oldest
// (smallest) id survives; keep-apart and limit rules give a CONFLICT; Unmerge undoes it.
// Merge is MergeWithRule with a "manual: <reason>" rule.
func (e *Engine) MergeWithRule(ctx context.Context, ids []string, rule, actor string) (string, error) {
	if strings.TrimSpace(rule) == "" {
		return "", apperr.Invalidf("a rule is required for a merge")
	}
	defer e.lock()()
	if err := e.recoverFailed(ctx); err != nil {
		return "", err
	}
	var finals []string
	for _, id := range ids {
		f, err := e.Final(ctx, id)
		if err != nil {
			return "", err
		}
		if !slices.Contains(finals, f) {
			finals = append(finals, f)
		}
	}
	if len(finals) < 2 {
		return "", apperr.Invalidf("merge needs at least two distinct customers")
	}
	sort.Strings(finals)
	p := resolve.New(e.Rules, e.Now())
	if err := p.Load(ctx, e.Store, nil, finals); err != nil {
		return "", err
	}
	g := finals[0]
	for _, o := range finals[1:] {
		if why := p.Conflict(g, o, nil); why != "" {
			return "", apperr.Conflictf("cannot merge %s into %s: %s", o, g, why)
		}
		g = p.Union(g, o, "", rule)
	}
	j := Journal{ID: e.newJournalID(), At: p.Now.Truncate(time.Millisecond), Actor: actor, Merges: journalMerges(p.Merges), Recompute: []string{g}}
	p.Now = j.At
	if err := e.Store.PutJournal(ctx, j); err != nil {
		return "", err
	}
	if err := e.applyMerges(ctx, p.Merges, p.Nodes, actor, p.Now); err != nil {
		e.noteFailed(j.ID)
		return "", err
	}
	if err := e.recompute(ctx, []string{g}); err != nil {
		e.noteFailed(j.ID)
		return "", err
	}
	// The journal stands until the follower has moved what follows the merge.
	if err := e.followMerges(ctx, mergeEvents(p.Merges, p.Find, func(id string) []string { return p.Node(id).Records }, actor, p.Now)); err != nil {
		e.noteFailed(j.ID)
		return "", err
	}
	if err := e.Store.DeleteJournal(ctx, j.ID); err != nil {
		return "", err
	}
	e.changed(finals)
	return g, nil
}
