package ticket

import "context"

// IDs fixes the ids of what a change creates ("" takes a new one). A caller importing
// from outside (an e-mail) derives them from the outside id, so repeating the change
// after a crash finds what the first try stored instead of adding it twice.
type IDs struct {
	Ticket  string
	Message string
}

// CreateTicketWithIDs is CreateTicket with fixed ids: a ticket id that exists already
// returns ErrConflict.
func (s *Service) CreateTicketWithIDs(ctx context.Context, ids IDs, d Draft, body string, atts []Attachment, by Actor) (Ticket, error) {
	return s.createTicket(ctx, ids, d, body, atts, by)
}

// ReplyWithID is Reply with a fixed message id.
func (s *Service) ReplyWithID(ctx context.Context, id, msgID string, by Actor, body string, atts []Attachment) (Ticket, Message, error) {
	return s.post(ctx, id, msgID, KindPublicReply, by, body, atts)
}

// Observe adds f to the hearers of public agent replies.
func (s *Service) Observe(f func(ctx context.Context, t Ticket, m Message)) {
	s.Replied = append(s.Replied, f)
}

// replied tells the hearers of a stored public agent reply.
func (s *Service) replied(ctx context.Context, t Ticket, m Message) {
	if m.Kind != KindPublicReply || m.AuthorKind != AuthorAgent {
		return
	}
	for _, f := range s.Replied {
		f(ctx, t, m)
	}
}
