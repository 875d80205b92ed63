package analytics

import (
	"context"
	"log/slog"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/live"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Service answers the reports from a Book and keeps it current: Run builds the book,
// then reads the countries of changed profiles, refits the customer-value models that
// are due and, where other instances write the same database, rebuilds the book now
// and then.
type Service struct {
	Book   *orderbook.Book
	Source orderbook.Source
	// Profiles reads profiles by _id as stored (the drill-down's names).
	Profiles func(ctx context.Context, ids []string) ([]profile.Profile, error)
	// Now is the clock of the default as-of date.
	Now func() time.Time
	Log *slog.Logger
	// RebuildEvery rebuilds the book this often (0: never). Set it where several
	// instances write one database (MongoDB): each hears only its own writes.
	RebuildEvery time.Duration
	// Tick is the period of the loop (default 2 s); a requested model fit starts at once.
	Tick time.Duration

	values *valuemodel.Predictor // customer-value models and the ranking by them (model.go)
}

// New returns a service over a book.
func New(book *orderbook.Book, src orderbook.Source, profiles func(ctx context.Context, ids []string) ([]profile.Profile, error), log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{Book: book, Source: src, Profiles: profiles, Now: func() time.Time { return time.Now().UTC() }, Log: log}
	s.values = valuemodel.NewPredictor(book, func() time.Time { return s.Now() }, log)
	return s
}

// Observe is the commerce observer (commerce.Service.Observe).
func (s *Service) Observe(orders []commerce.Order) { s.Book.Observe(orders) }

// ProfilesChanged marks profiles whose country may have changed (identity's Changed hook).
func (s *Service) ProfilesChanged(ids []string) { s.Book.ProfilesChanged(ids) }

// Forget turns the orders of erased profiles into guest orders.
func (s *Service) Forget(ids []string) { s.Book.Forget(ids) }

// Run builds the book (retrying after a failure) and then keeps it and the models
// current until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var start time.Time
	if !live.BuildWithRetry(ctx, func() error { start = time.Now(); return s.Book.Build(ctx, s.Source) },
		func(err error) { s.Log.Error("reports: build the order book", "err", err) }) {
		return
	}
	s.Log.Info("reports: order book built", "orders", s.Status().Orders, "took", time.Since(start).Round(time.Millisecond))
	tick := s.Tick
	if tick <= 0 {
		tick = 2 * time.Second
	}
	go s.values.Run(ctx, tick) // a fit may take a while: the book is kept current meanwhile
	t := time.NewTicker(tick)
	defer t.Stop()
	built := time.Now()
	for {
		s.refreshProfiles(ctx)
		if s.RebuildEvery > 0 && time.Since(built) >= s.RebuildEvery {
			if err := s.Book.Build(ctx, s.Source); err != nil && ctx.Err() == nil {
				s.Log.Error("reports: rebuild the order book", "err", err)
			}
			built = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.Book.Wake():
		}
	}
}

// refreshProfiles reads the countries of changed profiles that have orders by _id.
func (s *Service) refreshProfiles(ctx context.Context) {
	if err := s.Book.RefreshProfiles(ctx, s.Source); err != nil && ctx.Err() == nil {
		s.Log.Warn("reports: read changed profiles", "err", err)
	}
}

// Status reports the book's state and size.
func (s *Service) Status() orderbook.Status { return s.Book.Status(s.Now()) }

// AsOf is the default as-of date of every time-dependent metric (churn risk too): now,
// or for historical data the end of the newest order's day; now while the book loads.
// It reads one number, so a request path can ask it.
func (s *Service) AsOf() time.Time { return s.Book.AsOf(s.Now()) }

// Scope is what every report is computed over: the orders placed before AsOf (zero:
// the default as-of date), restricted to customers of Country and orders of Source (""
// any), with amounts in Currency ("" the book's most used currency; other currencies'
// orders count as orders, not as revenue: there is no exchange-rate rule).
type Scope struct {
	AsOf     time.Time
	Country  string
	Source   string
	Currency string
}

// Resolved is a scope as a report applies it; it is echoed in every answer.
type Resolved struct {
	Ready    bool // false while the book loads: the report holds no figures
	AsOf     time.Time
	Currency string // "" while loading or without orders
	Country  string
	Source   string
}

// view is a scope resolved against a book state.
type view struct {
	asOf      int64
	country   int // -1: any
	src       int // -1: any
	cur       int // -1: no order in the currency
	none      bool
	guestsToo bool // guest orders count (no country asked)
}

// resolve checks a scope and turns it into indexes of st.
func (s *Service) resolve(st *orderbook.State, sc Scope, status orderbook.Status) (view, Resolved, error) {
	r := Resolved{Ready: true, AsOf: sc.AsOf.UTC(), Country: sc.Country, Source: sc.Source, Currency: sc.Currency}
	if sc.AsOf.IsZero() {
		r.AsOf = status.DefaultAsOf
	}
	if r.Currency == "" && len(status.Currencies) > 0 {
		r.Currency = status.Currencies[0]
	}
	if err := orderbook.CheckCurrency(r.Currency); err != nil {
		return view{}, r, err
	}
	v := view{asOf: r.AsOf.UnixMilli(), country: -1, src: -1, cur: -1, guestsToo: sc.Country == ""}
	if i, ok := st.Curs.Lookup(r.Currency); ok {
		v.cur = int(i)
	}
	if sc.Country != "" {
		i, ok := st.Countries.Lookup(sc.Country)
		v.country, v.none = int(i), !ok
	}
	if sc.Source != "" {
		i, ok := st.Srcs.Lookup(sc.Source)
		v.src, v.none = int(i), v.none || !ok
	}
	return v, r, nil
}

// each calls fn for every customer in the view (guests when guest is true and the view
// keeps them) with its orders in the view, by time; es is reused between calls.
func (v view) each(st *orderbook.State, guests bool, fn func(c *orderbook.Customer, es []orderbook.Entry)) {
	if v.none {
		return
	}
	var buf []orderbook.Entry
	for id, c := range st.Customers {
		if id == "" && !(guests && v.guestsToo) {
			continue
		}
		if id != "" && v.country >= 0 && int(c.Country) != v.country {
			continue
		}
		buf = buf[:0]
		for _, e := range c.Entries {
			if e.At >= v.asOf {
				break
			}
			if v.src < 0 || int(e.Src) == v.src {
				buf = append(buf, e)
			}
		}
		if len(buf) > 0 {
			fn(c, buf)
		}
	}
}

// report runs fn on the book resolved for sc; while the book loads it returns a
// Resolved with Ready false and does not call fn.
func (s *Service) report(sc Scope, fn func(st *orderbook.State, v view, r Resolved) error) (Resolved, error) {
	if err := orderbook.CheckCurrency(sc.Currency); err != nil {
		return Resolved{}, err
	}
	status := s.Status()
	if !status.Ready {
		return Resolved{AsOf: status.DefaultAsOf, Country: sc.Country, Source: sc.Source, Currency: sc.Currency}, nil
	}
	var r Resolved
	var err error
	s.Book.Read(func(st *orderbook.State) {
		var v view
		if v, r, err = s.resolve(st, sc, status); err == nil {
			err = fn(st, v, r)
		}
	})
	return r, err
}
