package app

import (
	"context"
	"time"
)

// loadSegmentFacts loads the segment evaluator's in-process fact cache (embedded
// database only; segmentquery.Store.LoadFacts does nothing on MongoDB), retrying after
// a failure. Until it has loaded, previews and membership use the query path.
func (a *App) loadSegmentFacts(ctx context.Context) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := a.SegmentQuery.LoadFacts(ctx, a.opts.Log)
		if err == nil || ctx.Err() != nil {
			return
		}
		a.opts.Log.Error("segment facts: load", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
