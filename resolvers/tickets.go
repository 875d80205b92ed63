package resolvers

import (
	"context"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// actor is the caller as a ticket actor: the agent id is the key id.
func actor(ctx context.Context) ticket.Actor {
	k, _ := auth.FromContext(ctx)
	return ticket.Actor{Kind: ticket.AuthorAgent, ID: k.ID}
}

// ticketMatches applies a subscription filter to a changed ticket.
func ticketMatches(t ticket.Ticket, f *model.TicketUpdatedFilter) bool {
	if f == nil {
		return true
	}
	return (f.TicketID == nil || *f.TicketID == t.ID) &&
		(f.AssigneeID == nil || *f.AssigneeID == t.AssigneeID) &&
		(f.RequesterID == nil || *f.RequesterID == t.RequesterID)
}
