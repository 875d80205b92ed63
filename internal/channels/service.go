package channels

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/inbound"
)

// Tickets is what an inbound channel does with tickets (inbound.Tickets).
type Tickets = inbound.Tickets

// Sources reads and creates sources (ingest.Service).
type Sources interface {
	Source(ctx context.Context, name string) (ingest.Source, error)
	CreateSource(ctx context.Context, src ingest.Source) (ingest.Source, error)
}

// Ingester stores and resolves records (workflow.Service).
type Ingester interface {
	Ingest(ctx context.Context, source string, in []ingest.Input, jobID string) (ingest.Result, error)
}

// Service receives connectors' messages and sends replies back.
type Service struct {
	Store   Store
	Tickets Tickets
	Sources Sources
	Ingest  Ingester
	// Policy says which addresses outbound URLs may reach (nil: public ones only),
	// checked when a connector is created and at every delivery.
	Policy *netguard.Policy
	Log    *slog.Logger
	Now    func() time.Time
	NewID  func() string
	// MaxAttempts of a reply (default 10); Backoff is the first retry delay, doubled
	// each attempt up to an hour (default 2 s).
	MaxAttempts int
	Backoff     time.Duration

	once   sync.Once
	convs  [64]sync.Mutex
	mu     sync.Mutex
	due    map[string]time.Time // outbox ids -> when to try
	kick   chan struct{}
	client interface {
		Do(*http.Request) (*http.Response, error)
	}
}

func (s *Service) init() {
	s.once.Do(func() {
		s.due, s.kick = map[string]time.Time{}, make(chan struct{}, 1)
		s.client = s.Policy.Client(15 * time.Second)
	})
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

// ---- connectors ----

// Create registers a connector and returns it with its secret (shown once). The
// connector's senders go to the source channel-<name>: user ids as <name>_id
// identifiers, e-mails and phones as theirs.
func (s *Service) Create(ctx context.Context, name string, kind Kind, outboundURL, actor string) (Channel, error) {
	name = strings.TrimSpace(name)
	if !nameRe.MatchString(name) {
		return Channel{}, apperr.Invalidf("channel name %q: 1-24 lowercase letters, digits or _, starting with a letter", name)
	}
	if err := validKind(kind); err != nil {
		return Channel{}, err
	}
	if outboundURL = strings.TrimSpace(outboundURL); outboundURL != "" {
		u, err := url.Parse(outboundURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Channel{}, apperr.Invalidf("outboundUrl: an http(s) URL")
		}
		if err := s.Policy.CheckURL(ctx, u); err != nil {
			return Channel{}, apperr.Invalidf("outboundUrl: %v", err)
		}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	c := Channel{Name: name, Kind: kind, OutboundURL: outboundURL, Secret: "whsec_" + hex.EncodeToString(secret), CreatedAt: s.now(), CreatedBy: actor}
	src := ingest.Source{Name: c.Source(), Kind: "OTHER", Priority: 1,
		IdentifierFields: map[string]string{"user_id": c.IdentifierType(), "email": "email", "phone": "phone"},
		TraitFields:      map[string]string{"name": "name"}}
	if _, err := s.Sources.Source(ctx, src.Name); apperr.IsNotFound(err) {
		if _, err := s.Sources.CreateSource(ctx, src); err != nil {
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.Conflict {
				return Channel{}, err
			}
		}
	} else if err != nil {
		return Channel{}, err
	}
	ok, err := s.Store.AddChannel(ctx, c)
	if err != nil {
		return Channel{}, err
	}
	if !ok {
		return Channel{}, apperr.Conflictf("channel %q exists", name)
	}
	return c, nil
}

// Remove unregisters a connector: its messages are refused, pending replies fail. Its
// tickets and source records stay.
func (s *Service) Remove(ctx context.Context, name string) (bool, error) {
	return s.Store.RemoveChannel(ctx, name)
}

// List lists the connectors.
func (s *Service) List(ctx context.Context) ([]Channel, error) { return s.Store.Channels(ctx) }

// ---- inbound ----

// Errors of Receive besides apperr kinds.
var (
	// ErrUnauthorized: a missing or wrong signature, or a timestamp outside MaxSkew.
	ErrUnauthorized = errors.New("invalid signature")
)

// Outcome of an inbound message.
type Outcome string

const (
	Opened    Outcome = "opened"    // a new ticket
	Continued Outcome = "continued" // a message on the conversation's ticket
	Duplicate Outcome = "duplicate" // received before: nothing added
	Dropped   Outcome = "dropped"   // the sender is erased (suppressed)
)

// Result is what became of an inbound message.
type Result struct {
	Outcome   Outcome `json:"outcome"`
	TicketID  string  `json:"ticketId,omitempty"`
	ProfileID string  `json:"profileId,omitempty"`
}

// Verify checks a request's signature headers against the connector's secret.
func (s *Service) Verify(c Channel, timestamp, signature string, body []byte) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: X-Tessera-Timestamp must be Unix seconds", ErrUnauthorized)
	}
	if d := s.now().Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: timestamp more than %s from the server's clock", ErrUnauthorized, MaxSkew)
	}
	if !membership.Verify(c.Secret, ts, body, strings.TrimSpace(signature)) {
		return fmt.Errorf("%w: signature does not match", ErrUnauthorized)
	}
	return nil
}

// Receive takes a connector's signed request: it checks the signature, then files the
// message. A channel that does not exist is NOT_FOUND; a malformed message is
// BAD_USER_INPUT; other errors are temporary (the connector should retry, which is safe).
func (s *Service) Receive(ctx context.Context, name, timestamp, signature string, body []byte) (Result, error) {
	s.init()
	c, err := s.Store.Channel(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return Result{}, apperr.NotFoundf("no channel %q", name)
	}
	if err != nil {
		return Result{}, err
	}
	if err := s.Verify(c, timestamp, signature, body); err != nil {
		return Result{}, err
	}
	var m Message
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&m); err != nil {
		return Result{}, apperr.Invalidf("message: %v", err)
	}
	if err := m.validate(); err != nil {
		return Result{}, err
	}
	return s.file(ctx, c, m)
}

func (m *Message) validate() error {
	m.MessageID, m.ConversationID, m.From.ID = strings.TrimSpace(m.MessageID), strings.TrimSpace(m.ConversationID), strings.TrimSpace(m.From.ID)
	switch {
	case m.MessageID == "" || len(m.MessageID) > MaxIDBytes:
		return apperr.Invalidf("messageId: required, at most %d bytes", MaxIDBytes)
	case m.ConversationID == "" || len(m.ConversationID) > MaxIDBytes:
		return apperr.Invalidf("conversationId: required, at most %d bytes", MaxIDBytes)
	case m.From.ID == "" || len(m.From.ID) > MaxIDBytes:
		return apperr.Invalidf("from.id: required, at most %d bytes", MaxIDBytes)
	case strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0:
		return apperr.Invalidf("text: required unless there are attachments")
	case len(m.Text) > MaxTextBytes || !utf8.ValidString(m.Text):
		return apperr.Invalidf("text: valid UTF-8, at most %d bytes", MaxTextBytes)
	case len(m.Attachments) > MaxAttachments:
		return apperr.Invalidf("attachments: at most %d", MaxAttachments)
	}
	for i, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" || a.Size < 0 {
			return apperr.Invalidf("attachments[%d]: a name and a size of 0 or more", i)
		}
		if a.URL != "" {
			if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return apperr.Invalidf("attachments[%d].url: an http(s) URL", i)
			}
		}
	}
	return nil
}

// lockConversation serialises the messages of a conversation within the process (one
// of 64 striped locks), so two at once do not open two tickets.
func (s *Service) lockConversation(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s.convs[h.Sum32()%uint32(len(s.convs))]
	m.Lock()
	return m.Unlock
}

// file puts a message on its conversation's ticket (see Ref for crash safety).
func (s *Service) file(ctx context.Context, c Channel, m Message) (Result, error) {
	defer s.lockConversation(Key(c.Name, m.ConversationID))()
	refID := Key(c.Name, m.MessageID)
	ref, err := s.Store.Ref(ctx, refID)
	retry := err == nil
	switch {
	case err == nil && !ref.Pending:
		return Result{Outcome: Duplicate, TicketID: ref.TicketID, ProfileID: ref.ProfileID}, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return Result{}, err
	}
	profileID, err := s.identify(ctx, c, m.From)
	if err != nil || profileID == "" {
		if profileID == "" && err == nil {
			s.log().Info("channels: dropped (erased sender)", "channel", c.Name, "messageId", m.MessageID)
			return Result{Outcome: Dropped}, nil
		}
		return Result{}, err
	}
	if !retry {
		ref = Ref{ID: refID, TicketMessageID: s.NewID(), Pending: true, ProfileID: profileID, At: s.now()}
		conv, err := s.Store.Conversation(ctx, c.Name, m.ConversationID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Result{}, err
		}
		if err == nil {
			if ref.TicketID, err = inbound.Continuable(ctx, s.Tickets.GetTicket, conv.TicketID); err != nil {
				return Result{}, err
			}
		}
		if ref.TicketID == "" {
			ref.TicketID, ref.NewTicket = s.NewID(), true
		}
		if err := s.Store.PutRef(ctx, ref); err != nil {
			return Result{}, err
		}
	}
	by := ticket.Actor{Kind: ticket.AuthorCustomer, ID: profileID}
	body := strings.TrimSpace(m.Text)
	if body == "" {
		body = "(attachment)"
	}
	atts := make([]ticket.Attachment, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		atts = append(atts, ticket.Attachment{Name: a.Name, ContentType: a.Type, Size: a.Size, URL: a.URL})
	}
	if !ref.NewTicket {
		err := s.continueTicket(ctx, ref, retry, by, body, atts)
		if errors.Is(err, ticket.ErrClosed) { // closed meanwhile: a follow-up ticket
			ref.NewTicket, ref.TicketID = true, s.NewID()
			if err = s.Store.PutRef(ctx, ref); err != nil {
				return Result{}, err
			}
		} else if err != nil {
			return Result{}, err
		}
	}
	if ref.NewTicket {
		d := ticket.Draft{Subject: subjectOf(c, body), RequesterID: profileID, Channel: ticket.ChannelSocial, Tags: []string{c.Name}}
		_, err := s.Tickets.CreateTicketWithIDs(ctx, ticket.IDs{Ticket: ref.TicketID, Message: ref.TicketMessageID}, d, body, atts, by)
		if err != nil && !(retry && errors.Is(err, ticket.ErrConflict)) { // a retry's conflict: the first try made it
			return Result{}, err
		}
	}
	conv := Conversation{Channel: c.Name, ConversationID: m.ConversationID, TicketID: ref.TicketID, SenderID: m.From.ID, ProfileID: profileID}
	if err := s.Store.PutConversation(ctx, conv); err != nil {
		return Result{}, err
	}
	ref.Pending = false
	if err := s.Store.PutRef(ctx, ref); err != nil {
		return Result{}, err
	}
	out := Continued
	if ref.NewTicket {
		out = Opened
	}
	return Result{Outcome: out, TicketID: ref.TicketID, ProfileID: profileID}, nil
}

// identify stores the sender's record in the channel's source and returns their
// profile ("" for a suppressed, erased person).
func (s *Service) identify(ctx context.Context, c Channel, f Sender) (string, error) {
	p := map[string]any{"user_id": f.ID}
	for k, v := range map[string]string{"name": f.Name, "email": f.Email, "phone": f.Phone, c.Name + "_handle": f.Handle} {
		if v = strings.TrimSpace(v); v != "" {
			p[k] = v
		}
	}
	res, err := s.Ingest.Ingest(ctx, c.Source(), []ingest.Input{{ExternalID: f.ID, Payload: p}}, "")
	if err != nil {
		return "", err
	}
	if len(res.Rejects) > 0 {
		if strings.HasPrefix(res.Rejects[0].Reason, ingest.ReasonSuppressed) {
			return "", nil
		}
		return "", apperr.Invalidf("from: %s", res.Rejects[0].Reason)
	}
	return res.ProfileIDs[0], nil
}

// continueTicket adds the message to the planned ticket; on a retry it first checks
// the first try did not already.
func (s *Service) continueTicket(ctx context.Context, ref Ref, retry bool, by ticket.Actor, body string, atts []ticket.Attachment) error {
	if retry {
		msgs, err := s.Tickets.Messages(ctx, ref.TicketID)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.ID == ref.TicketMessageID {
				return nil
			}
		}
	}
	_, _, err := s.Tickets.ReplyWithID(ctx, ref.TicketID, ref.TicketMessageID, by, body, atts)
	return err
}

func subjectOf(c Channel, body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	if r := []rune(line); len(r) > 80 {
		line = string(r[:80]) + "…"
	}
	return c.Name + ": " + line
}
