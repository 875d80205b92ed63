// Package unmerge plans an unmerge in memory: it groups the records of a profile into
// the parts they fall into when some of them are split off (connected components over
// shared identifiers, each side on its own), names each part, gives each identifier to
// one part, and builds the parts' profile documents and record assignments. It reads
// and writes nothing: identity.Engine.Unmerge reads the graph, runs the plan and writes
// it under its journal.
package unmerge

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Assignment puts a record on its part, with the identifiers it dropped (those another
// part owns are dropped as kept apart).
type Assignment struct {
	RecordID  string
	ProfileID string
	Dropped   []profile.Dropped
}

const keptApart = "kept apart by unmerge"

type component struct {
	id      string
	split   bool
	recs    []*profile.Record
	origins []string
}

// Plan is one unmerge being planned.
type Plan struct {
	pid     string
	blocked func(typ, value string) bool
	comps   []*component
	// ownerOf is the part each identifier goes to; srcOf the sources of its records
	// there.
	ownerOf map[string]*component
	srcOf   map[string]map[string]bool
	// Split and Remaining are the ids of the split-off and the remaining parts (set by
	// BuildParts).
	Split, Remaining []string
}

// New starts the plan of splitting records off profile pid: recs are the profile's
// records, oldest first, splitOff the ids of those to split off, and blocked the rule
// that says which identifier values are never used (identity.Rules.Blocked). The
// records of each side (remaining, then split off) are grouped into connected
// components over shared identifiers: the parts.
func New(pid string, recs []profile.Record, splitOff map[string]bool, blocked func(typ, value string) bool) *Plan {
	u := &Plan{pid: pid, blocked: blocked}
	u.comps = u.components(recs, splitOff)
	return u
}

// used lists the identity keys a record links by: its identifiers that resolution did
// not drop and that are not blocked.
func (u *Plan) used(r *profile.Record) []string {
	var ks []string
	for _, idf := range r.Identifiers {
		dropped := slices.ContainsFunc(r.Dropped, func(d profile.Dropped) bool { return d.Identifier == idf })
		if !dropped && !u.blocked(idf.Type, idf.Value) {
			ks = append(ks, idf.Key())
		}
	}
	return ks
}

// components groups the records of each side (remaining, then split off) into connected
// components over shared identifiers.
func (u *Plan) components(recs []profile.Record, splitSet map[string]bool) []*component {
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

// NameParts gives each part an id: remaining parts first, each the oldest origin id of
// its records still free, else a new one (newID). It returns the ids taken.
func (u *Plan) NameParts(newID func() string) map[string]bool {
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
			c.id = newID()
		}
		taken[c.id] = true
	}
	return taken
}

// ownIdentifiers gives each identifier to the part of the earliest record that uses it,
// remaining parts first; split-off records lose identifiers a remaining part holds.
func (u *Plan) ownIdentifiers() {
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

// IdentityOwners gives each identifier to a part (ownIdentifiers) and points the
// profile's identities at their parts (an identity no record uses any more stays with
// the first part), with the sources seen in that part.
func (u *Plan) IdentityOwners(idents []profile.Identity) []profile.Identity {
	u.ownIdentifiers()
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

// BuildParts builds each part's profile document (kept apart from the other side,
// history restricted to merges inside the part, an unmerge event on split-off parts,
// by actor at now) and its records' assignments (identifiers another part owns are
// dropped as kept apart), after IdentityOwners. old are the stored documents of the
// profile and of the ids NameParts took. It fills Split and Remaining.
func (u *Plan) BuildParts(old []profile.Profile, actor string, now time.Time) ([]profile.Profile, []Assignment) {
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
		p := profile.Profile{ID: c.id, CreatedAt: now, UpdatedAt: now, KeepApart: others}
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
			p.History = append(p.History, profile.MergeEvent{At: now, Kind: profile.EventUnmerge, ProfileIDs: []string{u.pid}, Rule: "split off by unmerge", Actor: actor})
			u.Split = append(u.Split, c.id)
		} else {
			u.Remaining = append(u.Remaining, c.id)
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

func typeOf(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[:i]
	}
	return key
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
