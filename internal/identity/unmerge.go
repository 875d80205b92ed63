package identity

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Merge merges profiles by hand; the oldest (smallest) id survives.
func (e *Engine) Merge(ctx context.Context, ids []string, reason, actor string) (string, error) {
	if strings.TrimSpace(reason) == "" {
		return "", apperr.Invalidf("a reason is required for a manual merge")
	}
	return e.MergeWithRule(ctx, ids, "manual: "+reason, actor)
}

const keptApart = "kept apart by unmerge"

type component struct {
	id      string
	split   bool
	recs    []*profile.Record
	origins []string
}

// Unmerge splits records off profile id. Each side is resolved again on its own, as if
// the records had never met: parts that only the split-off records held together fall
// apart, every part takes back the oldest profile id its records came from, history keeps
// only the merges inside the part, and the parts are kept apart from now on.
//
// The steps: read and check the records (unmergeRecords), group each side into
// connected components (components), give each part its id (nameParts), decide which
// part owns each identifier (ownIdentifiers), build the parts' documents and record
// assignments (buildParts), then write under a journal (writeUnmerge), so that the
// follower hears the split even if the process dies before it ran.
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
	u := &unmerge{e: e, pid: pid, actor: actor, now: e.Now()}
	u.comps = u.components(recs, splitSet)
	taken := u.nameParts()
	idents, err := e.Store.IdentitiesOfProfiles(ctx, []string{pid})
	if err != nil {
		return nil, nil, err
	}
	old, err := e.Store.GetProfiles(ctx, append([]string{pid}, keysOf(taken)...))
	if err != nil {
		return nil, nil, err
	}
	u.ownIdentifiers()
	setOwners := u.identityOwners(idents)
	profiles, assigns := u.buildParts(old)
	if err := e.writeUnmerge(ctx, u, recordIDs, setOwners, profiles, assigns); err != nil {
		return nil, nil, err
	}
	return u.split, u.remaining, nil
}

// unmerge is one Unmerge being planned.
type unmerge struct {
	e     *Engine
	pid   string
	actor string
	now   time.Time
	comps []*component
	// ownerOf is the part each identifier goes to; srcOf the sources of its records
	// there.
	ownerOf          map[string]*component
	srcOf            map[string]map[string]bool
	split, remaining []string
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

// used lists the identity keys a record links by: its identifiers that resolution did
// not drop and that are not blocked.
func (u *unmerge) used(r *profile.Record) []string {
	var ks []string
	for _, idf := range r.Identifiers {
		dropped := slices.ContainsFunc(r.Dropped, func(d profile.Dropped) bool { return d.Identifier == idf })
		if !dropped && !u.e.Rules.Blocked(idf.Type, idf.Value) {
			ks = append(ks, idf.Key())
		}
	}
	return ks
}

// components groups the records of each side (remaining, then split off) into connected
// components over shared identifiers.
func (u *unmerge) components(recs []profile.Record, splitSet map[string]bool) []*component {
	var comps []*component
	for _, side := range []bool{false, true} {
		owner := map[string]*component{}
		for i := range recs {
			r := &recs[i]
			if splitSet[r.ID] != side {
				continue
			}
			var c *component
			for _, k := range u.used(r) {
				if o := owner[k]; o != nil && o != c {
					if c == nil {
						c = o
						continue
					}
					// r bridges two components: fold o into c.
					c.recs = append(c.recs, o.recs...)
					for kk, oo := range owner {
						if oo == o {
							owner[kk] = c
						}
					}
					comps = slices.DeleteFunc(comps, func(x *component) bool { return x == o })
				}
			}
			if c == nil {
				c = &component{split: side}
				comps = append(comps, c)
			}
			c.recs = append(c.recs, r)
			for _, k := range u.used(r) {
				owner[k] = c
			}
		}
	}
	return comps
}

// nameParts gives each part an id: remaining parts first, each the oldest origin id of
// its records still free, else a new one. It returns the ids taken.
func (u *unmerge) nameParts() map[string]bool {
	taken := map[string]bool{}
	for _, c := range u.comps {
		for _, r := range c.recs {
			if r.OriginProfileID != "" && !slices.Contains(c.origins, r.OriginProfileID) {
				c.origins = append(c.origins, r.OriginProfileID)
			}
		}
		sort.Strings(c.origins)
		for _, o := range c.origins {
			if !taken[o] {
				c.id = o
				break
			}
		}
		if c.id == "" {
			c.id = u.e.NewProfileID()
		}
		taken[c.id] = true
	}
	return taken
}

// ownIdentifiers gives each identifier to the part of the earliest record that uses it,
// remaining parts first; split-off records lose identifiers a remaining part holds.
func (u *unmerge) ownIdentifiers() {
	u.ownerOf = map[string]*component{}
	u.srcOf = map[string]map[string]bool{}
	for _, c := range u.comps {
		for _, r := range c.recs {
			for _, k := range u.used(r) {
				if u.ownerOf[k] == nil {
					u.ownerOf[k] = c
					u.srcOf[k] = map[string]bool{}
				}
				if u.ownerOf[k] == c {
					u.srcOf[k][r.Source] = true
				}
			}
		}
	}
}

// identityOwners points the profile's identities at their parts (an identity no record
// uses any more stays with the first part), with the sources seen in that part.
func (u *unmerge) identityOwners(idents []profile.Identity) []profile.Identity {
	var setOwners []profile.Identity
	for _, it := range idents {
		c := u.ownerOf[it.ID]
		if c == nil {
			c = u.comps[0]
		}
		it.ProfileID = c.id
		if s := u.srcOf[it.ID]; len(s) > 0 {
			it.Sources = keysOf(s)
		}
		setOwners = append(setOwners, it)
	}
	return setOwners
}

// buildParts builds each part's profile document (kept apart from the other side,
// history restricted to merges inside the part, an unmerge event on split-off parts)
// and its records' assignments (identifiers another part owns are dropped as kept
// apart). It fills u.split and u.remaining.
func (u *unmerge) buildParts(old []profile.Profile) ([]profile.Profile, []Assignment) {
	oldByID := map[string]profile.Profile{}
	for _, p := range old {
		oldByID[p.ID] = p
	}
	history := oldByID[u.pid].History
	var assigns []Assignment
	var profiles []profile.Profile
	for _, c := range u.comps {
		var others []string
		for _, o := range u.comps {
			if o.split != c.split {
				others = append(others, o.id)
			}
		}
		p := profile.Profile{ID: c.id, CreatedAt: u.now, UpdatedAt: u.now, KeepApart: others}
		if prev, ok := oldByID[c.id]; ok {
			p.CreatedAt, p.Rev = prev.CreatedAt, prev.Rev+1
		}
		for k, oc := range u.ownerOf {
			if oc == c {
				p.Identifiers = append(p.Identifiers, k)
			}
		}
		sort.Strings(p.Identifiers)
		for _, ev := range history {
			if ev.Kind == profile.EventMerge && ev.Into != "" && slices.Contains(c.origins, ev.Into) &&
				slices.ContainsFunc(ev.ProfileIDs, func(x string) bool { return slices.Contains(c.origins, x) }) {
				p.History = append(p.History, ev)
			}
		}
		if c.split {
			p.History = append(p.History, profile.MergeEvent{At: u.now, Kind: profile.EventUnmerge, ProfileIDs: []string{u.pid}, Rule: "split off by unmerge", Actor: u.actor})
			u.split = append(u.split, c.id)
		} else {
			u.remaining = append(u.remaining, c.id)
		}
		for _, r := range c.recs {
			p.RecordIDs = append(p.RecordIDs, r.ID)
		}
		sort.Strings(p.RecordIDs)
		profiles = append(profiles, p)
		for _, r := range c.recs {
			a := Assignment{RecordID: r.ID, ProfileID: c.id, Dropped: slices.DeleteFunc(slices.Clone(r.Dropped), func(d profile.Dropped) bool { return d.Reason == keptApart })}
			for _, k := range u.used(r) {
				if u.ownerOf[k] != c {
					t := typeOf(k)
					a.Dropped = append(a.Dropped, profile.Dropped{Identifier: profile.Identifier{Type: t, Value: k[len(t)+1:]}, Reason: keptApart})
				}
			}
			assigns = append(assigns, a)
		}
	}
	return profiles, assigns
}

// writeUnmerge writes a planned unmerge. A journal naming the split goes first, so a
// process killed before the follower ran reports the split on recovery. Order matters
// for a reader in between: owners of identities move first, then the profile documents
// (clearing mergedInto of revived ids), then the records; then traits are derived
// again, the follower hears the split, and the journal is deleted.
func (e *Engine) writeUnmerge(ctx context.Context, u *unmerge, recordIDs []string, setOwners []profile.Identity, profiles []profile.Profile, assigns []Assignment) error {
	all := append(append([]string{}, u.remaining...), u.split...)
	ev := SplitEvent{From: u.pid, Split: u.split, Remaining: u.remaining, Records: slices.Sorted(slices.Values(recordIDs)), Actor: u.actor, At: u.now.Truncate(time.Millisecond)}
	j := Journal{ID: e.newJournalID(), At: ev.At, Actor: u.actor, Recompute: all, Split: &ev}
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
