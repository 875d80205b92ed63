package resolvers

import (
	"context"
	"net/http"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/vikstrous/dataloadgen"
)

// Loaders batch per-customer lookups of one request into one query each, so a list of
// customers with their identities costs two round trips, not one per customer.
type Loaders struct {
	Identities *dataloadgen.Loader[string, []profile.Identity]
	Records    *dataloadgen.Loader[string, []profile.Record]
	Tickets    *dataloadgen.Loader[string, []ticket.Ticket] // by requester profile id
	Metrics    *dataloadgen.Loader[string, commerce.Metrics]
	Orders     *dataloadgen.Loader[ordersKey, ordersPage]
}

// LoaderDeps are the stores the loaders read.
type LoaderDeps struct {
	Customers customer.Store
	Tickets   TicketLister
	Commerce  Commerce360
	// Now is the clock of churn risk.
	Now func() time.Time
	// PriorIntervalDays is the churn model's prior (commerce.Service.PriorIntervalDays).
	PriorIntervalDays float64
}

// TicketLister is what the Tickets loader needs.
type TicketLister interface {
	TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]ticket.Ticket, error)
}

// maxTicketsPerCustomer bounds Customer.tickets (its first argument is at most 100).
const maxTicketsPerCustomer = 100

type loadersKey struct{}

func newLoaders(d LoaderDeps) *Loaders {
	s, ts := d.Customers, d.Tickets
	wait := dataloadgen.WithWait(2 * time.Millisecond)
	return &Loaders{
		Identities: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([][]profile.Identity, []error) {
			all, err := s.IdentitiesOfProfiles(ctx, ids)
			return groupBy(ids, all, func(i profile.Identity) string { return i.ProfileID }, err)
		}, wait),
		Records: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([][]profile.Record, []error) {
			all, err := s.RecordsOfProfiles(ctx, ids)
			return groupBy(ids, all, func(r profile.Record) string { return r.ProfileID }, err)
		}, wait),
		Tickets: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([][]ticket.Ticket, []error) {
			all, err := ts.TicketsOfRequesters(ctx, ids, maxTicketsPerCustomer)
			return groupBy(ids, all, func(t ticket.Ticket) string { return t.RequesterID }, err)
		}, wait),
		Metrics: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([]commerce.Metrics, []error) {
			out := make([]commerce.Metrics, len(ids))
			ms, err := d.Commerce.MetricsSummaries(ctx, ids)
			if err != nil {
				return out, fill(make([]error, len(ids)), err)
			}
			have := map[string]commerce.Metrics{}
			for _, m := range ms {
				have[m.ProfileID] = m
			}
			now := d.Now()
			for i, id := range ids {
				m, ok := have[id]
				if !ok {
					m = commerce.Metrics{ProfileID: id} // no orders or interactions yet
				}
				m.Churn = commerce.ChurnRisk(&m, now, d.PriorIntervalDays)
				out[i] = m
			}
			return out, nil
		}, wait),
		Orders: dataloadgen.NewLoader(func(ctx context.Context, keys []ordersKey) ([]ordersPage, []error) {
			return loadOrderPages(ctx, d.Commerce, keys)
		}, wait),
	}
}

func groupBy[T any](keys []string, all []T, key func(T) string, err error) ([][]T, []error) {
	out := make([][]T, len(keys))
	if err != nil {
		errs := make([]error, len(keys))
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	idx := map[string]int{}
	for i, k := range keys {
		idx[k] = i
	}
	for _, x := range all {
		if i, ok := idx[key(x)]; ok {
			out[i] = append(out[i], x)
		}
	}
	return out, nil
}

// LoaderMiddleware gives every request fresh loaders (no cross-request caching).
func LoaderMiddleware(d LoaderDeps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithLoaders(r.Context(), d)))
	})
}

// WithLoaders attaches fresh loaders to a context.
func WithLoaders(ctx context.Context, d LoaderDeps) context.Context {
	return context.WithValue(ctx, loadersKey{}, newLoaders(d))
}

func loaders(ctx context.Context) *Loaders { return ctx.Value(loadersKey{}).(*Loaders) }
