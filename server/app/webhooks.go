package app

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/webhookstore"
	"github.com/tessera-cdp/tessera/internal/webhooks"
	"github.com/tessera-cdp/tessera/server/app/gdpr"
)

// newEventWebhooks wires the profile and ticket event webhooks to what feeds them:
// merges and splits (last in the engine's follower chain, so they are reported again
// after a crash), new profiles (as the engine writes them), erasures (the eraser's last
// step) and ticket changes (the notification broker, see ticketsToWebhooks).
func (a *App) newEventWebhooks(ctx context.Context, db *mongo.Database, backend *dbkit.Backend, policy *netguard.Policy) error {
	a.WebhookStore = webhookstore.New(db, backend)
	if err := a.WebhookStore.EnsureIndexes(ctx); err != nil {
		return err
	}
	a.EventWebhooks = &webhooks.Service{Store: a.WebhookStore, Policy: policy, Log: a.opts.Log, NewID: dbkit.NewID}
	// The subscriptions are read here, so no request reads them.
	if err := a.EventWebhooks.Load(ctx); err != nil {
		return err
	}
	a.Resolver.EventWebhooks = a.EventWebhooks
	if fs, ok := a.Engine.Follower.(followers); ok {
		a.Engine.Follower = append(fs, a.EventWebhooks)
	} else if a.Engine.Follower != nil {
		a.Engine.Follower = followers{a.Engine.Follower, a.EventWebhooks}
	} else {
		a.Engine.Follower = a.EventWebhooks
	}
	a.Engine.Store = createdProfiles{Store: a.Engine.Store, hooks: a.EventWebhooks}
	if e, ok := a.Resolver.Eraser.(*gdpr.Eraser); ok {
		e.Also = append(e.Also, a.EventWebhooks.Erased)
	}
	return nil
}

// startEventWebhooks resumes the deliveries a stopped process left, catches up on the
// ticket changes made while it was down, and sends.
func (a *App) startEventWebhooks(ctx context.Context) {
	if n, err := a.EventWebhooks.Resume(ctx, time.Time{}); err != nil {
		a.opts.Log.Error("event webhooks: resume", "err", err)
	} else if n > 0 {
		a.opts.Log.Info("event webhooks: resumed pending deliveries", "deliveries", n)
	}
	go a.EventWebhooks.Run(ctx)
	go a.ticketsToWebhooks(ctx)
	if a.Store.Backend().IndexedFilters {
		// A shared database: other instances add and remove subscriptions, and may die
		// with deliveries pending (a live sender moves nextAt on at each attempt).
		go a.every(ctx, 10*time.Second, 0, "event webhooks: subscriptions", a.EventWebhooks.Load)
		go a.every(ctx, time.Minute, 0, "event webhooks: resume", func(ctx context.Context) error {
			_, err := a.EventWebhooks.Resume(ctx, time.Now().Add(-2*time.Minute))
			return err
		})
	}
}

// ticketCursor names the ticket feed's position in webhook_cursors.
const ticketCursor = "tickets"

// ticketsToWebhooks publishes TICKET_CHANGED for ticket notifications. Its position is
// kept, so changes made while no instance listened (up to the notifications' retention
// of 10 minutes) are published at the next start.
func (a *App) ticketsToWebhooks(ctx context.Context) {
	live := a.Notify.Subscribe(ctx)
	if after, err := a.WebhookStore.Cursor(ctx, ticketCursor); err != nil {
		a.opts.Log.Warn("event webhooks: ticket cursor", "err", err)
	} else if after != "" {
		for {
			ns, err := a.HelpDesk.NotificationsAfter(ctx, after, 200)
			if err != nil || len(ns) == 0 {
				break
			}
			for _, n := range ns {
				a.ticketToWebhooks(ctx, n)
			}
			after = ns[len(ns)-1].ID
		}
	}
	for n := range live {
		a.ticketToWebhooks(ctx, n)
	}
}

func (a *App) ticketToWebhooks(ctx context.Context, n notify.Notification) {
	if !a.EventWebhooks.Wants(ctx, webhooks.TicketChanged) {
		return
	}
	t, err := a.HelpDesk.GetTicket(ctx, n.TicketID)
	if err != nil {
		if ctx.Err() == nil && !apperr.IsNotFound(err) {
			a.opts.Log.Warn("event webhooks: ticket notification", "ticket", n.TicketID, "err", err)
		}
		return
	}
	err = a.EventWebhooks.TicketChanged(ctx, n.ID, n.Kind, n.At, webhooks.Ticket{ID: t.ID, RequesterID: t.RequesterID, Status: string(t.Status)})
	if err == nil {
		err = a.WebhookStore.SetCursor(ctx, ticketCursor, n.ID)
	}
	if err != nil && ctx.Err() == nil {
		a.opts.Log.Warn("event webhooks: ticket change", "ticket", n.TicketID, "err", err)
	}
}

// createdProfiles publishes PROFILE_CREATED for the profiles the engine inserts, before
// inserting them: the engine's journal finishes an interrupted batch, whose new
// profiles are then inserted (and published) again, queued once.
type createdProfiles struct {
	identity.Store
	hooks *webhooks.Service
}

func (c createdProfiles) InsertProfiles(ctx context.Context, ps []profile.Profile) error {
	ids := make([]string, 0, len(ps))
	var at time.Time
	for _, p := range ps {
		ids = append(ids, p.ID)
		at = p.CreatedAt
	}
	if err := c.hooks.ProfilesCreated(ctx, ids, at); err != nil {
		return err
	}
	return c.Store.InsertProfiles(ctx, ps)
}
