package commerce

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// Service is the commerce domain.
type Service struct {
	Store Store
	Now   func() time.Time
	// PriorIntervalDays is the churn model's mean interval for one-order customers.
	PriorIntervalDays float64
	// Changed, if set, hears the profiles whose orders or interactions changed; it must
	// not block.
	Changed func(ids []string)
	// Observers hear orders as they are stored after a change: new or replaced by
	// PutOrders, or moved to another profile by a merge or split (ProfileID is the new
	// owner). In-process structures (reports, recommendations) follow the data through
	// them. They run after the change is stored and must not block.
	Observers []func(orders []Order)
	// InteractionObservers hear interactions stored for the first time by
	// AddInteractions (journeys' triggers and waits), after they are stored; they must not
	// block.
	InteractionObservers []func(is []Interaction)
	// AsOf, if set, is the date time-dependent metrics (churn risk) are computed at: the
	// reports' default, so for historical data (the 2011 retail file) the newest order's
	// day rather than the wall clock, which put every such customer at risk.
	AsOf func() time.Time
}

// MetricsAsOf is the date time-dependent metrics are computed at (AsOf, else Now).
func (s *Service) MetricsAsOf() time.Time {
	if s.AsOf != nil {
		return s.AsOf()
	}
	return s.Now()
}

// Observe adds an observer of changed orders.
func (s *Service) Observe(f func(orders []Order)) { s.Observers = append(s.Observers, f) }

// ObserveInteractions adds an observer of new interactions.
func (s *Service) ObserveInteractions(f func(is []Interaction)) {
	s.InteractionObservers = append(s.InteractionObservers, f)
}

func (s *Service) notifyOrders(orders []Order) {
	if len(orders) == 0 {
		return
	}
	for _, f := range s.Observers {
		f(orders)
	}
}

// NewService wires the domain to a store.
func NewService(s Store) *Service {
	return &Service{Store: s, Now: func() time.Time { return time.Now().UTC() }, PriorIntervalDays: 90}
}

const maxAttempts = 20

// PutResult counts what PutOrders did.
type PutResult struct {
	Written         int // orders stored (new or changed content)
	MetricsChanged  int // profiles whose metrics changed
	GuestOrders     int
	ProfilesTouched int
}

// PutOrders stores orders and updates the metrics of their profiles. Re-sending the same
// orders is a no-op for the metrics; an order that moved to another profile (or year)
// leaves the old one's ledger.
//
// The steps, each idempotent, each started only while ctx is live (a request whose
// client has gone stops at the next step; re-sending the batch finishes it):
//
//  1. insert the orders in bulk; those whose id is taken are read back by _id;
//  2. the ledger buckets get every order's entry (and lose the entries of orders that
//     moved), then the metrics of the profiles are rewritten from the buckets;
//  3. orders whose stored content differs are replaced.
//
// A new order costs its share of one bulk insert; a profile costs a bucket write per
// year it has orders in the batch, a metrics read and a metrics write.
func (s *Service) PutOrders(ctx context.Context, orders []Order) (PutResult, error) {
	var res PutResult
	if len(orders) == 0 {
		return res, nil
	}
	now := s.Now()
	ids := make([]string, len(orders))
	byID := map[string]*Order{}
	for i := range orders {
		if err := orders[i].normalize(now); err != nil {
			return res, err
		}
		ids[i] = orders[i].ID
		byID[orders[i].ID] = &orders[i] // a later duplicate wins
	}
	ids = uniq(ids)
	batch := make([]Order, len(ids))
	for i, id := range ids {
		batch[i] = *byID[id]
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	existing, err := s.Store.InsertOrders(ctx, batch)
	if err != nil {
		return res, err
	}
	res.Written = len(batch) - len(existing)
	stored := map[string]*Order{}
	if len(existing) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		prev, err := s.Store.GetOrders(ctx, existing)
		if err != nil {
			return res, err
		}
		for i := range prev {
			stored[prev[i].ID] = &prev[i]
		}
	}
	// Every order's entry is set again, which repairs a ledger an interrupted earlier
	// call left behind; only orders whose content changed are written again.
	cs := changes{}
	var replaces []Order
	touched := map[string]bool{}
	isNew := map[string]bool{}
	for _, o := range batch {
		isNew[o.ID] = true
	}
	for _, id := range existing {
		isNew[id] = false
	}
	for _, o := range batch {
		key := ledger.OrderBucket(o.ProfileID, o.PlacedAt)
		if !isNew[o.ID] {
			old := stored[o.ID]
			switch {
			case old == nil: // deleted since the insert found it
				replaces = append(replaces, o)
			case !sameOrder(old, &o):
				replaces = append(replaces, o)
			}
			if old != nil && old.ProfileID != "" {
				if k := ledger.OrderBucket(old.ProfileID, old.PlacedAt); k != key {
					cs.unsetOrder(k, o.ID)
					touched[old.ProfileID] = true
				}
			}
		}
		if o.ProfileID == "" {
			res.GuestOrders++
			continue
		}
		cs.setOrder(key, o.ID, EntryOf(&o))
		touched[o.ProfileID] = true
	}
	res.ProfilesTouched = len(touched)
	// The ledger before the replaced orders: a repeat after an interruption reads the
	// old version again and makes the same changes.
	if res.MetricsChanged, err = s.applyLedger(ctx, cs.list()); err != nil {
		return res, err
	}
	if len(replaces) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := s.Store.ReplaceOrders(ctx, replaces); err != nil {
			return res, err
		}
	}
	res.Written += len(replaces)
	s.changed(keys(touched))
	s.notifyOrders(batch)
	return res, nil
}

// changed tells the Changed hook (segment membership) about profiles whose orders or
// interactions changed.
func (s *Service) changed(ids []string) {
	var live []string
	for _, id := range ids {
		if id != "" {
			live = append(live, id)
		}
	}
	if s.Changed != nil && len(live) > 0 {
		s.Changed(live)
	}
}

// sameOrder compares content, ignoring the write time.
func sameOrder(stored, o *Order) bool {
	a, b := *stored, *o
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	if len(a.Lines) == 0 && len(b.Lines) == 0 {
		a.Lines, b.Lines = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// applyLedger applies changes to the ledger buckets, then brings the metrics of their
// profiles up to date from the buckets as they are after the change: one bucket write
// per change, one metrics read and at most one metrics write per profile (more only
// after a lost race on MongoDB, which re-reads and re-applies: applying twice changes
// nothing the second time). It returns the number of profiles whose metrics changed.
func (s *Service) applyLedger(ctx context.Context, cs []ledger.LedgerChange) (int, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	unlock := s.Store.LockMetrics()
	defer unlock()
	if err := ctx.Err(); err != nil { // gone while waiting for the lock
		return 0, err
	}
	buckets, err := s.Store.ChangeLedger(ctx, cs)
	if err != nil {
		return 0, err
	}
	pids, byProfile := profilesOf(buckets)
	return s.saveApplied(ctx, pids, func(m *ledger.Metrics) bool { return m.Apply(byProfile[m.ProfileID]) })
}

// saveApplied reads the metrics of pids, has apply bring each up to date (reporting a
// change) and writes those that changed, compare-and-set on rev, re-reading and
// re-applying after a lost race. The caller holds LockMetrics. It returns the number of
// profiles whose metrics changed.
func (s *Service) saveApplied(ctx context.Context, pids []string, apply func(m *ledger.Metrics) bool) (int, error) {
	changed := map[string]bool{}
	for attempt := 0; len(pids) > 0; attempt++ {
		if attempt == maxAttempts {
			return 0, errors.New("commerce: metrics keep changing under concurrent writes")
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		cur, err := s.Store.GetMetrics(ctx, pids)
		if err != nil {
			return 0, err
		}
		have := map[string]ledger.Metrics{}
		for _, m := range cur {
			have[m.ProfileID] = m
		}
		var ws []MetricsWrite
		for _, p := range pids {
			m, ok := have[p]
			m.ProfileID = p
			if apply(&m) {
				ws = append(ws, MetricsWrite{M: m, Prev: m.Rev, New: !ok})
				changed[p] = true
			}
		}
		if len(ws) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		conflict, err := s.Store.SaveMetrics(ctx, ws)
		if err != nil {
			return 0, err
		}
		if !conflict {
			break
		}
		pids = pids[:0]
		for _, w := range ws {
			pids = append(pids, w.M.ProfileID)
		}
	}
	return len(changed), nil
}

// AddInteractions stores interactions; ids stored already are skipped, so only new ones
// count in the metrics. It returns how many were new.
//
// The steps, each idempotent and started only while ctx is live: insert in bulk (the
// ids that exist are read back by _id, so that a repeat lists them where they are
// stored); list every interaction in its profile's bucket of its year; rewrite the
// metrics of the profiles from the buckets. A repeat of the batch after an
// interruption finishes it.
func (s *Service) AddInteractions(ctx context.Context, is []Interaction) (int, error) {
	if len(is) == 0 {
		return 0, nil
	}
	for i := range is {
		if err := is[i].normalize(); err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	inserted, err := s.Store.InsertInteractions(ctx, is)
	if err != nil {
		return 0, err
	}
	isNew := map[string]bool{}
	for _, id := range inserted {
		isNew[id] = true
	}
	var existing []string
	for _, it := range is {
		if !isNew[it.ID] {
			existing = append(existing, it.ID)
		}
	}
	list := is
	if len(existing) > 0 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		// Interactions are immutable: one stored before stays as it is stored (its
		// profile may have changed since by a merge).
		stored, err := s.Store.GetInteractions(ctx, uniq(existing))
		if err != nil {
			return 0, err
		}
		list = nil
		for _, it := range is {
			if isNew[it.ID] {
				list = append(list, it)
			}
		}
		list = append(list, stored...)
	}
	cs := changes{}
	touched := map[string]bool{}
	for _, it := range list {
		if it.ProfileID == "" {
			continue
		}
		cs.setInteraction(ledger.InteractionBucket(it.ProfileID, it.At), it.ID, it.At)
		touched[it.ProfileID] = true
	}
	if _, err := s.applyLedger(ctx, cs.list()); err != nil {
		return 0, err
	}
	var fresh []string
	var stored []Interaction
	for _, it := range is {
		if isNew[it.ID] && it.ProfileID != "" {
			fresh = append(fresh, it.ProfileID)
			stored = append(stored, it)
		}
	}
	s.changed(uniq(fresh))
	if len(stored) > 0 {
		for _, f := range s.InteractionObservers {
			f(stored)
		}
	}
	return len(inserted), nil
}

// Metrics returns a profile's metrics with the churn risk as of now and its whole
// ledger (Ledger, read from its buckets); a profile without orders or interactions has
// zero metrics. The Customer 360 view reads summaries instead (c360.Customer360.Metrics).
func (s *Service) Metrics(ctx context.Context, profileID string) (ledger.Metrics, error) {
	ms, err := s.Store.GetMetrics(ctx, []string{profileID})
	if err != nil {
		return ledger.Metrics{}, err
	}
	m := ledger.Metrics{ProfileID: profileID}
	if len(ms) == 1 {
		m = ms[0]
		bs, err := s.Store.GetBuckets(ctx, ledger.BucketKeys(ms))
		if err != nil {
			return ledger.Metrics{}, err
		}
		m.Ledger = map[string]ledger.Entry{}
		for _, b := range bs {
			maps.Copy(m.Ledger, b.Orders)
		}
	}
	m.Churn = ledger.ChurnRisk(&m, s.Now(), s.PriorIntervalDays)
	return m, nil
}

// Recompute rebuilds profiles' metrics and ledgers from their orders and interactions,
// found by profile (a scan on FerretDB): for repairs, not the write path.
func (s *Service) Recompute(ctx context.Context, profileIDs ...string) error {
	return s.rebuild(ctx, uniq(profileIDs), nil, nil, true)
}

// RFMReport describes one RefreshRFM run.
type RFMReport struct {
	Profiles  int         // metrics documents read
	Scored    int         // with at least one order
	Recency   ledger.Cuts // cut points of the last order time (Unix seconds)
	Frequency ledger.Cuts
	Monetary  ledger.Cuts
	At        time.Time
}

// RefreshRFM recomputes the RFM quintile scores of every profile with orders (profiles
// without orders get 0 scores), reading the metrics in pages of pageSize.
func (s *Service) RefreshRFM(ctx context.Context, pageSize int) (RFMReport, error) {
	if pageSize <= 0 {
		pageSize = 1000
	}
	rep := RFMReport{At: s.Now()}
	type row struct {
		id      string
		r, f, m int64
		scored  bool
		current ledger.RFM
	}
	var rows []row
	var rs, fs, ms []int64
	for after := ""; ; {
		page, err := s.Store.MetricsPage(ctx, after, pageSize)
		if err != nil {
			return rep, err
		}
		for _, m := range page {
			x := row{id: m.ProfileID, current: m.RFM}
			if m.Orders > 0 {
				x.scored, x.r, x.f, x.m = true, m.LastOrderAt.Unix(), int64(m.Orders), m.NetMinor
				rs, fs, ms = append(rs, x.r), append(fs, x.f), append(ms, x.m)
			}
			rows = append(rows, x)
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].ProfileID
	}
	rep.Profiles, rep.Scored = len(rows), len(rs)
	rep.Recency, rep.Frequency, rep.Monetary = ledger.QuintileCuts(rs), ledger.QuintileCuts(fs), ledger.QuintileCuts(ms)
	scores := map[string]ledger.RFM{}
	for _, x := range rows {
		sc := ledger.RFM{}
		if x.scored {
			sc = ledger.RFM{Recency: rep.Recency.Score(x.r), Frequency: rep.Frequency.Score(x.f), Monetary: rep.Monetary.Score(x.m), ScoredAt: rep.At}
		} else if x.current == (ledger.RFM{}) {
			continue
		}
		scores[x.id] = sc
	}
	return rep, s.Store.SetRFM(ctx, scores)
}
