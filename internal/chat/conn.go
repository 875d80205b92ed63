package chat

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Conn is one open connection of a visitor (a browser tab). The transport reads Out
// and calls Post, SetEmail, Typing and Read with what the visitor sends; Close ends it.
type Conn struct {
	s       *Service
	visitor Visitor
	ticket  string // guarded by s.hub.mu

	mu     sync.Mutex
	sent   map[string]bool // message ids this connection has shown
	out    chan Event
	closed bool
	// a token bucket bounds the messages a connection may post
	tokens float64
	filled time.Time
}

// Connect opens a visitor's connection: the first event (ready) carries the
// conversation so far and whether agents are online.
func (s *Service) Connect(ctx context.Context, token string) (*Conn, error) {
	v, err := s.signer.Verify(token)
	if err != nil {
		return nil, apperr.Unauthenticatedf("%v", err)
	}
	conv, err := s.conversation(ctx, v)
	if err != nil {
		return nil, err
	}
	c := &Conn{s: s, visitor: v, sent: map[string]bool{}, out: make(chan Event, 64), tokens: burst, filled: time.Now()}
	// Registered before the history is read, so a message that lands in between comes
	// with the next notification rather than not at all.
	s.hub.join(c, conv.TicketID)
	ready := Event{Type: "ready", Visitor: v.ID, Email: conv.Email, Online: ptr(s.agentsOnline(ctx)), Messages: []Message{}}
	if conv.TicketID != "" {
		if err := s.Store.SetSeen(ctx, conv.TicketID, s.now()); err != nil {
			c.Close()
			return nil, err
		}
		msgs, err := s.Tickets.Messages(ctx, conv.TicketID)
		if err != nil {
			c.Close()
			return nil, err
		}
		ready.Messages = s.public(ctx, msgs)
	}
	c.mu.Lock()
	for _, m := range ready.Messages {
		c.sent[m.ID] = true
	}
	c.mu.Unlock()
	c.push(ready)
	return c, nil
}

func ptr[T any](v T) *T { return &v }

// Out carries the events for the visitor; it is closed when the connection closes
// (also when the visitor does not keep up).
func (c *Conn) Out() <-chan Event { return c.out }

// VisitorID is the connection's visitor.
func (c *Conn) VisitorID() string { return c.visitor.ID }

func (c *Conn) ticketID() string {
	c.s.hub.mu.Lock()
	defer c.s.hub.mu.Unlock()
	return c.ticket
}

func (c *Conn) push(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushLocked(e)
}

func (c *Conn) pushLocked(e Event) {
	if c.closed {
		return
	}
	select {
	case c.out <- e:
	default: // not reading: drop the connection; the widget reconnects and gets the history
		c.closed = true
		close(c.out)
	}
}

// deliver shows the messages this connection has not shown yet.
func (c *Conn) deliver(msgs []Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		if !c.sent[m.ID] {
			c.sent[m.ID] = true
			c.pushLocked(Event{Type: "message", Message: &m})
		}
	}
}

// Close ends the connection; the last one of a conversation marks when the visitor left.
func (c *Conn) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.out)
	}
	c.mu.Unlock()
	if id := c.s.hub.leave(c); id != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.s.Store.SetSeen(ctx, id, c.s.now()); err != nil {
			c.s.log().Warn("chat: presence at disconnect", "ticket", id, "err", err)
		}
	}
}

// allow takes a token from the connection's bucket.
func (c *Conn) allow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.tokens = min(burst, c.tokens+now.Sub(c.filled).Seconds()/refill.Seconds())
	c.filled = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// Post sends a visitor's message: it joins their ticket (opened by the first message)
// and is shown on every connection of the visitor, clientID echoed to this one.
func (c *Conn) Post(ctx context.Context, clientID, body string) error {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return apperr.Invalidf("the message is empty")
	case len(body) > MaxBody:
		return apperr.Invalidf("the message is longer than %d bytes", MaxBody)
	case !c.allow():
		return apperr.Invalidf("too many messages: wait a moment")
	}
	conv, msg, err := c.s.post(ctx, c.visitor, body)
	if err != nil {
		return err
	}
	c.s.hub.attach(c.visitor.ID, conv.TicketID)
	m := c.s.visible(ctx, msg)
	for _, o := range c.s.hub.visitorConns(c.visitor.ID) {
		o.mu.Lock()
		if !o.sent[m.ID] {
			o.sent[m.ID] = true
			e := Event{Type: "message", Message: &m}
			if o == c {
				e.ClientID = clientID
			}
			o.pushLocked(e)
		}
		o.mu.Unlock()
	}
	return nil
}

// SetEmail records the e-mail the visitor gave (pre-chat or later): their profile is
// linked to it, and agent replies reach them there when they have left.
func (c *Conn) SetEmail(ctx context.Context, email string) error {
	addr, err := c.s.setEmail(ctx, c.visitor, email)
	if err != nil {
		return err
	}
	for _, o := range c.s.hub.visitorConns(c.visitor.ID) {
		o.push(Event{Type: "email", Email: addr})
	}
	return nil
}

// Typing tells the agents watching the conversation that the visitor is (not) typing.
func (c *Conn) Typing(typing bool) {
	if id := c.ticketID(); id != "" {
		c.s.hub.change(id, func(a *Activity) { a.VisitorTyping = typing })
	}
}

// Read tells the agents the visitor has seen the conversation up to a message.
func (c *Conn) Read(messageID string) {
	if id := c.ticketID(); id != "" && messageID != "" && len(messageID) <= 64 {
		c.s.hub.change(id, func(a *Activity) { a.VisitorReadUpTo = messageID })
	}
}

// chatTicket checks that id is a CHAT ticket.
func (s *Service) chatTicket(ctx context.Context, id string) error {
	t, err := s.Tickets.GetTicket(ctx, id)
	if err != nil {
		return err
	}
	if t.Channel != ticket.ChannelChat {
		return apperr.Invalidf("ticket %s is not a chat (channel %s)", id, t.Channel)
	}
	return nil
}

// AgentTyping shows the visitor of a chat ticket that an agent is (not) typing.
func (s *Service) AgentTyping(ctx context.Context, ticketID string, typing bool) error {
	if err := s.chatTicket(ctx, ticketID); err != nil {
		return err
	}
	for _, c := range s.hub.conns(ticketID) {
		c.push(Event{Type: "typing", Typing: ptr(typing)})
	}
	return nil
}

// AgentRead shows the visitor that an agent has read up to a message.
func (s *Service) AgentRead(ctx context.Context, ticketID, messageID string) error {
	if err := s.chatTicket(ctx, ticketID); err != nil {
		return err
	}
	for _, c := range s.hub.conns(ticketID) {
		c.push(Event{Type: "read", ReadUpTo: messageID})
	}
	return nil
}

// Watch sends the visitor's side of a chat ticket (online, typing, read) now and on
// every change, until ctx ends. It covers the visitors connected to this instance.
func (s *Service) Watch(ctx context.Context, ticketID string) (<-chan Activity, error) {
	if err := s.chatTicket(ctx, ticketID); err != nil {
		return nil, err
	}
	w := &watcher{ticketID: ticketID, ch: make(chan Activity, 16)}
	s.hub.watch(w)
	out := make(chan Activity, 1)
	out <- s.hub.activity(ticketID)
	go func() {
		defer close(out)
		defer s.hub.unwatch(w)
		for {
			select {
			case <-ctx.Done():
				return
			case a := <-w.ch:
				select {
				case out <- a:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
