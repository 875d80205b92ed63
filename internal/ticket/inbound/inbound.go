// Package inbound decides where a message from outside the help desk (an e-mail, a
// connector's message) goes: into the ticket it continues or into a new one.
package inbound

import (
	"context"
	"errors"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Tickets is what an inbound channel (help-desk e-mail, a connector) does with tickets
// (ticket.Service): read one and its messages, and create or continue one with ids
// derived from the outside message, so a repeat after a crash adds nothing twice.
type Tickets interface {
	GetTicket(ctx context.Context, id string) (ticket.Ticket, error)
	Messages(ctx context.Context, id string) ([]ticket.Message, error)
	CreateTicketWithIDs(ctx context.Context, ids ticket.IDs, d ticket.Draft, body string, atts []ticket.Attachment, by ticket.Actor) (ticket.Ticket, error)
	ReplyWithID(ctx context.Context, id, msgID string, by ticket.Actor, body string, atts []ticket.Attachment) (ticket.Ticket, ticket.Message, error)
}

// Continuable follows merges from ticket id to the ticket that lives on, and returns it
// if a message from outside (e-mail, a connector) may continue it: "" for a missing or
// closed one, where the message opens a new ticket instead.
func Continuable(ctx context.Context, get func(context.Context, string) (ticket.Ticket, error), id string) (string, error) {
	for range 5 {
		t, err := get(ctx, id)
		if errors.Is(err, ticket.ErrNotFound) || apperr.IsNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if t.MergedInto == "" {
			if t.Status == ticket.StatusClosed {
				return "", nil
			}
			return t.ID, nil
		}
		id = t.MergedInto
	}
	return "", nil
}
