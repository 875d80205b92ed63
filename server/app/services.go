package app

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/report"
)

// What the domain services read, checked at compile time: the help desk's configuration,
// queues and reports, the Customer 360 reads, the segment reads.
var (
	_ admin.Store             = (*ticketstore.Store)(nil)
	_ queue.Store             = (*ticketstore.Store)(nil)
	_ report.Store            = (*ticketstore.Store)(nil)
	_ ticket.RequesterTickets = (*ticketstore.Store)(nil)
	_ ticket.Requesters       = (*Requesters)(nil)
	_ c360.Reader             = (*commercestore.Store)(nil)
	_ membership.Reader       = segmentReads{}
)

// agentKeys shows the help desk the API keys agents are registered with.
type agentKeys struct{ auth *auth.Service }

var _ admin.Keys = agentKeys{}

func (k agentKeys) APIKey(ctx context.Context, id string) (admin.APIKey, bool, error) {
	keys, err := k.auth.List(ctx)
	if err != nil {
		return admin.APIKey{}, false, err
	}
	for _, x := range keys {
		if x.ID == id {
			return admin.APIKey{ID: x.ID, Role: string(x.Role), Revoked: x.RevokedAt != nil}, true, nil
		}
	}
	return admin.APIKey{}, false, nil
}
