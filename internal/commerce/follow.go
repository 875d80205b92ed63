package commerce

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/identity"
)

// Following merges and unmerges. A profile's orders and interactions are listed in its
// ledger buckets (named by its metrics document's period summaries), so what a profile
// holds is found with point reads by _id, and moved with bulk writes keyed by _id.
// Every step is idempotent and the order of the steps makes a repeat finish an
// interrupted call:
//
//  1. read what the profiles hold (holdings);
//  2. re-point the orders and interactions (SetProfiles);
//  3. rebuild the ledgers and metrics of the receiving profiles from what they hold now,
//     the moved ids included (rebuild);
//  4. after a merge, delete the absorbed profiles' buckets and metrics.
//
// A repeat after step 2 finds the moved items already on their new profile (nothing to
// move) but still listed on the old one, so step 3 counts them all the same.

// FollowMerge moves the orders and interactions of absorbed profiles to the survivor and
// rebuilds its metrics (see FollowMerges).
func (s *Service) FollowMerge(ctx context.Context, absorbed []string, survivor string) error {
	if survivor == "" {
		return apperr.Invalidf("merge survivor missing")
	}
	return s.FollowMerges(ctx, map[string][]string{survivor: absorbed})
}

// FollowMerges moves the orders, interactions and metrics of absorbed profiles to their
// survivors (survivor -> absorbed ids) with point reads and bulk writes by _id. Calling
// it again finishes an interrupted call and otherwise changes nothing; absorbed profiles
// that hold nothing cost one point read each.
func (s *Service) FollowMerges(ctx context.Context, groups map[string][]string) error {
	return s.followMerges(ctx, groups, false)
}

// followMerges is FollowMerges; search also finds the absorbed profiles' orders and
// interactions by profile (the Reconcile sweep: items a crash left unlisted).
func (s *Service) followMerges(ctx context.Context, groups map[string][]string, search bool) error {
	into := map[string]string{} // absorbed -> survivor
	for sv, abs := range groups {
		if sv == "" {
			return apperr.Invalidf("merge survivor missing")
		}
		for _, a := range abs {
			if a != "" && a != sv {
				into[a] = sv
			}
		}
	}
	if len(into) == 0 {
		return nil
	}
	absorbed := keys(into)
	h, err := s.holdings(ctx, absorbed, search)
	if err != nil || len(h.holders) == 0 {
		return err
	}
	om, im := map[string]string{}, map[string]string{}
	for _, o := range h.orders {
		if sv, ok := into[o.ProfileID]; ok {
			om[o.ID] = sv
		}
	}
	for _, it := range h.interactions {
		if sv, ok := into[it.ProfileID]; ok {
			im[it.ID] = sv
		}
	}
	var survivors []string
	for _, a := range h.holders {
		survivors = append(survivors, into[a])
	}
	if err := s.move(ctx, om, im); err != nil {
		return err
	}
	if err := s.rebuild(ctx, uniq(survivors), h.orderIDs, h.interactionIDs, false); err != nil {
		return err
	}
	s.notifyOrders(moved(h.orders, om))
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock := s.Store.LockMetrics()
	defer unlock()
	return s.Store.DeleteMetrics(ctx, h.holders, h.buckets)
}

// FollowUnmerge re-attaches the orders and interactions of the given profiles (the
// unmerged one and its parts) to the profile their source record now belongs to, and
// rebuilds the metrics of every profile involved. Like FollowMerges it reads by _id and
// is idempotent.
func (s *Service) FollowUnmerge(ctx context.Context, profileIDs []string) error {
	profileIDs = uniq(slices.DeleteFunc(slices.Clone(profileIDs), func(id string) bool { return id == "" }))
	h, err := s.holdings(ctx, profileIDs, false)
	if err != nil || len(h.holders) == 0 {
		return err
	}
	var recs []string
	for _, o := range h.orders {
		recs = append(recs, o.CustomerRecordID)
	}
	for _, it := range h.interactions {
		recs = append(recs, it.RecordID)
	}
	owner, err := s.Store.RecordProfiles(ctx, uniq(recs))
	if err != nil {
		return err
	}
	if err := s.finals(ctx, owner); err != nil {
		return err
	}
	om, im := map[string]string{}, map[string]string{}
	touched := slices.Clone(profileIDs)
	for _, o := range h.orders {
		if p := owner[o.CustomerRecordID]; p != "" && p != o.ProfileID {
			om[o.ID] = p
			touched = append(touched, p)
		}
	}
	for _, it := range h.interactions {
		if p := owner[it.RecordID]; p != "" && p != it.ProfileID {
			im[it.ID] = p
			touched = append(touched, p)
		}
	}
	if err := s.move(ctx, om, im); err != nil {
		return err
	}
	if err := s.rebuild(ctx, uniq(touched), h.orderIDs, h.interactionIDs, false); err != nil {
		return err
	}
	s.notifyOrders(moved(h.orders, om))
	return nil
}

// moved returns the orders of om (id -> new profile) with their new owner.
func moved(orders []Order, om map[string]string) []Order {
	var out []Order
	for _, o := range orders {
		if p, ok := om[o.ID]; ok {
			o.ProfileID = p
			out = append(out, o)
		}
	}
	return out
}

// holding is what a set of profiles holds: their orders and interactions as stored now
// (each still on one of the profiles), the ids they list (some may have moved on since),
// the profiles that have a metrics document or held anything (holders) and their
// buckets.
type holding struct {
	orders         []Order
	interactions   []Interaction
	orderIDs       []string
	interactionIDs []string
	holders        []string
	buckets        []ledger.BucketKey
}

// holdings reads what the profiles hold: the orders and interactions their buckets
// list, all by _id. search also finds orders and interactions by profile.
func (s *Service) holdings(ctx context.Context, ids []string, search bool) (holding, error) {
	var h holding
	ms, err := s.Store.GetMetrics(ctx, ids)
	if err != nil {
		return h, err
	}
	held := map[string]bool{}
	for _, m := range ms {
		held[m.ProfileID] = true
	}
	h.buckets = ledger.BucketKeys(ms)
	bs, err := s.Store.GetBuckets(ctx, h.buckets)
	if err != nil {
		return h, err
	}
	orders, inters, err := s.listed(ctx, bs, nil, nil, search, ids)
	if err != nil {
		return h, err
	}
	of := map[string]bool{}
	for _, id := range ids {
		of[id] = true
	}
	for _, o := range orders {
		h.orderIDs = append(h.orderIDs, o.ID)
		if of[o.ProfileID] {
			h.orders = append(h.orders, o)
			held[o.ProfileID] = true
		}
	}
	for _, it := range inters {
		h.interactionIDs = append(h.interactionIDs, it.ID)
		if of[it.ProfileID] {
			h.interactions = append(h.interactions, it)
			held[it.ProfileID] = true
		}
	}
	h.holders = keys(held)
	return h, nil
}

// listed reads the orders and interactions that buckets list, plus the ids given, by
// _id (and with search those stored on profiles pids), each once.
func (s *Service) listed(ctx context.Context, bs []ledger.Bucket, orderIDs, interactionIDs []string, search bool, pids []string) ([]Order, []Interaction, error) {
	oids, iids := slices.Clone(orderIDs), slices.Clone(interactionIDs)
	for _, b := range bs {
		oids = append(oids, keys(b.Orders)...)
		iids = append(iids, keys(b.Interactions)...)
	}
	orders, err := s.Store.GetOrders(ctx, uniq(oids))
	if err != nil {
		return nil, nil, err
	}
	inters, err := s.Store.GetInteractions(ctx, uniq(iids))
	if err != nil {
		return nil, nil, err
	}
	if search {
		found, err := s.Store.OrdersOfProfiles(ctx, pids)
		if err != nil {
			return nil, nil, err
		}
		orders = append(orders, found...)
		more, err := s.Store.InteractionsOfProfiles(ctx, pids)
		if err != nil {
			return nil, nil, err
		}
		inters = append(inters, more...)
	}
	seen := map[string]bool{}
	orders = slices.DeleteFunc(orders, func(o Order) bool { d := seen[o.ID]; seen[o.ID] = true; return d })
	seen = map[string]bool{}
	inters = slices.DeleteFunc(inters, func(it Interaction) bool { d := seen[it.ID]; seen[it.ID] = true; return d })
	return orders, inters, nil
}

// move re-points orders and interactions (id -> profile id).
func (s *Service) move(ctx context.Context, orders, interactions map[string]string) error {
	if len(orders)+len(interactions) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.Store.SetProfiles(ctx, orders, interactions)
}

// rebuild makes the ledgers and metrics of profiles pids list exactly what they hold
// now: the orders and interactions their buckets list, plus the ids given (moved to
// them) and, with search, those found by profile, each counted where it is stored now.
// Bucket entries are set and removed one by one, so a concurrent ingest's entries are
// kept; the metrics are written compare-and-set on rev, starting over after a lost race.
func (s *Service) rebuild(ctx context.Context, pids, orderIDs, interactionIDs []string, search bool) error {
	if len(pids) == 0 {
		return nil
	}
	unlock := s.Store.LockMetrics()
	defer unlock()
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return errors.New("commerce: metrics keep changing while following a merge")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		cur, err := s.Store.GetMetrics(ctx, pids)
		if err != nil {
			return err
		}
		listedKeys := ledger.BucketKeys(cur)
		bs, err := s.Store.GetBuckets(ctx, listedKeys)
		if err != nil {
			return err
		}
		orders, inters, err := s.listed(ctx, bs, orderIDs, interactionIDs, search, pids)
		if err != nil {
			return err
		}
		of := map[string]bool{}
		for _, p := range pids {
			of[p] = true
		}
		want := map[ledger.BucketKey]*ledger.Bucket{}
		bucket := func(k ledger.BucketKey) *ledger.Bucket {
			if want[k] == nil {
				want[k] = &ledger.Bucket{BucketKey: k, Orders: map[string]ledger.Entry{}, Interactions: map[string]time.Time{}}
			}
			return want[k]
		}
		for i := range orders {
			if o := &orders[i]; of[o.ProfileID] {
				bucket(ledger.OrderBucket(o.ProfileID, o.PlacedAt)).Orders[o.ID] = EntryOf(o)
			}
		}
		for _, it := range inters {
			if of[it.ProfileID] {
				bucket(ledger.InteractionBucket(it.ProfileID, it.At)).Interactions[it.ID] = it.At
			}
		}
		now := map[ledger.BucketKey]ledger.Bucket{}
		for _, b := range bs {
			now[b.BucketKey] = b
		}
		cs := changes{}
		for k, b := range now {
			w := bucket(k)
			for id := range b.Orders {
				if _, ok := w.Orders[id]; !ok {
					cs.unsetOrder(k, id)
				}
			}
			for id := range b.Interactions {
				if _, ok := w.Interactions[id]; !ok {
					cs.unsetInteraction(k, id)
				}
			}
		}
		for k, w := range want {
			have := now[k]
			for id, e := range w.Orders {
				if old, ok := have.Orders[id]; !ok || !sameEntry(old, e) {
					cs.setOrder(k, id, e)
				}
			}
			for id, at := range w.Interactions {
				if old, ok := have.Interactions[id]; !ok || !old.Equal(at) {
					cs.setInteraction(k, id, at)
				}
			}
		}
		after, err := s.Store.ChangeLedger(ctx, cs.list())
		if err != nil {
			return err
		}
		for _, b := range after {
			now[b.BucketKey] = b
		}
		all := map[string][]ledger.Bucket{}
		for _, b := range now {
			all[b.ProfileID] = append(all[b.ProfileID], b)
		}
		var ws []MetricsWrite
		for _, m := range cur {
			// A listed bucket that is gone counts as empty.
			for p, per := range m.Periods {
				if _, ok := now[ledger.BucketKey{ProfileID: m.ProfileID, Period: p}]; !ok {
					all[m.ProfileID] = append(all[m.ProfileID], ledger.Bucket{BucketKey: ledger.BucketKey{ProfileID: m.ProfileID, Period: p}, Rev: per.Rev})
				}
			}
		}
		exists := map[string]ledger.Metrics{}
		for _, m := range cur {
			exists[m.ProfileID] = m
		}
		for _, p := range pids {
			m, ok := exists[p]
			m.ProfileID = p
			if m.Apply(all[p]) {
				ws = append(ws, MetricsWrite{M: m, Prev: m.Rev, New: !ok})
			}
		}
		if len(ws) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		conflict, err := s.Store.SaveMetrics(ctx, ws)
		if err != nil || !conflict {
			return err
		}
	}
}

func sameEntry(a, b ledger.Entry) bool {
	return a.Kind == b.Kind && a.NetMinor == b.NetMinor && a.Currency == b.Currency && a.At.Equal(b.At)
}

// finals replaces profile ids in m (values) by the live profile they were merged into
// (identity.Follow over the store's merge redirects).
func (s *Service) finals(ctx context.Context, m map[string]string) error {
	var ids []string
	for _, p := range m {
		ids = append(ids, p)
	}
	fin, err := identity.Follow(ctx, identity.MergedOnly(s.Store.MergedInto), ids)
	if err != nil {
		return err
	}
	for k, p := range m {
		if f := fin[p]; f != "" {
			m[k] = f
		}
	}
	return nil
}

// Reconcile is the safety net behind the followers: it finds orders and interactions
// that still point at absorbed profiles (a follower that never ran, data from before
// the followers) and moves them to the survivors, searching the collections by profile
// (a scan on FerretDB: run it off the request path). It returns the number of absorbed
// profiles followed.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	ids, err := s.Store.CommerceProfiles(ctx)
	if err != nil {
		return 0, err
	}
	into, err := s.Store.MergedInto(ctx, ids)
	if err != nil || len(into) == 0 {
		return 0, err
	}
	final := map[string]string{}
	for a, p := range into {
		final[a] = p
	}
	if err := s.finals(ctx, final); err != nil {
		return 0, err
	}
	groups := map[string][]string{}
	for a, p := range final {
		groups[p] = append(groups[p], a)
	}
	if err := s.followMerges(ctx, groups, true); err != nil {
		return 0, err
	}
	return len(final), nil
}
