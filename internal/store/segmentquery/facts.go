package segmentquery

// The in-process fact cache (internal/segment/facts) on the embedded database.
//
// On FerretDB every filter but a bare _id scans the collection, so a rule compiled to
// a query costs at least one scan of the profiles (seconds at 100k profiles). Instead
// the store loads the facts rules read (traits, identifiers, consent attributes, value
// metrics) once, in the background (LoadFacts, with package factload: one projected
// scan of profiles and one of customer_metrics, in batches), and keeps them current
// write-through: the write paths announce the profiles they changed (ProfilesChanged,
// from the segment queue), and their facts are re-read by bare _id (RefreshProfiles
// before a membership re-evaluation, and every pending one before a preview, so a
// preview sees every write announced before it). Rules then run in memory; conditions on orders, interactions
// and tickets are still id sets evaluated on the database (countSet), as in the query
// path. Until the load has finished the query path answers.
//
// This is only right because the embedded database has one writer process, this one.
// On MongoDB (Backend.IndexedFilters) several instances may write, the filters are
// index-backed, and the store keeps the query path: New creates no cache there.

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/segment/facts"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

var (
	_ segment.ChangeNotifier = (*Store)(nil)
	_ segment.Refresher      = (*Store)(nil)
	_ segment.Previewer      = (*Store)(nil)
)

// Facts returns the fact cache (nil on a backend that keeps the query path).
func (s *Store) Facts() *facts.Cache { return s.facts }

// factsReady reports whether rules run over the fact cache.
func (s *Store) factsReady() bool { return s.facts != nil && s.facts.Loaded() }

// LoadFacts loads the fact cache (see factload.Loader.Load). It does nothing where the
// store keeps the query path. Run it in the background at start; log may be nil.
func (s *Store) LoadFacts(ctx context.Context, log *slog.Logger) error {
	if s.load == nil {
		return nil
	}
	return s.load.Load(ctx, log)
}

// ProfilesChanged records that the profiles changed (see segment.ChangeNotifier).
func (s *Store) ProfilesChanged(ids []string) {
	if s.facts != nil {
		s.facts.MarkDirty(ids)
	}
}

// RefreshProfiles re-reads the facts of the profiles by bare _id (see
// segment.Refresher). Before the load finishes it does nothing: the load re-reads what
// changed meanwhile.
func (s *Store) RefreshProfiles(ctx context.Context, ids []string) error {
	if !s.factsReady() || len(ids) == 0 {
		return nil
	}
	return s.load.Refresh(ctx, ids, false)
}

// ---- evaluation over the cache ----

// leaves evaluates count conditions on the database, as the query path does.
func (s *Store) leaves(ctx context.Context, now time.Time, restrict []string) facts.Leaves {
	c := &segCompiler{s: s, ctx: ctx, now: now.Truncate(time.Millisecond), setIndex: map[string]int{}, serverGroup: s.b.ServerGroup}
	if restrict != nil {
		c.restrict = sortedSet(slices.Clone(restrict))
		c.hasRestrict = true
	}
	return func(r segment.Rule) ([]string, bool, error) {
		switch {
		case r.Orders != nil:
			return c.countSet(countOrders, *r.Orders)
		case r.Interactions != nil:
			return c.countSet(countInteractions, *r.Interactions)
		case r.Tickets != nil:
			return c.countSet(countTickets, *r.Tickets)
		}
		return nil, false, apperr.Invalidf("rule: not a count condition")
	}
}

// compileFacts brings the cache up to date with every announced change and compiles r.
func (s *Store) compileFacts(ctx context.Context, r segment.Rule, now time.Time, restrict []string) (*facts.Predicate, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if s.facts.DirtyCount() > 0 {
		if err := s.load.Refresh(ctx, nil, true); err != nil {
			return nil, err
		}
	}
	return facts.Compile(r, now, s.leaves(ctx, now, restrict))
}

// sampleProfiles reads the profiles of ids by bare _id, in id order, as Sample does.
func (s *Store) sampleProfiles(ctx context.Context, ids []string) ([]profile.Profile, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ps, err := dbkit.PointReads[profile.Profile](ctx, s.profiles, ids, options.FindOne().SetProjection(sampleProjection))
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// SegmentPreview counts the live profiles matching r and returns the first sample of
// them in id order (see segment.Previewer): over the fact cache once it is loaded (one
// pass, no scan of the profiles), otherwise with SegmentCount and SegmentSample.
func (s *Store) SegmentPreview(ctx context.Context, r segment.Rule, now time.Time, sample int) (int64, []profile.Profile, error) {
	if sample < 0 || sample > maxSampleLimit {
		return 0, nil, apperr.Invalidf("sample limit must be between 0 and %d", maxSampleLimit)
	}
	if !s.factsReady() {
		n, err := s.SegmentCount(ctx, r, now)
		if err != nil || n == 0 || sample == 0 {
			return n, nil, err
		}
		ps, err := s.SegmentSample(ctx, r, now, sample)
		return n, ps, err
	}
	p, err := s.compileFacts(ctx, r, now, nil)
	if err != nil {
		return 0, nil, err
	}
	n, ids := s.facts.Count(p, sample)
	ps, err := s.sampleProfiles(ctx, ids)
	return int64(n), ps, err
}
