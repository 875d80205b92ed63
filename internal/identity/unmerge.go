package identity

import (
	"context"
	"slices"
	"sort"
	"strings"

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
func (e *Engine) Unmerge(ctx context.Context, id string, recordIDs []string, actor string) (split, remaining []string, err error) {
	defer e.lock()()
	pid, err := e.Final(ctx, id)
	if err != nil {
		return nil, nil, err
	}
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
	used := func(r *profile.Record) []string {
		var ks []string
		for _, idf := range r.Identifiers {
			dropped := slices.ContainsFunc(r.Dropped, func(d profile.Dropped) bool { return d.Identifier == idf })
			if !dropped && !e.Rules.Blocked(idf.Type, idf.Value) {
				ks = append(ks, idf.Key())
			}
		}
		return ks
	}
	// Connected components per side over shared identifiers.
	var comps []*component
	for _, side := range []bool{false, true} {
		owner := map[string]*component{}
		for i := range recs {
			r := &recs[i]
			if splitSet[r.ID] != side {
				continue
			}
			var c *component
			for _, k := range used(r) {
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
			for _, k := range used(r) {
				owner[k] = c
			}
		}
	}
	// Ids: remaining parts first, each the oldest origin id of its records still free.
	taken := map[string]bool{}
	for _, c := range comps {
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
			c.id = e.NewProfileID()
		}
		taken[c.id] = true
	}
	idents, err := e.Store.IdentitiesOfProfiles(ctx, []string{pid})
	if err != nil {
		return nil, nil, err
	}
	old, err := e.Store.GetProfiles(ctx, append([]string{pid}, keysOf(taken)...))
	if err != nil {
		return nil, nil, err
	}
	oldByID := map[string]profile.Profile{}
	for _, p := range old {
		oldByID[p.ID] = p
	}
	history := oldByID[pid].History
	now := e.Now()

	// Each identifier goes to the part of the earliest record that uses it, remaining
	// parts first; split-off records lose identifiers a remaining part holds.
	ownerOf := map[string]*component{}
	srcOf := map[string]map[string]bool{}
	for _, c := range comps {
		for _, r := range c.recs {
			for _, k := range used(r) {
				if ownerOf[k] == nil {
					ownerOf[k] = c
					srcOf[k] = map[string]bool{}
				}
				if ownerOf[k] == c {
					srcOf[k][r.Source] = true
				}
			}
		}
	}
	var setOwners []profile.Identity
	for _, it := range idents {
		c := ownerOf[it.ID]
		if c == nil {
			c = comps[0]
		}
		it.ProfileID = c.id
		if s := srcOf[it.ID]; len(s) > 0 {
			it.Sources = keysOf(s)
		}
		setOwners = append(setOwners, it)
	}
	var assigns []Assignment
	var profiles []profile.Profile
	for _, c := range comps {
		var others []string
		for _, o := range comps {
			if o.split != c.split {
				others = append(others, o.id)
			}
		}
		p := profile.Profile{ID: c.id, CreatedAt: now, UpdatedAt: now, KeepApart: others}
		if prev, ok := oldByID[c.id]; ok {
			p.CreatedAt, p.Rev = prev.CreatedAt, prev.Rev+1
		}
		for k, oc := range ownerOf {
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
			p.History = append(p.History, profile.MergeEvent{At: now, Kind: profile.EventUnmerge, ProfileIDs: []string{pid}, Rule: "split off by unmerge", Actor: actor})
			split = append(split, c.id)
		} else {
			remaining = append(remaining, c.id)
		}
		for _, r := range c.recs {
			p.RecordIDs = append(p.RecordIDs, r.ID)
		}
		sort.Strings(p.RecordIDs)
		profiles = append(profiles, p)
		for _, r := range c.recs {
			a := Assignment{RecordID: r.ID, ProfileID: c.id, Dropped: slices.DeleteFunc(slices.Clone(r.Dropped), func(d profile.Dropped) bool { return d.Reason == keptApart })}
			for _, k := range used(r) {
				if ownerOf[k] != c {
					t := typeOf(k)
					a.Dropped = append(a.Dropped, profile.Dropped{Identifier: profile.Identifier{Type: t, Value: k[len(t)+1:]}, Reason: keptApart})
				}
			}
			assigns = append(assigns, a)
		}
	}
	// Order matters for a reader in between: owners of identities move first, then the
	// profile documents (clearing mergedInto of revived ids), then the records.
	if err := e.Store.SetIdentityOwners(ctx, setOwners); err != nil {
		return nil, nil, err
	}
	if err := e.Store.ReplaceProfiles(ctx, profiles); err != nil {
		return nil, nil, err
	}
	if err := e.Store.AssignRecords(ctx, assigns); err != nil {
		return nil, nil, err
	}
	all := append(append([]string{}, remaining...), split...)
	if err := e.recompute(ctx, all); err != nil {
		return nil, nil, err
	}
	e.changed(all)
	return split, remaining, nil
}
