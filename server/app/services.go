package app

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// What the domain services read, checked at compile time: the help desk's admin data
// and reports, the Customer 360 reads, the segment reads.
var (
	_ ticket.AdminStore       = (*ticketstore.Store)(nil)
	_ ticket.RequesterTickets = (*ticketstore.Store)(nil)
	_ ticket.Requesters       = (*Requesters)(nil)
	_ commerce.Reader         = (*commercestore.Store)(nil)
	_ membership.Reader       = segmentReads{}
)

// agentKeys shows the help desk the API keys agents are registered with.
type agentKeys struct{ auth *auth.Service }

var _ ticket.Keys = agentKeys{}

func (k agentKeys) APIKey(ctx context.Context, id string) (ticket.APIKey, bool, error) {
	keys, err := k.auth.List(ctx)
	if err != nil {
		return ticket.APIKey{}, false, err
	}
	for _, x := range keys {
		if x.ID == id {
			return ticket.APIKey{ID: x.ID, Role: string(x.Role), Revoked: x.RevokedAt != nil}, true, nil
		}
	}
	return ticket.APIKey{}, false, nil
}
