// Package channels lets connectors for other platforms (social networks, WhatsApp,
// anything with messages) feed conversations into the help desk and carry agents'
// replies back. A connector is registered by name with a signing secret; it POSTs each
// message it receives to /channels/{name}/messages, signed; the message opens or
// continues the help-desk ticket of its conversation (channel SOCIAL, tagged with the
// connector's name) on the profile identity resolution finds for the sender (a record
// of the connector's own source, keyed by the platform's user id, with the e-mail and
// phone when given). Agents' public replies on such tickets are POSTed to the
// connector's outbound URL, signed the same way, from a durable outbox with retries.
//
// Signature: X-Tessera-Timestamp is the Unix time in seconds, X-Tessera-Signature is
// "sha256=" and the hex HMAC-SHA256, keyed by the secret, of "<timestamp>.<raw body>"
// (as segment webhooks sign). A timestamp more than MaxSkew away from the server's
// clock is refused, and a message id seen before adds nothing, so a replayed request
// has no effect.
package channels

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Kind is the sort of platform a connector speaks for.
type Kind string

const (
	Social   Kind = "social"
	WhatsApp Kind = "whatsapp"
	Other    Kind = "other"
)

// Kinds lists the connector kinds.
var Kinds = []Kind{Social, WhatsApp, Other}

// MaxSkew is how far a request's timestamp may be from the server's clock.
const MaxSkew = 5 * time.Minute

// Limits of an inbound message.
const (
	MaxTextBytes   = ticket.MaxBodyBytes
	MaxIDBytes     = 200
	MaxAttachments = 20
)

// nameRe: the name is part of the source name and of an identifier type
// (<name>_id), which allow 32 characters.
var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,23}$`)

// Channel is a registered connector.
type Channel struct {
	Name        string
	Kind        Kind
	OutboundURL string // "" : replies are not sent back
	Secret      string
	CreatedAt   time.Time
	CreatedBy   string
}

// Source is the ingest source of the channel's senders.
func (c Channel) Source() string { return "channel-" + c.Name }

// IdentifierType is the identifier type of the platform's user ids.
func (c Channel) IdentifierType() string { return c.Name + "_id" }

// Message is what a connector POSTs (JSON).
type Message struct {
	MessageID      string       `json:"messageId"`
	ConversationID string       `json:"conversationId"`
	From           Sender       `json:"from"`
	Text           string       `json:"text"`
	SentAt         *time.Time   `json:"sentAt,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`
}

// Sender is the platform user who wrote.
type Sender struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Handle string `json:"handle,omitempty"`
}

// Attachment is kept as metadata (and a link); its content is not fetched.
type Attachment struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Ref records what an inbound message became (its id is channel|messageId): written
// pending with the planned ids before the ticket is touched, so a retry after a crash
// reuses them, and done after.
type Ref struct {
	ID              string
	TicketID        string
	TicketMessageID string
	NewTicket       bool
	Pending         bool
	ProfileID       string
	At              time.Time
}

// Conversation ties a platform conversation to its current ticket; it is stored by
// channel|conversationId and by ticket id (how a reply finds its way back).
type Conversation struct {
	Channel        string
	ConversationID string
	TicketID       string
	SenderID       string
	ProfileID      string
}

// Key is the storage key of a channel's id.
func Key(channel, id string) string { return channel + "|" + id }

// Delivery states of outgoing replies.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Outgoing is an agent reply to POST to a connector; its id is the ticket message's,
// which is also the Idempotency-Key the connector dedupes by.
type Outgoing struct {
	ID          string
	Channel     string
	TicketID    string
	Body        []byte // the JSON posted
	State       string
	Attempts    int
	NextAt      time.Time
	LastError   string
	CreatedAt   time.Time
	DeliveredAt time.Time
}

// ErrNotFound is returned by stores for unknown ids.
var ErrNotFound = errors.New("not found")

// Store keeps connectors, message refs, conversations and the outbox by _id.
type Store interface {
	Channel(ctx context.Context, name string) (Channel, error)
	// AddChannel inserts a connector; false when the name is taken.
	AddChannel(ctx context.Context, c Channel) (bool, error)
	RemoveChannel(ctx context.Context, name string) (bool, error)
	Channels(ctx context.Context) ([]Channel, error)

	Ref(ctx context.Context, id string) (Ref, error)
	PutRef(ctx context.Context, r Ref) error
	Conversation(ctx context.Context, channel, conversationID string) (Conversation, error)
	TicketConversation(ctx context.Context, ticketID string) (Conversation, error)
	PutConversation(ctx context.Context, c Conversation) error

	// Enqueue inserts an outgoing reply; false when its id is queued already.
	Enqueue(ctx context.Context, o Outgoing) (bool, error)
	Outgoing(ctx context.Context, id string) (Outgoing, error)
	PutOutgoing(ctx context.Context, o Outgoing) error
	// PendingOutgoing lists the replies not yet delivered or given up (at start).
	PendingOutgoing(ctx context.Context) ([]Outgoing, error)
}

func validKind(k Kind) error {
	if !slices.Contains(Kinds, k) {
		return apperr.Invalidf("unknown channel kind %q", k)
	}
	return nil
}
