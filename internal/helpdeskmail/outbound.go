package helpdeskmail

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Replied queues an agent's public reply on an e-mail ticket for sending (the ticket
// service's reply observer). The reply is stored already, so failures are logged: the
// reply stays on the ticket either way.
func (s *Service) Replied(ctx context.Context, t ticket.Ticket, m ticket.Message) {
	if t.Channel != ticket.ChannelEmail {
		return
	}
	ctx = context.WithoutCancel(ctx) // the request may end as soon as the reply is stored
	if err := s.queue(ctx, t, m); err != nil {
		s.log().Error("help desk mail: queue reply", "ticket", t.ID, "message", m.ID, "err", err)
		return
	}
	s.wake()
}

func (s *Service) queue(ctx context.Context, t ticket.Ticket, m ticket.Message) error {
	th, err := s.thread(ctx, t.ID)
	if err != nil {
		return err
	}
	if th.Customer == "" && s.Customers != nil { // opened elsewhere with channel EMAIL
		c, err := s.Customers.GetCustomer(ctx, t.RequesterID)
		if err != nil && !errors.Is(err, ticket.ErrNotFound) {
			return err
		}
		th.Customer = c.Email
	}
	if th.Mailbox == "" {
		boxes, err := s.Store.Mailboxes(ctx)
		if err != nil {
			return err
		}
		for _, b := range boxes {
			if b.GroupID == t.GroupID || th.Mailbox == "" {
				th.Mailbox = b.Address
			}
		}
	}
	if th.Customer == "" || th.Mailbox == "" {
		s.log().Warn("help desk mail: reply not sent (no customer address or no mailbox)", "ticket", t.ID)
		return nil
	}
	now := s.now()
	// Deterministic from the ticket message, so a repeated observer call queues nothing new.
	id := "tessera." + strings.ToLower(m.ID) + "@" + domainOf(th.Mailbox)
	o := Outgoing{MessageID: id, TicketID: t.ID, TicketMessageID: m.ID, From: th.Mailbox, To: th.Customer,
		Subject: ReplySubject(t.Subject, th.Token), Text: m.Body, InReplyTo: th.LastInbound, References: th.References,
		State: Queued, CreatedAt: now, UpdatedAt: now}
	// Listed first: the customer's answer threads back even if the rest is interrupted.
	if err := s.Store.PutRef(ctx, Ref{MessageID: id, Dir: DirOut, TicketID: t.ID, TicketMessageID: m.ID, At: now}); err != nil {
		return err
	}
	if err := s.Store.PutMeta(ctx, Meta{TicketMessageID: m.ID, MessageID: id, Dir: DirOut, From: o.From, To: o.To,
		Subject: o.Subject, InReplyTo: o.InReplyTo, References: o.References}); err != nil {
		return err
	}
	if err := s.Store.AddOutgoing(ctx, o); err != nil {
		return err
	}
	th.References = appendRef(th.References, id)
	return s.Store.PutThread(ctx, th)
}

func (s *Service) wake() {
	s.mu.Lock()
	if s.kick == nil {
		s.kick = make(chan struct{}, 1)
	}
	k := s.kick
	s.mu.Unlock()
	select {
	case k <- struct{}{}:
	default:
	}
}

// Run sends the outbox until ctx ends: at start (what a stop left queued), when a reply
// is queued, and every RetryEvery for temporary failures.
func (s *Service) Run(ctx context.Context) {
	s.wake()
	s.mu.Lock()
	k := s.kick
	s.mu.Unlock()
	every := s.RetryEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k:
		case <-t.C:
		}
		if err := s.SendQueued(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("help desk mail: outbox", "err", err)
		}
	}
}

// SendQueued tries every queued message once.
func (s *Service) SendQueued(ctx context.Context) error {
	if !s.Relay.Enabled() {
		return nil
	}
	queued, err := s.Store.Queued(ctx)
	if err != nil {
		return err
	}
	for _, o := range queued {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := s.send(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// send tries one message; only store errors are returned.
func (s *Service) send(ctx context.Context, o Outgoing) error {
	switch o.State {
	case Sent, Failed, Uncertain: // finished; a stop came before it left the queue
		return s.Store.FinishOutgoing(ctx, o.MessageID, o.State, o.Attempts, o.Error, o.UpdatedAt)
	case Sending: // claimed by a process that stopped before recording the answer
		s.log().Warn("help desk mail: reply may or may not have been sent; not sending again", "messageId", o.MessageID, "ticket", o.TicketID)
		return s.Store.FinishOutgoing(ctx, o.MessageID, Uncertain, o.Attempts, "interrupted after the message was handed over", s.now())
	}
	c, err := s.client(o.From)
	if err != nil {
		return s.Store.FinishOutgoing(ctx, o.MessageID, Failed, o.Attempts, err.Error(), s.now())
	}
	headers := [][2]string{{"Auto-Submitted", "no"}}
	if o.InReplyTo != "" {
		headers = append(headers, [2]string{"In-Reply-To", "<" + o.InReplyTo + ">"})
	}
	if len(o.References) > 0 {
		headers = append(headers, [2]string{"References", "<" + strings.Join(o.References, "> <") + ">"})
	}
	msg := mail.Message{To: o.To, Subject: o.Subject, Text: o.Text, MessageID: o.MessageID, Headers: headers}
	sess := c.Session()
	defer sess.Close()
	res := sess.Send(ctx, msg, mail.Commit{
		Claim: func(ctx context.Context) error { return s.Store.ClaimOutgoing(ctx, o.MessageID, s.now()) },
		Release: func(ctx context.Context) error {
			return s.Store.FinishOutgoing(ctx, o.MessageID, Queued, o.Attempts, "", s.now())
		},
	})
	attempts := o.Attempts + res.Attempts
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	switch res.Outcome {
	case mail.Accepted:
		return s.Store.FinishOutgoing(ctx, o.MessageID, Sent, attempts, "", s.now())
	case mail.Rejected:
		s.log().Warn("help desk mail: relay refused reply", "messageId", o.MessageID, "code", res.Code, "err", res.Err)
		return s.Store.FinishOutgoing(ctx, o.MessageID, Failed, attempts, errText, s.now())
	case mail.Ambiguous:
		return s.Store.FinishOutgoing(ctx, o.MessageID, Uncertain, attempts, errText, s.now())
	case mail.Abandoned: // another instance has it
		return nil
	default: // Deferred: stays queued for the next round
		s.log().Warn("help desk mail: reply deferred", "messageId", o.MessageID, "err", res.Err)
		return s.Store.FinishOutgoing(ctx, o.MessageID, Queued, attempts, errText, s.now())
	}
}

// client is a relay client sending as the mailbox (one per mailbox, reused).
func (s *Service) client(from string) (*mail.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[from]; ok {
		return c, nil
	}
	cfg := s.Relay
	cfg.From = from
	c, err := mail.New(cfg)
	if err != nil {
		return nil, err
	}
	if s.clients == nil {
		s.clients = map[string]*mail.Client{}
	}
	s.clients[from] = c
	return c, nil
}
