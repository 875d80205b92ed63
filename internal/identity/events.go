package identity

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity/resolve"
)

// MergeEvent reports one profile absorbed into another by a change of the graph
// (Resolve, MergeWithRule, or the recovery of either).
type MergeEvent struct {
	Absorbed string `bson:"absorbed"`
	// Survivor holds the absorbed profile's records once the change is done: a chain of
	// merges within one change (a into b, b into c) reports c for both. A later change
	// may merge it further; followers follow redirects from it (Follow).
	Survivor string `bson:"survivor"`
	// Records are the source records that moved with the absorbed profile (its record
	// list as the graph read it; records the same change added are not among them).
	Records []string `bson:"records,omitempty"`
	// RecordID is the record whose identifiers caused the merge ("" for a manual or
	// matching merge); Rule says why, as recorded in the survivor's history.
	RecordID string    `bson:"recordId,omitempty"`
	Rule     string    `bson:"rule"`
	Actor    string    `bson:"actor"`
	At       time.Time `bson:"at"`
}

// SplitEvent reports an Unmerge: records split off profile From. Every part takes back
// the oldest profile id its records came from (From itself among the remaining parts,
// unless the split-off records held it).
type SplitEvent struct {
	From      string    `bson:"from"`
	Split     []string  `bson:"split"`
	Remaining []string  `bson:"remaining"`
	Records   []string  `bson:"records"` // the split-off record ids
	Actor     string    `bson:"actor"`
	At        time.Time `bson:"at"`
}

// Profiles lists every profile an unmerge touched: From, then the parts.
func (s SplitEvent) Profiles() []string {
	var out []string
	for _, id := range append(append([]string{s.From}, s.Remaining...), s.Split...) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Follower hears merges and splits so that other domains follow them (commerce moves
// orders to the survivor, and back after an unmerge). The engine calls it when the
// graph holds the change and before the change's journal is deleted, under the
// engine's write guard: a change whose follower failed, or whose process died before
// the follower finished, is reported again when its journal is replayed (the next
// change of this process, or Recover). So a follower must be idempotent, and it must
// neither call back into the engine's graph changes nor take the engine's guard (on
// FerretDB, segment membership writes profile documents under it: that work belongs
// after the call, or on the Changed queue). Its error fails the call that made the
// change (the graph change itself stands and is reported again on replay).
type Follower interface {
	FollowMerges(ctx context.Context, ms []MergeEvent) error
	FollowSplit(ctx context.Context, s SplitEvent) error
}

// mergeEvents turns a plan's merges into events, each with its survivor after the plan
// (find) and the records the absorbed profile held as read (recordsOf).
func mergeEvents(ms []resolve.Merge, find func(string) string, recordsOf func(string) []string, actor string, at time.Time) []MergeEvent {
	out := make([]MergeEvent, 0, len(ms))
	for _, m := range ms {
		out = append(out, MergeEvent{Absorbed: m.Absorbed, Survivor: find(m.Survivor), Records: recordsOf(m.Absorbed),
			RecordID: m.RecordID, Rule: m.Rule, Actor: actor, At: at})
	}
	return out
}

// followMerges reports merges to the follower, if any.
func (e *Engine) followMerges(ctx context.Context, ms []MergeEvent) error {
	if e.Follower == nil || len(ms) == 0 {
		return nil
	}
	return e.Follower.FollowMerges(ctx, ms)
}

// followSplit reports an unmerge to the follower, if any.
func (e *Engine) followSplit(ctx context.Context, s SplitEvent) error {
	if e.Follower == nil {
		return nil
	}
	return e.Follower.FollowSplit(ctx, s)
}
