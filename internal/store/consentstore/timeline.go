package consentstore

import (
	"context"
	"slices"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
)

// ItemConsent is the timeline kind of consent changes; the item's channel is the
// consent channel, its type the new status, its Extra the consent.Entry.
const ItemConsent = "consent"

// Timeline is a c360.TimelineSource of consent changes: every entry of the profile's
// consent history (merged profiles' entries came with their merge). One point read.
type Timeline struct{ Store *Store }

var _ c360.TimelineSource = Timeline{}

// Page returns up to limit history entries after from, newest first.
func (t Timeline) Page(ctx context.Context, profileID string, from *c360.Position, f c360.TimelineFilter, limit int) ([]c360.TimelineItem, error) {
	r, ok, err := t.Store.Get(ctx, profileID)
	if err != nil || !ok {
		return nil, err
	}
	var out []c360.TimelineItem
	for _, e := range slices.Backward(r.History) {
		it := c360.TimelineItem{Kind: ItemConsent, ID: e.ID, At: e.At, Channel: string(e.Channel), Type: string(e.Status), Extra: e}
		if f.Allows(it.Channel, it.Type) && from.Includes(it) {
			out = append(out, it)
		}
	}
	// The history is by statement time; the timeline's order breaks ties by id.
	slices.SortStableFunc(out, func(a, b c360.TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		switch {
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
	return out[:min(len(out), limit)], nil
}
