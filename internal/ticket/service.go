package ticket

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// Service orchestrates the domain functions over a Store so GraphQL resolvers
// stay thin: each method loads, applies one domain change, and saves the
// ticket together with its messages and events in one Changeset. Concurrent
// edits are detected by the ticket version; the Service reloads and re-runs
// the change (re-validating it) a few times before giving up with
// ErrConflict. Authorization (who may do what) is the caller's job. The help
// desk's configuration (agents, groups, SLA policies, macros), its queues and
// its reports are services of their own (packages admin, queue, report).
type Service struct {
	Store     Store
	Customers Customers // optional; without it customer placeholders render empty
	Now       NowFunc   // default time.Now
	NewID     NewIDFunc // default random 26-char base32

	// Requesters turns the requester of a new ticket (profile id or e-mail) into a
	// profile id (Open).
	Requesters Requesters

	// Replied hears each public agent reply (replies and macro bodies) after it is
	// stored; the e-mail channel sends it on (see Observe).
	Replied []func(ctx context.Context, t Ticket, m Message)

	// Orders checks the order a ticket names (OrderID) is the requester's (order.go).
	Orders Orders

	// StatusChanged hears each stored change of a ticket's status (from is the status
	// before), from every path that goes through update; surveys ask after a solve.
	StatusChanged []func(ctx context.Context, t Ticket, from Status)
}

// NewService returns a Service with the default clock and id source.
func NewService(store Store, customers Customers) *Service {
	return &Service{Store: store, Customers: customers}
}

// conflictRetries is how often a change is re-run after a version conflict.
const conflictRetries = 3

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return rand.Text()
}

// mutation is what a change produces besides the ticket itself.
type mutation struct {
	msgs []Message
	evs  []Event
}

// update runs f on a fresh copy of the ticket and saves the result,
// retrying on version conflicts.
func (s *Service) update(ctx context.Context, id string, f func(t *Ticket, now time.Time) (mutation, error)) (Ticket, error) {
	var err error
	for range conflictRetries {
		var t Ticket
		if t, err = s.Store.GetTicket(ctx, id); err != nil {
			return Ticket{}, err
		}
		var m mutation
		from := t.Status
		if m, err = f(&t, s.now()); err != nil {
			return Ticket{}, err
		}
		err = s.Store.Save(ctx, s.changeset([]*Ticket{&t}, m.msgs, nil, m.evs))
		if !errors.Is(err, ErrConflict) {
			if err != nil {
				return Ticket{}, err
			}
			if t.Status != from {
				for _, h := range s.StatusChanged {
					h(ctx, t, from)
				}
			}
			return t, nil
		}
	}
	return Ticket{}, err
}

// changeset fills in missing ids for new messages and events.
func (s *Service) changeset(ts []*Ticket, msgs, moved []Message, evs []Event) Changeset {
	for i := range msgs {
		if msgs[i].ID == "" {
			msgs[i].ID = s.newID()
		}
	}
	for i := range evs {
		if evs[i].ID == "" {
			evs[i].ID = s.newID()
		}
	}
	return Changeset{Tickets: ts, NewMessages: msgs, UpdatedMessages: moved, Events: evs}
}

// policy returns the SLA policy for p, or nil when none is configured.
func (s *Service) policy(ctx context.Context, p Priority) (*SLAPolicy, error) {
	pol, err := s.Store.SLAPolicy(ctx, p)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &pol, nil
}

// CreateTicket validates d, stores a new ticket with its SLA targets and its
// description (body) as the first public message by `by` — usually the
// requester, or an agent logging a phone call. The description is not a
// reply, so it triggers no reply side effects (no first response).
func (s *Service) CreateTicket(ctx context.Context, d Draft, body string, atts []Attachment, by Actor) (Ticket, error) {
	return s.createTicket(ctx, IDs{}, d, body, atts, by)
}

func (s *Service) createTicket(ctx context.Context, ids IDs, d Draft, body string, atts []Attachment, by Actor) (Ticket, error) {
	now := s.now()
	t, err := Create(d, now)
	if err != nil {
		return Ticket{}, err
	}
	msg := Message{ID: ids.Message, Kind: KindPublicReply, AuthorKind: by.Kind, AuthorID: by.ID, Body: body, Attachments: atts, CreatedAt: now}
	if err := ValidateMessage(&msg); err != nil {
		return Ticket{}, err
	}
	if t.GroupID != "" {
		if _, err := s.Store.GetGroup(ctx, t.GroupID); err != nil {
			return Ticket{}, s.inputIfNotFound(err, FieldGroup, t.GroupID)
		}
	}
	if err := s.checkOrder(ctx, t.RequesterID, t.OrderID); err != nil {
		return Ticket{}, err
	}
	t.ID = ids.Ticket
	if t.ID == "" {
		t.ID = s.newID()
	}
	msg.TicketID = t.ID
	pol, err := s.policy(ctx, t.Priority)
	if err != nil {
		return Ticket{}, err
	}
	ApplySLA(&t, pol, by, now)
	evs := diff(&Ticket{ID: t.ID}, &t, by, now) // creation audit: every initial value
	if err := s.Store.Save(ctx, s.changeset([]*Ticket{&t}, []Message{msg}, nil, evs)); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// Reply posts a public reply (agent or customer) with its side effects.
func (s *Service) Reply(ctx context.Context, id string, by Actor, body string, atts []Attachment) (Ticket, Message, error) {
	return s.post(ctx, id, "", KindPublicReply, by, body, atts)
}

// AddNote posts an internal note, visible to agents only.
func (s *Service) AddNote(ctx context.Context, id string, by Actor, body string, atts []Attachment) (Ticket, Message, error) {
	return s.post(ctx, id, "", KindInternalNote, by, body, atts)
}

// post adds a message; msgID "" takes a new id.
func (s *Service) post(ctx context.Context, id, msgID string, kind MessageKind, by Actor, body string, atts []Attachment) (Ticket, Message, error) {
	if msgID == "" {
		msgID = s.newID()
	}
	var msg Message
	t, err := s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		msg = Message{ID: msgID, Kind: kind, AuthorKind: by.Kind, AuthorID: by.ID, Body: body, Attachments: atts, CreatedAt: now}
		evs, err := AddMessage(t, &msg, now)
		return mutation{msgs: []Message{msg}, evs: evs}, err
	})
	if err != nil {
		return Ticket{}, Message{}, err
	}
	s.replied(ctx, t, msg)
	return t, msg, nil
}

// SetStatus changes the status through the status machine.
func (s *Service) SetStatus(ctx context.Context, id string, to Status, by Actor) (Ticket, error) {
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := ChangeStatus(t, to, by, now)
		return mutation{evs: evs}, err
	})
}

// SetPriority changes the priority and re-applies that priority's SLA.
func (s *Service) SetPriority(ctx context.Context, id string, p Priority, by Actor) (Ticket, error) {
	pol, err := s.policy(ctx, p)
	if err != nil {
		return Ticket{}, err
	}
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := SetPriority(t, p, by, now)
		if err != nil {
			return mutation{}, err
		}
		return mutation{evs: append(evs, ApplySLA(t, pol, by, now)...)}, nil
	})
}

// Assign sets group and assignee ("" clears either). The agent must exist
// and, when a group is given, belong to it.
func (s *Service) Assign(ctx context.Context, id, groupID, agentID string, by Actor) (Ticket, error) {
	if groupID != "" {
		g, err := s.Store.GetGroup(ctx, groupID)
		if err != nil {
			return Ticket{}, s.inputIfNotFound(err, FieldGroup, groupID)
		}
		if agentID != "" && !slices.Contains(g.AgentIDs, agentID) {
			return Ticket{}, invalid(FieldAssignee, "agent %s is not in group %s", agentID, groupID)
		}
	}
	if agentID != "" {
		if _, err := s.Store.GetAgent(ctx, agentID); err != nil {
			return Ticket{}, s.inputIfNotFound(err, FieldAssignee, agentID)
		}
	}
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := Assign(t, groupID, agentID, by, now)
		return mutation{evs: evs}, err
	})
}

// AutoAssign assigns the ticket to the next available agent of the group by
// round robin. The rotation is advanced with compare-and-set before the
// ticket is saved; if the ticket save then fails, that turn is lost, which
// costs a little fairness but never double-assigns a turn.
func (s *Service) AutoAssign(ctx context.Context, id, groupID string, by Actor) (Ticket, error) {
	g, err := s.Store.GetGroup(ctx, groupID)
	if err != nil {
		return Ticket{}, s.inputIfNotFound(err, FieldGroup, groupID)
	}
	agents, err := s.Store.GetAgents(ctx, g.AgentIDs)
	if err != nil {
		return Ticket{}, err
	}
	var agentID string
	for attempt := 0; ; attempt++ {
		last, err := s.Store.RoundRobinLast(ctx, groupID)
		if err != nil {
			return Ticket{}, err
		}
		if agentID, err = NextAgent(g, agents, last); err != nil {
			return Ticket{}, err
		}
		err = s.Store.SetRoundRobinLast(ctx, groupID, last, agentID)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) || attempt == conflictRetries {
			return Ticket{}, err
		}
	}
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := Assign(t, groupID, agentID, by, now)
		return mutation{evs: evs}, err
	})
}

// ChangeTags adds then removes tags.
func (s *Service) ChangeTags(ctx context.Context, id string, add, remove []string, by Actor) (Ticket, error) {
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := AddTags(t, add, by, now)
		if err != nil {
			return mutation{}, err
		}
		more, err := RemoveTags(t, remove, by, now)
		return mutation{evs: append(evs, more...)}, err
	})
}

// ApplyMacro applies a macro as agent `by`: its field changes, then its
// rendered body (if any) as a public reply. Unresolved placeholders are
// returned so the UI can warn; they were left visible in the reply.
func (s *Service) ApplyMacro(ctx context.Context, id, macroID string, by Actor) (Ticket, []string, error) {
	m, err := s.Store.GetMacro(ctx, macroID)
	if err != nil {
		return Ticket{}, nil, s.inputIfNotFound(err, "macro", macroID)
	}
	agentName := ""
	if by.Kind == AuthorAgent {
		a, err := s.Store.GetAgent(ctx, by.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Ticket{}, nil, err
		}
		agentName = a.Name
	}
	var pol *SLAPolicy
	if m.SetPriority != nil {
		if pol, err = s.policy(ctx, *m.SetPriority); err != nil {
			return Ticket{}, nil, err
		}
	}
	var missing []string
	var reply *Message
	t, err := s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		reply = nil
		data, err := s.macroData(ctx, t, agentName)
		if err != nil {
			return mutation{}, err
		}
		body, miss, evs, err := ApplyMacro(t, m, data, pol, by, now)
		if err != nil {
			return mutation{}, err
		}
		missing = miss
		if strings.TrimSpace(body) == "" {
			return mutation{evs: evs}, nil
		}
		msg := Message{ID: s.newID(), Kind: KindPublicReply, AuthorKind: by.Kind, AuthorID: by.ID, Body: body, CreatedAt: now}
		more, err := AddMessage(t, &msg, now)
		reply = &msg
		return mutation{msgs: []Message{msg}, evs: append(evs, more...)}, err
	})
	if err == nil && reply != nil {
		s.replied(ctx, t, *reply)
	}
	return t, missing, err
}

// macroData builds the placeholder values for t. Every known placeholder is
// present (possibly empty) so only typos stay visible.
func (s *Service) macroData(ctx context.Context, t *Ticket, agentName string) (map[string]string, error) {
	var c Customer
	if s.Customers != nil {
		var err error
		if c, err = s.Customers.GetCustomer(ctx, t.RequesterID); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return map[string]string{
		macro.PhCustomerFirstName: c.FirstName,
		macro.PhCustomerLastName:  c.LastName,
		macro.PhCustomerName:      strings.TrimSpace(c.FirstName + " " + c.LastName),
		macro.PhCustomerEmail:     c.Email,
		macro.PhTicketID:          t.ID,
		macro.PhTicketSubject:     t.Subject,
		macro.PhAgentName:         agentName,
	}, nil
}

// Rate records the requester's CSAT rating.
func (s *Service) Rate(ctx context.Context, id string, score int, comment string) (Ticket, error) {
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		evs, err := Rate(t, score, comment, now)
		return mutation{evs: evs}, err
	})
}

// Merge folds ticket dupID into targetID (see Merge) and saves both tickets,
// the moved messages, the notes and the events in one Changeset.
func (s *Service) Merge(ctx context.Context, targetID, dupID string, by Actor) (Ticket, error) {
	var err error
	for range conflictRetries {
		var target, dup Ticket
		if target, err = s.Store.GetTicket(ctx, targetID); err != nil {
			return Ticket{}, err
		}
		if dup, err = s.Store.GetTicket(ctx, dupID); err != nil {
			return Ticket{}, err
		}
		var msgs []Message
		if msgs, err = s.Store.ListMessages(ctx, dupID); err != nil {
			return Ticket{}, err
		}
		var res MergeResult
		if res, err = Merge(&target, &dup, msgs, by, s.now()); err != nil {
			return Ticket{}, err
		}
		err = s.Store.Save(ctx, s.changeset([]*Ticket{&target, &dup}, res.Notes, res.Moved, res.Events))
		if !errors.Is(err, ErrConflict) {
			if err != nil {
				return Ticket{}, err
			}
			return target, nil
		}
	}
	return Ticket{}, err
}

// inputIfNotFound turns a missing referenced entity into user input error.
func (s *Service) inputIfNotFound(err error, field, id string) error {
	if errors.Is(err, ErrNotFound) {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%s not found", id)}
	}
	return err
}
