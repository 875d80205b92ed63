// Package resolve plans the resolution of a batch of records in memory, against the
// identity graph as read: which profile each record joins, which identifiers it claims
// or drops, which profiles merge, within the type rules (priority, limit, block list)
// and keep-apart rules. It reads the graph but writes nothing: identity.Engine journals
// the plan and writes it.
package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Reader is what planning reads of the graph (an identity.Store).
type Reader interface {
	GetIdentities(ctx context.Context, keys []string) ([]profile.Identity, error)
	MaybeIdentities(keys []string) []string
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
}

// Merge is one profile absorbed into another by a plan.
type Merge struct {
	Absorbed, Survivor, RecordID, Rule string
}

// Node is a profile of the graph as read, or created by the plan: Parent is the
// profile it was merged into, IDs and KeepApart the identity keys it holds and the
// profiles kept apart from it (its group's, once merged).
type Node struct {
	ID        string
	Parent    string
	IDs       map[string]bool
	KeepApart map[string]bool
	History   []profile.MergeEvent
	Records   []string // the profile document's record list, as read
}

// Plan is the in-memory resolution of one batch against the identity graph as read.
type Plan struct {
	rules   Rules
	Nodes   map[string]*Node
	owner   map[string]string // identity key -> profile id as stored or claimed
	Claims  []profile.Identity
	have    map[string][]string // sources an identity already lists
	Sources map[string][]string // sources to add to existing identities
	Merges  []Merge
	Assign  map[string]string // record id -> profile it joined (before later merges)
	Dropped map[string][]profile.Dropped
	Created []string
	Orphans []string // shells deleted after lost claims
	Now     time.Time
	// listed holds the identity keys that some loaded profile document lists; unlisted
	// the keys the batch found owned (key -> owner) that none does: left so by a change
	// killed between claiming an identity and recording it on its profile, and repaired.
	listed   map[string]bool
	unlisted map[string]string
}

// Find is the profile id's group after the plan's merges.
func (p *Plan) Find(id string) string {
	for {
		n := p.Nodes[id]
		if n == nil || n.Parent == "" {
			return id
		}
		id = n.Parent
	}
}

// Node returns the node of a profile id, adding an empty one if the plan has none.
func (p *Plan) Node(id string) *Node {
	n := p.Nodes[id]
	if n == nil {
		n = &Node{ID: id, IDs: map[string]bool{}, KeepApart: map[string]bool{}}
		p.Nodes[id] = n
	}
	return n
}

func typeOf(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[:i]
	}
	return key
}

func (p *Plan) countType(n *Node, t string) int {
	c := 0
	for k := range n.IDs {
		if typeOf(k) == t {
			c++
		}
	}
	return c
}

// Conflict says why groups a and b (either may be "") together with the record's own
// new identifiers may not form one profile, or "" if they may.
func (p *Plan) Conflict(a, b string, extra map[string]bool) string {
	if a != "" && b != "" {
		for k := range p.Nodes[a].KeepApart {
			if p.Find(k) == b {
				return "kept apart by an earlier unmerge"
			}
		}
		for k := range p.Nodes[b].KeepApart {
			if p.Find(k) == a {
				return "kept apart by an earlier unmerge"
			}
		}
	}
	union := map[string]bool{}
	for _, g := range []string{a, b} {
		if g != "" {
			for k := range p.Nodes[g].IDs {
				union[k] = true
			}
		}
	}
	for k := range extra {
		union[k] = true
	}
	for t, r := range p.rules.Types {
		if r.Limit > 0 && p.countType(&Node{IDs: union}, t) > r.Limit {
			return fmt.Sprintf("limit of %d %s per profile", r.Limit, t)
		}
	}
	return ""
}

// Union merges groups a and b, the older (smaller) id surviving, for the given record
// and rule; it returns the survivor.
func (p *Plan) Union(a, b, recordID, rule string) string {
	s, x := a, b
	if x < s {
		s, x = x, s
	}
	ns, nx := p.Nodes[s], p.Nodes[x]
	nx.Parent = s
	for k := range nx.IDs {
		ns.IDs[k] = true
	}
	for k := range nx.KeepApart {
		ns.KeepApart[k] = true
	}
	p.Merges = append(p.Merges, Merge{Absorbed: x, Survivor: s, RecordID: recordID, Rule: rule})
	return s
}

// Replay makes again a merge decided by an earlier change (a journal), on the graph
// as read.
func (p *Plan) Replay(m Merge) {
	nx, ns := p.Node(m.Absorbed), p.Node(m.Survivor)
	nx.Parent = m.Survivor
	for k := range nx.IDs {
		ns.IDs[k] = true
	}
	for k := range nx.KeepApart {
		ns.KeepApart[k] = true
	}
	p.Merges = append(p.Merges, m)
}

// New returns an empty plan under the given rules; now is the time of its changes.
func New(rules Rules, now time.Time) *Plan {
	return &Plan{rules: rules, Nodes: map[string]*Node{}, owner: map[string]string{}, have: map[string][]string{}, Sources: map[string][]string{},
		Assign: map[string]string{}, Dropped: map[string][]profile.Dropped{}, Now: now, listed: map[string]bool{}, unlisted: map[string]string{}}
}

// Load reads the identities the batch touches and the profiles they point to, following
// merge redirects.
func (p *Plan) Load(ctx context.Context, st Reader, keys []string, profileIDs []string) error {
	idents, err := st.GetIdentities(ctx, st.MaybeIdentities(keys))
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, id := range profileIDs {
		want[id] = true
	}
	for _, it := range idents {
		p.owner[it.ID] = it.ProfileID
		p.have[it.ID] = it.Sources
		want[it.ProfileID] = true
	}
	for len(want) > 0 {
		var ids []string
		for id := range want {
			if _, ok := p.Nodes[id]; !ok {
				ids = append(ids, id)
			}
		}
		want = map[string]bool{}
		if len(ids) == 0 {
			break
		}
		ps, err := st.GetProfiles(ctx, ids)
		if err != nil {
			return err
		}
		for _, pr := range ps {
			n := p.Node(pr.ID)
			n.Parent = pr.MergedInto
			n.History = pr.History
			n.Records = pr.RecordIDs
			for _, k := range pr.Identifiers {
				n.IDs[k] = true
				p.listed[k] = true
			}
			for _, k := range pr.KeepApart {
				n.KeepApart[k] = true
			}
			if pr.MergedInto != "" {
				want[pr.MergedInto] = true
			}
			for _, k := range pr.KeepApart {
				want[k] = true
			}
		}
		// A profile id without a document (a shell another writer has not created yet)
		// is still a valid group.
		for _, id := range ids {
			p.Node(id)
		}
	}
	return nil
}

// Place places one record, claiming, merging and dropping identifiers.
func (p *Plan) Place(r *profile.Record, newID func(string) string) {
	var keys []string
	for _, idf := range r.Identifiers {
		if p.rules.Blocked(idf.Type, idf.Value) {
			p.Dropped[r.ID] = append(p.Dropped[r.ID], profile.Dropped{Identifier: idf, Reason: "blocked value"})
			continue
		}
		if !slices.Contains(keys, idf.Key()) {
			keys = append(keys, idf.Key())
		}
	}
	p.rules.sortByPriority(keys, typeOf)
	g := ""
	switch {
	case r.PinnedProfile != "":
		g = p.Find(r.PinnedProfile)
	case r.ProfileID != "":
		g = p.Find(r.ProfileID)
	}
	// Identifiers in priority order: a known one joins (or merges) its profile, a new one
	// waits in pending until the record's profile is known. Whatever would break a
	// limit or a keep-apart rule is dropped, lower priority first.
	pending := map[string]bool{}
	var claimOrder []string
	for _, k := range keys {
		o, ok := p.owner[k]
		if !ok {
			withK := map[string]bool{k: true}
			for x := range pending {
				withK[x] = true
			}
			if why := p.Conflict(g, "", withK); why != "" {
				p.drop(r, k, why)
				continue
			}
			pending[k] = true
			claimOrder = append(claimOrder, k)
			continue
		}
		if !slices.Contains(p.have[k], r.Source) && !slices.Contains(p.Sources[k], r.Source) {
			p.Sources[k] = append(p.Sources[k], r.Source)
		}
		if _, stored := p.have[k]; stored && !p.listed[k] {
			p.unlisted[k] = o
		}
		o = p.Find(o)
		p.Nodes[o].IDs[k] = true
		switch {
		case o == g:
		default:
			if why := p.Conflict(g, o, pending); why != "" {
				msg := why
				if g != "" {
					msg = "would merge " + g + " and " + o + ": " + why
				}
				p.drop(r, k, msg)
				continue
			}
			if g == "" {
				g = o
			} else {
				g = p.Union(g, o, r.ID, "shared "+k)
			}
		}
	}
	if g == "" {
		g = newID(r.ID)
		p.Node(g)
		p.Created = append(p.Created, g)
	}
	for _, k := range claimOrder {
		t := typeOf(k)
		p.owner[k] = g
		p.Nodes[g].IDs[k] = true
		p.Claims = append(p.Claims, profile.Identity{ID: k, Type: t, Value: k[len(t)+1:], ProfileID: g, Sources: []string{r.Source}, FirstSeen: p.Now})
	}
	p.Assign[r.ID] = g
}

func (p *Plan) drop(r *profile.Record, key, why string) {
	t := typeOf(key)
	p.Dropped[r.ID] = append(p.Dropped[r.ID], profile.Dropped{Identifier: profile.Identifier{Type: t, Value: key[len(t)+1:]}, Reason: why})
}

// NewIdentifiers lists, per final profile, the identity keys its document must list
// now: claims of profiles not written whole, and keys found owned but unlisted (left so
// by a change killed between claiming an identity and recording it on its profile).
func (p *Plan) NewIdentifiers(fresh map[string]bool) map[string][]string {
	newIdents := map[string][]string{}
	for _, c := range p.Claims {
		if !fresh[c.ProfileID] {
			f := p.Find(c.ProfileID)
			newIdents[f] = append(newIdents[f], c.ID)
		}
	}
	for k, o := range p.unlisted {
		f := p.Find(o)
		newIdents[f] = append(newIdents[f], k)
	}
	return newIdents
}

// Keys lists the identity keys and the profile ids (pinned or current) that the
// records name: what planning reads.
func Keys(recs []*profile.Record) (keys, pids []string) {
	for _, r := range recs {
		for _, idf := range r.Identifiers {
			keys = append(keys, idf.Key())
		}
		for _, id := range []string{r.PinnedProfile, r.ProfileID} {
			if id != "" {
				pids = append(pids, id)
			}
		}
	}
	return keys, pids
}
