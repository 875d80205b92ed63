// Package ticket is the help-desk domain core: tickets, messages, the status
// machine, SLA targets, round-robin assignment, applying macros, CSAT ratings and
// merging, and the Service that makes these changes over a Store. It is pure
// logic over plain values; persistence goes through the Store interface and
// the GraphQL layer maps these types and errors itself.
//
// Its subpackages hold the rest of the help desk: sla (business hours and due
// times) and macro (rendering macro bodies), which this package uses; and queue
// (the agent queues), report (SLA attainment, CSAT) and admin (agents, groups,
// SLA policies, macros), which build on it.
package ticket

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Channel is where a ticket came from.
type Channel string

const (
	ChannelEmail   Channel = "email"
	ChannelChat    Channel = "chat"
	ChannelSocial  Channel = "social"
	ChannelWebForm Channel = "web_form"
	ChannelPhone   Channel = "phone"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelEmail, ChannelChat, ChannelSocial, ChannelWebForm, ChannelPhone:
		return true
	}
	return false
}

// Status is the lifecycle state of a ticket; see Transition for the rules.
type Status string

const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusPending Status = "pending"
	StatusOnHold  Status = "on_hold"
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusNew, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed}

// OpenStatuses are the "still needs work" states used by queues.
var OpenStatuses = []Status{StatusNew, StatusOpen, StatusPending, StatusOnHold}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Priority orders tickets and selects the SLA policy.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Ticket is one customer request. Version is the optimistic-concurrency token
// owned by the Store; domain functions never touch it.
type Ticket struct {
	ID          string
	Subject     string
	RequesterID string // customer profile id
	Channel     Channel
	Status      Status
	Priority    Priority
	Tags        []string // normalized: lower-case, unique, sorted
	AssigneeID  string   // "" = unassigned
	GroupID     string   // "" = no group

	CreatedAt       time.Time
	UpdatedAt       time.Time
	FirstResponseAt *time.Time // first public agent reply
	SolvedAt        *time.Time // cleared again on reopen
	ClosedAt        *time.Time

	FirstResponseDue *time.Time // nil = no SLA target
	ResolutionDue    *time.Time

	MergedInto string // id of the ticket this one was merged into
	CSAT       *Rating
	// OrderID is the order the ticket is about ("" none named; see SetOrder).
	OrderID string
	Version int64
}

// MessageKind separates what the customer sees from agent-only notes.
type MessageKind string

const (
	KindPublicReply  MessageKind = "public_reply"
	KindInternalNote MessageKind = "internal_note"
)

// Valid reports whether k is a known message kind.
func (k MessageKind) Valid() bool { return k == KindPublicReply || k == KindInternalNote }

// AuthorKind says who acted: it drives reply side effects and audit.
type AuthorKind string

const (
	AuthorAgent    AuthorKind = "agent"
	AuthorCustomer AuthorKind = "customer"
	AuthorSystem   AuthorKind = "system"
)

// Valid reports whether k is a known author kind.
func (k AuthorKind) Valid() bool {
	return k == AuthorAgent || k == AuthorCustomer || k == AuthorSystem
}

// Attachment is metadata only; the bytes live in object storage behind URL.
type Attachment struct {
	Name        string
	ContentType string
	Size        int64
	URL         string
}

// Message is one entry in a ticket's conversation.
type Message struct {
	ID          string
	TicketID    string
	Kind        MessageKind
	AuthorKind  AuthorKind
	AuthorID    string
	Body        string
	Attachments []Attachment
	CreatedAt   time.Time
}

// Actor is who performed a change, recorded on every Event.
type Actor struct {
	Kind AuthorKind
	ID   string
}

// System is the actor for automations (merges' notes, auto-close jobs).
var System = Actor{Kind: AuthorSystem}

// Event is one audited field change. Old and New are display strings so the
// audit log stays readable without knowing each field's type.
type Event struct {
	ID       string // filled by Service before saving
	TicketID string
	Actor    Actor
	Field    string
	Old      string
	New      string
	At       time.Time
}

// Agent is a help-desk user who can be assigned tickets.
type Agent struct {
	ID        string
	Name      string
	Email     string
	Groups    []string
	Available bool
}

// Group is a team; AgentIDs order is the round-robin order.
type Group struct {
	ID       string
	Name     string
	AgentIDs []string
}

// Rating is a customer satisfaction score for a solved ticket.
type Rating struct {
	Score   int // 1..5
	Comment string
	At      time.Time // time of the first rating; kept on edits so period stats don't move
}

// Audited field names, as stored in Event.Field.
const (
	FieldSubject          = "subject"
	FieldRequester        = "requester_id"
	FieldChannel          = "channel"
	FieldStatus           = "status"
	FieldPriority         = "priority"
	FieldTags             = "tags"
	FieldAssignee         = "assignee_id"
	FieldGroup            = "group_id"
	FieldFirstResponseAt  = "first_response_at"
	FieldSolvedAt         = "solved_at"
	FieldClosedAt         = "closed_at"
	FieldFirstResponseDue = "first_response_due"
	FieldResolutionDue    = "resolution_due"
	FieldMergedInto       = "merged_into"
	FieldCSAT             = "csat"
	FieldMerged           = "merged" // on the target: New = id of the absorbed ticket
	FieldOrder            = "order_id"
)

// clone deep-copies the parts of t that diff compares and that callers could
// otherwise alias (Tags, pointers).
func (t *Ticket) clone() Ticket {
	c := *t
	c.Tags = slices.Clone(t.Tags)
	if t.CSAT != nil {
		r := *t.CSAT
		c.CSAT = &r
	}
	return c
}

// diff turns the difference between two snapshots of one ticket into audit
// events. Deriving events from snapshots (rather than by hand in each change
// function) guarantees nothing changes unaudited.
func diff(before, after *Ticket, by Actor, at time.Time) []Event {
	var evs []Event
	add := func(field, o, n string) {
		if o != n {
			evs = append(evs, Event{TicketID: after.ID, Actor: by, Field: field, Old: o, New: n, At: at})
		}
	}
	add(FieldSubject, before.Subject, after.Subject)
	add(FieldRequester, before.RequesterID, after.RequesterID)
	add(FieldChannel, string(before.Channel), string(after.Channel))
	add(FieldStatus, string(before.Status), string(after.Status))
	add(FieldPriority, string(before.Priority), string(after.Priority))
	add(FieldTags, strings.Join(before.Tags, ","), strings.Join(after.Tags, ","))
	add(FieldAssignee, before.AssigneeID, after.AssigneeID)
	add(FieldGroup, before.GroupID, after.GroupID)
	add(FieldFirstResponseAt, fmtTime(before.FirstResponseAt), fmtTime(after.FirstResponseAt))
	add(FieldSolvedAt, fmtTime(before.SolvedAt), fmtTime(after.SolvedAt))
	add(FieldClosedAt, fmtTime(before.ClosedAt), fmtTime(after.ClosedAt))
	add(FieldFirstResponseDue, fmtTime(before.FirstResponseDue), fmtTime(after.FirstResponseDue))
	add(FieldResolutionDue, fmtTime(before.ResolutionDue), fmtTime(after.ResolutionDue))
	add(FieldMergedInto, before.MergedInto, after.MergedInto)
	add(FieldCSAT, fmtRating(before.CSAT), fmtRating(after.CSAT))
	add(FieldOrder, before.OrderID, after.OrderID)
	return evs
}

// touch records an audited change: it computes the events and bumps UpdatedAt
// only if something actually changed, so no-op edits leave no trace.
func touch(before, after *Ticket, by Actor, now time.Time) []Event {
	evs := diff(before, after, by, now)
	if len(evs) > 0 {
		after.UpdatedAt = now
	}
	return evs
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtRating(r *Rating) string {
	if r == nil {
		return ""
	}
	s := strconv.Itoa(r.Score)
	if r.Comment != "" {
		s += ": " + r.Comment
	}
	return s
}

func ptr[T any](v T) *T { return &v }
