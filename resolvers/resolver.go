// Package resolvers is the GraphQL edge: it turns GraphQL input into domain calls and
// domain results into GraphQL output, checks roles, and maps errors to codes. Domain
// logic lives in internal/.
package resolvers

import (
	"context"
	"log/slog"

	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Resolver is the dependency root of the GraphQL layer.
type Resolver struct {
	Auth     *auth.Service
	Ingest   *ingest.Service
	Profiles *customer.Service
	Engine   *identity.Engine
	Log      *slog.Logger

	Tickets    *ticket.Service
	HelpDesk   HelpDesk
	Requesters Requesters
	Notify     *notify.Broker
	NewID      func() string // ids of groups and macros

	// Customer 360: orders, interactions, metrics and the timeline.
	Commerce *commerce.Service
	C360     Commerce360
	Refs     CustomerRefs
	Eraser   Eraser
	// Privacy: GDPR access export and the suppression list of erased identifiers.
	Privacy Privacy

	// Segments: saved segments and their membership, and the reads behind them.
	Segments *membership.Service
	Segs     SegmentQueries
	// PublicURL prefixes links the server hands out (segment exports); "" gives paths
	// relative to the server.
	PublicURL string

	// Matching: the probabilistic matching job and its review queue.
	Matching *matchjob.Service
	// BaseContext is the server's lifetime context, for work that outlives a request.
	BaseContext context.Context
}
