package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Engine resolves records into profiles.
type Engine struct {
	Store        Store
	Rules        Rules
	Survivorship profile.Rules
	Now          func() time.Time
	// Guard, if set, runs graph changes one at a time where the database's updates are
	// not atomic: FerretDB v1 applies an update as read, modify in Go, write back the
	// whole document, so two concurrent updates of one profile lose one of them (a merge
	// redirect, a history entry). The backend owns it (dbkit.Backend.Guard("profiles")),
	// shared with the other writers of profile documents; on MongoDB it does nothing.
	Guard func() (release func())
	// Exclusive says that this process is the only writer of the graph and Guard runs
	// its changes one at a time (the embedded backend): what a change read stays true
	// until it writes, so it skips the re-reads that catch concurrent writers.
	Exclusive bool
	// Changed, if set, hears the ids of profiles whose records, traits or merge state
	// changed (absorbed profiles included), after each successful change. It must not
	// block: segment membership queues them.
	Changed func(ids []string)
	// Follower, if set, hears every merge and split before the change's journal is
	// deleted, so that other domains follow it, after a crash too (see Follower).
	Follower Follower

	idMu sync.Mutex
	ids  *ulid.MonotonicEntropy

	// failed lists journals of changes that failed in this process; the next change
	// finishes them first.
	failedMu sync.Mutex
	failed   []string
}

// NewEngine returns an engine with default rules.
func NewEngine(s Store) *Engine {
	var mu sync.Mutex
	guard := func() func() { mu.Lock(); return mu.Unlock }
	return &Engine{Store: s, Rules: DefaultRules(), Survivorship: profile.DefaultRules(), Now: func() time.Time { return time.Now().UTC() }, Guard: guard}
}

// NewProfileID returns a time-ordered id, so "the oldest profile survives" is simply the
// smallest id, the same answer on every instance.
func (e *Engine) NewProfileID() string {
	e.idMu.Lock()
	defer e.idMu.Unlock()
	if e.ids == nil {
		e.ids = ulid.Monotonic(rand.Reader, 0)
	}
	return "cus_" + strings.ToLower(ulid.MustNew(ulid.Timestamp(time.Now()), e.ids).String())
}

// Outcome summarises one Resolve call.
type Outcome struct {
	ProfileOf map[string]string // record id -> profile id
	Created   int               // new profiles
	Merged    int               // profiles absorbed by merges (len(Merges))
	// Merges reports each merge the call made, in the order it made them.
	Merges []MergeEvent
	// Inserted lists the new records this call stored (not those a concurrent writer
	// stored first): what the sources' record counts grew by.
	Inserted []string
}

type merge struct {
	absorbed, survivor, recordID, rule string
}

type node struct {
	id        string
	parent    string
	ids       map[string]bool
	keepApart map[string]bool
	history   []profile.MergeEvent
	records   []string // the profile document's record list, as read
}

// plan is the in-memory resolution of one batch against the identity graph as read.
type plan struct {
	e       *Engine
	nodes   map[string]*node
	owner   map[string]string // identity key -> profile id as stored or claimed
	claims  []profile.Identity
	have    map[string][]string // sources an identity already lists
	sources map[string][]string // sources to add to existing identities
	merges  []merge
	assign  map[string]string
	dropped map[string][]profile.Dropped
	created []string
	orphans []string // shells deleted after lost claims
	now     time.Time
	// listed holds the identity keys that some loaded profile document lists; unlisted
	// the keys the batch found owned (key -> owner) that none does: left so by a change
	// killed between claiming an identity and recording it on its profile, and repaired.
	listed   map[string]bool
	unlisted map[string]string
}

func (p *plan) find(id string) string {
	for {
		n := p.nodes[id]
		if n == nil || n.parent == "" {
			return id
		}
		id = n.parent
	}
}

func (p *plan) node(id string) *node {
	n := p.nodes[id]
	if n == nil {
		n = &node{id: id, ids: map[string]bool{}, keepApart: map[string]bool{}}
		p.nodes[id] = n
	}
	return n
}

func typeOf(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[:i]
	}
	return key
}

func (p *plan) countType(n *node, t string) int {
	c := 0
	for k := range n.ids {
		if typeOf(k) == t {
			c++
		}
	}
	return c
}

// conflict says why groups a and b (either may be "") together with the record's own
// new identifiers may not form one profile, or "" if they may.
func (p *plan) conflict(a, b string, extra map[string]bool) string {
	if a != "" && b != "" {
		for k := range p.nodes[a].keepApart {
			if p.find(k) == b {
				return "kept apart by an earlier unmerge"
			}
		}
		for k := range p.nodes[b].keepApart {
			if p.find(k) == a {
				return "kept apart by an earlier unmerge"
			}
		}
	}
	union := map[string]bool{}
	for _, g := range []string{a, b} {
		if g != "" {
			for k := range p.nodes[g].ids {
				union[k] = true
			}
		}
	}
	for k := range extra {
		union[k] = true
	}
	for t, r := range p.e.Rules.Types {
		if r.Limit > 0 && p.countType(&node{ids: union}, t) > r.Limit {
			return fmt.Sprintf("limit of %d %s per profile", r.Limit, t)
		}
	}
	return ""
}

func (p *plan) union(a, b, recordID, rule string) string {
	s, x := a, b
	if x < s {
		s, x = x, s
	}
	ns, nx := p.nodes[s], p.nodes[x]
	nx.parent = s
	for k := range nx.ids {
		ns.ids[k] = true
	}
	for k := range nx.keepApart {
		ns.keepApart[k] = true
	}
	p.merges = append(p.merges, merge{absorbed: x, survivor: s, recordID: recordID, rule: rule})
	return s
}

func (e *Engine) newPlan() *plan {
	return &plan{e: e, nodes: map[string]*node{}, owner: map[string]string{}, have: map[string][]string{}, sources: map[string][]string{},
		assign: map[string]string{}, dropped: map[string][]profile.Dropped{}, now: e.Now(), listed: map[string]bool{}, unlisted: map[string]string{}}
}

// load reads the identities the batch touches and the profiles they point to, following
// merge redirects.
func (p *plan) load(ctx context.Context, keys []string, profileIDs []string) error {
	idents, err := p.e.Store.GetIdentities(ctx, p.e.Store.MaybeIdentities(keys))
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
			if _, ok := p.nodes[id]; !ok {
				ids = append(ids, id)
			}
		}
		want = map[string]bool{}
		if len(ids) == 0 {
			break
		}
		ps, err := p.e.Store.GetProfiles(ctx, ids)
		if err != nil {
			return err
		}
		for _, pr := range ps {
			n := p.node(pr.ID)
			n.parent = pr.MergedInto
			n.history = pr.History
			n.records = pr.RecordIDs
			for _, k := range pr.Identifiers {
				n.ids[k] = true
				p.listed[k] = true
			}
			for _, k := range pr.KeepApart {
				n.keepApart[k] = true
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
			p.node(id)
		}
	}
	return nil
}

// resolveRecord places one record, claiming, merging and dropping identifiers.
func (p *plan) resolveRecord(r *profile.Record, newID func(string) string) {
	var keys []string
	for _, idf := range r.Identifiers {
		if p.e.Rules.Blocked(idf.Type, idf.Value) {
			p.dropped[r.ID] = append(p.dropped[r.ID], profile.Dropped{Identifier: idf, Reason: "blocked value"})
			continue
		}
		if !slices.Contains(keys, idf.Key()) {
			keys = append(keys, idf.Key())
		}
	}
	p.e.Rules.sortByPriority(keys, typeOf)
	g := ""
	switch {
	case r.PinnedProfile != "":
		g = p.find(r.PinnedProfile)
	case r.ProfileID != "":
		g = p.find(r.ProfileID)
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
			if why := p.conflict(g, "", withK); why != "" {
				p.drop(r, k, why)
				continue
			}
			pending[k] = true
			claimOrder = append(claimOrder, k)
			continue
		}
		if !slices.Contains(p.have[k], r.Source) && !slices.Contains(p.sources[k], r.Source) {
			p.sources[k] = append(p.sources[k], r.Source)
		}
		if _, stored := p.have[k]; stored && !p.listed[k] {
			p.unlisted[k] = o
		}
		o = p.find(o)
		p.nodes[o].ids[k] = true
		switch {
		case o == g:
		default:
			if why := p.conflict(g, o, pending); why != "" {
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
				g = p.union(g, o, r.ID, "shared "+k)
			}
		}
	}
	if g == "" {
		g = newID(r.ID)
		p.node(g)
		p.created = append(p.created, g)
	}
	for _, k := range claimOrder {
		t := typeOf(k)
		p.owner[k] = g
		p.nodes[g].ids[k] = true
		p.claims = append(p.claims, profile.Identity{ID: k, Type: t, Value: k[len(t)+1:], ProfileID: g, Sources: []string{r.Source}, FirstSeen: p.now})
	}
	p.assign[r.ID] = g
}

func (p *plan) drop(r *profile.Record, key, why string) {
	t := typeOf(key)
	p.dropped[r.ID] = append(p.dropped[r.ID], profile.Dropped{Identifier: profile.Identifier{Type: t, Value: key[len(t)+1:]}, Reason: why})
}

// Resolve places records into profiles: new ones (IsNew) are inserted already resolved,
// known ones get their new content stored. The batch is planned in memory, in input
// order, from one read of the graph, then written in a few bulk steps under a journal,
// so a process killed in the middle is finished by Recover (see Journal). A claim lost
// to a concurrent writer means the read was stale: the batch is planned again from a
// fresh read, reusing its new profile ids so no orphans pile up.
func (e *Engine) Resolve(ctx context.Context, recs []*profile.Record) (Outcome, error) {
	defer e.lock()()
	if err := e.recoverFailed(ctx); err != nil {
		return Outcome{}, err
	}
	j := Journal{ID: e.newJournalID(), At: e.Now().Truncate(time.Millisecond), Actor: ActorOf(ctx)}
	for _, r := range recs {
		j.Records = append(j.Records, *r)
	}
	out, err := e.resolve(ctx, recs, j, map[string]string{})
	if err != nil {
		e.noteFailed(j.ID)
		return Outcome{}, err
	}
	return out, nil
}

// resolve plans and writes a batch under the journal j, reports its merges to the
// follower, then deletes the journal. newIDs holds the profile ids already planned for
// records (by a killed attempt). Each attempt: read the graph and plan (planBatch),
// journal the plan, write it (write); a claim lost to a concurrent writer starts over.
func (e *Engine) resolve(ctx context.Context, recs []*profile.Record, j Journal, newIDs map[string]string) (Outcome, error) {
	newID := func(recID string) string {
		if id, ok := newIDs[recID]; ok {
			return id
		}
		id := e.NewProfileID()
		newIDs[recID] = id
		return id
	}
	keys, pids := batchKeys(recs)
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			return Outcome{}, errors.New("identity: too much contention resolving batch")
		}
		p, err := e.planBatch(ctx, recs, keys, pids, j.At, newID)
		if err != nil {
			return Outcome{}, err
		}
		if err := e.journalPlan(ctx, &j, p, newIDs); err != nil {
			return Outcome{}, err
		}
		retry, out, err := e.write(ctx, p, recs, j.Actor)
		if err != nil {
			return Outcome{}, err
		}
		if retry {
			forgetOrphans(newIDs, p.orphans)
			continue
		}
		if err := e.finishBatch(ctx, j, p, out); err != nil {
			return Outcome{}, err
		}
		return out, nil
	}
}

// batchKeys lists the identity keys and the profile ids (pinned or current) that the
// records name: what planning reads.
func batchKeys(recs []*profile.Record) (keys, pids []string) {
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

// planBatch reads the graph the records touch and places them, in input order. A plan
// that merges profiles when the caller may not merge is refused here, before the first
// write, so nothing of the batch is stored.
func (e *Engine) planBatch(ctx context.Context, recs []*profile.Record, keys, pids []string, at time.Time, newID func(string) string) (*plan, error) {
	p := e.newPlan()
	p.now = at
	if err := p.load(ctx, keys, pids); err != nil {
		return nil, err
	}
	for _, r := range recs {
		p.resolveRecord(r, newID)
	}
	if err := p.checkMerges(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// journalPlan stores the journal with the plan's new profile ids and merges, before the
// plan's first write.
func (e *Engine) journalPlan(ctx context.Context, j *Journal, p *plan, newIDs map[string]string) error {
	j.NewIDs = j.NewIDs[:0]
	for rec, id := range newIDs {
		j.NewIDs = append(j.NewIDs, NewID{Record: rec, Profile: id})
	}
	sort.Slice(j.NewIDs, func(a, b int) bool { return j.NewIDs[a].Record < j.NewIDs[b].Record })
	j.Merges = journalMerges(p.merges)
	return e.Store.PutJournal(ctx, *j)
}

// forgetOrphans drops the planned ids of new profiles that lost every claim (and were
// deleted), so the next plan picks afresh.
func forgetOrphans(newIDs map[string]string, orphans []string) {
	for rec, id := range newIDs {
		if slices.Contains(orphans, id) {
			delete(newIDs, rec)
		}
	}
}

// finishBatch ends a written batch: its merges go to the follower (the journal still
// stands, so a failure or a crash here reports them again on replay), the journal is
// deleted, and the changed profiles are announced.
func (e *Engine) finishBatch(ctx context.Context, j Journal, p *plan, out Outcome) error {
	if err := e.followMerges(ctx, out.Merges); err != nil {
		return err
	}
	if err := e.Store.DeleteJournal(ctx, j.ID); err != nil {
		return err
	}
	ids := make([]string, 0, len(out.ProfileOf)+2*len(p.merges))
	for _, id := range out.ProfileOf {
		ids = append(ids, id)
	}
	for _, m := range p.merges {
		ids = append(ids, m.absorbed, m.survivor)
	}
	e.changed(ids)
	return nil
}

// write stores a planned batch in idempotent steps, in this order (a reader in between,
// or a replay after a crash, finds every step either done or not):
//
//  1. new content of known records (storeKnownRecords);
//  2. profile documents of new profiles, whole when nothing else touches them
//     (insertNewProfiles);
//  3. claims of new identities; a claim another writer won first sends the batch back
//     to planning (retry true) after deleting the new profiles nobody points to
//     (claimIdentities);
//  4. sources of known identities, then the merges (applyMerges);
//  5. new records inserted already resolved, source counts, known records assigned,
//     profile deltas (placeRecords);
//  6. redirects that a concurrent batch made meanwhile are followed, and traits derived
//     again (settle, recompute).
func (e *Engine) write(ctx context.Context, p *plan, recs []*profile.Record, actor string) (bool, Outcome, error) {
	if err := e.storeKnownRecords(ctx, recs); err != nil {
		return false, Outcome{}, err
	}
	fresh, err := e.insertNewProfiles(ctx, p, recs)
	if err != nil {
		return false, Outcome{}, err
	}
	if retry, err := e.claimIdentities(ctx, p); err != nil || retry {
		return retry, Outcome{}, err
	}
	if len(p.sources) > 0 {
		if err := e.Store.AddIdentitySources(ctx, p.sources); err != nil {
			return false, Outcome{}, err
		}
	}
	if err := e.applyMerges(ctx, p.merges, p.nodes, actor, p.now); err != nil {
		return false, Outcome{}, err
	}
	out, touched, stored, err := e.placeRecords(ctx, p, recs, fresh)
	if err != nil {
		return false, Outcome{}, err
	}
	out.Merges = mergeEvents(p.merges, p.find, func(id string) []string { return p.node(id).records }, actor, p.now)
	final, err := e.settle(ctx, keysOf(touched), out.ProfileOf)
	if err != nil {
		return false, Outcome{}, err
	}
	var recompute []string
	for _, id := range final {
		if !fresh[id] {
			recompute = append(recompute, id)
		}
	}
	return false, out, e.recompute(ctx, recompute, stored...)
}

// storeKnownRecords stores the new content of known records first: the journal holds
// it, so it is never lost.
func (e *Engine) storeKnownRecords(ctx context.Context, recs []*profile.Record) error {
	var changedRecs []profile.Record
	for _, r := range recs {
		if !r.IsNew {
			changedRecs = append(changedRecs, *r)
		}
	}
	if len(changedRecs) == 0 {
		return nil
	}
	return e.Store.UpsertRecords(ctx, changedRecs)
}

// insertNewProfiles writes the documents of the profiles the plan created, before any
// identity points to them. A profile created by this batch, merged with nothing and
// holding only records seen for the first time, is written whole in one insert (it is
// returned as fresh): the common case of a bulk import then costs no per-document update
// (FerretDB scans for each one). The others start empty and get deltas later.
func (e *Engine) insertNewProfiles(ctx context.Context, p *plan, recs []*profile.Record) (fresh map[string]bool, err error) {
	inMerge := map[string]bool{}
	for _, m := range p.merges {
		inMerge[m.absorbed], inMerge[m.survivor] = true, true
	}
	recsOf := map[string][]profile.Record{}
	stale := map[string]bool{}
	for _, r := range recs {
		g := p.assign[r.ID]
		recsOf[g] = append(recsOf[g], withAssignment(*r, g, p.dropped[r.ID]))
		if !r.IsNew {
			stale[g] = true
		}
	}
	prio, err := e.Store.SourcePriorities(ctx)
	if err != nil {
		return nil, err
	}
	fresh = map[string]bool{}
	claimsOf := map[string][]string{}
	for _, c := range p.claims {
		claimsOf[c.ProfileID] = append(claimsOf[c.ProfileID], c.ID)
	}
	var docs []profile.Profile
	for _, id := range p.created {
		doc := profile.Profile{ID: id, CreatedAt: p.now, UpdatedAt: p.now}
		if !inMerge[id] && !stale[id] {
			fresh[id] = true
			rs := recsOf[id]
			doc.Rev, doc.RecordCount, doc.Identifiers = 1, len(rs), claimsOf[id]
			for _, r := range rs {
				doc.RecordIDs = append(doc.RecordIDs, r.ID)
			}
			doc.Traits, doc.Provenance, doc.Invalid = profile.Compute(rs, prio, e.Survivorship)
			doc.SearchTokens = profile.SearchTokens(id, doc.Traits)
		}
		docs = append(docs, doc)
	}
	if len(docs) > 0 {
		if err := e.Store.InsertProfiles(ctx, docs); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// claimIdentities inserts the plan's new identities. If another writer owns some of
// them already, the plan was made from a stale read: claims that did go in belong to
// profiles that the next plan will see as existing and merge by the usual rules, and a
// new profile that lost every claim is known to nobody (no record points to it yet), so
// it is deleted (p.orphans) and retry is true.
func (e *Engine) claimIdentities(ctx context.Context, p *plan) (retry bool, err error) {
	if len(p.claims) == 0 {
		return false, nil
	}
	taken, err := e.Store.ClaimIdentities(ctx, p.claims)
	if err != nil || len(taken) == 0 {
		return false, err
	}
	lost := map[string]bool{}
	for _, k := range taken {
		lost[k] = true
	}
	claimed := map[string]bool{}
	for _, c := range p.claims {
		if !lost[c.ID] {
			claimed[c.ProfileID] = true
		}
	}
	var orphans []string
	for _, id := range p.created {
		if !claimed[id] {
			orphans = append(orphans, id)
		}
	}
	if err := e.Store.DeleteProfiles(ctx, orphans); err != nil {
		return false, err
	}
	p.orphans = orphans
	return true, nil
}

// placeRecords puts the batch's records on their final profiles (after the plan's
// merges): new records are inserted already resolved and counted on their sources,
// known ones are assigned, and every touched profile that was not written whole gets a
// delta with its new identifiers and records. It returns the outcome so far, the
// touched profiles and the new records it stored, as stored.
func (e *Engine) placeRecords(ctx context.Context, p *plan, recs []*profile.Record, fresh map[string]bool) (Outcome, map[string]bool, []profile.Record, error) {
	st := e.Store
	out := Outcome{ProfileOf: map[string]string{}, Created: len(p.created), Merged: len(p.merges)}
	var as []Assignment
	var inserts []profile.Record
	touched := map[string]bool{}
	recIDs := map[string][]string{}
	newIdents := p.newIdentifiers(fresh)
	for _, r := range recs {
		g := p.assign[r.ID]
		f := p.find(g)
		out.ProfileOf[r.ID] = f
		touched[f] = true
		recIDs[f] = append(recIDs[f], r.ID)
		if r.IsNew {
			inserts = append(inserts, withAssignment(*r, f, p.dropped[r.ID]))
			inserts[len(inserts)-1].OriginProfileID = g
			continue
		}
		a := Assignment{RecordID: r.ID, ProfileID: f, Dropped: p.dropped[r.ID]}
		if r.OriginProfileID == "" {
			a.Origin = g
		}
		as = append(as, a)
	}
	dups, err := st.InsertRecords(ctx, inserts)
	if err != nil {
		return Outcome{}, nil, nil, err
	}
	perSource := map[string]int64{}
	var stored []profile.Record
	for _, r := range inserts {
		if !slices.Contains(dups, r.ID) {
			out.Inserted = append(out.Inserted, r.ID)
			perSource[r.Source]++
			stored = append(stored, r)
		}
	}
	for _, src := range keysOf(boolKeys(perSource)) {
		if err := st.IncSourceRecords(ctx, src, perSource[src]); err != nil {
			return Outcome{}, nil, nil, err
		}
	}
	if err := st.AssignRecords(ctx, as); err != nil {
		return Outcome{}, nil, nil, err
	}
	var ds []Delta
	for id := range touched {
		if !fresh[id] {
			ds = append(ds, Delta{ID: id, AddIdentifiers: newIdents[id], AddRecords: recIDs[id], At: p.now})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].ID < ds[j].ID })
	if err := st.UpdateProfiles(ctx, ds); err != nil {
		return Outcome{}, nil, nil, err
	}
	return out, touched, stored, nil
}

// newIdentifiers lists, per final profile, the identity keys its document must list
// now: claims of profiles not written whole, and keys found owned but unlisted (left so
// by a change killed between claiming an identity and recording it on its profile).
func (p *plan) newIdentifiers(fresh map[string]bool) map[string][]string {
	newIdents := map[string][]string{}
	for _, c := range p.claims {
		if !fresh[c.ProfileID] {
			f := p.find(c.ProfileID)
			newIdents[f] = append(newIdents[f], c.ID)
		}
	}
	for k, o := range p.unlisted {
		f := p.find(o)
		newIdents[f] = append(newIdents[f], k)
	}
	return newIdents
}

func withAssignment(r profile.Record, profileID string, dropped []profile.Dropped) profile.Record {
	r.ProfileID, r.Dropped = profileID, dropped
	return r
}

// applyMerges marks absorbed profiles, moves their identities and records to the
// survivor, and gives the survivor the absorbed profiles' identifiers and history.
// Each step is idempotent, so an interrupted merge is finished by the next one.
func (e *Engine) applyMerges(ctx context.Context, ms []merge, nodes map[string]*node, actor string, at time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	find := func(id string) string {
		for nodes[id] != nil && nodes[id].parent != "" {
			id = nodes[id].parent
		}
		return id
	}
	bySurvivor := map[string][]merge{}
	for _, m := range ms {
		if _, err := e.Store.MarkMerged(ctx, m.absorbed, m.survivor, at); err != nil {
			return err
		}
		f := find(m.survivor)
		bySurvivor[f] = append(bySurvivor[f], m)
	}
	var ds []Delta
	for s, group := range bySurvivor {
		d := Delta{ID: s, At: at}
		var from []string
		for _, m := range group {
			from = append(from, m.absorbed)
			an := nodes[m.absorbed]
			for k := range an.ids {
				d.AddIdentifiers = append(d.AddIdentifiers, k)
			}
			for k := range an.keepApart {
				d.AddKeepApart = append(d.AddKeepApart, k)
			}
			if nodes[s] != nil && hasMergeEvent(nodes[s].history, m.absorbed, m.survivor, at) {
				continue // recorded already by the attempt that was killed
			}
			d.History = append(d.History, an.history...)
			d.History = append(d.History, profile.MergeEvent{At: at, Kind: profile.EventMerge, ProfileIDs: []string{m.absorbed}, Into: m.survivor, RecordID: m.recordID, Rule: m.rule, Actor: actor})
		}
		if err := e.Store.Repoint(ctx, from, s); err != nil {
			return err
		}
		ds = append(ds, d)
	}
	return e.Store.UpdateProfiles(ctx, ds)
}

// settle follows redirects of the profiles just written: a concurrent batch may have
// absorbed one of them after we read it. Records and identities that landed on an
// absorbed profile are moved on to its survivor.
func (e *Engine) settle(ctx context.Context, ids []string, profileOf map[string]string) ([]string, error) {
	if e.Exclusive {
		return ids, nil // no other writer: the profiles written are live
	}
	final, err := e.finals(ctx, ids)
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, id := range ids {
		f := final[id]
		live[f] = true
		if f == id {
			continue
		}
		if err := e.Store.Repoint(ctx, []string{id}, f); err != nil {
			return nil, err
		}
		if err := e.Store.UpdateProfiles(ctx, []Delta{{ID: f, At: e.Now()}}); err != nil {
			return nil, err
		}
		for r, p := range profileOf {
			if p == id {
				profileOf[r] = f
			}
		}
	}
	return keysOf(live), nil
}

// redirects reads merge redirects from the engine's store.
func (e *Engine) redirects() Redirects { return ProfileRedirects(e.Store.GetProfiles) }

// finals follows merge redirects for many ids at once, one read per hop (Follow); an id
// without a document stays itself.
func (e *Engine) finals(ctx context.Context, ids []string) (map[string]string, error) {
	out, err := Follow(ctx, e.redirects(), ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out[id] == "" {
			out[id] = id
		}
	}
	return out, nil
}

// Final follows merge redirects from id to the live profile.
func (e *Engine) Final(ctx context.Context, id string) (string, error) {
	return FollowOne(ctx, e.redirects(), id)
}

// lock takes the graph write guard, if any, and returns its release.
func (e *Engine) lock() func() {
	if e.Guard == nil {
		return func() {}
	}
	return e.Guard()
}

// Recompute derives traits of profiles from their records, retrying profiles whose
// record set changed while it read (rev moved on).
func (e *Engine) Recompute(ctx context.Context, ids []string) error {
	defer e.lock()()
	return e.recompute(ctx, ids)
}

// recompute computes the traits of profiles from their records; known are records the
// caller has just stored, as stored, which need not be read again.
func (e *Engine) recompute(ctx context.Context, ids []string, known ...profile.Record) error {
	prio, err := e.Store.SourcePriorities(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; len(ids) > 0; attempt++ {
		if attempt == 20 {
			return errors.New("identity: profiles keep changing during recompute")
		}
		ps, err := e.Store.GetProfiles(ctx, ids)
		if err != nil {
			return err
		}
		recs, err := e.recordsOf(ctx, ids, ps, known)
		if err != nil {
			return err
		}
		byProfile := map[string][]profile.Record{}
		for _, r := range recs {
			byProfile[r.ProfileID] = append(byProfile[r.ProfileID], r)
		}
		var out []profile.Profile
		for _, p := range ps {
			if p.MergedInto != "" {
				continue
			}
			rs := byProfile[p.ID]
			p.Traits, p.Provenance, p.Invalid = profile.Compute(rs, prio, e.Survivorship)
			p.SearchTokens = profile.SearchTokens(p.ID, p.Traits)
			p.RecordCount = len(rs)
			p.UpdatedAt = e.Now()
			out = append(out, p)
		}
		if ids, err = e.Store.SaveComputed(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

// recordsOf reads the records of profiles ids (ps are their documents). With no other
// writer, the records the caller knows are not read again: the others are read by the
// profiles' RecordIDs lists, keeping those that still point at one of ids.
func (e *Engine) recordsOf(ctx context.Context, ids []string, ps []profile.Profile, known []profile.Record) ([]profile.Record, error) {
	if !e.Exclusive || len(known) == 0 {
		return e.Store.RecordsOfProfiles(ctx, ids)
	}
	have := make(map[string]profile.Record, len(known))
	for _, r := range known {
		have[r.ID] = r
	}
	var need []string
	var out []profile.Record
	for _, p := range ps {
		if p.RecordIDs == nil && p.RecordCount > 0 {
			return e.Store.RecordsOfProfiles(ctx, ids) // a profile without its list
		}
		for _, id := range p.RecordIDs {
			if r, ok := have[id]; ok {
				out = append(out, r)
			} else {
				need = append(need, id)
			}
		}
	}
	read, err := e.Store.GetRecords(ctx, need)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out = append(out, read...)
	return slices.DeleteFunc(out, func(r profile.Record) bool { return !want[r.ProfileID] }), nil
}

func boolKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (e *Engine) changed(ids []string) {
	if e.Changed != nil && len(ids) > 0 {
		e.Changed(ids)
	}
}
