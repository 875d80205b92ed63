package identity

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity/resolve"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Journal is the intent of one change of the identity graph: stored before its first
// write, deleted after its last. There are no transactions on FerretDB, so a process
// killed in between leaves it behind, and Recover finishes the change from it: the
// merges it decided are completed, and its records are resolved again with the profile
// ids it planned, so nothing is left half done and no empty profile is left behind.
type Journal struct {
	ID      string           `bson:"_id"`
	At      time.Time        `bson:"at"`
	Actor   string           `bson:"actor"`
	Records []profile.Record `bson:"records,omitempty"`
	// NewIDs are the profile ids planned for records that start a new profile.
	NewIDs []NewID `bson:"newIds,omitempty"`
	// Merges in the order the plan made them (a later one may absorb an earlier survivor).
	Merges []JournalMerge `bson:"merges,omitempty"`
	// Recompute lists profiles whose traits are derived again at the end.
	Recompute []string `bson:"recompute,omitempty"`
	// Split is the unmerge this change made, reported to the follower again on replay.
	Split *SplitEvent `bson:"split,omitempty"`
}

// NewID is the profile id planned for a record.
type NewID struct {
	Record  string `bson:"record"`
	Profile string `bson:"profile"`
}

// JournalMerge is one merge decided by a change.
type JournalMerge struct {
	Absorbed string `bson:"absorbed"`
	Survivor string `bson:"survivor"`
	RecordID string `bson:"recordId,omitempty"`
	Rule     string `bson:"rule"`
}

func journalMerges(ms []resolve.Merge) []JournalMerge {
	out := make([]JournalMerge, len(ms))
	for i, m := range ms {
		out[i] = JournalMerge{Absorbed: m.Absorbed, Survivor: m.Survivor, RecordID: m.RecordID, Rule: m.Rule}
	}
	return out
}

// newJournalID is time-ordered like profile ids, so pending journals replay oldest first.
func (e *Engine) newJournalID() string {
	return "jnl_" + strings.TrimPrefix(e.NewProfileID(), "cus_")
}

// Recover finishes the changes whose journals were written before the given time and
// never deleted (a process killed mid-change). Call it at start with the current time;
// a periodic sweep with an older cut-off picks up what another, dead instance left.
// It returns the number of changes finished.
func (e *Engine) Recover(ctx context.Context, before time.Time) (int, error) {
	defer e.lock()()
	js, err := e.Store.Journals(ctx, before)
	if err != nil {
		return 0, err
	}
	for i, j := range js {
		if err := e.replay(ctx, j); err != nil {
			return i, err
		}
	}
	return len(js), nil
}

// recoverFailed replays the journals of changes that failed in this process (a client
// gone mid-batch, a database error), before the next change plans on top of them.
func (e *Engine) recoverFailed(ctx context.Context) error {
	e.failedMu.Lock()
	ids := slices.Clone(e.failed)
	e.failedMu.Unlock()
	for _, id := range ids {
		j, ok, err := e.Store.GetJournal(ctx, id)
		if err != nil {
			return err
		}
		if ok {
			if err := e.replay(ctx, j); err != nil {
				return err
			}
		}
		e.failedMu.Lock()
		e.failed = slices.DeleteFunc(e.failed, func(x string) bool { return x == id })
		e.failedMu.Unlock()
	}
	return nil
}

func (e *Engine) noteFailed(id string) {
	e.failedMu.Lock()
	defer e.failedMu.Unlock()
	if !slices.Contains(e.failed, id) {
		e.failed = append(e.failed, id)
	}
}

// replay finishes one journaled change; every step it takes is idempotent, so a crash
// during recovery is recovered the same way. The change's merges and split are reported
// to the follower again (it may not have run, or not to the end), before the records
// are resolved again (which journals and reports only what that finds to do).
func (e *Engine) replay(ctx context.Context, j Journal) error {
	if len(j.Merges) > 0 {
		events, err := e.completeMerges(ctx, j)
		if err != nil {
			return err
		}
		if err := e.followMerges(ctx, events); err != nil {
			return err
		}
	}
	if j.Split != nil {
		if err := e.followSplit(ctx, *j.Split); err != nil {
			return err
		}
	}
	if len(j.Records) == 0 {
		if err := e.recompute(ctx, j.Recompute); err != nil {
			return err
		}
		if err := e.Store.DeleteJournal(ctx, j.ID); err != nil {
			return err
		}
		e.changed(j.Recompute)
		return nil
	}
	// Resolve the records again, as they are stored now: a record stored by the killed
	// attempt is no longer new, and its profile is where it was put.
	ids := make([]string, len(j.Records))
	for i, r := range j.Records {
		ids[i] = r.ID
	}
	stored, err := e.Store.GetRecords(ctx, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]profile.Record, len(stored))
	for _, r := range stored {
		byID[r.ID] = r
	}
	recs := make([]*profile.Record, len(j.Records))
	var sources []string
	for i := range j.Records {
		r := j.Records[i]
		s, ok := byID[r.ID]
		r.IsNew = !ok
		r.ProfileID, r.OriginProfileID = s.ProfileID, s.OriginProfileID
		if ok {
			r.ReceivedAt = s.ReceivedAt
		}
		recs[i] = &r
		if !slices.Contains(sources, r.Source) {
			sources = append(sources, r.Source)
		}
	}
	newIDs := make(map[string]string, len(j.NewIDs))
	for _, n := range j.NewIDs {
		newIDs[n.Record] = n.Profile
	}
	out, err := e.resolve(ctx, recs, j, newIDs)
	if err != nil {
		return err
	}
	// The killed attempt may have stored records without counting them: count exactly.
	if err := e.Store.RecountSourceRecords(ctx, sources); err != nil {
		return err
	}
	ids = ids[:0]
	for _, id := range out.ProfileOf {
		ids = append(ids, id)
	}
	e.changed(ids)
	return nil
}

// completeMerges does again what the journal's merges did, from the graph as stored:
// marking, moving identities and records, and the survivor's identifiers and history
// (each merge's history entry once, however far the killed attempt got). It returns the
// merges as events for the follower.
func (e *Engine) completeMerges(ctx context.Context, j Journal) ([]MergeEvent, error) {
	p := resolve.New(e.Rules, j.At)
	var ids []string
	for _, m := range j.Merges {
		ids = append(ids, m.Absorbed, m.Survivor)
	}
	if err := p.Load(ctx, e.Store, nil, ids); err != nil {
		return nil, err
	}
	for _, m := range j.Merges {
		p.Replay(resolve.Merge{Absorbed: m.Absorbed, Survivor: m.Survivor, RecordID: m.RecordID, Rule: m.Rule})
	}
	if err := e.applyMerges(ctx, p.Merges, p.Nodes, j.Actor, j.At); err != nil {
		return nil, err
	}
	return mergeEvents(p.Merges, p.Find, func(id string) []string { return p.Node(id).Records }, j.Actor, j.At), nil
}

// hasMergeEvent reports whether a history already records this merge (absorbed into
// survivor by the change made at the given time).
func hasMergeEvent(h []profile.MergeEvent, absorbed, survivor string, at time.Time) bool {
	for _, ev := range h {
		if ev.Kind == profile.EventMerge && ev.Into == survivor && len(ev.ProfileIDs) == 1 && ev.ProfileIDs[0] == absorbed &&
			ev.At.Truncate(time.Millisecond).Equal(at.Truncate(time.Millisecond)) {
			return true
		}
	}
	return false
}
