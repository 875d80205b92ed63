// Package campaign is e-mail campaigns: a campaign targets a saved segment, renders its
// subject, HTML and text templates for each customer, and is sent through an SMTP relay
// (internal/mail) with tracked links, an open pixel and a one-click unsubscribe; every
// campaign keeps a random holdout whose conversions the report compares with the
// treated customers'. Domain code: this package is the model (definitions, templates,
// link tokens, ledger records, report figures), the service running campaigns is package
// campaign/sender, the store is internal/store/campaignstore, the HTTP endpoints of the
// links are package campaign/web.
//
// # States
//
//	DRAFT → SCHEDULED → SENDING → SENT;  DRAFT, SCHEDULED or SENDING → CANCELLED
//
// A schedule is a wall-clock time in an IANA time zone, stored as the instant it names.
// Due campaigns are started by RunDue, which the app calls every few seconds; SENDING
// campaigns whose sender is gone (a crash, another instance whose lease lapsed) are
// resumed by it too.
//
// # The plan
//
// When a send starts, the segment's current members are frozen into the plan: chunks
// of up to ChunkSize profile ids, read from the segment's member list (the in-process
// member index on the embedded database) and written in id order. Each member is in the
// holdout when hash(campaign id, customer id) falls below the holdout share, so planning
// again assigns everyone the same way. FROZEN campaigns send to the plan as it is; LIVE
// ones also check, right before each message, that the customer is still a member.
//
// # The send ledger, and why nobody gets a campaign twice
//
// A recipient has at most one ledger entry, keyed by bare _id "campaign:profile" (the
// profile live when the message goes out, so two planned ids merged since share one
// entry and one message). An entry is created by an insert, which the unique _id makes a
// claim that only one sender wins, on every backend:
//
//	HELD_OUT     in the holdout and eligible: nothing is sent
//	SUPPRESSED   not eligible (Reason: no consent, suppressed identifier, frequency cap...)
//	SENDING      claimed at the point of no return: the relay has the whole message and
//	             waits for the final dot (see internal/mail)
//	SENT         the relay answered 250
//	FAILED       the relay refused it for good, or temporary failures ran out
//	UNCONFIRMED  the connection died between the dot and the answer
//
// A planned recipient without an entry has not been dealt with yet; a resumed send skips
// every recipient with an entry. A message is therefore sent at most once: a crash
// between the claim and the SENT record leaves SENDING, which the report counts as
// unconfirmed with UNCONFIRMED and which is never sent again (the relay may have taken
// it: sending again could deliver it twice). The window is the final dot, the relay's
// answer and one write; the Message-ID is deterministic per campaign and recipient, so
// the relay's log tells what became of an unconfirmed message. A relay that refuses
// with a temporary error after the dot gets its claim released (the entry deleted)
// before the next try.
//
// # Eligibility (suppression)
//
// Right before each message (and for holdout members alike, so both groups are
// comparable): the profile must still exist (erased: suppressed), have an e-mail
// address, not be on the suppression list of erased identifiers, be allowed marketing
// e-mail by its consent (consent.Allowed: a withdrawal, a bounce or a complaint stops
// it), not have had FrequencyCap.Max campaign messages within FrequencyCap.Within, and
// for LIVE campaigns still be a member of the segment.
//
// # Holdout and uplift
//
// See Report: treated are the eligible customers outside the holdout (sent, failed or
// unconfirmed: intention to treat), holdout the eligible ones inside it; both are
// counted by the profile live now (merges since the send are followed; a profile that
// holds several recipients counts once, treated if any of them was), and converted when
// its order ledger has a counted order within AttributionDays after the send started.
package campaign

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// State is where a campaign is in its life.
type State string

// Campaign states.
const (
	Draft     State = "DRAFT"
	Scheduled State = "SCHEDULED"
	Sending   State = "SENDING"
	Sent      State = "SENT"
	Cancelled State = "CANCELLED"
)

// Audience says when the segment's members are taken.
type Audience string

const (
	// Frozen sends to the members when the send starts.
	Frozen Audience = "FROZEN"
	// Live also skips those who left the segment before their message went out.
	Live Audience = "LIVE"
)

// Campaign is an e-mail campaign.
type Campaign struct {
	ID        string
	Name      string
	SegmentID string
	Audience  Audience
	// Subject, HTML and Text are templates with {{placeholder}} keys (see Placeholders).
	Subject, HTML, Text string
	// FromName replaces the display name of the relay's configured sender.
	FromName string
	// Defaults are the fallbacks of placeholders whose value a customer lacks.
	Defaults map[string]string
	// HoldoutPercent of the audience receives nothing (0 to 50).
	HoldoutPercent float64
	// AttributionDays after the send start an order counts as a conversion.
	AttributionDays int
	// RatePerMinute caps this campaign's messages (0: only the relay's cap).
	RatePerMinute int
	// Links are the tracked links of the HTML template, in order; a click token names
	// one by index, so redirects only ever go to these.
	Links []string

	State State
	// ScheduledAt is the instant of the schedule, entered as LocalTime in TimeZone.
	ScheduledAt time.Time
	LocalTime   string
	TimeZone    string
	StartedAt   time.Time
	FinishedAt  time.Time

	// The plan: Planned recipients in Chunks chunks, of which Progress are done.
	Planned   int
	Chunks    int
	Progress  int
	PlannedAt time.Time
	// Owner is the instance sending it until LeaseUntil.
	Owner      string
	LeaseUntil time.Time
	// LastError is why the last send run stopped early (the relay was unreachable...).
	LastError string

	CreatedAt, UpdatedAt time.Time
	CreatedBy            string
	Rev                  int64
}

// Input is what a client sets on a campaign.
type Input struct {
	Name      string
	SegmentID string
	Audience  Audience
	Subject   string
	HTML      string
	Text      string
	FromName  string
	Defaults  map[string]string
	// HoldoutPercent nil: DefaultHoldoutPercent.
	HoldoutPercent *float64
	// AttributionDays 0: DefaultAttributionDays.
	AttributionDays int
	RatePerMinute   int
}

// Defaults of an input.
const (
	DefaultHoldoutPercent  = 10
	DefaultAttributionDays = 7
	maxTemplate            = 256 << 10
	maxName                = 200
	maxSubject             = 500
)

// Apply validates in and writes it onto c.
func (in Input) Apply(c *Campaign) error {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > maxName:
		return apperr.Invalidf("name must have 1 to %d characters", maxName)
	case in.SegmentID == "":
		return apperr.Invalidf("segmentId is required")
	case strings.TrimSpace(in.Subject) == "" || utf8.RuneCountInString(in.Subject) > maxSubject || strings.ContainsAny(in.Subject, "\r\n"):
		return apperr.Invalidf("subject must be one line of 1 to %d characters", maxSubject)
	case strings.TrimSpace(in.Text) == "":
		return apperr.Invalidf("text is required: every message carries a plain-text part")
	case len(in.HTML) > maxTemplate || len(in.Text) > maxTemplate:
		return apperr.Invalidf("templates are limited to %d KiB each", maxTemplate>>10)
	case !utf8.ValidString(in.Subject + in.HTML + in.Text + in.FromName):
		return apperr.Invalidf("templates must be UTF-8")
	case utf8.RuneCountInString(in.FromName) > maxName || strings.ContainsAny(in.FromName, "\r\n<>\""):
		return apperr.Invalidf("fromName must be a plain name of at most %d characters", maxName)
	}
	if in.FromName != "" {
		if _, err := mail.ParseAddress(fmt.Sprintf("%q <x@example.com>", in.FromName)); err != nil {
			return apperr.Invalidf("fromName: %v", err)
		}
	}
	switch in.Audience {
	case "":
		in.Audience = Frozen
	case Frozen, Live:
	default:
		return apperr.Invalidf("audience must be FROZEN or LIVE")
	}
	hold := float64(DefaultHoldoutPercent)
	if in.HoldoutPercent != nil {
		hold = *in.HoldoutPercent
	}
	if !(hold >= 0 && hold <= 50) {
		return apperr.Invalidf("holdoutPercent must be between 0 and 50")
	}
	if in.AttributionDays == 0 {
		in.AttributionDays = DefaultAttributionDays
	}
	if in.AttributionDays < 1 || in.AttributionDays > 365 {
		return apperr.Invalidf("attributionDays must be between 1 and 365")
	}
	if in.RatePerMinute < 0 || in.RatePerMinute > 1_000_000 {
		return apperr.Invalidf("ratePerMinute must be between 0 (no cap) and 1000000")
	}
	t, err := Compile(in.Subject, in.HTML, in.Text, in.Defaults)
	if err != nil {
		return err
	}
	c.Name, c.SegmentID, c.Audience = in.Name, in.SegmentID, in.Audience
	c.Subject, c.HTML, c.Text, c.FromName = in.Subject, in.HTML, in.Text, strings.TrimSpace(in.FromName)
	c.Defaults, c.HoldoutPercent, c.AttributionDays, c.RatePerMinute = in.Defaults, hold, in.AttributionDays, in.RatePerMinute
	c.Links = t.Links
	return nil
}

// Editable reports whether the definition may still change.
func (c *Campaign) Editable() bool { return c.State == Draft || c.State == Scheduled }

// EntryState is where a recipient's message is (see the package doc).
type EntryState string

// Ledger entry states.
const (
	HeldOut     EntryState = "HELD_OUT"
	Suppressed  EntryState = "SUPPRESSED"
	Claimed     EntryState = "SENDING"
	Delivered   EntryState = "SENT"
	Failed      EntryState = "FAILED"
	Unconfirmed EntryState = "UNCONFIRMED"
)

// Treated reports a state of the treated group (a message was attempted).
func (s EntryState) Treated() bool {
	return s == Claimed || s == Delivered || s == Failed || s == Unconfirmed
}

// Suppression reasons.
const (
	ReasonErased        = "erased"
	ReasonNoEmail       = "no e-mail address"
	ReasonSuppressedID  = "suppressed identifier"
	ReasonNoConsent     = "no consent"
	ReasonFrequencyCap  = "frequency cap"
	ReasonLeftSegment   = "left the segment"
	ReasonDuplicateLive = "same customer as another recipient"
)

// Entry is a recipient's line in the send ledger.
type Entry struct {
	ID         string // EntryID(CampaignID, ProfileID)
	CampaignID string
	ProfileID  string
	// Planned is the plan's profile id when a merge had made it ProfileID by the send.
	Planned   string
	State     EntryState
	Holdout   bool
	Reason    string
	MessageID string
	Attempts  int
	Code      int
	At        time.Time // when State was set
	// What happened to the message after it was sent (first time of each).
	OpenedAt, ClickedAt, UnsubscribedAt, BouncedAt, ComplainedAt time.Time
}

// EntryID is the ledger key of a campaign's recipient.
func EntryID(campaignID, profileID string) string { return campaignID + ":" + profileID }

// Chunk is a part of a campaign's plan.
type Chunk struct {
	CampaignID string
	N          int
	Treated    []string
	Holdout    []string
	// Done is set when every recipient of the chunk has an entry (or shares one);
	// Moved maps planned ids to the profile they were merged into by their send.
	Done  bool
	Moved map[string]string
}

// Size is the number of recipients in the chunk.
func (c Chunk) Size() int { return len(c.Treated) + len(c.Holdout) }
