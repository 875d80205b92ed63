// Package identity resolves source records into profiles on an identity graph: each
// identifier (type + normalised value) is owned by one profile; a record whose
// identifiers hit several profiles merges them, within per-type limits, block lists and
// keep-apart rules. Without transactions, every step is an idempotent write and readers
// follow merge redirects, so concurrent and interrupted runs converge. Package resolve
// plans a batch in memory, package unmerge an unmerge; the engine writes their plans.
package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/tessera-cdp/tessera/internal/identity/resolve"
	"github.com/tessera-cdp/tessera/internal/identity/traits"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Engine resolves records into profiles.
type Engine struct {
	Store        Store
	Rules        resolve.Rules
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
	return &Engine{Store: s, Rules: resolve.DefaultRules(), Survivorship: profile.DefaultRules(), Now: func() time.Time { return time.Now().UTC() }, Guard: guard}
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
	keys, pids := resolve.Keys(recs)
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
			forgetOrphans(newIDs, p.Orphans)
			continue
		}
		if err := e.finishBatch(ctx, j, p, out); err != nil {
			return Outcome{}, err
		}
		return out, nil
	}
}

// planBatch reads the graph the records touch and places them, in input order. A plan
// that merges profiles when the caller may not merge is refused here, before the first
// write, so nothing of the batch is stored.
func (e *Engine) planBatch(ctx context.Context, recs []*profile.Record, keys, pids []string, at time.Time, newID func(string) string) (*resolve.Plan, error) {
	p := resolve.New(e.Rules, at)
	if err := p.Load(ctx, e.Store, keys, pids); err != nil {
		return nil, err
	}
	for _, r := range recs {
		p.Place(r, newID)
	}
	if err := checkMerges(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// journalPlan stores the journal with the plan's new profile ids and merges, before the
// plan's first write.
func (e *Engine) journalPlan(ctx context.Context, j *Journal, p *resolve.Plan, newIDs map[string]string) error {
	j.NewIDs = j.NewIDs[:0]
	for rec, id := range newIDs {
		j.NewIDs = append(j.NewIDs, NewID{Record: rec, Profile: id})
	}
	sort.Slice(j.NewIDs, func(a, b int) bool { return j.NewIDs[a].Record < j.NewIDs[b].Record })
	j.Merges = journalMerges(p.Merges)
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
func (e *Engine) finishBatch(ctx context.Context, j Journal, p *resolve.Plan, out Outcome) error {
	if err := e.followMerges(ctx, out.Merges); err != nil {
		return err
	}
	if err := e.Store.DeleteJournal(ctx, j.ID); err != nil {
		return err
	}
	ids := make([]string, 0, len(out.ProfileOf)+2*len(p.Merges))
	for _, id := range out.ProfileOf {
		ids = append(ids, id)
	}
	for _, m := range p.Merges {
		ids = append(ids, m.Absorbed, m.Survivor)
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
func (e *Engine) write(ctx context.Context, p *resolve.Plan, recs []*profile.Record, actor string) (bool, Outcome, error) {
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
	if len(p.Sources) > 0 {
		if err := e.Store.AddIdentitySources(ctx, p.Sources); err != nil {
			return false, Outcome{}, err
		}
	}
	if err := e.applyMerges(ctx, p.Merges, p.Nodes, actor, p.Now); err != nil {
		return false, Outcome{}, err
	}
	out, touched, stored, err := e.placeRecords(ctx, p, recs, fresh)
	if err != nil {
		return false, Outcome{}, err
	}
	out.Merges = mergeEvents(p.Merges, p.Find, func(id string) []string { return p.Node(id).Records }, actor, p.Now)
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
func (e *Engine) insertNewProfiles(ctx context.Context, p *resolve.Plan, recs []*profile.Record) (fresh map[string]bool, err error) {
	inMerge := map[string]bool{}
	for _, m := range p.Merges {
		inMerge[m.Absorbed], inMerge[m.Survivor] = true, true
	}
	recsOf := map[string][]profile.Record{}
	stale := map[string]bool{}
	for _, r := range recs {
		g := p.Assign[r.ID]
		recsOf[g] = append(recsOf[g], withAssignment(*r, g, p.Dropped[r.ID]))
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
	for _, c := range p.Claims {
		claimsOf[c.ProfileID] = append(claimsOf[c.ProfileID], c.ID)
	}
	var docs []profile.Profile
	for _, id := range p.Created {
		doc := profile.Profile{ID: id, CreatedAt: p.Now, UpdatedAt: p.Now}
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
// it is deleted (p.Orphans) and retry is true.
func (e *Engine) claimIdentities(ctx context.Context, p *resolve.Plan) (retry bool, err error) {
	if len(p.Claims) == 0 {
		return false, nil
	}
	taken, err := e.Store.ClaimIdentities(ctx, p.Claims)
	if err != nil || len(taken) == 0 {
		return false, err
	}
	lost := map[string]bool{}
	for _, k := range taken {
		lost[k] = true
	}
	claimed := map[string]bool{}
	for _, c := range p.Claims {
		if !lost[c.ID] {
			claimed[c.ProfileID] = true
		}
	}
	var orphans []string
	for _, id := range p.Created {
		if !claimed[id] {
			orphans = append(orphans, id)
		}
	}
	if err := e.Store.DeleteProfiles(ctx, orphans); err != nil {
		return false, err
	}
	p.Orphans = orphans
	return true, nil
}

// placeRecords puts the batch's records on their final profiles (after the plan's
// merges): new records are inserted already resolved and counted on their sources,
// known ones are assigned, and every touched profile that was not written whole gets a
// delta with its new identifiers and records. It returns the outcome so far, the
// touched profiles and the new records it stored, as stored.
func (e *Engine) placeRecords(ctx context.Context, p *resolve.Plan, recs []*profile.Record, fresh map[string]bool) (Outcome, map[string]bool, []profile.Record, error) {
	st := e.Store
	out := Outcome{ProfileOf: map[string]string{}, Created: len(p.Created), Merged: len(p.Merges)}
	var as []Assignment
	var inserts []profile.Record
	touched := map[string]bool{}
	recIDs := map[string][]string{}
	newIdents := p.NewIdentifiers(fresh)
	for _, r := range recs {
		g := p.Assign[r.ID]
		f := p.Find(g)
		out.ProfileOf[r.ID] = f
		touched[f] = true
		recIDs[f] = append(recIDs[f], r.ID)
		if r.IsNew {
			inserts = append(inserts, withAssignment(*r, f, p.Dropped[r.ID]))
			inserts[len(inserts)-1].OriginProfileID = g
			continue
		}
		a := Assignment{RecordID: r.ID, ProfileID: f, Dropped: p.Dropped[r.ID]}
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
			ds = append(ds, Delta{ID: id, AddIdentifiers: newIdents[id], AddRecords: recIDs[id], At: p.Now})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].ID < ds[j].ID })
	if err := st.UpdateProfiles(ctx, ds); err != nil {
		return Outcome{}, nil, nil, err
	}
	return out, touched, stored, nil
}

func withAssignment(r profile.Record, profileID string, dropped []profile.Dropped) profile.Record {
	r.ProfileID, r.Dropped = profileID, dropped
	return r
}

// applyMerges marks absorbed profiles, moves their identities and records to the
// survivor, and gives the survivor the absorbed profiles' identifiers and history.
// Each step is idempotent, so an interrupted merge is finished by the next one.
func (e *Engine) applyMerges(ctx context.Context, ms []resolve.Merge, nodes map[string]*resolve.Node, actor string, at time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	find := func(id string) string {
		for nodes[id] != nil && nodes[id].Parent != "" {
			id = nodes[id].Parent
		}
		return id
	}
	bySurvivor := map[string][]resolve.Merge{}
	for _, m := range ms {
		if _, err := e.Store.MarkMerged(ctx, m.Absorbed, m.Survivor, at); err != nil {
			return err
		}
		f := find(m.Survivor)
		bySurvivor[f] = append(bySurvivor[f], m)
	}
	var ds []Delta
	for s, group := range bySurvivor {
		d := Delta{ID: s, At: at}
		var from, keys []string
		for _, m := range group {
			from = append(from, m.Absorbed)
			an := nodes[m.Absorbed]
			for k := range an.IDs {
				d.AddIdentifiers = append(d.AddIdentifiers, k)
				keys = append(keys, k)
			}
			for k := range an.KeepApart {
				d.AddKeepApart = append(d.AddKeepApart, k)
			}
			if nodes[s] != nil && hasMergeEvent(nodes[s].History, m.Absorbed, m.Survivor, at) {
				continue // recorded already by the attempt that was killed
			}
			d.History = append(d.History, an.History...)
			d.History = append(d.History, profile.MergeEvent{At: at, Kind: profile.EventMerge, ProfileIDs: []string{m.Absorbed}, Into: m.Survivor, RecordID: m.RecordID, Rule: m.Rule, Actor: actor})
		}
		// keys: the absorbed profiles' identifiers as planned, which include claims made
		// in this batch that their documents do not list yet.
		if err := e.Store.Repoint(ctx, from, s, keys); err != nil {
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
		if err := e.Store.Repoint(ctx, []string{id}, f, nil); err != nil {
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
	return traits.Recompute(ctx, e.Store, e.Survivorship, e.Now, e.Exclusive, ids, known...)
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
