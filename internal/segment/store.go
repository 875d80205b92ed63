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
