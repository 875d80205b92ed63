// Package app wires the domain services, the store and the GraphQL layer into one HTTP
// handler; the server command and the end-to-end tests both build it here.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/tessera-cdp/tessera/internal/analytics"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/campaign/sender"
	campaignweb "github.com/tessera-cdp/tessera/internal/campaign/web"
	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	consentsvc "github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/journey/engine"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/marketing"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/offers"
	"github.com/tessera-cdp/tessera/internal/quality"
	"github.com/tessera-cdp/tessera/internal/store/analyticsstore"
	"github.com/tessera-cdp/tessera/internal/store/auditstore"
	"github.com/tessera-cdp/tessera/internal/store/authstore"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/consentstore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/store/matchstore"
	"github.com/tessera-cdp/tessera/internal/store/offerstore"
	"github.com/tessera-cdp/tessera/internal/store/privacystore"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore"
	"github.com/tessera-cdp/tessera/internal/store/trackingstore"
	"github.com/tessera-cdp/tessera/internal/store/webhookstore"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/report"
	"github.com/tessera-cdp/tessera/internal/tracking"
	"github.com/tessera-cdp/tessera/internal/webhooks"
	"github.com/tessera-cdp/tessera/internal/workflow"
	"github.com/tessera-cdp/tessera/resolvers"
	"github.com/tessera-cdp/tessera/resolvers/loaders"
	"github.com/tessera-cdp/tessera/server/app/adapters"
	"github.com/tessera-cdp/tessera/server/app/endpoints"
	"github.com/tessera-cdp/tessera/server/app/gdpr"
	"github.com/tessera-cdp/tessera/server/chathttp"
	"github.com/tessera-cdp/tessera/server/gqlhttp"
	"github.com/tessera-cdp/tessera/server/trackinghttp"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Options configure the app.
type Options struct {
	Dev            bool
	PhoneRegion    string
	RequestTimeout time.Duration
	MaxBody        int64
	CORSOrigins    []string // "*" allows any origin
	Limits         gqlhttp.Limits
	Log            *slog.Logger
	// Now is the clock of churn risk (default: the wall clock); the retail demo sets it
	// to the data set's last invoice.
	Now func() time.Time
	// ReconcileEvery is the period of the safety-net sweep that moves orders still on
	// merged profiles (default 5 minutes); the workflows move them at each merge.
	ReconcileEvery time.Duration
	// SegmentRefreshEvery is the period of the full re-evaluation of dynamic segments
	// (rules over time windows change without writes; default 10 minutes).
	SegmentRefreshEvery time.Duration
	// PublicURL prefixes links handed out by the API (segment exports).
	PublicURL string
	// MatchEvery runs an incremental matching job this often (0: only when started),
	// once an admin has run a full one (whose thresholds it keeps).
	MatchEvery time.Duration
	// WebhookAllow lists the non-public addresses segment webhooks may reach: CIDR
	// prefixes or host:port pairs (see netguard.ParseAllowList). Empty: public only.
	WebhookAllow []string
	// Offers and consent: how often changed orders rebuild the recommender (default 2
	// minutes), and the "channel:purpose" keys whose grants need a double opt-in.
	OffersRefreshEvery time.Duration
	ConsentDoubleOptIn []string
	// Campaigns: the SMTP relay (none: campaigns cannot be sent) and the frequency cap
	// across campaigns (Max 0: none).
	Mail        mail.Config
	CampaignCap campaign.FrequencyCap
	// E-mail in the help desk: where the SMTP receiver of the support mailboxes listens
	// ("": no receiver) and its message size limit (default 10 MiB).
	MailListen   string
	MailMaxBytes int64
}

// App is a wired Tessera instance on one database.
type App struct {
	Store    *identitystore.Store
	Auth     *auth.Service
	Engine   *identity.Engine
	Ingest   *ingest.Service
	Profiles *customer.Service
	Resolver *resolvers.Resolver
	// Help desk: the ticket service over its store, and the broker that fans ticket
	// notifications (from any instance on the database) out to subscriptions.
	Tickets  *ticket.Service
	HelpDesk *ticketstore.Store
	Notify   *notify.Broker
	// Commerce: orders, interactions and value metrics (the timeline, with ticket
	// activity as an extra source, is read through c360.Customer360).
	Commerce *commerce.Service
	// Segments: saved segments, their membership (kept current from the change hooks
	// of identity resolution and commerce), the webhook outbox and its deliverer.
	Segments     *membership.Service
	SegmentStore *segmentstore.Store
	SegmentQuery *segmentquery.Store
	SegmentQueue *membership.Queue
	Webhooks     *membership.Deliverer
	Matching     *matchjob.Service
	MatchStore   *matchstore.Store
	// PrivacyStore holds the suppression list and the erasure journal.
	PrivacyStore *privacystore.Store
	// CommerceStore holds orders, interactions and value metrics.
	CommerceStore *commercestore.Store
	// Workflows are the changes that span domains (ingest, merge, unmerge, erase,
	// customer references); they follow the engine's merges and splits.
	Workflows *workflow.Service
	// Offers: the in-process recommender, fed by commerce's order observer. Consent: per
	// channel and purpose, following merges, splits and erasures.
	Offers       *offers.Service
	Consent      *consentsvc.Service
	ConsentStore *consentstore.Store
	// Tracking: the Segment-compatible tracking API (/v1/*) and its write keys.
	Tracking *tracking.Service
	// Reports: management reports and forecasts from an in-process order book.
	Reports *analytics.Service
	// Campaigns: e-mail campaigns to segments, sent through the SMTP relay.
	Campaigns *sender.Service
	// Live chat: the shop widget's conversations as CHAT tickets (server/chathttp).
	Chat *chat.Service
	// E-mail in the help desk: support mailboxes and e-mail replies; MailAddr is where
	// the receiver listens once started.
	HelpDeskMail *helpdeskmail.Service
	MailAddr     string
	// Other channels and surveys (issue 18): connectors' messages as SOCIAL tickets and
	// replies back (server/app/channels.go); NPS and CSAT surveys (server/app/surveys.go).
	Channels *channels.Service
	Surveys  *survey.Service
	// Journeys: triggered multi-step customer journeys (server/app/journeys.go).
	Journeys *engine.Service
	// Marketing effectiveness: campaign report snapshots kept in the background.
	Marketing *marketing.Service
	// Product quality: return rate and CSAT per product and category (quality.go).
	Quality *quality.Service
	// Audit trail and event webhooks (issue 17, server/app/audit.go, webhooks.go;
	// full exports in server/app/endpoints).
	Audit         *audit.Service
	AuditStore    *auditstore.Store
	EventWebhooks *webhooks.Service
	WebhookStore  *webhookstore.Store
	opts          Options
}

// New wires an app and prepares the database (indexes, built-in source).
func New(ctx context.Context, db *mongo.Database, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Limits == (gqlhttp.Limits{}) {
		o.Limits = gqlhttp.DefaultLimits()
	}
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = time.Minute
	}
	hooks, err := netguard.ParseAllowList(o.WebhookAllow)
	if err != nil {
		return nil, err
	}
	// What the database can do, asked once and passed to every store as a value.
	backend, err := dbkit.Detect(ctx, db.Client())
	if err != nil {
		return nil, err
	}
	st := identitystore.New(db, backend)
	if err := st.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	norm := normalize.Default()
	if o.PhoneRegion != "" {
		norm.DefaultRegion = strings.ToUpper(o.PhoneRegion)
	}
	// The suppression list and erasure journal; the key of the list's hashes is created
	// on the first start and read after.
	priv := privacystore.New(db, backend, st)
	if err := priv.EnsureSuppressionKey(ctx); err != nil {
		return nil, err
	}
	eng := identity.NewEngine(st)
	eng.Guard = func() func() { return backend.Guard("profiles") }
	eng.Exclusive = !backend.AtomicUpdates // the guard serialises the one writer's changes
	ing := ingest.NewService(st, eng, norm)
	ing.Suppressions = priv
	if err := ing.EnsureManualSource(ctx); err != nil {
		return nil, err
	}
	keys := authstore.New(db, backend)
	a := &App{Store: st, PrivacyStore: priv, Auth: auth.NewService(keys), Engine: eng, Ingest: ing, opts: o}
	a.Auth.Log = o.Log
	if err := keys.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if err := keys.EnsureKeyHashes(ctx); err != nil {
		return nil, err
	}
	a.Profiles = &customer.Service{Store: st, Engine: eng, Ingest: ing, Normalizer: norm}
	a.HelpDesk = ticketstore.New(db, backend)
	a.HelpDesk.Log = o.Log
	if err := a.HelpDesk.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	// Each requester's tickets and their timeline entries, by _id (built once for
	// tickets written before the index), so the Customer 360 reads them by _id.
	if err := a.HelpDesk.EnsureRequesterIndex(ctx); err != nil {
		return nil, err
	}
	// Each ticket's message and event ids (built once), so a conversation is read by _id;
	// the queues from an in-process index where only _id lookups are indexed (built in
	// the background, the queries answering meanwhile).
	if err := a.HelpDesk.EnsureThreadIndex(ctx); err != nil {
		return nil, err
	}
	a.HelpDesk.StartQueueIndex(ctx)
	req := &adapters.Requesters{Profiles: a.Profiles, Suppressions: priv}
	a.Tickets = ticket.NewService(a.HelpDesk, req)
	a.Tickets.NewID = dbkit.NewID
	a.Tickets.Requesters = req
	a.Notify = &notify.Broker{Source: a.HelpDesk, Log: o.Log}
	a.CommerceStore = commercestore.New(db, backend, st)
	if err := a.CommerceStore.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	// Each profile's orders and interactions listed in ledger buckets by _id (moved there
	// once from metrics documents written before them), so commerce follows merges by _id.
	if err := a.CommerceStore.EnsureLedger(ctx); err != nil {
		return nil, err
	}
	a.Commerce = commerce.NewService(a.CommerceStore)
	if o.Now != nil {
		a.Commerce.Now = o.Now
	}
	a.SegmentStore = segmentstore.New(db, backend, st)
	if err := a.SegmentStore.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	a.SegmentQuery = segmentquery.New(db, backend)
	if err := a.SegmentQuery.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	a.Segments = &membership.Service{Store: a.SegmentStore, Eval: a.SegmentQuery, Outbox: a.SegmentStore, Log: o.Log, NewID: func() string { return "seg_" + dbkit.NewID() },
		Webhooks: hooks}
	a.Segments.Reads = segmentReads{a.SegmentStore, st}
	a.SegmentQueue = &membership.Queue{Service: a.Segments, Log: o.Log}
	a.Webhooks = &membership.Deliverer{Store: a.SegmentStore, Log: o.Log, Policy: hooks}
	eng.Changed = a.SegmentQueue.Add
	a.Commerce.Changed = a.SegmentQueue.Add
	// Reports: the order book follows every stored or moved order and reads the country
	// of changed profiles again; where other instances may write (MongoDB) it is rebuilt
	// every 10 minutes.
	a.Reports = analytics.New(analyticsstore.Book(db), analyticsstore.New(db), a.Profiles.Stored, o.Log)
	a.Reports.Now = a.Commerce.Now
	// Churn risk is computed as of the reports' date (historical data: its last day).
	a.Commerce.AsOf = a.Reports.AsOf
	if backend.IndexedFilters {
		a.Reports.RebuildEvery = 10 * time.Minute
	}
	a.Commerce.Observe(a.Reports.Observe)
	segmentsHear := eng.Changed
	eng.Changed = func(ids []string) { segmentsHear(ids); a.Reports.ProfilesChanged(ids) }
	a.MatchStore = matchstore.New(db, backend, st, priv)
	if err := a.MatchStore.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	// The cross-domain workflows follow every merge and split of the engine; match-job
	// merges go through them, so orders follow at once.
	a.Workflows = (&workflow.Service{Engine: eng, Ingester: ing, Commerce: a.Commerce, Segments: a.Segments, Profiles: a.Profiles, Log: o.Log}).Attach()
	// Offers follow every stored or moved order. Consent follows merges and splits
	// after the workflows; the consent_<channel> attributes are migrated once.
	a.Offers = offers.New(offerstore.New(db))
	a.Offers.RefreshEvery, a.Offers.Log = o.OffersRefreshEvery, o.Log
	a.Commerce.Observe(a.Offers.Observe)
	doi, err := consentsvc.ParseKeys(o.ConsentDoubleOptIn)
	if err != nil {
		return nil, err
	}
	a.ConsentStore = consentstore.New(db, backend)
	if err := a.ConsentStore.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	a.Consent = &consentsvc.Service{Store: a.ConsentStore, Final: eng.Final, DoubleOptIn: doi, Changed: a.SegmentQueue.Add, NewID: dbkit.NewID}
	eng.Follower = followers{a.Workflows, consentsvc.Follower{Service: a.Consent}}
	if m, err := a.ConsentStore.MigrateAttributes(ctx, a.SegmentQueue.Add); err != nil {
		return nil, fmt.Errorf("migrate consent attributes: %w", err)
	} else if !m.Already && m.Profiles > 0 {
		o.Log.Info("consent: migrated consent_<channel> attributes", "profiles", m.Profiles, "statements", m.Statements)
	}
	a.Matching = matchjob.New(a.MatchStore, a.Workflows)
	a.Matching.SourceExists = func(ctx context.Context, name string) error { _, err := ing.Source(ctx, name); return err }
	// Finish identity changes a killed process left half done (their followers too),
	// before serving anything, and mark the ingest jobs it was running as interrupted.
	if n, err := eng.Recover(ctx, time.Now()); err != nil {
		return nil, err
	} else if n > 0 {
		o.Log.Warn("finished identity changes interrupted by a crash", "changes", n)
	}
	// Search and the customer list answer from an in-process index where the database
	// serves only _id lookups (the embedded FerretDB): built once here, written through.
	if err := st.EnsureSearchIndex(ctx); err != nil {
		return nil, err
	}
	if err := ing.MarkInterrupted(ctx); err != nil {
		return nil, err
	}
	customer360 := &c360.Customer360{Service: a.Commerce, Store: a.CommerceStore, Search: a.Profiles.SearchIDs, WithAttribute: st.ProfileIDsWithAttribute,
		Profiles: a.Profiles.Stored, TimelineSources: []c360.TimelineSource{&ticketstore.Timeline{Tickets: a.HelpDesk, Aliases: adapters.TicketAliases(a.Profiles)}}}
	// Customers by predicted value: the ranking the reports keep after each model fit.
	customer360.Predicted = a.Reports.RankPredicted
	a.Resolver = &resolvers.Resolver{Workflows: a.Workflows, Auth: a.Auth, Ingest: ing, Profiles: a.Profiles, Engine: eng, Log: o.Log,
		Tickets: a.Tickets, TicketQueues: &queue.Service{Store: a.HelpDesk},
		DeskAdmin:   &admin.Service{Store: a.HelpDesk, Keys: agentKeys{a.Auth}, NewID: dbkit.NewID},
		DeskReports: &report.Service{Store: a.HelpDesk}, Notify: a.Notify,
		Commerce: a.Commerce, C360: customer360, Refs: &adapters.CustomerRefs{Store: st, Profiles: a.Profiles},
		Eraser: &gdpr.Eraser{Store: st, Privacy: priv, Matches: a.MatchStore, Tickets: a.HelpDesk, Segments: a.Segments, SegmentStore: a.SegmentStore, Engine: eng,
			Normalizer: norm, Log: o.Log},
		Privacy:  &gdpr.Privacy{Store: st, List: priv, Commerce: a.CommerceStore, Tickets: a.HelpDesk, Segments: a.SegmentStore, Profiles: a.Profiles, Log: o.Log},
		Segments: a.Segments, PublicURL: strings.TrimSuffix(o.PublicURL, "/"), Matching: a.Matching}
	a.Resolver.Offers, a.Resolver.Consent = a.Offers, a.Consent
	customer360.TimelineSources = append(customer360.TimelineSources, consentstore.Timeline{Store: a.ConsentStore})
	eraser := a.Resolver.Eraser.(*gdpr.Eraser)
	eraser.Also = append(eraser.Also, a.Consent.Forget, func(_ context.Context, ids []string) error { a.Offers.Forget(ids); return nil })
	// Reports: an erased customer's orders are guest orders in the report book too.
	a.Resolver.Reports = a.Reports
	a.Resolver.CellSegments = workflow.CellSegments{Reports: a.Reports, Segments: a.Segments}
	eraser.Also = append(eraser.Also, func(_ context.Context, ids []string) error { a.Reports.Forget(ids); return nil })
	a.Workflows.Eraser = adapters.EraseWith(a.Resolver.Eraser)
	// Tracking API: records go through the workflows (commerce follows their merges),
	// events become interactions; write keys and processed message ids in trackingstore.
	a.Tracking = &tracking.Service{Store: trackingstore.New(db), Sources: ing, Ingest: a.Workflows, Interactions: a.Commerce}
	a.Resolver.Tracking = a.Tracking
	// Campaigns: sends, opens, clicks and unsubscribes go on the timeline as interactions.
	if a.Campaigns, err = a.newCampaigns(db, backend, o); err != nil {
		return nil, err
	}
	a.Resolver.Campaigns = a.Campaigns
	// E-mail in the help desk: inbound mail into tickets, agent replies out as e-mail.
	a.HelpDeskMail = a.newHelpDeskMail(db, backend, req, o)
	a.Resolver.HelpDeskMail = a.HelpDeskMail
	a.wireAdminEdits() // admin edits (issue 17): agent deletion, group deletion checks
	// Live chat: after the help desk, the workflows and tracking (site keys).
	if a.Chat, err = a.newChat(ctx, db, o); err != nil {
		return nil, err
	}
	a.Resolver.Chat = a.Chat
	// Other channels and surveys: after the help desk, commerce, consent, the workflows
	// and the eraser.
	a.Channels = a.newChannels(db, hooks, o)
	a.Resolver.Channels = a.Channels
	if a.Surveys, err = a.newSurveys(ctx, db, o); err != nil {
		return nil, err
	}
	a.Resolver.Surveys = a.Surveys
	// Journeys: after campaigns (the relay), the workflows and the help desk.
	a.Journeys = a.newJourneys(db, backend, hooks, o)
	a.Resolver.Journeys = a.Journeys
	// Marketing effectiveness: campaign reports recomputed when their messages'
	// interactions or orders in their windows are stored (every 15 minutes in any case).
	a.Marketing = &marketing.Service{Campaigns: a.Campaigns, Journeys: a.Journeys, Log: o.Log, Now: a.Commerce.Now}
	a.Commerce.Observe(a.Marketing.ObserveOrders)
	a.Commerce.ObserveInteractions(a.Marketing.ObserveInteractions)
	a.Resolver.Marketing = a.Marketing
	// Audit trail and event webhooks: after the engine's followers and the eraser.
	if err := a.newAudit(ctx, db, backend); err != nil {
		return nil, err
	}
	if err := a.newEventWebhooks(ctx, db, backend, hooks); err != nil {
		return nil, err
	}
	// Product quality: after the resolver, the eraser and the engine's followers.
	a.newQuality(db, backend)
	return a, nil
}

// Start runs the background work until ctx ends: the notification poller behind
// subscriptions, the recovery of ticket changesets interrupted by a crash, and the
// commerce reconcile sweep (a safety net: the workflows move orders at each merge, and
// again when a crashed change is recovered).
func (a *App) Start(ctx context.Context) {
	a.Resolver.BaseContext = ctx
	go a.Notify.Run(ctx)
	go a.Auth.Run(ctx) // key revocations made on any instance
	go a.SegmentQueue.Run(ctx)
	go func() { // resolution skips reads of ids that cannot exist, once this is built
		if err := a.Store.BuildExistenceHints(ctx); err != nil && ctx.Err() == nil {
			a.opts.Log.Error("existence hints", "err", err)
		}
	}()
	go func() { // segment member lists and counts without a scan, once this is built
		if err := a.SegmentStore.BuildMemberIndex(ctx); err != nil && ctx.Err() == nil {
			a.opts.Log.Error("segment member index", "err", err)
		}
	}()
	go a.loadSegmentFacts(ctx)
	// Reports answer "still loading" until the order book is built.
	go a.Reports.Run(ctx)
	go a.Offers.Run(ctx) // offers answer an empty list until its first model is built
	// Product quality answers "still loading" until its aggregate is built.
	go a.Quality.Run(ctx)
	go a.ticketsToSegments(ctx)
	// Campaigns: due schedules start and sends a crash interrupted resume, at start and
	// every 10 seconds.
	a.Campaigns.Start(ctx)
	go a.Chat.Run(ctx) // ticket changes to visitors' sockets, or by e-mail when they left
	go func() {
		if err := a.Campaigns.RunDue(ctx); err != nil && ctx.Err() == nil {
			a.opts.Log.Error("campaigns", "err", err)
		}
		a.every(ctx, 10*time.Second, 0, "campaigns", a.Campaigns.RunDue)
	}()
	a.startHelpDeskMail(ctx) // e-mail in the help desk: outbox, receiver
	go a.Channels.Run(ctx)   // other channels: the replies' outbox
	go a.Surveys.Run(ctx)    // surveys: the NPS aggregate, then the sends of triggers
	// Journeys: positions loaded once, then due steps every second; ticket events.
	a.Journeys.Start(ctx)
	go a.ticketsToJourneys(ctx)
	go a.Marketing.Run(ctx) // marketing effectiveness: campaign report snapshots
	go a.Webhooks.Run(ctx, time.Second)
	a.startAudit(ctx)         // the audit trail's in-process index
	a.startEventWebhooks(ctx) // event webhooks: resumed outbox, ticket feed
	go a.every(ctx, a.opts.SegmentRefreshEvery, 10*time.Minute, "refresh segments", a.Segments.RefreshDynamic)
	if a.opts.MatchEvery > 0 {
		go a.every(ctx, a.opts.MatchEvery, 0, "incremental matching", a.incrementalMatch)
	}
	go a.every(ctx, a.opts.ReconcileEvery, 5*time.Minute, "reconcile commerce data", func(ctx context.Context) error {
		_, err := a.Commerce.Reconcile(ctx)
		return err
	})
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			// A changeset younger than this may still be in flight on another instance.
			if err := a.HelpDesk.Recover(ctx, 30*time.Second); err != nil && ctx.Err() == nil {
				a.opts.Log.Error("recover ticket changesets", "err", err)
			}
			// Identity changes older than any request (another instance died mid-batch).
			if _, err := a.Engine.Recover(ctx, time.Now().Add(-2*a.opts.RequestTimeout)); err != nil && ctx.Err() == nil {
				a.opts.Log.Error("recover identity changes", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// ticketsToSegments queues the requesters of changed tickets for segment re-evaluation
// (ticket conditions); the notifications come from every instance on the database.
func (a *App) ticketsToSegments(ctx context.Context) {
	for n := range a.Notify.Subscribe(ctx) {
		t, err := a.HelpDesk.GetTicket(ctx, n.TicketID)
		if err != nil {
			if ctx.Err() == nil && !apperr.IsNotFound(err) {
				a.opts.Log.Warn("segments: ticket notification", "ticket", n.TicketID, "err", err)
			}
			continue
		}
		if t.RequesterID != "" {
			a.SegmentQueue.Add([]string{t.RequesterID})
		}
	}
}

// incrementalMatch starts an incremental matching job with the thresholds of the last
// full one; without a full job, or while a job runs, it does nothing.
func (a *App) incrementalMatch(ctx context.Context) error {
	base, err := a.MatchStore.LastBaselineMatchJob(ctx)
	if err != nil || base == nil {
		return err
	}
	_, err = a.Matching.Start(ctx, matchjob.Options{Incremental: true, Upper: base.Upper, Lower: base.Lower, Actor: "scheduled incremental match"})
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Conflict {
		return nil
	}
	return err
}

// every runs job each period (def when period is not set) until ctx ends, logging failures.
func (a *App) every(ctx context.Context, period, def time.Duration, what string, job func(context.Context) error) {
	if period <= 0 {
		period = def
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := job(ctx); err != nil && ctx.Err() == nil {
			a.opts.Log.Error(what, "err", err)
		}
	}
}

// Handler serves /query (GraphQL), /healthz, /readyz and, in development, GraphiQL at /.
func (a *App) Handler(ready func(context.Context) error) http.Handler {
	gql := gqlhttp.NewHandler(a.Resolver, gqlhttp.Options{Dev: a.opts.Dev, Limits: a.opts.Limits, Log: a.opts.Log,
		Audit: a.Audit.Record}) // every mutation in the audit trail
	var query http.Handler = loaders.Middleware(loaders.Deps{Customers: a.Store, Tickets: a.HelpDesk, Commerce: a.Resolver.C360}, gql)
	query = gqlhttp.AuthMiddleware(a.Auth, query)
	query = gqlhttp.RequireJSONPost(query)
	query = a.limits(query)
	query = endpoints.CORS(a.opts.CORSOrigins, query)

	mux := http.NewServeMux()
	mux.Handle("/query", query)
	// Exports, other channels' inbound messages (signed) and survey answer links (/s/).
	endpoints.Mount(mux, &endpoints.Deps{Auth: a.Auth, Audit: a.Audit, Segments: a.SegmentStore, Store: a.Store, Channels: a.Channels,
		Surveys: a.Surveys, CORSOrigins: a.opts.CORSOrigins, RequestTimeout: a.opts.RequestTimeout, Log: a.opts.Log})
	// Tracking API (Segment HTTP spec): its own auth (write keys), limits and CORS.
	mux.Handle("/v1/", trackinghttp.Handler(a.Tracking, trackinghttp.Options{Timeout: a.opts.RequestTimeout, Log: a.opts.Log}))
	// Links in campaign messages: unsubscribe (/u/), open pixel (/o/), clicks (/c/).
	campaignweb.Mount(mux, a.Campaigns, a.opts.Log, a.opts.RequestTimeout)
	// Live chat: the widget script, visitor sessions and sockets (any origin).
	chathttp.Mount(mux, a.Chat, chathttp.Options{Timeout: a.opts.RequestTimeout, Log: a.opts.Log})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			a.opts.Log.Warn("not ready", "err", err)
			http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	if a.opts.Dev {
		mux.Handle("GET /{$}", playground.Handler("Tessera", "/query"))
	}
	return endpoints.LogRequests(a.opts.Log, mux)
}

// limits bounds body size and, for plain requests, time. WebSocket upgrades are long
// lived by design and keep their own keep-alive.
func (a *App) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > a.opts.MaxBody {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, `{"errors":[{"message":"request body too large: the limit is %d bytes","extensions":{"code":"BAD_USER_INPUT"}}]}`, a.opts.MaxBody)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxBody)
		ctx, cancel := context.WithTimeout(r.Context(), a.opts.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// segmentReads joins what the segment reads of membership.Service need: saved segments,
// their members and change log, and profiles.
type segmentReads struct {
	*segmentstore.Store
	matchstore.ProfileReader
}
