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

// QueueQuery asks for one page of a queue narrowed by a filter.
type QueueQuery struct {
	Queue  QueueName
	Filter *QueueFilter
	// AgentID is the caller's agent (the MINE queue).
	AgentID string
	After   string
	Limit   int
}

// QueuePage is one page of a queue; Cursors[i] is the cursor after Tickets[i].
type QueuePage struct {
	Tickets []Ticket
	Cursors []string
	HasNext bool
}

// Queue lists one page of a queue in the queue's order (QueueFilterFor). A filter
// that contradicts the queue gives an empty page without a read.
func (s *Service) Queue(ctx context.Context, q QueueQuery) (QueuePage, error) {
	f, order, ok, err := QueueFilterFor(q.Queue, q.AgentID, q.Filter, s.now())
	if err != nil || !ok {
		return QueuePage{}, err
	}
	pg, err := s.Store.ListTickets(ctx, f, Page{Order: order, After: q.After, Limit: q.Limit})
	if err != nil {
		return QueuePage{}, err
	}
	out := QueuePage{Tickets: pg.Tickets, HasNext: pg.Next != ""}
	for _, t := range pg.Tickets {
		out.Cursors = append(out.Cursors, s.Admin.TicketCursor(t, order))
	}
	return out, nil
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
