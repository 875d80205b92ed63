// Package helpdeskmail is e-mail in the help desk: support mailboxes (an address per
// group), inbound mail that opens or continues tickets, and agent replies that leave as
// e-mail through the SMTP relay with threading headers.
//
// # Threading
//
// Every e-mail of a ticket, received or sent, is listed by its Message-ID (Ref). A
// received mail continues the ticket of the first of its In-Reply-To and References that
// is listed, else the ticket whose token ("[#T-…]", in the subject of every reply) its
// subject carries, else it opens a ticket in the mailbox's group on channel EMAIL.
// Auto-replies and bounces are recognised and dropped (Parse, Classify).
//
// # Crash safety
//
// Inbound: the plan (ticket and message ids, new or continued ticket) is stored under
// the Message-ID before the ticket changes, and applied with those fixed ids, so a
// re-delivered mail, or one whose first delivery crashed half way, adds nothing twice.
//
// Outbound is at-most-once: an agent reply is recorded in the outbox (and its Message-ID
// listed) when it is stored; the sender claims it right before the final dot of DATA. A
// crash after the claim leaves it "uncertain" and it is not sent again: a customer
// getting a reply twice is worse than an agent seeing "uncertain" on the message and
// resending. A crash between storing the reply and recording it in the outbox loses
// the e-mail (the reply stays on the ticket).
package helpdeskmail

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Mailbox is a support address and the group whose tickets it opens.
type Mailbox struct {
	Address   string // lower-case
	GroupID   string
	CreatedAt time.Time
}

// Direction of an e-mail.
type Direction string

const (
	DirIn  Direction = "in"
	DirOut Direction = "out"
)

// Ref lists one e-mail under its Message-ID: the ticket it belongs to and the ticket
// message it is. An inbound Ref is Pending from its plan until the ticket has the
// message; NewTicket says the plan opens the ticket.
type Ref struct {
	MessageID       string
	Dir             Direction
	TicketID        string
	TicketMessageID string
	NewTicket       bool
	Pending         bool
	At              time.Time
}

// Thread is the e-mail state of a ticket: whom to write, from which mailbox, and the
// headers the next reply threads with.
type Thread struct {
	TicketID    string
	Token       string
	Mailbox     string
	Customer    string // the address the customer writes from
	LastInbound string
	References  []string // oldest first, at most maxRefs
}

// Meta is the e-mail behind one ticket message, shown to agents.
type Meta struct {
	TicketMessageID string
	MessageID       string
	Dir             Direction
	From, To        string
	Subject         string
	InReplyTo       string
	References      []string
	Attachments     []AttachmentMeta
	QuotedHidden    bool
}

// Delivery states of an outgoing e-mail.
type Delivery string

const (
	Queued Delivery = "queued"
	// Sending: claimed before the final dot; left so by a crash it means uncertain.
	Sending   Delivery = "sending"
	Sent      Delivery = "sent"
	Failed    Delivery = "failed"
	Uncertain Delivery = "uncertain"
)

// Outgoing is an agent reply in the outbox.
type Outgoing struct {
	MessageID       string
	TicketID        string
	TicketMessageID string
	From, To        string
	Subject, Text   string
	InReplyTo       string
	References      []string
	State           Delivery
	Attempts        int
	Error           string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// ErrNotFound is a missing document (Store getters, wrapped or an apperr not-found).
var ErrNotFound = errors.New("not found")

// ErrNotQueued is ClaimOutgoing's answer for a message that is no longer queued.
var ErrNotQueued = errors.New("outgoing message is not queued")

// Store keeps the mailboxes, the Message-ID index, the threads, the e-mail metadata of
// ticket messages and the outbox, every read a bare _id point read.
type Store interface {
	PutMailbox(ctx context.Context, m Mailbox) error
	DeleteMailbox(ctx context.Context, address string) (bool, error)
	// Mailbox returns ErrNotFound for an address that is no mailbox.
	Mailbox(ctx context.Context, address string) (Mailbox, error)
	Mailboxes(ctx context.Context) ([]Mailbox, error)

	// Refs returns the refs found among ids, in the order of ids.
	Refs(ctx context.Context, ids []string) ([]Ref, error)
	PutRef(ctx context.Context, r Ref) error

	// ClaimToken gives token to ticketID unless another ticket has it; it returns the
	// ticket that has it.
	ClaimToken(ctx context.Context, token, ticketID string) (string, error)
	TokenTicket(ctx context.Context, token string) (string, error)

	// Thread returns ErrNotFound for a ticket without e-mail.
	Thread(ctx context.Context, ticketID string) (Thread, error)
	PutThread(ctx context.Context, t Thread) error

	PutMeta(ctx context.Context, m Meta) error
	Meta(ctx context.Context, ticketMessageID string) (Meta, error)

	// AddOutgoing lists the message as queued and stores it (both idempotent).
	AddOutgoing(ctx context.Context, o Outgoing) error
	Outgoing(ctx context.Context, messageID string) (Outgoing, error)
	// Queued returns the listed messages (queued, or claimed and not finished).
	Queued(ctx context.Context) ([]Outgoing, error)
	// ClaimOutgoing moves a queued message to Sending, ErrNotQueued if it is not queued.
	ClaimOutgoing(ctx context.Context, messageID string, at time.Time) error
	// FinishOutgoing records the state (and error) and attempts; a state other than
	// Queued takes it off the list.
	FinishOutgoing(ctx context.Context, messageID string, state Delivery, attempts int, errText string, at time.Time) error
}

var tokenRe = regexp.MustCompile(`(?i)\[#(T-[a-z0-9]{6,40})\]`)

// TokenOf is the subject token of a ticket: short, and derived from the id so it needs
// no counter.
func TokenOf(ticketID string) string {
	sum := sha256.Sum256([]byte(ticketID))
	return "T-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:10])
}

// longTokenOf is the fallback when the short token of two tickets collides.
func longTokenOf(ticketID string) string { return "T-" + strings.ToLower(ticketID) }

// TokenIn returns the last token in a subject as TokenOf spells it ("" if none).
func TokenIn(subject string) string {
	m := tokenRe.FindAllStringSubmatch(subject, -1)
	if len(m) == 0 {
		return ""
	}
	return "T-" + strings.ToLower(m[len(m)-1][1][2:])
}

var prefixRe = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|wg|sv|vs|antw)\s*(\[\d+\])?\s*:\s*)+`)

// CleanSubject drops reply prefixes and tokens, for a new ticket's subject.
func CleanSubject(s string) string {
	s = tokenRe.ReplaceAllString(s, "")
	s = strings.TrimSpace(prefixRe.ReplaceAllString(s, ""))
	if s == "" {
		return "(no subject)"
	}
	return s
}

// ReplySubject is the subject of an agent reply.
func ReplySubject(subject, token string) string {
	return "Re: " + CleanSubject(subject) + " [#" + token + "]"
}

// NormAddress is an address as mailboxes are keyed: the bare address, lower-case.
func NormAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	return strings.ToLower(a.Address), nil
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	if d == "" {
		return "tessera.invalid"
	}
	return d
}

// appendRef adds id to a References chain, keeping the newest maxRefs.
func appendRef(refs []string, ids ...string) []string {
	out := append([]string(nil), refs...)
	for _, id := range ids {
		if id == "" || len(out) > 0 && out[len(out)-1] == id {
			continue
		}
		out = append(out, id)
	}
	if len(out) > maxRefs {
		out = out[len(out)-maxRefs:]
	}
	return out
}
