package ticket

import "context"

// GetTicket reads a ticket.
func (s *Service) GetTicket(ctx context.Context, id string) (Ticket, error) {
	return s.Store.GetTicket(ctx, id)
}

// Messages returns a ticket's conversation, oldest first, internal notes included.
func (s *Service) Messages(ctx context.Context, id string) ([]Message, error) {
	return s.Store.ListMessages(ctx, id)
}

// History returns a ticket's audit trail, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]Event, error) {
	return s.Store.ListEvents(ctx, id)
}

// RequesterRef names the requester of a new ticket: a profile id or an e-mail, exactly
// one of them.
type RequesterRef struct {
	CustomerID *string
	Email      *string
}

// Open opens a ticket for a requester given by profile id or by e-mail (resolved to
// the profile that has it, or a new one, through Requesters).
func (s *Service) Open(ctx context.Context, who RequesterRef, d Draft, body string, by Actor) (Ticket, error) {
	var err error
	switch {
	case who.CustomerID != nil && who.Email != nil:
		return Ticket{}, invalidf("give the requester as customerId or email, not both")
	case who.CustomerID != nil:
		d.RequesterID, err = s.Requesters.RequesterByID(ctx, *who.CustomerID)
	case who.Email != nil:
		d.RequesterID, err = s.Requesters.RequesterByEmail(ctx, *who.Email)
	default:
		return Ticket{}, invalidf("give the requester as customerId or email")
	}
	if err != nil {
		return Ticket{}, err
	}
	return s.CreateTicket(ctx, d, body, nil, by)
}
