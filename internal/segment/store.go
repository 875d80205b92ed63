package segment

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Querier evaluates rules against the stored profiles. Implementations validate the
// rule first and return apperr.Invalid errors for bad rules.
type Querier interface {
	// SegmentCount counts the live profiles matching r.
	SegmentCount(ctx context.Context, r Rule, now time.Time) (int64, error)
	// SegmentSample returns up to limit matching profiles, in profile id order.
	SegmentSample(ctx context.Context, r Rule, now time.Time, limit int) ([]profile.Profile, error)
	// SegmentMembers streams the ids of matching profiles in id order, in batches, to fn;
	// restrict (nil = all) limits the evaluation to those profile ids.
	SegmentMembers(ctx context.Context, r Rule, now time.Time, restrict []string, fn func(ids []string) error) error
}

// A Querier may also keep what rules read in process; the membership service then
// tells it about changes through these optional interfaces.

// ChangeNotifier hears the profiles the write paths changed (it must not block).
type ChangeNotifier interface {
	ProfilesChanged(ids []string)
}

// Refresher brings what it keeps of the profiles up to date before they are
// re-evaluated; profiles that are gone or merged are dropped.
type Refresher interface {
	RefreshProfiles(ctx context.Context, ids []string) error
}

// Previewer counts the matches of r and returns the first sample of them in id order,
// in one evaluation.
type Previewer interface {
	SegmentPreview(ctx context.Context, r Rule, now time.Time, sample int) (int64, []profile.Profile, error)
}
