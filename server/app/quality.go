package app

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/quality"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/productstore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/server/app/gdpr"
)

// newQuality wires product quality (issue 17): the aggregate follows every stored or
// moved order, every ticket write, merges and splits, and erasures; tickets check the
// order they name through it. Call it after the resolver, the eraser and the
// engine's followers exist; Start runs its build.
func (a *App) newQuality(db *mongo.Database, backend *dbkit.Backend) {
	st := productstore.New(db, backend)
	a.Quality = &quality.Service{Agg: productstore.Aggregate(db), Source: st, Catalogue: st, Orders: a.CommerceStore.GetOrders, Log: a.opts.Log}
	if backend.IndexedFilters { // other instances may write: their changes come with a rebuild
		a.Quality.RebuildEvery = 10 * time.Minute
	}
	a.Commerce.Observe(a.Quality.Observe)
	a.HelpDesk.Observe(a.Quality.Agg.TicketWritten)
	if fs, ok := a.Engine.Follower.(followers); ok {
		a.Engine.Follower = append(fs, qualityFollower{a.Quality.Agg})
	}
	if e, ok := a.Resolver.Eraser.(*gdpr.Eraser); ok {
		e.Also = append(e.Also, func(_ context.Context, ids []string) error { a.Quality.Forget(ids); return nil })
	}
	a.Tickets.Orders = ticketOrders{a}
	a.Resolver.Quality = a.Quality
}

// qualityFollower tells the aggregate of merges (a ticket of an absorbed profile finds
// the survivor's orders) and splits (their profiles' redirects are read again).
type qualityFollower struct{ agg *quality.Aggregate }

func (f qualityFollower) FollowMerges(_ context.Context, ms []identity.MergeEvent) error {
	into := make(map[string]string, len(ms))
	for _, m := range ms {
		into[m.Absorbed] = m.Survivor
	}
	f.agg.Merged(into)
	return nil
}

func (f qualityFollower) FollowSplit(_ context.Context, s identity.SplitEvent) error {
	f.agg.Split(s.Profiles())
	return nil
}

// ticketOrders tells the help desk whose an order is: one point read of the order, and
// its profile's merge redirects followed.
type ticketOrders struct{ a *App }

var _ ticket.Orders = ticketOrders{}

func (t ticketOrders) OrderCustomer(ctx context.Context, orderID string) (string, error) {
	os, err := t.a.CommerceStore.GetOrders(ctx, []string{orderID})
	if err != nil {
		return "", err
	}
	if len(os) == 0 {
		return "", apperr.NotFoundf("order %q not found", orderID)
	}
	if os[0].ProfileID == "" {
		return "", nil
	}
	p, err := t.a.Profiles.Get(ctx, os[0].ProfileID)
	if apperr.IsNotFound(err) { // erased: nobody's
		return "", nil
	}
	return p.ID, err
}
