// Package valuemodel fits the customer-value models (BG/NBD and Gamma-Gamma, package
// forecast) on the order book in the background, predicts a customer's value and ranks the
// customers by it; package analytics' Service runs it and answers through it.
package valuemodel

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/forecast"
)

// The customer-value model (BG/NBD for purchases, Gamma-Gamma for spend; package
// forecast) is fitted on the book's orders in one currency before the start of the
// as-of day, in the background: a request never fits. The first request for a (currency,
// day) asks for a fit and answers FITTING; later ones use the fit. A fit is redone
// when the orders it saw changed by more than a hundredth of the book (at most once a
// minute, and never more often than ten times the time it takes), on demand (Refit),
// and the default as-of day's is kept warm. A few fits are kept, least recently used
// out.

// Predictor fits the customer-value models on a book and ranks customers by them; the
// Service runs its loop and answers through it.
type Predictor struct {
	book   *orderbook.Book
	now    func() time.Time // the clock of the default as-of date
	log    *slog.Logger
	models *models
	ranks  rankings // customers by predicted value (ranking.go)
}

// NewPredictor returns a predictor over a book.
func NewPredictor(book *orderbook.Book, now func() time.Time, log *slog.Logger) *Predictor {
	return &Predictor{book: book, now: now, log: log, models: newModels()}
}

// Run fits the customer-value models asked for, keeps the default one warm and ranks
// the customers by them, every tick or when a fit is asked for, until ctx ends.
func (s *Predictor) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.warmDefaultModel()
		s.FitDue(ctx)
		s.RankDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.models.kick:
		}
	}
}

// Status is the book's.
func (s *Predictor) Status() orderbook.Status { return s.book.Status(s.now()) }

// ModelStatus says whether a model can answer.
type ModelStatus string

const (
	ModelLoading ModelStatus = "LOADING" // the book is loading
	ModelFitting ModelStatus = "FITTING" // the first fit for this as-of day runs
	ModelReady   ModelStatus = "READY"
	ModelFailed  ModelStatus = "FAILED" // not enough data (Message says why)
)

type modelKey struct {
	currency string
	day      time.Time // the fit sees the orders before it
}

type modelEntry struct {
	key       modelKey
	status    ModelStatus
	model     forecast.Model
	bg, gg    forecast.FitInfo
	customers int
	fittedAt  time.Time
	took      time.Duration
	changes   uint64 // the book's change count when the fit read it
	orders    int    // the book's orders then
	message   string
	want      bool // a fit is asked for
	force     bool // asked for on demand: no minimum interval
	running   bool // a fit runs
	used      time.Time
}

type models struct {
	mu      sync.Mutex
	entries map[modelKey]*modelEntry
	kick    chan struct{}
}

func newModels() *models {
	return &models{entries: map[modelKey]*modelEntry{}, kick: make(chan struct{}, 1)}
}

// maxModels is how many fits are kept.
const maxModels = 8

// minRefit is the least time between two fits of one key, unless asked for on demand.
const minRefit = time.Minute

func (m *models) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// get returns a copy of the key's entry, asking for a fit when there is none, or when
// the book changed enough since (or force).
func (m *models) get(k modelKey, changes uint64, force bool) modelEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[k]
	if e == nil {
		e = &modelEntry{key: k, status: ModelFitting, want: true}
		m.entries[k] = e
		m.evict()
		m.wake()
	}
	e.used = time.Now()
	stale := e.status == ModelLoading || e.status != ModelFitting && changes > e.changes && changes-e.changes > uint64(max(1, e.orders/100))
	due := time.Since(e.fittedAt) >= max(minRefit, 10*e.took)
	if force || (stale && due) {
		e.want, e.force = true, e.force || force
		m.wake()
	}
	return *e
}

func (m *models) evict() {
	for len(m.entries) > maxModels {
		var old *modelEntry
		for _, e := range m.entries {
			if old == nil || e.used.Before(old.used) {
				old = e
			}
		}
		delete(m.entries, old.key)
	}
}

// due returns the keys whose fit is asked for, and clears the requests.
func (m *models) due() []modelKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []modelKey
	for _, e := range m.entries {
		if e.want {
			e.want, e.force, e.running = false, false, true
			out = append(out, e.key)
		}
	}
	slices.SortFunc(out, func(a, b modelKey) int { return b.day.Compare(a.day) })
	return out
}

func (m *models) set(e modelEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// A request made while the fit ran is kept only if it was on demand: the book's
	// changes since are judged against this fit at the next request.
	if old := m.entries[e.key]; old != nil {
		e.want, e.force, e.used = old.force, old.force, old.used
	}
	m.entries[e.key] = &e
}

// warmDefaultModel keeps the fit of the default as-of day in the main currency asked for.
func (s *Predictor) warmDefaultModel() {
	st := s.Status()
	if !st.Ready || len(st.Currencies) == 0 {
		return
	}
	_, changes := s.book.Counters()
	s.models.get(modelKey{st.Currencies[0], orderbook.StartOfDay(st.DefaultAsOf)}, changes, false)
}

// FitDue fits the models asked for, one after the other.
func (s *Predictor) FitDue(ctx context.Context) {
	for _, k := range s.models.due() {
		if ctx.Err() != nil {
			return
		}
		s.models.set(s.fit(k))
	}
}

// fit reads the summaries under the read lock, then fits without it.
func (s *Predictor) fit(k modelKey) modelEntry {
	e := modelEntry{key: k}
	var ss []forecast.Summary
	ok := s.book.Read(func(st *orderbook.State) {
		e.orders = st.Orders
		cur, known := st.Curs.Lookup(k.currency)
		if !known {
			return
		}
		asOf := k.day.UnixMilli()
		// By profile id: the fit's sums then add up in the same order every time.
		ids := slices.Sorted(maps.Keys(st.Customers))
		var os []forecast.Order
		for _, id := range ids {
			if id == "" {
				continue
			}
			os = purchases(os[:0], st.Customers[id].Entries, int(cur), asOf)
			if s, ok := forecast.Summarize(os, k.day); ok {
				ss = append(ss, s)
			}
		}
	})
	_, e.changes = s.book.Counters()
	if !ok {
		e.status, e.message = ModelLoading, "reports are still loading"
		return e
	}
	start := time.Now()
	e.customers = len(ss)
	var err error
	e.model, e.bg, e.gg, err = forecast.FitModel(ss)
	e.took, e.fittedAt = time.Since(start), time.Now().UTC()
	if err != nil {
		e.status, e.message = ModelFailed, err.Error()
		s.log.Info("reports: customer-value model not fitted", "currency", k.currency, "asOf", k.day, "err", err)
		return e
	}
	e.status = ModelReady
	s.log.Info("reports: customer-value model fitted", "currency", k.currency, "asOf", k.day, "customers", e.customers, "took", e.took)
	return e
}

// purchases appends a customer's counted orders in the currency before asOf, in
// minor units (Gamma-Gamma's fit does not depend on the unit), and their credit notes as
// returns (negative values: they lower the value of the purchases, see forecast.Summarize).
func purchases(dst []forecast.Order, es []orderbook.Entry, cur int, asOf int64) []forecast.Order {
	for _, e := range es {
		if e.At >= asOf {
			break
		}
		if int(e.Cur) != cur {
			continue
		}
		switch {
		case e.Kind == orderbook.KindOrder:
			dst = append(dst, forecast.Order{At: time.UnixMilli(e.At).UTC(), Value: float64(e.Net)})
		case e.Kind == orderbook.KindCredit && e.Net < 0:
			dst = append(dst, forecast.Order{At: time.UnixMilli(e.At).UTC(), Value: float64(e.Net)})
		}
	}
	return dst
}

// ModelQuery names a customer-value model: the currency ("" the main one) and the
// as-of date whose day it is fitted before (zero: the default).
type ModelQuery struct {
	AsOf     time.Time
	Currency string
}

// ModelInfo is a customer-value model's state and parameters.
type ModelInfo struct {
	Status    ModelStatus
	Message   string
	AsOf      time.Time // the fit sees the orders before it
	Currency  string
	FittedAt  time.Time
	Refitting bool // a newer fit is asked for or running
	Customers int
	Model     forecast.Model
	Purchases forecast.FitInfo
	Spend     forecast.FitInfo
}

// Model returns the state of a customer-value model, asking for a fit if there is none.
func (s *Predictor) Model(_ context.Context, q ModelQuery) (ModelInfo, error) {
	return s.model(q, false)
}

// Refit asks for the model to be fitted again now (in the background) and returns its
// state.
func (s *Predictor) Refit(_ context.Context, q ModelQuery) (ModelInfo, error) {
	return s.model(q, true)
}

func (s *Predictor) model(q ModelQuery, force bool) (ModelInfo, error) {
	st := s.Status()
	k, err := s.modelKey(st, q.AsOf, q.Currency)
	if err != nil {
		return ModelInfo{}, err
	}
	if !st.Ready {
		return ModelInfo{Status: ModelLoading, Message: "reports are still loading", AsOf: k.day, Currency: k.currency}, nil
	}
	_, changes := s.book.Counters()
	return infoOf(s.models.get(k, changes, force)), nil
}

func infoOf(e modelEntry) ModelInfo {
	return ModelInfo{Status: e.status, Message: e.message, AsOf: e.key.day, Currency: e.key.currency, FittedAt: e.fittedAt,
		Refitting: (e.want || e.running) && e.status != ModelFitting, Customers: e.customers, Model: e.model, Purchases: e.bg, Spend: e.gg}
}

func (s *Predictor) modelKey(st orderbook.Status, asOf time.Time, currency string) (modelKey, error) {
	if asOf.IsZero() {
		asOf = st.DefaultAsOf
	}
	if currency == "" && len(st.Currencies) > 0 {
		currency = st.Currencies[0]
	}
	if err := orderbook.CheckCurrency(currency); err != nil {
		return modelKey{}, err
	}
	return modelKey{currency, orderbook.StartOfDay(asOf)}, nil
}

// Models lists the fits held (for the status page), newest as-of day first.
func (s *Predictor) Models() []ModelInfo {
	s.models.mu.Lock()
	defer s.models.mu.Unlock()
	var out []ModelInfo
	for _, k := range slices.SortedFunc(maps.Keys(s.models.entries), func(a, b modelKey) int { return b.day.Compare(a.day) }) {
		out = append(out, infoOf(*s.models.entries[k]))
	}
	return out
}

// PredictionStatus says whether a prediction could be made.
type PredictionStatus string

const (
	PredictionReady       PredictionStatus = "READY"
	PredictionLoading     PredictionStatus = "LOADING"
	PredictionFitting     PredictionStatus = "FITTING"
	PredictionNoOrders    PredictionStatus = "NO_ORDERS" // none before the as-of date
	PredictionUnavailable PredictionStatus = "UNAVAILABLE"
)

// PredictQuery asks for a customer's predicted value over Days after AsOf.
type PredictQuery struct {
	ProfileID string
	Days      int
	AsOf      time.Time
}

// MaxHorizonDays bounds a prediction's horizon.
const MaxHorizonDays = 3650

// Prediction is a customer's predicted orders and value, with the inputs they come
// from. Purchases are days with orders (several orders on one day count once).
type Prediction struct {
	Status   PredictionStatus
	Message  string
	AsOf     time.Time
	Days     int
	Currency string // the customer's: that of their earliest order
	Model    ModelInfo
	forecast.Prediction
}

// PredictedValue predicts a customer's purchases and value in the Days after the as-of
// date from the fitted model of the customer's currency and the customer's summary as
// of that date (read from the book: no database read).
func (s *Predictor) PredictedValue(_ context.Context, q PredictQuery) (Prediction, error) {
	if q.Days == 0 {
		q.Days = 90
	}
	if q.Days < 1 || q.Days > MaxHorizonDays {
		return Prediction{}, apperr.Invalidf("days must be between 1 and %d", MaxHorizonDays)
	}
	st := s.Status()
	out := Prediction{AsOf: q.AsOf.UTC(), Days: q.Days}
	if q.AsOf.IsZero() {
		out.AsOf = st.DefaultAsOf
	}
	if !st.Ready {
		out.Status, out.Message = PredictionLoading, "reports are still loading"
		return out, nil
	}
	var sum forecast.Summary
	has := false
	s.book.Read(func(b *orderbook.State) {
		c := b.Customers[q.ProfileID]
		if c == nil || q.ProfileID == "" || len(c.Entries) == 0 {
			return
		}
		cur := c.Entries[0].Cur // the profile's currency, as in its metrics
		out.Currency = b.Curs.Names[cur]
		sum, has = forecast.Summarize(purchases(nil, c.Entries, int(cur), out.AsOf.UnixMilli()), out.AsOf)
	})
	if !has {
		out.Status, out.Message = PredictionNoOrders, "no counted orders before the as-of date"
		return out, nil
	}
	_, changes := s.book.Counters()
	e := s.models.get(modelKey{out.Currency, orderbook.StartOfDay(out.AsOf)}, changes, false)
	out.Model = infoOf(e)
	switch e.status {
	case ModelFitting:
		out.Status, out.Message = PredictionFitting, "the customer-value model is being fitted"
		return out, nil
	case ModelReady:
	default:
		out.Status, out.Message = PredictionUnavailable, e.message
		return out, nil
	}
	p, err := e.model.Predict(sum, float64(q.Days))
	if err == nil && !finite(p.Purchases, p.PAlive, p.Spend, p.Value) {
		err = fmt.Errorf("the model gives no finite prediction for this customer")
	}
	if err != nil {
		out.Status, out.Message = PredictionUnavailable, err.Error()
		return out, nil
	}
	out.Status, out.Prediction = PredictionReady, p
	return out, nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
