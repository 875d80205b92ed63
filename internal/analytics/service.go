package analytics

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Service answers the reports from a Book and keeps it current: Run builds the book,
// then reads the countries of changed profiles, refits the customer-value models that
// are due and, where other instances write the same database, rebuilds the book now
// and then.
type Service struct {
	Book   *Book
	Source Source
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

	models *models

	statusMu      sync.Mutex
	statusVersion uint64
	status        Status
}

// New returns a service over a book.
func New(book *Book, src Source, profiles func(ctx context.Context, ids []string) ([]profile.Profile, error), log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{Book: book, Source: src, Profiles: profiles, Now: func() time.Time { return time.Now().UTC() }, Log: log, models: newModels()}
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
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		start := time.Now()
		err := s.Book.Build(ctx, s.Source)
		if err == nil {
			s.Log.Info("reports: order book built", "orders", s.Status().Orders, "took", time.Since(start).Round(time.Millisecond))
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.Log.Error("reports: build the order book", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	tick := s.Tick
	if tick <= 0 {
		tick = 2 * time.Second
	}
	go s.fitLoop(ctx, tick) // a fit may take a while: the book is kept current meanwhile
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
		case <-s.Book.wake:
		}
	}
}

// fitLoop fits the customer-value models asked for, and keeps the default one warm.
func (s *Service) fitLoop(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.warmDefaultModel()
		s.fitDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.models.kick:
		}
	}
}

// refreshProfiles reads the countries of changed profiles that have orders by _id.
func (s *Service) refreshProfiles(ctx context.Context) {
	for {
		ids := s.Book.takeDirty(500)
		if len(ids) == 0 || ctx.Err() != nil {
			return
		}
		found, err := s.Source.Profiles(ctx, ids)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Warn("reports: read changed profiles", "err", err)
			}
			s.Book.unread(ids) // again next time
			return
		}
		s.Book.setProfiles(ids, found)
	}
}

// Historical is how old the newest order may be for the data to count as current: the
// default as-of date of older data is the end of the day of its newest order.
const Historical = 30 * 24 * time.Hour

// Status is where the book stands.
type Status struct {
	Ready       bool
	Loaded      int // orders read by a running build
	Orders      int // held
	Customers   int
	GuestOrders int
	FirstOrder  time.Time // counted orders; zero without any
	LastOrder   time.Time
	DefaultAsOf time.Time
	Currencies  []string // most counted orders first
	Countries   []string
	Sources     []string
	Error       string
	BuiltAt     time.Time
	// PendingProfiles changed and not read again yet: their country may be stale.
	PendingProfiles int
}

// Status reports the book's state and size (computed once per version of the book).
func (s *Service) Status() Status {
	b := s.Book
	b.flush()
	b.mu.RLock()
	out := Status{Error: b.err, BuiltAt: b.builtAt, Loaded: int(b.loaded.Load()), PendingProfiles: b.pendingProfiles()}
	version := b.version
	b.mu.RUnlock()
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	if s.status.Ready && s.statusVersion == version {
		pending := out.PendingProfiles
		out = s.status
		out.DefaultAsOf, out.PendingProfiles = defaultAsOf(s.Now(), out.LastOrder), pending
		return out
	}
	ok := b.read(func(st *state) {
		out.Ready = true
		out.Orders = st.orders
		perCur := make([]int, len(st.curs.names))
		var first, last int64
		for id, c := range st.customers {
			if id == "" {
				out.GuestOrders = len(c.entries)
			} else {
				out.Customers++
			}
			for _, e := range c.entries {
				if e.kind != kindOrder {
					continue
				}
				perCur[e.cur]++
				if first == 0 || e.at < first {
					first = e.at
				}
				last = max(last, e.at)
			}
		}
		if last != 0 {
			out.FirstOrder, out.LastOrder = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		}
		out.Currencies = slices.Clone(st.curs.names)
		slices.SortStableFunc(out.Currencies, func(a, b string) int {
			ia, _ := st.curs.lookup(a)
			ib, _ := st.curs.lookup(b)
			if d := perCur[ib] - perCur[ia]; d != 0 {
				return d
			}
			if a < b {
				return -1
			}
			return 1
		})
		out.Countries = sortedNames(st.countries.names[1:])
		out.Sources = sortedNames(st.srcs.names)
	})
	if !ok {
		out.Currencies, out.Countries, out.Sources = []string{}, []string{}, []string{}
	} else {
		s.status, s.statusVersion = out, version
	}
	out.DefaultAsOf = defaultAsOf(s.Now(), out.LastOrder)
	return out
}

func sortedNames(ns []string) []string {
	out := slices.Clone(ns)
	slices.Sort(out)
	return out
}

// AsOf is the default as-of date of every time-dependent metric (churn risk too): now,
// or for historical data the end of the newest order's day; now while the book loads.
// It reads one number, so a request path can ask it.
func (s *Service) AsOf() time.Time {
	var last int64
	s.Book.read(func(st *state) { last = st.lastAt })
	if last == 0 {
		return s.Now()
	}
	return defaultAsOf(s.Now(), time.UnixMilli(last).UTC())
}

// defaultAsOf is now, or for historical data (the newest order older than Historical)
// the end of the newest order's day (UTC).
func defaultAsOf(now, last time.Time) time.Time {
	if last.IsZero() || now.Sub(last) <= Historical {
		return now
	}
	return startOfDay(last).AddDate(0, 0, 1)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

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

// checkCurrency refuses a currency code money does not know ("" is no currency).
func checkCurrency(c string) error {
	if _, ok := money.Exponent(c); c != "" && !ok {
		return apperr.Invalidf("unknown currency %q", c)
	}
	return nil
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
func (s *Service) resolve(st *state, sc Scope, status Status) (view, Resolved, error) {
	r := Resolved{Ready: true, AsOf: sc.AsOf.UTC(), Country: sc.Country, Source: sc.Source, Currency: sc.Currency}
	if sc.AsOf.IsZero() {
		r.AsOf = status.DefaultAsOf
	}
	if r.Currency == "" && len(status.Currencies) > 0 {
		r.Currency = status.Currencies[0]
	}
	if err := checkCurrency(r.Currency); err != nil {
		return view{}, r, err
	}
	v := view{asOf: r.AsOf.UnixMilli(), country: -1, src: -1, cur: -1, guestsToo: sc.Country == ""}
	if i, ok := st.curs.lookup(r.Currency); ok {
		v.cur = int(i)
	}
	if sc.Country != "" {
		i, ok := st.countries.lookup(sc.Country)
		v.country, v.none = int(i), !ok
	}
	if sc.Source != "" {
		i, ok := st.srcs.lookup(sc.Source)
		v.src, v.none = int(i), v.none || !ok
	}
	return v, r, nil
}

// each calls fn for every customer in the view (guests when guest is true and the view
// keeps them) with its orders in the view, by time; es is reused between calls.
func (v view) each(st *state, guests bool, fn func(c *customer, es []entry)) {
	if v.none {
		return
	}
	var buf []entry
	for id, c := range st.customers {
		if id == "" && !(guests && v.guestsToo) {
			continue
		}
		if id != "" && v.country >= 0 && int(c.country) != v.country {
			continue
		}
		buf = buf[:0]
		for _, e := range c.entries {
			if e.at >= v.asOf {
				break
			}
			if v.src < 0 || int(e.src) == v.src {
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
func (s *Service) report(sc Scope, fn func(st *state, v view, r Resolved) error) (Resolved, error) {
	if err := checkCurrency(sc.Currency); err != nil {
		return Resolved{}, err
	}
	status := s.Status()
	if !status.Ready {
		return Resolved{AsOf: status.DefaultAsOf, Country: sc.Country, Source: sc.Source, Currency: sc.Currency}, nil
	}
	var r Resolved
	var err error
	s.Book.read(func(st *state) {
		var v view
		if v, r, err = s.resolve(st, sc, status); err == nil {
			err = fn(st, v, r)
		}
	})
	return r, err
}
