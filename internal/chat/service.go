package chat

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// DefaultSource is the source of the visitors' records.
const DefaultSource = "chat"

// Limits of what a visitor sends.
const (
	MaxBody = 4000
	// A visitor may send burst messages at once, then one per refill.
	burst  = 10
	refill = 2 * time.Second
)

// Presence timing: a connection's conversation is marked seen this often, and a
// visitor seen within onlineWindow counts as connected (to some instance).
const (
	HeartbeatEvery = 20 * time.Second
	onlineWindow   = 45 * time.Second
)

// Service runs the chat. Prepare it once (source, token key), then Run it.
type Service struct {
	Store   Store
	Tickets Tickets
	Agents  Agents // optional: agent names shown to the visitor
	Keys    Keys
	Sources Sources
	Ingest  Ingester
	Notify  Notifications
	// Mail sends replies to visitors who left an e-mail and went away; nil records them
	// in the outbox only.
	Mail Mailer
	// AgentsOnline tells the widget whether to offer a live chat or a message to be
	// answered by e-mail (nil: always online).
	AgentsOnline func(ctx context.Context) (bool, error)
	// Secret, if set, signs visitor tokens instead of the key kept in the database.
	Secret []byte
	Source string // default DefaultSource
	Log    *slog.Logger
	Now    func() time.Time

	signer Signer
	hub    hub
	locks  [64]sync.Mutex // per visitor (striped): one ticket per visitor per instance

	onlineMu    sync.Mutex
	online      bool
	onlineUntil time.Time
	noMailOnce  sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) source() string {
	if s.Source == "" {
		return DefaultSource
	}
	return s.Source
}

// Prepare creates the chat source if missing (identifiers anonymous_id and email) and
// loads the token key.
func (s *Service) Prepare(ctx context.Context) error {
	if _, err := s.Sources.Source(ctx, s.source()); apperr.IsNotFound(err) {
		_, err = s.Sources.CreateSource(ctx, ingest.Source{Name: s.source(), Kind: "SUPPORT_DESK", Priority: 1,
			IdentifierFields: map[string]string{"anonymous_id": "anonymous_id", "email": "email"}})
		if e, ok := apperr.As(err); err != nil && !(ok && e.Kind == apperr.Conflict) {
			return fmt.Errorf("chat source: %w", err)
		}
	} else if err != nil {
		return err
	}
	key := s.Secret
	if len(key) == 0 {
		var err error
		if key, err = s.Store.TokenKey(ctx); err != nil {
			return fmt.Errorf("chat token key: %w", err)
		}
	}
	s.signer = Signer{Key: key, Now: s.Now}
	return nil
}

// Run delivers ticket changes to connected visitors (or by e-mail to those who left)
// and keeps the presence of connected visitors fresh, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	go s.heartbeat(ctx)
	sem := make(chan struct{}, 4)
	for n := range s.Notify.Subscribe(ctx) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		go func(id string) {
			defer func() { <-sem }()
			if err := s.ticketChanged(ctx, id); err != nil && ctx.Err() == nil && !apperr.IsNotFound(err) {
				s.log().Warn("chat: ticket change", "ticket", id, "err", err)
			}
		}(n.TicketID)
	}
}

func (s *Service) heartbeat(ctx context.Context) {
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, id := range s.hub.tickets() {
			if err := s.Store.SetSeen(ctx, id, s.now()); err != nil && ctx.Err() == nil {
				s.log().Warn("chat: presence", "ticket", id, "err", err)
			}
		}
	}
}

// Session is what a shop page gets: a visitor token and whether agents are online.
type Session struct {
	Token     string
	VisitorID string
	Online    bool
}

// OpenSession checks the site key and returns the visitor's token: the one given if it
// is valid for the key's site, else a new visitor's (with anonymousID, if it is a
// plausible id, e.g. analytics.js's, so chat and tracked browsing share a profile).
func (s *Service) OpenSession(ctx context.Context, siteKey, token, anonymousID string) (Session, error) {
	k, err := s.Keys.Authenticate(ctx, siteKey)
	if err != nil {
		return Session{}, err
	}
	v, err := s.signer.Verify(token)
	if err != nil || v.Source != k.Source {
		v = Visitor{ID: anonymousID, Source: k.Source}
		if !visitorIDRe.MatchString(v.ID) {
			v.ID = newVisitorID()
		}
		token = s.signer.Sign(v)
	}
	return Session{Token: token, VisitorID: v.ID, Online: s.agentsOnline(ctx)}, nil
}

func (s *Service) agentsOnline(ctx context.Context) bool {
	if s.AgentsOnline == nil {
		return true
	}
	s.onlineMu.Lock()
	defer s.onlineMu.Unlock()
	if now := time.Now(); now.After(s.onlineUntil) {
		on, err := s.AgentsOnline(ctx)
		if err != nil {
			s.log().Warn("chat: agents online", "err", err)
			return true // offer the chat; the reply still comes by e-mail if given
		}
		s.online, s.onlineUntil = on, now.Add(15*time.Second)
	}
	return s.online
}

func (s *Service) lockVisitor(id string) func() {
	h := fnv.New32a()
	h.Write([]byte(id))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// conversation reads the visitor's conversation (an empty one for a new visitor).
func (s *Service) conversation(ctx context.Context, v Visitor) (Conversation, error) {
	c, err := s.Store.VisitorConversation(ctx, v.ID)
	if apperr.IsNotFound(err) {
		return Conversation{VisitorID: v.ID, Source: v.Source, CreatedAt: s.now()}, nil
	}
	return c, err
}

// identify stores the visitor's record in the chat source (the anonymous id, and the
// e-mail if given) and returns their profile: identity resolution links the anonymous
// id to the e-mail's person.
func (s *Service) identify(ctx context.Context, c Conversation) (string, error) {
	payload := map[string]any{"anonymous_id": c.VisitorID}
	if c.Email != "" {
		payload["email"] = c.Email
	}
	res, err := s.Ingest.Ingest(ctx, s.source(), []ingest.Input{{ExternalID: c.VisitorID, Payload: payload}}, "")
	if err != nil {
		return "", err
	}
	if len(res.Rejects) > 0 {
		return "", apperr.Invalidf("%s", res.Rejects[0].Reason)
	}
	return res.ProfileIDs[0], nil
}

// post appends a visitor's message to their ticket, opening one on the first message
// or when the last one was closed, and returns the stored message.
func (s *Service) post(ctx context.Context, v Visitor, body string) (Conversation, ticket.Message, error) {
	defer s.lockVisitor(v.ID)()
	c, err := s.conversation(ctx, v)
	if err != nil {
		return c, ticket.Message{}, err
	}
	if c.ProfileID == "" {
		if c.ProfileID, err = s.identify(ctx, c); err != nil {
			return c, ticket.Message{}, err
		}
	}
	by := ticket.Actor{Kind: ticket.AuthorCustomer, ID: c.ProfileID}
	for hops := 0; c.TicketID != "" && hops < 3; hops++ {
		_, msg, err := s.Tickets.Reply(ctx, c.TicketID, by, body, nil)
		if err == nil {
			return c, msg, nil
		}
		if !errors.Is(err, ticket.ErrClosed) {
			return c, ticket.Message{}, err
		}
		// Closed: merged tickets lead on to the one they went into, else a new one.
		t, err := s.Tickets.GetTicket(ctx, c.TicketID)
		if err != nil {
			return c, ticket.Message{}, err
		}
		if c.TicketID = t.MergedInto; c.TicketID != "" {
			if err := s.Store.PutConversation(ctx, c); err != nil {
				return c, ticket.Message{}, err
			}
		}
	}
	t, err := s.Tickets.CreateTicket(ctx, ticket.Draft{Subject: subjectOf(body), RequesterID: c.ProfileID, Channel: ticket.ChannelChat, Tags: []string{"chat"}}, body, nil, by)
	if err != nil {
		return c, ticket.Message{}, err
	}
	c.TicketID, c.SeenAt = t.ID, s.now()
	if err := s.Store.PutConversation(ctx, c); err != nil {
		return c, ticket.Message{}, err
	}
	msgs, err := s.Tickets.Messages(ctx, t.ID)
	if err != nil || len(msgs) == 0 {
		return c, ticket.Message{}, errors.Join(err, fmt.Errorf("ticket %s has no first message", t.ID))
	}
	return c, msgs[0], nil
}

// subjectOf makes a ticket subject of the first message.
func subjectOf(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	if utf8.RuneCountInString(line) > 60 {
		line = string([]rune(line)[:59]) + "…"
	}
	return "Chat: " + line
}

// setEmail records the visitor's e-mail on their record (linking the profile) and
// conversation.
func (s *Service) setEmail(ctx context.Context, v Visitor, email string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || len(a.Address) > 254 || a.Name != "" {
		return "", apperr.Invalidf("%q is not an e-mail address", email)
	}
	defer s.lockVisitor(v.ID)()
	c, err := s.conversation(ctx, v)
	if err != nil {
		return "", err
	}
	c.Email = a.Address
	if c.ProfileID, err = s.identify(ctx, c); err != nil {
		return "", err
	}
	return c.Email, s.Store.PutConversation(ctx, c)
}

// public turns a ticket's messages into what the visitor sees: public messages only.
func (s *Service) public(ctx context.Context, msgs []ticket.Message) []Message {
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		if m.Kind != ticket.KindPublicReply {
			continue
		}
		out = append(out, s.visible(ctx, m))
	}
	return out
}

func (s *Service) visible(ctx context.Context, m ticket.Message) Message {
	v := Message{ID: m.ID, From: "visitor", Body: m.Body, At: m.CreatedAt}
	if m.AuthorKind != ticket.AuthorCustomer {
		v.From = "agent"
		v.Author = s.agentName(ctx, m.AuthorID)
	}
	return v
}

func (s *Service) agentName(ctx context.Context, id string) string {
	if s.Agents == nil || id == "" {
		return ""
	}
	if n, ok := s.hub.name(id); ok {
		return n
	}
	a, err := s.Agents.GetAgent(ctx, id)
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(a.Name, " ") // visitors see the agent's first name
	s.hub.setName(id, first)
	return first
}

// ticketChanged delivers a ticket's new public messages to the visitor's connections on
// this instance; if the visitor has none anywhere, agent replies go by e-mail.
func (s *Service) ticketChanged(ctx context.Context, ticketID string) error {
	conns := s.hub.conns(ticketID)
	if len(conns) == 0 {
		return s.offline(ctx, ticketID)
	}
	msgs, err := s.Tickets.Messages(ctx, ticketID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		c.deliver(s.public(ctx, msgs))
	}
	return nil
}

// offline sends the agent replies written since the visitor was last seen to the
// visitor's e-mail, once across instances (the outbox record decides).
func (s *Service) offline(ctx context.Context, ticketID string) error {
	c, err := s.Store.Conversation(ctx, ticketID)
	if err != nil {
		return err // NOT_FOUND: not a chat ticket
	}
	if c.Email == "" || s.now().Sub(c.SeenAt) < onlineWindow {
		return nil // no address, or connected to another instance
	}
	msgs, err := s.Tickets.Messages(ctx, ticketID)
	if err != nil {
		return err
	}
	var t *ticket.Ticket
	for _, m := range msgs {
		if m.Kind != ticket.KindPublicReply || m.AuthorKind != ticket.AuthorAgent || !m.CreatedAt.After(c.SeenAt) {
			continue
		}
		if t == nil {
			got, err := s.Tickets.GetTicket(ctx, ticketID)
			if err != nil {
				return err
			}
			t = &got
		}
		r := OfflineReply{ID: m.ID, TicketID: ticketID, To: c.Email, Subject: "Re: " + strings.TrimPrefix(t.Subject, "Chat: "), CreatedAt: s.now()}
		if name := s.agentName(ctx, m.AuthorID); name != "" {
			r.Body = name + " replied to your chat:\n\n"
		}
		r.Body += m.Body + "\n"
		claimed, err := s.Store.ClaimOfflineReply(ctx, r)
		if err != nil || !claimed {
			return err
		}
		s.sendOffline(ctx, r)
	}
	return nil
}

func (s *Service) sendOffline(ctx context.Context, r OfflineReply) {
	errText := ""
	if s.Mail == nil {
		// Kept in the outbox (chat_offline_replies) for a relay configured later; no
		// sweep sends them yet.
		errText = "no SMTP relay configured"
		s.noMailOnce.Do(func() {
			s.log().Warn("chat: a visitor left before an agent's reply; it is kept in the outbox but not sent: configure an SMTP relay")
		})
	} else if res := s.Mail.SendOne(ctx, toMail(r)); res.Err != nil {
		errText = res.Err.Error()
		s.log().Warn("chat: offline reply", "ticket", r.TicketID, "outcome", res.Outcome.String(), "err", res.Err)
	}
	if err := s.Store.FinishOfflineReply(ctx, r.ID, s.now(), errText); err != nil && ctx.Err() == nil {
		s.log().Warn("chat: offline reply outcome", "ticket", r.TicketID, "err", err)
	}
}
