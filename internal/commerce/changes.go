package commerce

import (
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// changes collects ledger changes by bucket.
type changes map[ledger.BucketKey]*ledger.LedgerChange

func (cs changes) of(k ledger.BucketKey) *ledger.LedgerChange {
	c := cs[k]
	if c == nil {
		c = &ledger.LedgerChange{BucketKey: k}
		cs[k] = c
	}
	return c
}

func (cs changes) setOrder(k ledger.BucketKey, id string, e ledger.Entry) {
	c := cs.of(k)
	if c.SetOrders == nil {
		c.SetOrders = map[string]ledger.Entry{}
	}
	c.SetOrders[id] = e
}

func (cs changes) unsetOrder(k ledger.BucketKey, id string) {
	c := cs.of(k)
	c.UnsetOrders = append(c.UnsetOrders, id)
}

func (cs changes) setInteraction(k ledger.BucketKey, id string, at time.Time) {
	c := cs.of(k)
	if c.SetInteractions == nil {
		c.SetInteractions = map[string]time.Time{}
	}
	c.SetInteractions[id] = at
}

func (cs changes) unsetInteraction(k ledger.BucketKey, id string) {
	c := cs.of(k)
	c.UnsetInteractions = append(c.UnsetInteractions, id)
}

// list returns the non-empty changes; an id both set and removed in one bucket is set.
func (cs changes) list() []ledger.LedgerChange {
	var out []ledger.LedgerChange
	for _, c := range cs {
		c.UnsetOrders = without(uniq(c.UnsetOrders), c.SetOrders)
		c.UnsetInteractions = without(uniq(c.UnsetInteractions), c.SetInteractions)
		if !c.Empty() {
			out = append(out, *c)
		}
	}
	return out
}

func without[V any](ids []string, set map[string]V) []string {
	out := ids[:0]
	for _, id := range ids {
		if _, ok := set[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// profilesOf lists the profiles of buckets, and the buckets by profile.
func profilesOf(bs []ledger.Bucket) ([]string, map[string][]ledger.Bucket) {
	by := map[string][]ledger.Bucket{}
	for _, b := range bs {
		by[b.ProfileID] = append(by[b.ProfileID], b)
	}
	return keys(by), by
}
