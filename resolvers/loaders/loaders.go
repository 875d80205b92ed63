// Package loaders batches the per-customer lookups of one GraphQL request (dataloaders):
// each request gets fresh loaders (Middleware), the resolvers find them with For.
package loaders

import (
	"context"
	"net/http"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
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
	Metrics    *dataloadgen.Loader[string, ledger.Metrics]
	Orders     *dataloadgen.Loader[c360.OrdersRequest, c360.OrdersPage]
}

// Deps are what the loaders read: narrow batch reads that the domain packages
// define.
type Deps struct {
	Customers customer.Store
	Tickets   ticket.RequesterTickets
	// Commerce serves metrics (with churn risk) and order pages in batches.
	Commerce *c360.Customer360
}

// maxTicketsPerCustomer bounds Customer.tickets (its first argument is at most 100).
const maxTicketsPerCustomer = 100

type loadersKey struct{}

func newLoaders(d Deps) *Loaders {
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
		Metrics: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([]ledger.Metrics, []error) {
			ms, err := d.Commerce.Metrics(ctx, ids)
			if err != nil {
				return make([]ledger.Metrics, len(ids)), fill(make([]error, len(ids)), err)
			}
			return ms, nil
		}, wait),
		Orders: dataloadgen.NewLoader(d.Commerce.OrderPages, wait),
	}
}

// fill sets every entry of errs to err.
func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func groupBy[T any](keys []string, all []T, key func(T) string, err error) ([][]T, []error) {
	out := make([][]T, len(keys))
	if err != nil {
		return out, fill(make([]error, len(keys)), err)
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

// Middleware gives every request fresh loaders (no cross-request caching).
func Middleware(d Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(With(r.Context(), d)))
	})
}

// With attaches fresh loaders to a context.
func With(ctx context.Context, d Deps) context.Context {
	return context.WithValue(ctx, loadersKey{}, newLoaders(d))
}

// For returns the loaders of the request (With must have attached them).
func For(ctx context.Context) *Loaders { return ctx.Value(loadersKey{}).(*Loaders) }
