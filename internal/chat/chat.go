// Package chat is the live chat of a shop's pages: anonymous visitors hold a signed
// visitor token, their conversation is a help-desk ticket of channel CHAT (created and
// appended to through ticket.Service, so the desktop inbox, SLAs and queues treat it
// like any ticket), agents answer with the ordinary reply, and the answer reaches the
// visitor's open connection through the ticket notifications every instance hears.
// An optional e-mail given in the chat identifies the visitor (a record of the chat
// source: identity resolution links the anonymous id to the person); when the visitor
// has gone, agent replies are sent to that e-mail. Typing and read state are ephemeral
// and in process.
package chat

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/notify"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/tracking"
)

// Conversation ties a visitor to their current ticket. It is stored twice, by visitor
// (how a connection finds its ticket) and by ticket (how a notification finds its
// visitor and whether they are still there).
type Conversation struct {
	VisitorID string
	TicketID  string // "" until the first message
	Source    string // the site whose key opened the session
	ProfileID string // the visitor's profile ("" until the first message or e-mail)
	Email     string // given in the chat; where replies go when the visitor has left
	// SeenAt is the last time a connection of the visitor was known open (written at
	// connect, every HeartbeatEvery while open, and at disconnect).
	SeenAt    time.Time
	CreatedAt time.Time
}

// OfflineReply is an agent reply to be sent by e-mail because the visitor had left.
// Its id is the message's: recording it once decides which instance sends it.
type OfflineReply struct {
	ID        string
	TicketID  string
	To        string
	Subject   string
	Body      string
	CreatedAt time.Time
}

// Store keeps conversations, the token key and the offline replies, by _id.
type Store interface {
	// TokenKey returns the installation's visitor-token key, created on first use.
	TokenKey(ctx context.Context) ([]byte, error)
	// VisitorConversation and Conversation read by visitor and by ticket (NOT_FOUND).
	VisitorConversation(ctx context.Context, visitorID string) (Conversation, error)
	Conversation(ctx context.Context, ticketID string) (Conversation, error)
	// PutConversation writes the conversation under its ticket (if any), then its visitor.
	PutConversation(ctx context.Context, c Conversation) error
	// SetSeen sets the SeenAt of a ticket's conversation.
	SetSeen(ctx context.Context, ticketID string, at time.Time) error
	// ClaimOfflineReply records r unless a reply of that id is recorded: false if it was.
	ClaimOfflineReply(ctx context.Context, r OfflineReply) (bool, error)
	// FinishOfflineReply records the outcome of sending (errText "" is sent).
	FinishOfflineReply(ctx context.Context, id string, at time.Time, errText string) error
}

// Tickets is what chat does with the help desk (ticket.Service).
type Tickets interface {
	CreateTicket(ctx context.Context, d ticket.Draft, body string, atts []ticket.Attachment, by ticket.Actor) (ticket.Ticket, error)
	Reply(ctx context.Context, id string, by ticket.Actor, body string, atts []ticket.Attachment) (ticket.Ticket, ticket.Message, error)
	GetTicket(ctx context.Context, id string) (ticket.Ticket, error)
	Messages(ctx context.Context, id string) ([]ticket.Message, error)
}

// Agents names the agents who answer (the help desk's store).
type Agents interface {
	GetAgent(ctx context.Context, id string) (ticket.Agent, error)
}

// Keys checks a site key: chat sessions are opened with the tracking write keys shops
// already carry in their pages (tracking.Service).
type Keys interface {
	Authenticate(ctx context.Context, secret string) (tracking.WriteKey, error)
}

// Sources reads and creates sources (ingest.Service): chat records go to their own.
type Sources interface {
	Source(ctx context.Context, name string) (ingest.Source, error)
	CreateSource(ctx context.Context, src ingest.Source) (ingest.Source, error)
}

// Ingester stores and resolves records (workflow.Service).
type Ingester interface {
	Ingest(ctx context.Context, source string, in []ingest.Input, jobID string) (ingest.Result, error)
}

// Notifications are the ticket changes of every instance (notify.Broker).
type Notifications interface {
	Subscribe(ctx context.Context) <-chan notify.Notification
}

// Mailer sends one e-mail (mail.Client).
type Mailer interface {
	SendOne(ctx context.Context, m mail.Message) mail.Result
}

// Message is one entry of the conversation as the visitor sees it (public messages only).
type Message struct {
	ID     string    `json:"id"`
	From   string    `json:"from"` // "visitor" or "agent"
	Author string    `json:"author,omitempty"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// Event is what the server sends a visitor's connection.
type Event struct {
	// Type: ready (first event: history and state), message, typing (the agent's),
	// read (the agent read up to ReadUpTo), email (the e-mail was recorded), error.
	Type     string    `json:"type"`
	Visitor  string    `json:"visitorId,omitempty"`
	Messages []Message `json:"messages,omitempty"`
	Message  *Message  `json:"message,omitempty"`
	ClientID string    `json:"clientId,omitempty"`
	Typing   *bool     `json:"typing,omitempty"`
	ReadUpTo string    `json:"readUpTo,omitempty"`
	Email    string    `json:"email,omitempty"`
	Online   *bool     `json:"online,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Activity is the visitor's side of a chat ticket as agents see it: a snapshot sent on
// every change.
type Activity struct {
	TicketID        string
	VisitorOnline   bool
	VisitorTyping   bool
	VisitorReadUpTo string
	At              time.Time
}

func toMail(r OfflineReply) mail.Message {
	return mail.Message{To: r.To, Subject: r.Subject, Text: r.Body}
}
