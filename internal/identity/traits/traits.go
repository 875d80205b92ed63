// Package traits derives the traits of profiles from their records, under the
// survivorship rules and the sources' priorities.
package traits

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Store is what deriving traits reads and writes (an identity.Store).
type Store interface {
	SourcePriorities(ctx context.Context) (map[string]int, error)
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
	RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error)
	GetRecords(ctx context.Context, ids []string) ([]profile.Record, error)
	// SaveComputed writes computed traits of profiles whose rev is unchanged; it returns
	// the ids whose rev moved on meanwhile.
	SaveComputed(ctx context.Context, ps []profile.Profile) (stale []string, err error)
}

// Recompute computes the traits of profiles ids from their records under the
// survivorship rules, retrying profiles whose record set changed while it read (rev
// moved on); known are records the caller has just stored, as stored, which need not be
// read again when exclusive (no other writer).
func Recompute(ctx context.Context, st Store, rules profile.Rules, now func() time.Time, exclusive bool, ids []string, known ...profile.Record) error {
	prio, err := st.SourcePriorities(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; len(ids) > 0; attempt++ {
		if attempt == 20 {
			return errors.New("identity: profiles keep changing during recompute")
		}
		ps, err := st.GetProfiles(ctx, ids)
		if err != nil {
			return err
		}
		recs, err := recordsOf(ctx, st, exclusive, ids, ps, known)
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
			p.Traits, p.Provenance, p.Invalid = profile.Compute(rs, prio, rules)
			p.SearchTokens = profile.SearchTokens(p.ID, p.Traits)
			p.RecordCount = len(rs)
			p.UpdatedAt = now()
			out = append(out, p)
		}
		if ids, err = st.SaveComputed(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

// recordsOf reads the records of profiles ids (ps are their documents). With no other
// writer, the records the caller knows are not read again: the others are read by the
// profiles' RecordIDs lists, keeping those that still point at one of ids.
func recordsOf(ctx context.Context, st Store, exclusive bool, ids []string, ps []profile.Profile, known []profile.Record) ([]profile.Record, error) {
	if !exclusive || len(known) == 0 {
		return st.RecordsOfProfiles(ctx, ids)
	}
	have := make(map[string]profile.Record, len(known))
	for _, r := range known {
		have[r.ID] = r
	}
	var need []string
	var out []profile.Record
	for _, p := range ps {
		if p.RecordIDs == nil && p.RecordCount > 0 {
			return st.RecordsOfProfiles(ctx, ids) // a profile without its list
		}
		for _, id := range p.RecordIDs {
			if r, ok := have[id]; ok {
				out = append(out, r)
			} else {
				need = append(need, id)
			}
		}
	}
	read, err := st.GetRecords(ctx, need)
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
