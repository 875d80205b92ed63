package ticket

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits that keep one ticket from bloating a document or a screen.
const (
	MaxSubjectRunes = 250
	MaxBodyBytes    = 256 << 10
	MaxTagRunes     = 80
	MaxAttachments  = 50
)

// transitions is the status machine. Beyond the brief, solved may also go
// back to pending/on_hold (Zendesk allows an agent to reopen a solved ticket
// into any working state); new is only ever an initial state and closed is
// terminal (a follow-up ticket is created instead).
var transitions = map[Status][]Status{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
	StatusSolved:  {StatusOpen, StatusPending, StatusOnHold, StatusClosed},
	StatusClosed:  nil,
}

// CanTransition reports whether from → to is a legal status change.
// A same-status "change" is not a transition and reports false.
func CanTransition(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Transition moves t to status to, maintaining SolvedAt (set on solve,
// cleared on reopen) and ClosedAt. Setting the current status again is a
// no-op so macros and bulk edits can be idempotent — except on closed
// tickets, which reject everything with ErrClosed. Illegal moves return a
// *ValidationError (which wraps ErrInvalidInput).
func Transition(t *Ticket, to Status, now time.Time) error {
	if !to.Valid() {
		return invalid(FieldStatus, "unknown status %q", to)
	}
	if t.Status == StatusClosed {
		return ErrClosed
	}
	if t.Status == to {
		return nil
	}
	if !CanTransition(t.Status, to) {
		return invalid(FieldStatus, "cannot change status from %s to %s", t.Status, to)
	}
	from := t.Status
	t.Status = to
	switch {
	case to == StatusSolved:
		t.SolvedAt = ptr(now)
	case to == StatusClosed:
		t.ClosedAt = ptr(now)
	case from == StatusSolved:
		t.SolvedAt = nil // reopened: resolution is measured at the final solve
	}
	t.UpdatedAt = now
	return nil
}

// ChangeStatus is Transition plus the audit trail.
func ChangeStatus(t *Ticket, to Status, by Actor, now time.Time) ([]Event, error) {
	before := t.clone()
	if err := Transition(t, to, now); err != nil {
		return nil, err
	}
	return touch(&before, t, by, now), nil
}

// Draft is the input for a new ticket.
type Draft struct {
	Subject     string
	RequesterID string
	Channel     Channel
	Priority    Priority // "" = normal
	Tags        []string
	GroupID     string
	OrderID     string // "" none; checked against the requester's orders (Service.Orders)
}

// Create validates d and returns a new ticket in status new. The caller
// assigns the ID and applies the SLA policy for its priority.
func Create(d Draft, now time.Time) (Ticket, error) {
	subject := strings.TrimSpace(d.Subject)
	switch {
	case subject == "":
		return Ticket{}, invalid(FieldSubject, "required")
	case utf8.RuneCountInString(subject) > MaxSubjectRunes:
		return Ticket{}, invalid(FieldSubject, "longer than %d characters", MaxSubjectRunes)
	case strings.TrimSpace(d.RequesterID) == "":
		return Ticket{}, invalid(FieldRequester, "required")
	case !d.Channel.Valid():
		return Ticket{}, invalid(FieldChannel, "unknown channel %q", d.Channel)
	}
	if d.Priority == "" {
		d.Priority = PriorityNormal
	}
	if !d.Priority.Valid() {
		return Ticket{}, invalid(FieldPriority, "unknown priority %q", d.Priority)
	}
	tags, err := NormalizeTags(d.Tags)
	if err != nil {
		return Ticket{}, err
	}
	return Ticket{
		Subject:     subject,
		RequesterID: d.RequesterID,
		Channel:     d.Channel,
		Status:      StatusNew,
		Priority:    d.Priority,
		Tags:        tags,
		GroupID:     d.GroupID,
		OrderID:     d.OrderID,
		CreatedAt:   now,
		UpdatedAt:   now,
	}, nil
}

// ValidateMessage checks a message independently of any ticket.
func ValidateMessage(m *Message) error {
	switch {
	case !m.Kind.Valid():
		return invalid("kind", "unknown message kind %q", m.Kind)
	case !m.AuthorKind.Valid():
		return invalid("authorKind", "unknown author kind %q", m.AuthorKind)
	case m.AuthorKind == AuthorCustomer && m.Kind == KindInternalNote:
		return invalid("kind", "customers cannot write internal notes")
	case strings.TrimSpace(m.Body) == "" && len(m.Attachments) == 0:
		return invalid("body", "required")
	case len(m.Body) > MaxBodyBytes:
		return invalid("body", "larger than %d bytes", MaxBodyBytes)
	case len(m.Attachments) > MaxAttachments:
		return invalid("attachments", "more than %d", MaxAttachments)
	}
	for _, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" {
			return invalid("attachments", "name required")
		}
		if a.Size < 0 {
			return invalid("attachments", "negative size")
		}
	}
	return nil
}

// AddMessage validates m, binds it to t and applies the conversation rules:
//   - an agent's first public reply sets FirstResponseAt, and any agent public
//     reply moves a new ticket to open (someone is working on it);
//   - a customer's public reply reopens a pending or solved ticket
//     (on_hold waits on a third party, so it stays put).
//
// Closed tickets accept nothing. The returned events are attributed to the
// message author.
func AddMessage(t *Ticket, m *Message, now time.Time) ([]Event, error) {
	if t.Status == StatusClosed {
		return nil, ErrClosed
	}
	if err := ValidateMessage(m); err != nil {
		return nil, err
	}
	m.TicketID = t.ID
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	before := t.clone()
	if m.Kind == KindPublicReply {
		switch m.AuthorKind {
		case AuthorAgent:
			if t.FirstResponseAt == nil {
				t.FirstResponseAt = ptr(now)
			}
			if t.Status == StatusNew {
				_ = Transition(t, StatusOpen, now) // always legal from new
			}
		case AuthorCustomer:
			if t.Status == StatusPending || t.Status == StatusSolved {
				_ = Transition(t, StatusOpen, now) // always legal from these
			}
		}
	}
	t.UpdatedAt = now // a new message is activity even without field changes
	return diff(&before, t, Actor{Kind: m.AuthorKind, ID: m.AuthorID}, now), nil
}

// SetPriority changes the priority. The caller re-applies the SLA policy.
func SetPriority(t *Ticket, p Priority, by Actor, now time.Time) ([]Event, error) {
	if t.Status == StatusClosed {
		return nil, ErrClosed
	}
	if !p.Valid() {
		return nil, invalid(FieldPriority, "unknown priority %q", p)
	}
	before := t.clone()
	t.Priority = p
	return touch(&before, t, by, now), nil
}

// Assign sets group and assignee ("" clears). Membership is checked by the
// caller, which has the Group. Assigning a new ticket opens it, as in Zendesk.
func Assign(t *Ticket, groupID, agentID string, by Actor, now time.Time) ([]Event, error) {
	if t.Status == StatusClosed {
		return nil, ErrClosed
	}
	before := t.clone()
	t.GroupID, t.AssigneeID = groupID, agentID
	if agentID != "" && t.Status == StatusNew {
		_ = Transition(t, StatusOpen, now)
	}
	return touch(&before, t, by, now), nil
}

// NormalizeTags lower-cases, trims, de-duplicates and sorts tags. Tags with
// inner whitespace or commas are rejected rather than silently rewritten,
// because they are used verbatim in filters and the audit log joins with ",".
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, tag := range tags {
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" {
			return nil, invalid(FieldTags, "empty tag")
		}
		if strings.ContainsFunc(tag, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
			return nil, invalid(FieldTags, "tag %q contains whitespace or a comma", tag)
		}
		if utf8.RuneCountInString(tag) > MaxTagRunes {
			return nil, invalid(FieldTags, "tag longer than %d characters", MaxTagRunes)
		}
		out = append(out, tag)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// SetTags replaces the tag set.
func SetTags(t *Ticket, tags []string, by Actor, now time.Time) ([]Event, error) {
	return editTags(t, by, now, func([]string) ([]string, error) { return NormalizeTags(tags) })
}

// AddTags adds tags to the set.
func AddTags(t *Ticket, tags []string, by Actor, now time.Time) ([]Event, error) {
	return editTags(t, by, now, func(cur []string) ([]string, error) {
		return NormalizeTags(append(slices.Clone(cur), tags...))
	})
}

// RemoveTags removes tags from the set; absent tags are ignored.
func RemoveTags(t *Ticket, tags []string, by Actor, now time.Time) ([]Event, error) {
	return editTags(t, by, now, func(cur []string) ([]string, error) {
		drop, err := NormalizeTags(tags)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(slices.Clone(cur), func(s string) bool { return slices.Contains(drop, s) }), nil
	})
}

func editTags(t *Ticket, by Actor, now time.Time, f func([]string) ([]string, error)) ([]Event, error) {
	if t.Status == StatusClosed {
		return nil, ErrClosed
	}
	tags, err := f(t.Tags)
	if err != nil {
		return nil, err
	}
	before := t.clone()
	t.Tags = tags
	return touch(&before, t, by, now), nil
}
