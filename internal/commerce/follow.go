package commerce

import (
	"context"
	"errors"
	"slices"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
)

// Following merges and unmerges. A profile's orders are the keys of its metrics ledger
// and its interactions are listed on the same document (Index), so what a profile holds
// is found with point reads by _id, and moved with bulk writes keyed by _id. Every step
// is idempotent and the order of the steps makes a repeat finish an interrupted call:
//
//  1. read what the profiles hold (holdings);
//  2. add the moving interactions to their new profiles' lists;
//  3. re-point the orders and interactions (SetProfiles);
//  4. rebuild the metrics of the receiving profiles from what they hold now, the moved
//     ids included (rebuild, compare-and-set on rev);
//  5. after a merge, delete the absorbed profiles' metrics (with their lists).
//
// A repeat after step 3 finds the moved items already on their new profile (nothing to
// move) but still listed on the old one, so step 4 counts them all the same.

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
	lists := map[string][]string{}
	for _, o := range h.orders {
		if sv, ok := into[o.ProfileID]; ok {
			om[o.ID] = sv
		}
	}
	for _, it := range h.interactions {
		if sv, ok := into[it.ProfileID]; ok {
			im[it.ID] = sv
			lists[sv] = append(lists[sv], it.ID)
		}
	}
	var survivors []string
	for _, a := range h.holders {
		survivors = append(survivors, into[a])
	}
	if err := s.move(ctx, om, im, lists); err != nil {
		return err
	}
	if err := s.rebuild(ctx, uniq(survivors), h.orderIDs, h.interactionIDs); err != nil {
		return err
	}
	return s.Store.DeleteMetrics(ctx, h.holders)
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
	lists := map[string][]string{}
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
			lists[p] = append(lists[p], it.ID)
			touched = append(touched, p)
		}
	}
	if err := s.move(ctx, om, im, lists); err != nil {
		return err
	}
	return s.rebuild(ctx, uniq(touched), h.orderIDs, h.interactionIDs)
}

// holding is what a set of profiles holds: their orders and interactions as stored now
// (each still on one of the profiles), the ids they list (some may have moved on since),
// and the profiles that have a metrics document or held anything (holders).
type holding struct {
	orders         []Order
	interactions   []Interaction
	orderIDs       []string
	interactionIDs []string
	holders        []string
}

// holdings reads what the profiles hold: orders from their metrics ledgers, interactions
// from their lists (without an Index: by profile), all by _id. search also finds orders
// and interactions by profile.
func (s *Service) holdings(ctx context.Context, ids []string, search bool) (holding, error) {
	var h holding
	ms, err := s.Store.GetMetrics(ctx, ids)
	if err != nil {
		return h, err
	}
	held := map[string]bool{}
	for _, m := range ms {
		held[m.ProfileID] = true
		h.orderIDs = append(h.orderIDs, keys(m.Ledger)...)
	}
	// The lists live on the metrics documents: only profiles with one have a list.
	if s.Index != nil && len(held) > 0 {
		lists, err := s.Index.InteractionIDs(ctx, keys(held))
		if err != nil {
			return h, err
		}
		for p, l := range lists {
			held[p] = true
			h.interactionIDs = append(h.interactionIDs, l...)
		}
	}
	orders, err := s.Store.GetOrders(ctx, uniq(h.orderIDs))
	if err != nil {
		return h, err
	}
	var inters []Interaction
	if s.Index != nil {
		if inters, err = s.Index.GetInteractions(ctx, uniq(h.interactionIDs)); err != nil {
			return h, err
		}
	}
	if search || s.Index == nil {
		found, err := s.Store.InteractionsOfProfiles(ctx, ids)
		if err != nil {
			return h, err
		}
		inters = append(inters, found...)
	}
	if search {
		found, err := s.Store.OrdersOfProfiles(ctx, ids)
		if err != nil {
			return h, err
		}
		orders = append(orders, found...)
	}
	of := map[string]bool{}
	for _, id := range ids {
		of[id] = true
	}
	seen := map[string]bool{}
	for _, o := range orders {
		if of[o.ProfileID] && !seen["o"+o.ID] {
			seen["o"+o.ID] = true
			h.orders = append(h.orders, o)
			held[o.ProfileID] = true
		}
	}
	for _, it := range inters {
		if of[it.ProfileID] && !seen["i"+it.ID] {
			seen["i"+it.ID] = true
			h.interactions = append(h.interactions, it)
			held[it.ProfileID] = true
		}
	}
	for _, o := range h.orders {
		h.orderIDs = append(h.orderIDs, o.ID)
	}
	for _, it := range h.interactions {
		h.interactionIDs = append(h.interactionIDs, it.ID)
	}
	h.orderIDs, h.interactionIDs, h.holders = uniq(h.orderIDs), uniq(h.interactionIDs), keys(held)
	return h, nil
}

// move re-points orders and interactions (id -> profile id), after adding the moving
// interactions to their new profiles' lists.
func (s *Service) move(ctx context.Context, orders, interactions map[string]string, lists map[string][]string) error {
	if s.Index != nil && len(lists) > 0 {
		if err := s.Index.AddInteractionIDs(ctx, lists); err != nil {
			return err
		}
	}
	if len(orders)+len(interactions) == 0 {
		return nil
	}
	return s.Store.SetProfiles(ctx, orders, interactions)
}

// rebuild derives the metrics of profiles from what they hold now: the orders of their
// ledgers and the interactions of their lists, plus the ids given (moved to them), each
// counted where it is stored now. It writes by compare-and-set on rev and starts over
// after a lost race. Without an Index, interactions are found by profile.
func (s *Service) rebuild(ctx context.Context, pids, orderIDs, interactionIDs []string) error {
	for attempt := 0; len(pids) > 0; attempt++ {
		if attempt == maxAttempts {
			return errors.New("commerce: metrics keep changing while following a merge")
		}
		cur, err := s.Store.GetMetrics(ctx, pids)
		if err != nil {
			return err
		}
		oids := slices.Clone(orderIDs)
		for _, m := range cur {
			oids = append(oids, keys(m.Ledger)...)
		}
		orders, err := s.Store.GetOrders(ctx, uniq(oids))
		if err != nil {
			return err
		}
		var have []string
		for _, m := range cur {
			have = append(have, m.ProfileID)
		}
		inters, err := s.interactionsOf(ctx, pids, have, interactionIDs)
		if err != nil {
			return err
		}
		fresh := map[string]*Metrics{}
		for _, p := range pids {
			fresh[p] = &Metrics{ProfileID: p, Ledger: map[string]Entry{}}
		}
		exists := map[string]bool{}
		for _, m := range cur {
			exists[m.ProfileID] = true
			fresh[m.ProfileID].Rev, fresh[m.ProfileID].RFM = m.Rev, m.RFM
		}
		for i := range orders {
			if m := fresh[orders[i].ProfileID]; m != nil {
				m.Ledger[orders[i].ID] = EntryOf(&orders[i])
			}
		}
		seen := map[string]bool{}
		for _, it := range inters {
			m := fresh[it.ProfileID]
			if m == nil || seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			m.Interactions++
			if it.At.After(m.LastInteractionAt) {
				m.LastInteractionAt = it.At
			}
		}
		var ws []MetricsWrite
		for _, p := range pids {
			m := fresh[p]
			m.rebuild()
			ws = append(ws, MetricsWrite{M: *m, Prev: m.Rev, New: !exists[p], Full: true})
		}
		conflict, err := s.Store.SaveMetrics(ctx, ws)
		if err != nil || !conflict {
			return err
		}
	}
	return nil
}

// interactionsOf reads the interactions listed for profiles pids (those of them with a
// metrics document: withDoc) plus the ids given (with an Index), or those stored on the
// profiles (without one).
func (s *Service) interactionsOf(ctx context.Context, pids, withDoc, ids []string) ([]Interaction, error) {
	if s.Index == nil {
		return s.Store.InteractionsOfProfiles(ctx, pids)
	}
	lists := map[string][]string{}
	if len(withDoc) > 0 {
		var err error
		if lists, err = s.Index.InteractionIDs(ctx, withDoc); err != nil {
			return nil, err
		}
	}
	all := slices.Clone(ids)
	for _, l := range lists {
		all = append(all, l...)
	}
	return s.Index.GetInteractions(ctx, uniq(all))
}

// indexInteractions adds interactions to their profiles' lists (with an Index).
func (s *Service) indexInteractions(ctx context.Context, is []Interaction) error {
	if s.Index == nil {
		return nil
	}
	lists := map[string][]string{}
	for _, it := range is {
		if it.ProfileID != "" {
			lists[it.ProfileID] = append(lists[it.ProfileID], it.ID)
		}
	}
	if len(lists) == 0 {
		return nil
	}
	return s.Index.AddInteractionIDs(ctx, lists)
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
