package commerce

import (
	"context"
	"errors"
	"reflect"
	"time"
)

// Service is the commerce domain.
type Service struct {
	Store Store
	Now   func() time.Time
	// PriorIntervalDays is the churn model's mean interval for one-order customers.
	PriorIntervalDays float64
	// TimelineSources are further timeline kinds (support tickets...) merged into Timeline.
	TimelineSources []TimelineSource
	// Changed, if set, hears the profiles whose orders or interactions changed; it must
	// not block.
	Changed func(ids []string)
	// Index, if set, lists each profile's interactions on its metrics document, so that
	// following merges and unmerges reads by _id (see InteractionIndex).
	Index InteractionIndex
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
// orders is a no-op for the metrics; an order that moved to another profile leaves the
// old one's ledger.
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
	prev, err := s.Store.GetOrders(ctx, ids)
	if err != nil {
		return res, err
	}
	changes := map[string]map[string]*Entry{} // profile -> order -> entry (nil: remove)
	set := func(p, id string, e *Entry) {
		if changes[p] == nil {
			changes[p] = map[string]*Entry{}
		}
		changes[p][id] = e
	}
	stored := map[string]*Order{}
	for i, p := range prev {
		stored[p.ID] = &prev[i]
		if o := byID[p.ID]; o != nil && p.ProfileID != "" && p.ProfileID != o.ProfileID {
			set(p.ProfileID, p.ID, nil)
		}
	}
	// Unchanged orders are not written again (writes are the slow part of a re-load), but
	// their ledger entries are still checked, which repairs an interrupted earlier call.
	var inserts, replaces []Order
	for _, id := range uniq(ids) {
		o := byID[id]
		switch old := stored[id]; {
		case old == nil:
			inserts = append(inserts, *o)
		case !sameOrder(old, o):
			replaces = append(replaces, *o)
		}
		if o.ProfileID == "" {
			res.GuestOrders++
			continue
		}
		e := EntryOf(o)
		set(o.ProfileID, o.ID, &e)
	}
	// Orders first: a failure after this point leaves ledgers behind, and the retry of the
	// same batch finds the entries missing and adds them.
	if err := s.Store.PutOrders(ctx, inserts, replaces); err != nil {
		return res, err
	}
	res.Written = len(inserts) + len(replaces)
	res.ProfilesTouched = len(changes)
	res.MetricsChanged, err = s.applyLedger(ctx, changes)
	if err == nil {
		s.changed(keys(changes))
	}
	return res, err
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

// applyLedger applies entry changes to metrics documents by compare-and-set, re-reading
// and re-applying after a lost race (applying twice changes nothing the second time).
func (s *Service) applyLedger(ctx context.Context, changes map[string]map[string]*Entry) (int, error) {
	pids := keys(changes)
	changed := map[string]bool{}
	for attempt := 0; len(pids) > 0; attempt++ {
		if attempt == maxAttempts {
			return 0, errors.New("commerce: metrics keep changing under concurrent writes")
		}
		cur, err := s.Store.GetMetrics(ctx, pids)
		if err != nil {
			return 0, err
		}
		have := map[string]Metrics{}
		for _, m := range cur {
			have[m.ProfileID] = m
		}
		var ws []MetricsWrite
		for _, p := range pids {
			m, ok := have[p]
			m.ProfileID = p
			dirty := false
			for _, id := range keys(changes[p]) {
				dirty = m.Set(id, changes[p][id]) || dirty
			}
			if dirty {
				ws = append(ws, MetricsWrite{M: m, Prev: m.Rev, New: !ok})
				changed[p] = true
			}
		}
		if len(ws) == 0 {
			break
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
func (s *Service) AddInteractions(ctx context.Context, is []Interaction) (int, error) {
	if len(is) == 0 {
		return 0, nil
	}
	for i := range is {
		if err := is[i].normalize(); err != nil {
			return 0, err
		}
	}
	// The profiles' lists first: an interaction is never stored on a profile whose list
	// misses it (re-sending a batch repairs an interrupted call).
	if err := s.indexInteractions(ctx, is); err != nil {
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
	st := map[string]*InteractionStat{}
	for _, it := range is {
		if !isNew[it.ID] || it.ProfileID == "" {
			continue
		}
		isNew[it.ID] = false // a duplicate within the batch was inserted once
		x := st[it.ProfileID]
		if x == nil {
			x = &InteractionStat{ProfileID: it.ProfileID}
			st[it.ProfileID] = x
		}
		x.Count++
		if it.At.After(x.LastAt) {
			x.LastAt = it.At
		}
	}
	var stats []InteractionStat
	for _, p := range keys(st) {
		stats = append(stats, *st[p])
	}
	if err := s.Store.AddInteractionStats(ctx, stats); err != nil {
		return 0, err
	}
	s.changed(keys(st))
	return len(inserted), nil
}

// Metrics returns a profile's metrics with the churn risk as of now; a profile without
// orders or interactions has zero metrics.
func (s *Service) Metrics(ctx context.Context, profileID string) (Metrics, error) {
	ms, err := s.Store.GetMetrics(ctx, []string{profileID})
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{ProfileID: profileID}
	if len(ms) == 1 {
		m = ms[0]
	}
	m.Churn = ChurnRisk(&m, s.Now(), s.PriorIntervalDays)
	return m, nil
}

// Recompute rebuilds profiles' metrics from their orders and interactions: for merges,
// unmerges and repairs, not the write path.
func (s *Service) Recompute(ctx context.Context, profileIDs ...string) error {
	pids := uniq(profileIDs)
	for attempt := 0; len(pids) > 0; attempt++ {
		if attempt == maxAttempts {
			return errors.New("commerce: metrics keep changing during recompute")
		}
		cur, err := s.Store.GetMetrics(ctx, pids)
		if err != nil {
			return err
		}
		orders, err := s.Store.OrdersOfProfiles(ctx, pids)
		if err != nil {
			return err
		}
		inters, err := s.Store.InteractionsOfProfiles(ctx, pids)
		if err != nil {
			return err
		}
		fresh := map[string]*Metrics{}
		for _, p := range pids {
			fresh[p] = &Metrics{ProfileID: p, Ledger: map[string]Entry{}}
		}
		for _, m := range cur {
			fresh[m.ProfileID].Rev = m.Rev
			fresh[m.ProfileID].RFM = m.RFM
		}
		for i := range orders {
			fresh[orders[i].ProfileID].Ledger[orders[i].ID] = EntryOf(&orders[i])
		}
		for _, it := range inters {
			m := fresh[it.ProfileID]
			m.Interactions++
			if it.At.After(m.LastInteractionAt) {
				m.LastInteractionAt = it.At
			}
		}
		exists := map[string]bool{}
		for _, m := range cur {
			exists[m.ProfileID] = true
		}
		var ws []MetricsWrite
		for _, p := range pids {
			m := fresh[p]
			m.rebuild()
			ws = append(ws, MetricsWrite{M: *m, Prev: m.Rev, New: !exists[p], Full: true})
		}
		conflict, err := s.Store.SaveMetrics(ctx, ws)
		if err != nil {
			return err
		}
		if !conflict {
			return nil
		}
	}
	return nil
}

// RFMReport describes one RefreshRFM run.
type RFMReport struct {
	Profiles  int  // metrics documents read
	Scored    int  // with at least one order
	Recency   Cuts // cut points of the last order time (Unix seconds)
	Frequency Cuts
	Monetary  Cuts
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
		current RFM
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
	rep.Recency, rep.Frequency, rep.Monetary = QuintileCuts(rs), QuintileCuts(fs), QuintileCuts(ms)
	scores := map[string]RFM{}
	for _, x := range rows {
		sc := RFM{}
		if x.scored {
			sc = RFM{Recency: rep.Recency.Score(x.r), Frequency: rep.Frequency.Score(x.f), Monetary: rep.Monetary.Score(x.m), ScoredAt: rep.At}
		} else if x.current == (RFM{}) {
			continue
		}
		scores[x.id] = sc
	}
	return rep, s.Store.SetRFM(ctx, scores)
}
