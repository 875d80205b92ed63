// Package survey asks customers how they liked what happened: an NPS ("How likely are
// you to recommend us…", 0-10) or CSAT ("How satisfied…", 1-5) question sent by e-mail
// after a trigger (a ticket solved, an order delivered), answered through signed links
// Tessera serves itself (/s/{token}?score=N). Each trigger is asked about once (a send
// ledger keyed by kind and trigger), only with transactional e-mail consent and within
// a per-kind frequency cap. Answers are kept per send and listed per profile; the
// latest NPS and CSAT scores become profile attributes (nps_score, nps_category,
// csat_score) through a record of the built-in surveys source, so segment rules and
// everything that reads traits see them; NPS over time comes from an in-process
// aggregate built at start and updated by every answer.
//
// Surveys go by e-mail only: the live chat has no way to push a message to a visitor
// outside a ticket reply, and a reply on a solved ticket would reopen it.
package survey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Kind is a survey's question.
type Kind string

const (
	NPS  Kind = "nps"  // 0-10, how likely to recommend
	CSAT Kind = "csat" // 1-5, how satisfied
)

// Kinds lists the survey kinds.
var Kinds = []Kind{NPS, CSAT}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == NPS || k == CSAT }

// Range is the lowest and highest score of the kind.
func (k Kind) Range() (lo, hi int) {
	if k == NPS {
		return 0, 10
	}
	return 1, 5
}

// NPS categories.
const (
	Promoter  = "promoter"  // 9-10
	Passive   = "passive"   // 7-8
	Detractor = "detractor" // 0-6
)

// Category is the NPS category of a score.
func Category(score int) string {
	switch {
	case score >= 9:
		return Promoter
	case score >= 7:
		return Passive
	}
	return Detractor
}

// Triggers: what a survey asks about.
const (
	TicketSolved   = "ticket_solved"
	OrderDelivered = "order_delivered"
)

// Trigger is one event a survey may be sent for.
type Trigger struct {
	Type      string // TicketSolved or OrderDelivered
	ID        string // the ticket or order id
	ProfileID string
	At        time.Time
}

// State of a send.
type State string

const (
	// Sending: claimed right before the relay got the message's final dot. A send left
	// in this state (a crash, a lost answer) is never tried again: the relay may have it.
	Sending State = "sending"
	Sent    State = "sent"
	Skipped State = "skipped" // not sent: Reason says why (consent, cap, no address, no relay)
	Failed  State = "failed"  // the relay refused it
)

// Send is one survey for one trigger. Its id is SendID(kind, trigger), so a trigger
// heard twice (a re-sent order, a re-solved ticket) is asked about once.
type Send struct {
	ID          string
	Kind        Kind
	ProfileID   string
	TriggerType string
	TriggerID   string
	To          string
	State       State
	Reason      string
	CreatedAt   time.Time
	SentAt      time.Time
	Answer      *Answer
}

// Answer is a customer's answer; it may be changed within EditWindow of the first.
type Answer struct {
	Score   int
	Comment string
	// At is the first answer's time (periods count it there); UpdatedAt the latest change.
	At, UpdatedAt time.Time
}

// EditWindow is how long after the first answer it may be changed (a mail scanner may
// have followed a link first, or the customer mis-clicked), as for ticket ratings.
const EditWindow = 24 * time.Hour

// MaxCommentRunes bounds an answer's comment.
const MaxCommentRunes = 2000

// SendID is the ledger key of a kind and trigger.
func SendID(k Kind, triggerType, triggerID string) string {
	return string(k) + "|" + triggerType + "|" + triggerID
}

// Summary is a profile's surveys: the sends it was sent (newest last, the latest
// MaxListed), when each kind was last sent (the frequency cap) and the latest answer
// of each kind.
type Summary struct {
	ProfileID string
	Sends     []string
	LastSent  map[Kind]time.Time
	Latest    map[Kind]Latest
}

// Latest is the latest answer of a kind.
type Latest struct {
	SendID string
	Score  int
	At     time.Time
}

// MaxListed bounds the sends listed per profile.
const MaxListed = 200

// Settings say which survey each trigger sends ("" none) and the frequency caps: at
// most one survey of a kind per customer within CapDays of the last (0: no cap).
type Settings struct {
	OnTicketSolved   Kind
	OnOrderDelivered Kind
	CapDays          map[Kind]int
}

// DefaultSettings: CSAT after a solved ticket, NPS after a delivered order, at most one
// NPS survey in 90 days.
func DefaultSettings() Settings {
	return Settings{OnTicketSolved: CSAT, OnOrderDelivered: NPS, CapDays: map[Kind]int{NPS: 90, CSAT: 0}}
}

// ErrNotFound is returned by stores for unknown ids.
var ErrNotFound = errors.New("not found")

// Store keeps sends, summaries and settings, by _id.
type Store interface {
	// Claim inserts a send; false (and no error) when its id exists.
	Claim(ctx context.Context, s Send) (bool, error)
	// Put replaces a send.
	Put(ctx context.Context, s Send) error
	Get(ctx context.Context, id string) (Send, error)
	// GetMany reads sends by id (missing ids are left out).
	GetMany(ctx context.Context, ids []string) ([]Send, error)
	Delete(ctx context.Context, id string) error
	// Summary reads a profile's summary (an empty one when it has none).
	Summary(ctx context.Context, profileID string) (Summary, error)
	PutSummary(ctx context.Context, s Summary) error
	DeleteSummaries(ctx context.Context, profileIDs []string) error
	Settings(ctx context.Context) (Settings, bool, error)
	PutSettings(ctx context.Context, s Settings) error
	// TokenKey is the installation's key of answer links (created on first use).
	TokenKey(ctx context.Context) ([]byte, error)
	// Answered calls fn with every answered send (the start-up build of the trend).
	Answered(ctx context.Context, fn func(Send)) error
}

// ---- answer links ----

// signer makes and checks the tokens of answer links: the send id and an HMAC of it.
type signer struct{ key []byte }

func (s signer) mac(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("survey:" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Token returns the link token of a send.
func (s signer) Token(sendID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sendID)) + "." + s.mac(sendID)
}

// Open returns the send id of a valid token.
func (s signer) Open(token string) (string, bool) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	id := string(raw)
	return id, hmac.Equal([]byte(sig), []byte(s.mac(id)))
}
