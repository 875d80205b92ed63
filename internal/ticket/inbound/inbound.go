// Package inbound decides where a message from outside the help desk (an e-mail, a
// connector's message) goes: into the ticket it continues or into a new one.
package inbound

import (
	"context"
	"errors"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

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
