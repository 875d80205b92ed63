package quality

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/live"
)

// Product is an entry of the product catalogue: a SKU's name and category.
type Product struct {
	SKU      string
	Name     string
	Category string
}

// Limits of the catalogue's writes.
const (
	MaxProductsPerCall = 1000
	MaxSKUBytes        = 200
	MaxNameBytes       = 500
)

// Catalogue stores products by SKU.
type Catalogue interface {
	// PutProducts writes products by SKU (replacing what is there).
	PutProducts(ctx context.Context, ps []Product) error
	// GetProducts reads products by SKU; unknown ones are left out.
	GetProducts(ctx context.Context, skus []string) ([]Product, error)
}

// Service answers the report from an Aggregate, keeps the catalogue, and reads a
// ticket's order.
type Service struct {
	Agg       *Aggregate
	Source    Source
	Catalogue Catalogue
	// Orders reads orders by id (bare _id).
	Orders func(ctx context.Context, ids []string) ([]commerce.Order, error)
	Log    *slog.Logger
	// RebuildEvery rebuilds the aggregate this often (0: never); set it where several
	// instances write one database (MongoDB): each hears only its own writes.
	RebuildEvery time.Duration
	// Tick is the period of the loop (default 2 s).
	Tick time.Duration
}

// Observe is the commerce observer.
func (s *Service) Observe(orders []commerce.Order) { s.Agg.Observe(orders) }

// Forget turns the orders of erased profiles into guest orders.
func (s *Service) Forget(ids []string) { s.Agg.Forget(ids) }

// Run builds the aggregate (retrying after a failure), then reads the redirects of
// split profiles again and, if asked, rebuilds now and then, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	if !live.BuildWithRetry(ctx, func() error { return s.Agg.Build(ctx, s.Source) },
		func(err error) { log.Error("product quality: build the aggregate", "err", err) }) {
		return
	}
	st := s.Status()
	log.Info("product quality: aggregate built", "orders", st.Orders, "lines", st.Lines, "tickets", st.Tickets, "took", st.BuildTook.Round(time.Millisecond))
	tick := s.Tick
	if tick <= 0 {
		tick = 2 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	built := time.Now()
	for {
		if ids := s.Agg.takeDirty(); len(ids) > 0 {
			found, err := s.Source.MergedInto(ctx, ids)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("product quality: read split profiles", "err", err)
				}
				s.Agg.Split(ids) // again next time
			} else {
				s.Agg.setRedirects(found)
			}
		}
		if s.RebuildEvery > 0 && time.Since(built) >= s.RebuildEvery {
			if err := s.Agg.Build(ctx, s.Source); err != nil && ctx.Err() == nil {
				log.Error("product quality: rebuild the aggregate", "err", err)
			}
			built = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.Agg.wake:
		}
	}
}

// Status is where the aggregate stands.
type Status struct {
	Ready     bool
	Loaded    int // orders read by a running build
	Orders    int
	Lines     int // items held (an order's lines of one product, sign and category)
	Tickets   int
	Products  int
	BuiltAt   time.Time
	BuildTook time.Duration
	Error     string
}

// Status reports the aggregate's state and size.
func (s *Service) Status() Status {
	var out Status
	s.Agg.v.Inspect(func(st *state, m live.Meta) {
		out = Status{Loaded: int(m.Loaded), BuiltAt: m.BuiltAt, BuildTook: m.Took, Error: m.Err}
		if st != nil {
			out.Ready, out.Orders, out.Lines, out.Tickets, out.Products = true, len(st.orders), st.lines, len(st.tickets), len(st.prods)
		}
	})
	return out
}

// PutProducts writes catalogue entries (idempotent: by SKU) and applies them to the
// aggregate; it returns how many it wrote. A later entry of one SKU wins.
func (s *Service) PutProducts(ctx context.Context, ps []Product) (int, error) {
	if len(ps) > MaxProductsPerCall {
		return 0, apperr.Invalidf("at most %d products per call, got %d", MaxProductsPerCall, len(ps))
	}
	bySKU := map[string]int{}
	var out []Product
	for i, p := range ps {
		p.SKU, p.Name, p.Category = strings.TrimSpace(p.SKU), strings.TrimSpace(p.Name), strings.TrimSpace(p.Category)
		switch {
		case p.SKU == "" || len(p.SKU) > MaxSKUBytes || !utf8.ValidString(p.SKU):
			return 0, apperr.Invalidf("product %d: the SKU must have 1 to %d bytes of UTF-8", i+1, MaxSKUBytes)
		case len(p.Name) > MaxNameBytes || !utf8.ValidString(p.Name):
			return 0, apperr.Invalidf("product %s: the name may have at most %d bytes of UTF-8", p.SKU, MaxNameBytes)
		case len(p.Category) > commerce.MaxCategoryBytes || !utf8.ValidString(p.Category):
			return 0, apperr.Invalidf("product %s: the category may have at most %d bytes of UTF-8", p.SKU, commerce.MaxCategoryBytes)
		}
		if j, ok := bySKU[p.SKU]; ok {
			out[j] = p
			continue
		}
		bySKU[p.SKU] = len(out)
		out = append(out, p)
	}
	if len(out) == 0 {
		return 0, nil
	}
	if err := s.Catalogue.PutProducts(ctx, out); err != nil {
		return 0, err
	}
	s.Agg.products(out)
	return len(out), nil
}

// Products reads catalogue entries by SKU (point reads), in the order asked; unknown
// SKUs are left out.
func (s *Service) Products(ctx context.Context, skus []string) ([]Product, error) {
	if len(skus) > MaxProductsPerCall {
		return nil, apperr.Invalidf("at most %d SKUs per call, got %d", MaxProductsPerCall, len(skus))
	}
	got, err := s.Catalogue.GetProducts(ctx, skus)
	if err != nil {
		return nil, err
	}
	by := make(map[string]Product, len(got))
	for _, p := range got {
		by[p.SKU] = p
	}
	out := []Product{}
	seen := map[string]bool{}
	for _, sku := range skus {
		if p, ok := by[sku]; ok && !seen[sku] {
			seen[sku] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Order reads one order by id (a ticket's order); nil when it does not exist.
func (s *Service) Order(ctx context.Context, id string) (*commerce.Order, error) {
	if id == "" {
		return nil, nil
	}
	os, err := s.Orders(ctx, []string{id})
	if err != nil || len(os) == 0 {
		return nil, err
	}
	return &os[0], nil
}
