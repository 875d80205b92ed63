package channels

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Reply is what Tessera POSTs to a connector's outbound URL for an agent's public reply.
// IdempotencyKey (also the Idempotency-Key header) is the same on every retry of it.
type Reply struct {
	IdempotencyKey string       `json:"idempotencyKey"`
	Channel        string       `json:"channel"`
	ConversationID string       `json:"conversationId"`
	TicketID       string       `json:"ticketId"`
	MessageID      string       `json:"messageId"`
	To             Sender       `json:"to"`
	Text           string       `json:"text"`
	SentAt         time.Time    `json:"sentAt"`
	Attachments    []Attachment `json:"attachments,omitempty"`
}

// Replied hears agents' public replies (ticket.Service.Observe): a reply on a ticket of
// a connector's conversation is put in the outbox (recorded before any attempt), then
// the sender is woken.
func (s *Service) Replied(ctx context.Context, t ticket.Ticket, m ticket.Message) {
	if t.Channel != ticket.ChannelSocial {
		return
	}
	if err := s.queueReply(ctx, t, m); err != nil {
		s.log().Error("channels: reply not queued", "ticket", t.ID, "message", m.ID, "err", err)
	}
}

func (s *Service) queueReply(ctx context.Context, t ticket.Ticket, m ticket.Message) error {
	s.init()
	conv, err := s.Store.TicketConversation(ctx, t.ID)
	if errors.Is(err, ErrNotFound) {
		return nil // a SOCIAL ticket no connector opened
	}
	if err != nil {
		return err
	}
	c, err := s.Store.Channel(ctx, conv.Channel)
	if errors.Is(err, ErrNotFound) || (err == nil && c.OutboundURL == "") {
		return nil
	}
	if err != nil {
		return err
	}
	r := Reply{IdempotencyKey: m.ID, Channel: c.Name, ConversationID: conv.ConversationID, TicketID: t.ID, MessageID: m.ID,
		To: Sender{ID: conv.SenderID}, Text: m.Body, SentAt: m.CreatedAt.UTC()}
	for _, a := range m.Attachments {
		r.Attachments = append(r.Attachments, Attachment{Name: a.Name, Type: a.ContentType, Size: a.Size, URL: a.URL})
	}
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	now := s.now()
	o := Outgoing{ID: m.ID, Channel: c.Name, TicketID: t.ID, Body: body, State: Pending, NextAt: now, CreatedAt: now}
	if _, err := s.Store.Enqueue(ctx, o); err != nil {
		return err
	}
	s.schedule(o.ID, now)
	return nil
}

func (s *Service) schedule(id string, at time.Time) {
	s.mu.Lock()
	s.due[id] = at
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run loads the undelivered replies, then delivers them as they fall due, until ctx
// ends. The outbox is read by _id; the one scan is the start-up load.
func (s *Service) Run(ctx context.Context) {
	s.init()
	pending, err := s.Store.PendingOutgoing(ctx)
	if err != nil && ctx.Err() == nil {
		s.log().Error("channels: load outbox", "err", err)
	}
	for _, o := range pending {
		s.schedule(o.ID, o.NextAt)
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("channels: deliver", "err", err)
		}
		wait := time.Minute
		s.mu.Lock()
		for _, at := range s.due {
			wait = min(wait, max(time.Until(at), 0))
		}
		s.mu.Unlock()
		t.Reset(max(wait, 50*time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// DeliverDue attempts every reply that is due and returns how many it attempted.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	s.init()
	now := s.now()
	var ids []string
	s.mu.Lock()
	for id, at := range s.due {
		if !at.After(now) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		if err := s.deliver(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Service) deliver(ctx context.Context, id string) error {
	o, err := s.Store.Outgoing(ctx, id)
	if errors.Is(err, ErrNotFound) {
		s.forget(id)
		return nil
	}
	if err != nil {
		return err
	}
	if o.State != Pending {
		s.forget(id)
		return nil
	}
	c, err := s.Store.Channel(ctx, o.Channel)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && c.OutboundURL == ""):
		o.State, o.LastError = Failed, "channel removed or without outbound URL"
	case err != nil:
		return err
	default:
		callErr := s.post(ctx, c, o)
		o.Attempts++
		now := s.now()
		switch {
		case callErr == nil:
			o.State, o.DeliveredAt, o.LastError = Delivered, now, ""
		case o.Attempts >= s.maxAttempts():
			o.State, o.LastError = Failed, callErr.Error()
		default:
			o.LastError = callErr.Error()
			delay := s.backoff() << (o.Attempts - 1)
			if delay > time.Hour || delay <= 0 {
				delay = time.Hour
			}
			o.NextAt = now.Add(delay)
		}
	}
	if err := s.Store.PutOutgoing(ctx, o); err != nil {
		return err
	}
	if o.State == Pending {
		s.mu.Lock()
		s.due[o.ID] = o.NextAt
		s.mu.Unlock()
	} else {
		s.forget(id)
	}
	return nil
}

func (s *Service) forget(id string) {
	s.mu.Lock()
	delete(s.due, id)
	s.mu.Unlock()
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 10
}

func (s *Service) backoff() time.Duration {
	if s.Backoff > 0 {
		return s.Backoff
	}
	return 2 * time.Second
}

// post sends one reply; any answer but 2xx is a failure to retry.
func (s *Service) post(ctx context.Context, c Channel, o Outgoing) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := membership.SignedPost(ctx, s.client, s.Policy, c.OutboundURL, c.Secret, s.now(), o.Body,
		map[string]string{"User-Agent": "Tessera-Channels/1", "Idempotency-Key": o.ID})
	return err
}

// Delivery reads the outbox entry of a reply (ErrNotFound when there is none).
func (s *Service) Delivery(ctx context.Context, ticketMessageID string) (Outgoing, error) {
	return s.Store.Outgoing(ctx, ticketMessageID)
}
