package identity

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity/unmerge"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Merge merges profiles by hand; the oldest (smallest) id survives.
func (e *Engine) Merge(ctx context.Context, ids []string, reason, actor string) (string, error) {
	if strings.TrimSpace(reason) == "" {
		return "", apperr.Invalidf("a reason is required for a manual merge")
	}
	return e.MergeWithRule(ctx, ids, "manual: "+reason, actor)
}

// Unmerge splits records off profile id. Each side is resolved again on its own, as if
// the records had never met: parts that only the split-off records held together fall
// apart, every part takes back the oldest profile id its records came from, history keeps
// only the merges inside the part, and the parts are kept apart from now on.
//
// The steps: read and check the records (unmergeRecords), group each side into
// connected components, give each part its id, decide which part owns each identifier,
// build the parts' documents and record assignments (all planned in memory by package
// unmerge), then write under a journal (writeUnmerge), so that the follower hears the
// split even if the process dies before it ran.
func (e *Engine) Unmerge(ctx context.Context, id string, recordIDs []string, actor string) (split, remaining []string, err error) {
	defer e.lock()()
	pid, err := e.Final(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	recs, splitSet, err := e.unmergeRecords(ctx, pid, recordIDs)
	if err != nil {
		return nil, nil, err
	}
	now := e.Now()
	plan := unmerge.New(pid, recs, splitSet, e.Rules.Blocked)
	taken := plan.NameParts(e.NewProfileID)
	idents, err := e.Store.IdentitiesOfProfiles(ctx, []string{pid})
	if err != nil {
		return nil, nil, err
	}
	old, err := e.Store.GetProfiles(ctx, append([]string{pid}, keysOf(taken)...))
	if err != nil {
		return nil, nil, err
	}
	setOwners := plan.IdentityOwners(idents)
	profiles, parts := plan.BuildParts(old, actor, now)
	assigns := make([]Assignment, len(parts))
	for i, a := range parts {
		assigns[i] = Assignment{RecordID: a.RecordID, ProfileID: a.ProfileID, Dropped: a.Dropped}
	}
	ev := SplitEvent{From: pid, Split: plan.Split, Remaining: plan.Remaining, Records: slices.Sorted(slices.Values(recordIDs)), Actor: actor, At: now.Truncate(time.Millisecond)}
	if err := e.writeUnmerge(ctx, ev, setOwners, profiles, assigns); err != nil {
		return nil, nil, err
	}
	return plan.Split, plan.Remaining, nil
}

// unmergeRecords reads the records of profile pid, oldest first, and checks the records
// to split off: at least one, all of them on the profile, not all of the profile's.
func (e *Engine) unmergeRecords(ctx context.Context, pid string, recordIDs []string) ([]profile.Record, map[string]bool, error) {
	recs, err := e.Store.RecordsOfProfiles(ctx, []string{pid})
	if err != nil {
		return nil, nil, err
	}
	splitSet := map[string]bool{}
	for _, r := range recordIDs {
		splitSet[r] = true
	}
	nSplit := 0
	for _, r := range recs {
		if splitSet[r.ID] {
			nSplit++
		}
	}
	switch {
	case len(recordIDs) == 0:
		return nil, nil, apperr.Invalidf("name at least one source record to split off")
	case nSplit != len(splitSet):
		return nil, nil, apperr.Invalidf("some records are not part of customer %s", pid)
	case nSplit == len(recs):
		return nil, nil, apperr.Invalidf("splitting off every record would leave nothing behind")
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].ReceivedAt.Equal(recs[j].ReceivedAt) {
			return recs[i].ReceivedAt.Before(recs[j].ReceivedAt)
		}
		return recs[i].ID < recs[j].ID
	})
	return recs, splitSet, nil
}

// writeUnmerge writes a planned unmerge (ev names it). A journal naming the split goes
// first, so a process killed before the follower ran reports the split on recovery.
// Order matters for a reader in between: owners of identities move first, then the
// profile documents (clearing mergedInto of revived ids), then the records; then traits
// are derived again, the follower hears the split, and the journal is deleted.
func (e *Engine) writeUnmerge(ctx context.Context, ev SplitEvent, setOwners []profile.Identity, profiles []profile.Profile, assigns []Assignment) error {
	all := append(append([]string{}, ev.Remaining...), ev.Split...)
	j := Journal{ID: e.newJournalID(), At: ev.At, Actor: ev.Actor, Recompute: all, Split: &ev}
	if err := e.Store.PutJournal(ctx, j); err != nil {
		return err
	}
	// A step that fails leaves the journal for the next change of this process (or
	// Recover) to report the split again.
	for _, step := range []func() error{
		func() error { return e.Store.SetIdentityOwners(ctx, setOwners) },
		func() error { return e.Store.ReplaceProfiles(ctx, profiles) },
		func() error { return e.Store.AssignRecords(ctx, assigns) },
		func() error { return e.recompute(ctx, all) },
		func() error { return e.followSplit(ctx, ev) },
	} {
		if err := step(); err != nil {
			e.noteFailed(j.ID)
			return err
		}
	}
	if err := e.Store.DeleteJournal(ctx, j.ID); err != nil {
		return err
	}
	e.changed(all)
	return nil
}
