// Package resolvers is the GraphQL edge: it turns GraphQL input into domain calls and
// domain results into GraphQL output, checks roles, and maps errors to codes. Domain
// logic lives in internal/.
package resolvers

import (
	"context"
	"log/slog"

	"github.com/tessera-cdp/tessera/internal/analytics"
	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/campaign/sender"
	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/journey/engine"
	"github.com/tessera-cdp/tessera/internal/marketing"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/offers"
	"github.com/tessera-cdp/tessera/internal/quality"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/report"
	"github.com/tessera-cdp/tessera/internal/tracking"
	"github.com/tessera-cdp/tessera/internal/webhooks"
	"github.com/tessera-cdp/tessera/internal/workflow"
)

// Resolver is the dependency root of the GraphQL layer. It holds domain services only:
// every resolver converts its input, makes its domain call and converts the result.
type Resolver struct {
	Auth     *auth.Service
	Ingest   *ingest.Service
	Profiles *customer.Service
	Engine   *identity.Engine
	Log      *slog.Logger
	// Workflows are the changes that span domains: ingest with commerce following its
	// merges, merge, unmerge (commerce and segments follow), erase, customer references.
	Workflows *workflow.Service

	// Help desk: tickets, the agent queues, the configuration (agents, groups, SLA
	// policies, macros) and the reports.
	Tickets      *ticket.Service
	TicketQueues *queue.Service
	DeskAdmin    *admin.Service
	DeskReports  *report.Service
	Notify       *notify.Broker

	// Customer 360: orders, interactions and metrics (Commerce), and the reads behind
	// the 360 view (the timeline among them) and the value-ordered customer lists (C360).
	Commerce *commerce.Service
	C360     *c360.Customer360
	Refs     CustomerRefs
	Eraser   Eraser
	// Privacy: GDPR access export and the suppression list of erased identifiers.
	Privacy Privacy

	// Segments: saved segments, their membership and the reads behind them.
	Segments *membership.Service
	// PublicURL prefixes links the server hands out (segment exports); "" gives paths
	// relative to the server.
	PublicURL string

	// Matching: the probabilistic matching job and its review queue.
	Matching *matchjob.Service

	// Tracking: write keys of the tracking API (/v1/*).
	Tracking *tracking.Service

	// Offers and consent (marketing automation): personalised offers from the in-process
	// recommender; consent per channel and purpose with its history.
	Offers  *offers.Service
	Consent *consent.Service

	// Reports and forecasts (issue 17), from the in-process order book.
	Reports *analytics.Service
	// CellSegments saves a report's RFM cell as a segment.
	CellSegments workflow.CellSegments

	// Campaigns: e-mail campaigns, their sends and reports.
	Campaigns *sender.Service
	// Live chat: typing and read state of the widget's conversations (CHAT tickets).
	Chat *chat.Service

	// E-mail in the help desk: support mailboxes, the e-mail behind ticket messages.
	HelpDeskMail *helpdeskmail.Service

	// Other channels and surveys (issue 18): connectors' inbound messages and replies;
	// NPS and CSAT surveys, their answers and the NPS trend.
	Channels *channels.Service
	Surveys  *survey.Service

	// Journeys: triggered multi-step customer journeys, their versions and positions.
	Journeys *engine.Service

	// Audit trail and event webhooks (issue 17): the append-only log of actions, and
	// the subscriptions of other systems to profile and ticket events.
	Audit         *audit.Service
	EventWebhooks *webhooks.Service

	// Marketing effectiveness (issue 17): campaigns and journeys against their holdouts.
	Marketing *marketing.Service

	// Product quality (issue 17): return rate and CSAT per product and category, the
	// product catalogue and the tickets' orders.
	Quality *quality.Service

	// BaseContext is the server's lifetime context, for work that outlives a request.
	BaseContext context.Context
}

// intOr is *p, or def when the argument is absent (unlike page, 0 and negative values
// are kept for the domain to refuse).
func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// mayMerge is the permission to merge customers, as for mergeCustomers: an edit by a key
// without it must not merge profiles either.
func mayMerge(ctx context.Context) context.Context {
	if k, ok := auth.FromContext(ctx); ok && k.Role == auth.Admin {
		return ctx
	}
	return identity.WithoutMerges(ctx)
}

// page is the requested page size, or def when the argument is absent or not positive.
func page(first *int, def int) int {
	if first != nil && *first > 0 {
		return *first
	}
	return def
}
