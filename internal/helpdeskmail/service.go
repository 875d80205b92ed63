package helpdeskmail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/inbound"
)

// Tickets is what an inbound channel does with tickets (inbound.Tickets).
type Tickets = inbound.Tickets

// Service receives and sends the help desk's e-mail.
type Service struct {
	Store   Store
	Tickets Tickets
	// Requesters resolves a sender to a profile (identity resolution, creating the
	// profile for a new address); Customers gives the requester's address for a ticket
	// opened elsewhere with channel EMAIL.
	Requesters ticket.Requesters
	Customers  ticket.Customers
	// Groups checks a mailbox's group exists.
	Groups interface {
		GetGroup(ctx context.Context, id string) (ticket.Group, error)
	}
	// Relay is the SMTP relay replies leave through; its From is replaced by the
	// ticket's mailbox. Not Enabled: replies stay queued.
	Relay mail.Config
	Log   *slog.Logger
	Now   func() time.Time
	NewID func() string
	// RetryEvery is how often the outbox is tried again (default 30 s).
	RetryEvery time.Duration

	mu      sync.Mutex
	clients map[string]*mail.Client
	kick    chan struct{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// SetMailbox creates or re-points a support mailbox.
func (s *Service) SetMailbox(ctx context.Context, address, groupID string) (Mailbox, error) {
	addr, err := NormAddress(address)
	if err != nil {
		return Mailbox{}, apperr.Invalidf("address %q: %v", address, err)
	}
	if groupID == "" {
		return Mailbox{}, apperr.Invalidf("groupId required")
	}
	if s.Groups != nil {
		if _, err := s.Groups.GetGroup(ctx, groupID); err != nil {
			if errors.Is(err, ticket.ErrNotFound) || apperr.IsNotFound(err) {
				return Mailbox{}, apperr.Invalidf("group %s not found", groupID)
			}
			return Mailbox{}, err
		}
	}
	m := Mailbox{Address: addr, GroupID: groupID, CreatedAt: s.now()}
	if old, err := s.Store.Mailbox(ctx, addr); err == nil {
		m.CreatedAt = old.CreatedAt
	} else if !errors.Is(err, ErrNotFound) {
		return Mailbox{}, err
	}
	return m, s.Store.PutMailbox(ctx, m)
}

// RemoveMailbox stops accepting mail for an address; its tickets stay.
func (s *Service) RemoveMailbox(ctx context.Context, address string) (bool, error) {
	addr, err := NormAddress(address)
	if err != nil {
		return false, apperr.Invalidf("address %q: %v", address, err)
	}
	return s.Store.DeleteMailbox(ctx, addr)
}

// Mailboxes lists the support mailboxes.
func (s *Service) Mailboxes(ctx context.Context) ([]Mailbox, error) { return s.Store.Mailboxes(ctx) }

// Accepts returns the mailbox of a recipient address, ErrNotFound if it is none.
func (s *Service) Accepts(ctx context.Context, rcpt string) (Mailbox, error) {
	addr, err := NormAddress(rcpt)
	if err != nil {
		return Mailbox{}, ErrNotFound
	}
	return s.Store.Mailbox(ctx, addr)
}

// MessageMeta is the e-mail behind a ticket message, ErrNotFound if there is none.
func (s *Service) MessageMeta(ctx context.Context, ticketMessageID string) (Meta, *Outgoing, error) {
	m, err := s.Store.Meta(ctx, ticketMessageID)
	if err != nil || m.Dir != DirOut {
		return m, nil, err
	}
	o, err := s.Store.Outgoing(ctx, m.MessageID)
	if errors.Is(err, ErrNotFound) {
		return m, nil, nil
	}
	return m, &o, err
}

// Outcome of a delivered message.
type Outcome string

const (
	Opened    Outcome = "opened"    // a new ticket
	Continued Outcome = "continued" // a message on a ticket
	Duplicate Outcome = "duplicate" // delivered before: nothing added
	Dropped   Outcome = "dropped"   // auto-reply, bounce, own message, erased sender
)

// Result is what became of a delivered message.
type Result struct {
	Outcome  Outcome
	TicketID string
	Reason   string
}

// Deliver takes a received message for a mailbox. envelopeFrom is the SMTP reverse
// path ("" for the null path of bounces). A message that can never be taken (unparsable,
// an unusable sender, refused by the ticket rules) wraps ErrRefused; other errors are
// temporary (the sender should try again).
func (s *Service) Deliver(ctx context.Context, mb Mailbox, envelopeFrom string, raw []byte) (Result, error) {
	res, err := s.deliver(ctx, mb, envelopeFrom, raw)
	if errors.Is(err, ticket.ErrInvalidInput) {
		err = fmt.Errorf("%w: %v", ErrRefused, err)
	}
	return res, err
}

func (s *Service) deliver(ctx context.Context, mb Mailbox, envelopeFrom string, raw []byte) (Result, error) {
	in, err := Parse(raw)
	if err != nil {
		return Result{}, err
	}
	if in.Auto == "" && strings.TrimSpace(envelopeFrom) == "" {
		in.Auto = Bounce // the null reverse path is for notifications only (RFC 5321 4.5.5)
	}
	if in.Auto != "" {
		s.log().Info("help desk mail: dropped", "kind", in.Auto, "mailbox", mb.Address, "from", in.From, "messageId", in.MessageID)
		return Result{Outcome: Dropped, Reason: string(in.Auto)}, nil
	}
	if in.From == "" {
		return Result{}, fmt.Errorf("%w: no From address", ErrRefused)
	}
	refs, err := s.Store.Refs(ctx, []string{in.MessageID})
	if err != nil {
		return Result{}, err
	}
	var plan Ref
	retry := false
	if len(refs) > 0 {
		plan = refs[0]
		switch {
		case plan.Dir == DirOut:
			return Result{Outcome: Dropped, TicketID: plan.TicketID, Reason: "own message"}, nil
		case !plan.Pending:
			return Result{Outcome: Duplicate, TicketID: plan.TicketID}, nil
		}
		retry = true
	}
	requester, err := s.Requesters.RequesterByEmail(ctx, in.From)
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Conflict {
		s.log().Info("help desk mail: dropped (erased sender)", "mailbox", mb.Address, "messageId", in.MessageID)
		return Result{Outcome: Dropped, Reason: "suppressed sender"}, nil
	}
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
		return Result{}, fmt.Errorf("%w: sender %q: %v", ErrRefused, in.From, err)
	}
	if err != nil {
		return Result{}, err
	}
	if !retry {
		if plan, err = s.plan(ctx, in); err != nil {
			return Result{}, err
		}
		if err := s.Store.PutRef(ctx, plan); err != nil {
			return Result{}, err
		}
	}
	by := ticket.Actor{Kind: ticket.AuthorCustomer, ID: requester}
	body := in.Visible
	if body == "" && len(in.Attachments) == 0 {
		body = "(empty message)"
	}
	body = truncate(body, ticket.MaxBodyBytes)
	atts := make([]ticket.Attachment, 0, len(in.Attachments))
	for _, a := range in.Attachments[:min(len(in.Attachments), ticket.MaxAttachments)] {
		atts = append(atts, ticket.Attachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size})
	}
	if !plan.NewTicket {
		err = s.continueTicket(ctx, &plan, retry, by, body, atts)
		if errors.Is(err, ticket.ErrClosed) { // a closed ticket gets a follow-up
			plan.NewTicket, plan.TicketID = true, s.NewID()
			if err = s.Store.PutRef(ctx, plan); err != nil {
				return Result{}, err
			}
		}
		if err != nil && !plan.NewTicket {
			return Result{}, err
		}
	}
	if plan.NewTicket {
		subject := truncateRunes(CleanSubject(in.Subject), ticket.MaxSubjectRunes)
		_, err := s.Tickets.CreateTicketWithIDs(ctx, ticket.IDs{Ticket: plan.TicketID, Message: plan.TicketMessageID},
			ticket.Draft{Subject: subject, RequesterID: requester, Channel: ticket.ChannelEmail, GroupID: mb.GroupID}, body, atts, by)
		if err != nil && !(retry && errors.Is(err, ticket.ErrConflict)) { // a conflict on a retry: the first try created it
			return Result{}, err
		}
	}
	if err := s.recordInbound(ctx, mb, in, plan); err != nil {
		return Result{}, err
	}
	plan.Pending = false
	if err := s.Store.PutRef(ctx, plan); err != nil {
		return Result{}, err
	}
	out := Continued
	if plan.NewTicket {
		out = Opened
	}
	return Result{Outcome: out, TicketID: plan.TicketID}, nil
}

// plan decides where a new message goes: the ticket of a listed In-Reply-To or
// Reference (newest first), else of the subject's token, else a new ticket.
func (s *Service) plan(ctx context.Context, in Parsed) (Ref, error) {
	plan := Ref{MessageID: in.MessageID, Dir: DirIn, TicketMessageID: s.NewID(), Pending: true, At: s.now()}
	ids := []string{}
	if in.InReplyTo != "" {
		ids = append(ids, in.InReplyTo)
	}
	for i := len(in.References) - 1; i >= 0; i-- {
		ids = append(ids, in.References[i])
	}
	found, err := s.Store.Refs(ctx, ids)
	if err != nil {
		return Ref{}, err
	}
	for _, r := range found {
		if r.TicketID != "" && !(r.Pending && r.NewTicket) {
			plan.TicketID = r.TicketID
			break
		}
	}
	if plan.TicketID == "" {
		if tok := TokenIn(in.Subject); tok != "" {
			id, err := s.Store.TokenTicket(ctx, tok)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return Ref{}, err
			}
			plan.TicketID = id
		}
	}
	if plan.TicketID != "" {
		id, err := inbound.Continuable(ctx, s.Tickets.GetTicket, plan.TicketID)
		if err != nil {
			return Ref{}, err
		}
		plan.TicketID = id
	}
	if plan.TicketID == "" {
		plan.TicketID, plan.NewTicket = s.NewID(), true
	}
	return plan, nil
}

// continueTicket adds the message to the planned ticket; on a retry it first checks
// the first try did not already.
func (s *Service) continueTicket(ctx context.Context, plan *Ref, retry bool, by ticket.Actor, body string, atts []ticket.Attachment) error {
	if retry {
		msgs, err := s.Tickets.Messages(ctx, plan.TicketID)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.ID == plan.TicketMessageID {
				return nil
			}
		}
	}
	_, _, err := s.Tickets.ReplyWithID(ctx, plan.TicketID, plan.TicketMessageID, by, body, atts)
	return err
}

// recordInbound keeps the metadata and moves the ticket's thread on (idempotent).
func (s *Service) recordInbound(ctx context.Context, mb Mailbox, in Parsed, plan Ref) error {
	meta := Meta{TicketMessageID: plan.TicketMessageID, MessageID: in.MessageID, Dir: DirIn, From: in.From, To: mb.Address,
		Subject: in.Subject, InReplyTo: in.InReplyTo, References: in.References, Attachments: in.Attachments,
		QuotedHidden: in.Visible != in.Text}
	if err := s.Store.PutMeta(ctx, meta); err != nil {
		return err
	}
	th, err := s.thread(ctx, plan.TicketID)
	if err != nil {
		return err
	}
	if th.Customer == "" || plan.NewTicket {
		th.Customer = in.From
	}
	th.Mailbox = mb.Address
	th.LastInbound = in.MessageID
	th.References = appendRef(th.References, append(append([]string{}, in.References...), in.MessageID)...)
	return s.Store.PutThread(ctx, th)
}

// thread reads a ticket's thread, or starts one with its token claimed.
func (s *Service) thread(ctx context.Context, ticketID string) (Thread, error) {
	th, err := s.Store.Thread(ctx, ticketID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return th, err
	}
	th = Thread{TicketID: ticketID, Token: TokenOf(ticketID)}
	owner, err := s.Store.ClaimToken(ctx, th.Token, ticketID)
	if err != nil {
		return Thread{}, err
	}
	if owner != ticketID { // two tickets' short tokens collide: the later takes a long one
		th.Token = longTokenOf(ticketID)
		if _, err := s.Store.ClaimToken(ctx, th.Token, ticketID); err != nil {
			return Thread{}, err
		}
	}
	return th, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
