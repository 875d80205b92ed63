package valuemodel

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/forecast"
)

// Customers in order of predicted value (the customer list's PREDICTED_VALUE order).
// Ranking every customer means a prediction each, so a request never does it: after
// each fit of a model the background loop ranks the customers of its currency for every
// horizon asked for, and a request walks the held list, filtering with the book. A
// ranking is as of the start of the model's day (the instant its orders end), so it is
// one per (currency, day, horizon); a few are kept, least recently used out.

// RankStatus says whether a ranking can answer.
type RankStatus string

const (
	RankReady       RankStatus = "READY"
	RankLoading     RankStatus = "LOADING" // the book is loading
	RankFitting     RankStatus = "FITTING" // the model of the day is being fitted
	RankRanking     RankStatus = "RANKING" // the model is fitted, the ranking is computed
	RankUnavailable RankStatus = "UNAVAILABLE"
)

// maxRankings is how many rankings are kept (about 24 bytes a customer each).
const maxRankings = 8

type rankKey struct {
	model modelKey
	days  int
}

// ranking is the customers of a currency with a prediction, highest expected value first
// (ties: higher profile id first).
type ranking struct {
	fittedAt   time.Time // of the fit it comes from; zero until computed
	computedAt time.Time
	ids        []string
	values     []float64 // expected value in minor units
	want       bool      // asked for; computed at the next turn of the loop
	used       time.Time
}

type rankings struct {
	mu sync.Mutex
	m  map[rankKey]*ranking
}

// get returns the key's ranking (nil before it is computed), asking for it.
func (r *rankings) get(k rankKey) *ranking {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[rankKey]*ranking{}
	}
	e := r.m[k]
	if e == nil {
		if len(r.m) >= maxRankings {
			var lru *rankKey
			for k2, e2 := range r.m {
				if lru == nil || e2.used.Before(r.m[*lru].used) {
					lru = &k2
				}
			}
			delete(r.m, *lru)
		}
		e = &ranking{want: true}
		r.m[k] = e
	}
	e.used = time.Now()
	if e.fittedAt.IsZero() {
		return nil
	}
	return e
}

// stale lists the rankings asked for and those older than their model's fit.
func (s *Predictor) staleRankings() []rankKey {
	s.ranks.mu.Lock()
	keys := slices.Collect(maps.Keys(s.ranks.m))
	fits := map[rankKey]time.Time{}
	for _, k := range keys {
		e := s.ranks.m[k]
		fits[k] = e.fittedAt
		if e.want {
			fits[k] = time.Time{}
		}
	}
	s.ranks.mu.Unlock()
	var out []rankKey
	s.models.mu.Lock()
	for _, k := range keys {
		if m := s.models.entries[k.model]; m != nil && m.status == ModelReady && (fits[k].IsZero() || !m.fittedAt.Equal(fits[k])) {
			out = append(out, k)
		}
	}
	s.models.mu.Unlock()
	return out
}

// RankDue computes the rankings asked for or older than their model's fit; the default
// day's ranking of the main currency over 90 days is kept warm like its model.
func (s *Predictor) RankDue(ctx context.Context) {
	if st := s.Status(); st.Ready && len(st.Currencies) > 0 {
		s.ranks.get(rankKey{modelKey{st.Currencies[0], orderbook.StartOfDay(st.DefaultAsOf)}, defaultHorizon})
	}
	for _, k := range s.staleRankings() {
		if ctx.Err() != nil {
			return
		}
		s.rank(k)
	}
}

const defaultHorizon = 90

// rank computes a ranking from the model's current fit: the customers' summaries are read
// under the book's read lock, the predictions made without it.
func (s *Predictor) rank(k rankKey) {
	s.models.mu.Lock()
	m := s.models.entries[k.model]
	var e modelEntry
	if m != nil {
		e = *m
	}
	s.models.mu.Unlock()
	if e.status != ModelReady {
		return
	}
	start := time.Now()
	type cand struct {
		id  string
		sum forecast.Summary
	}
	var cs []cand
	s.book.Read(func(st *orderbook.State) {
		cur, ok := st.Curs.Lookup(k.model.currency)
		if !ok {
			return
		}
		asOf := k.model.day.UnixMilli()
		var buf []forecast.Order
		for id, c := range st.Customers {
			// The customer's currency is that of their earliest order, as in PredictedValue.
			if id == "" || len(c.Entries) == 0 || c.Entries[0].Cur != cur {
				continue
			}
			buf = purchases(buf[:0], c.Entries, int(cur), asOf)
			if sum, ok := forecast.Summarize(buf, k.model.day); ok {
				cs = append(cs, cand{id, sum})
			}
		}
	})
	type scored struct {
		id string
		v  float64
	}
	out := make([]scored, 0, len(cs))
	for _, c := range cs {
		p, err := e.model.Predict(c.sum, float64(k.days))
		if err != nil || !finite(p.Purchases, p.PAlive, p.Spend, p.Value) {
			continue // PredictedValue answers UNAVAILABLE for this customer
		}
		out = append(out, scored{c.id, p.Value})
	}
	slices.SortFunc(out, func(a, b scored) int {
		if a.v != b.v {
			if a.v > b.v {
				return -1
			}
			return 1
		}
		return strings.Compare(b.id, a.id)
	})
	r := ranking{fittedAt: e.fittedAt, computedAt: time.Now().UTC(), ids: make([]string, len(out)), values: make([]float64, len(out))}
	for i, x := range out {
		r.ids[i], r.values[i] = x.id, x.v
	}
	s.ranks.mu.Lock()
	if old := s.ranks.m[k]; old != nil {
		// Asked for again while it ran only if the model was refitted meanwhile: the next
		// turn compares fits.
		r.used = old.used
		*old = r
	}
	s.ranks.mu.Unlock()
	s.log.Info("reports: customers ranked by predicted value", "currency", k.model.currency, "asOf", k.model.day, "days", k.days,
		"customers", len(out), "took", time.Since(start).Round(time.Millisecond))
}

// ValueRankQuery asks for a page of customers by predicted value: the expected value in
// the Days (default 90) after the start of AsOf's day (zero: the default as-of date),
// in Currency ("" the main one: the ranking holds the customers whose currency it is,
// that of their earliest order). The filters are those of the other customer orders:
// net revenue and counted orders to date, the country attribute, and the profiles a text
// search matched (Restrict).
type ValueRankQuery struct {
	Days        int
	AsOf        time.Time
	Currency    string
	MinNetMinor *int64
	MinOrders   int
	Country     *string
	ProfileIDs  []string
	Restrict    bool
	After       string
	Limit       int
}

// ValueRankPage is one page of a ranking, or, while it is not there, its status with no
// customers.
type ValueRankPage struct {
	Status        RankStatus
	Message       string
	AsOf          time.Time // the start of the day the ranking is as of
	Days          int
	Currency      string
	ModelFittedAt time.Time
	ComputedAt    time.Time
	IDs           []string
	Values        []float64 // expected value in minor units of Currency
	Cursors       []string
	HasNext       bool
	Total         int // customers matching the filters
}

type rankCursor struct {
	V  float64 `json:"v"`
	ID string  `json:"id"`
}

// RankPredicted returns a page of customers in order of predicted value from the
// ranking computed in the background; no model is evaluated and nothing is read. Until
// the ranking is there it answers its status and an empty page (and asks for it).
func (s *Predictor) RankPredicted(_ context.Context, q ValueRankQuery) (ValueRankPage, error) {
	if q.Days == 0 {
		q.Days = defaultHorizon
	}
	if q.Days < 1 || q.Days > MaxHorizonDays {
		return ValueRankPage{}, apperr.Invalidf("days must be between 1 and %d", MaxHorizonDays)
	}
	if q.Limit < 0 || q.Limit > 100 {
		return ValueRankPage{}, apperr.Invalidf("first must be between 0 and 100")
	}
	var after *rankCursor
	if q.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		var c rankCursor
		if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
			return ValueRankPage{}, apperr.Invalidf("invalid cursor")
		}
		after = &c
	}
	st := s.Status()
	mk, err := s.modelKey(st, q.AsOf, q.Currency)
	if err != nil {
		return ValueRankPage{}, err
	}
	pg := ValueRankPage{AsOf: mk.day, Days: q.Days, Currency: mk.currency, IDs: []string{}}
	if !st.Ready {
		pg.Status, pg.Message = RankLoading, "reports are still loading"
		return pg, nil
	}
	_, changes := s.book.Counters()
	m := s.models.get(mk, changes, false)
	pg.ModelFittedAt = m.fittedAt
	r := s.ranks.get(rankKey{mk, q.Days})
	if r == nil {
		switch m.status {
		case ModelFitting, ModelLoading:
			pg.Status, pg.Message = RankFitting, "the customer-value model is being fitted"
		case ModelReady:
			pg.Status, pg.Message = RankRanking, "customers are being ranked by predicted value"
		default:
			pg.Status, pg.Message = RankUnavailable, m.message
		}
		s.models.wake()
		return pg, nil
	}
	pg.Status, pg.ComputedAt, pg.ModelFittedAt = RankReady, r.computedAt, r.fittedAt
	if q.Restrict && len(q.ProfileIDs) == 0 {
		return pg, nil
	}
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(r.values, after.V, func(v, target float64) int {
			if v > target {
				return -1
			}
			if v < target {
				return 1
			}
			return 0
		})
		for start < len(r.ids) && r.values[start] == after.V && r.ids[start] >= after.ID {
			start++
		}
	}
	var in map[string]bool
	if q.Restrict {
		in = make(map[string]bool, len(q.ProfileIDs))
		for _, id := range q.ProfileIDs {
			in[id] = true
		}
	}
	s.book.Read(func(bk *orderbook.State) {
		country := -1
		if q.Country != nil {
			i, ok := bk.Countries.Lookup(*q.Country)
			if !ok {
				return
			}
			country = int(i)
		}
		match := func(id string) bool {
			c := bk.Customers[id]
			if c == nil || len(c.Entries) == 0 || in != nil && !in[id] || country >= 0 && int(c.Country) != country {
				return false // gone since the ranking (merged, erased) or filtered out
			}
			if q.MinOrders <= 0 && q.MinNetMinor == nil {
				return true
			}
			orders, net := toDate(c.Entries)
			return orders >= q.MinOrders && (q.MinNetMinor == nil || net >= *q.MinNetMinor)
		}
		// Every customer is looked at for the total: a walk of the list, no prediction.
		for i, id := range r.ids {
			if !match(id) {
				continue
			}
			pg.Total++
			if i < start {
				continue
			}
			if len(pg.IDs) == q.Limit {
				pg.HasNext = true
				continue
			}
			c, _ := json.Marshal(rankCursor{V: r.values[i], ID: id})
			pg.IDs = append(pg.IDs, id)
			pg.Values = append(pg.Values, r.values[i])
			pg.Cursors = append(pg.Cursors, base64.RawURLEncoding.EncodeToString(c))
		}
	})
	return pg, nil
}

// toDate returns a customer's counted orders and net revenue in the currency of their
// earliest order, over all their orders: the metrics the other customer orders filter on
// (package ledger).
func toDate(es []orderbook.Entry) (orders int, net int64) {
	cur := es[0].Cur
	for _, e := range es {
		if e.Kind == orderbook.KindOrder {
			orders++
		}
		if e.Cur == cur {
			net += e.Net
		}
	}
	return orders, net
}
