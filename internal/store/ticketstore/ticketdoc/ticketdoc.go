// Package ticketdoc is the stored form of the help desk (see ticketstore): the
// documents of tickets, messages, events, agents, groups, SLA policies and macros, and
// the journal of ticket saves.
package ticketdoc

import (
	"fmt"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

// The ticket domain types carry no bson tags (the domain knows nothing of the
// driver), so the store maps them to these documents with stable camelCase names.

// Ticket is a document of the tickets collection.
type Ticket struct {
	ID               string     `bson:"_id"`
	Subject          string     `bson:"subject"`
	RequesterID      string     `bson:"requesterId"`
	Channel          string     `bson:"channel"`
	Status           string     `bson:"status"`
	Priority         string     `bson:"priority"`
	Tags             []string   `bson:"tags"`
	AssigneeID       string     `bson:"assigneeId"` // "" kept (not omitted) so equality filters match unassigned
	GroupID          string     `bson:"groupId"`
	CreatedAt        time.Time  `bson:"createdAt"`
	UpdatedAt        time.Time  `bson:"updatedAt"`
	FirstResponseAt  *time.Time `bson:"firstResponseAt,omitempty"`
	SolvedAt         *time.Time `bson:"solvedAt,omitempty"`
	ClosedAt         *time.Time `bson:"closedAt,omitempty"`
	FirstResponseDue *time.Time `bson:"firstResponseDue,omitempty"`
	ResolutionDue    *time.Time `bson:"resolutionDue,omitempty"`
	MergedInto       string     `bson:"mergedInto"`
	CSAT             *Rating    `bson:"csat,omitempty"`
	OrderID          string     `bson:"orderId,omitempty"`
	Version          int64      `bson:"version"`
	// NextDue is the earliest unmet SLA target (noDue if none), maintained on every
	// save so the breaching queue is one range query and one sort, no expressions.
	NextDue time.Time `bson:"nextDue"`
	// LastCS is the changeset that wrote this version (see Journal).
	LastCS string `bson:"lastCs"`
}

type Rating struct {
	Score   int       `bson:"score"`
	Comment string    `bson:"comment"`
	At      time.Time `bson:"at"`
}

// noDue sorts tickets without a running target after every real due time.
var noDue = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func nextDue(t *ticket.Ticket) time.Time {
	d := noDue
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && t.FirstResponseDue.Before(d) {
		d = *t.FirstResponseDue
	}
	if t.ResolutionDue != nil && t.SolvedAt == nil && t.ResolutionDue.Before(d) {
		d = *t.ResolutionDue
	}
	return d.UTC()
}

func FromTicket(t *ticket.Ticket, version int64, cs string) Ticket {
	d := Ticket{
		ID: t.ID, Subject: t.Subject, RequesterID: t.RequesterID, Channel: string(t.Channel),
		Status: string(t.Status), Priority: string(t.Priority), Tags: t.Tags, AssigneeID: t.AssigneeID,
		GroupID: t.GroupID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		FirstResponseAt: t.FirstResponseAt, SolvedAt: t.SolvedAt, ClosedAt: t.ClosedAt,
		FirstResponseDue: t.FirstResponseDue, ResolutionDue: t.ResolutionDue,
		MergedInto: t.MergedInto, Version: version, NextDue: nextDue(t), LastCS: cs,
		OrderID: t.OrderID,
	}
	if d.Tags == nil {
		d.Tags = []string{}
	}
	if t.CSAT != nil {
		d.CSAT = &Rating{Score: t.CSAT.Score, Comment: t.CSAT.Comment, At: t.CSAT.At}
	}
	return d
}

func (d Ticket) Ticket() ticket.Ticket {
	t := ticket.Ticket{
		ID: d.ID, Subject: d.Subject, RequesterID: d.RequesterID, Channel: ticket.Channel(d.Channel),
		Status: ticket.Status(d.Status), Priority: ticket.Priority(d.Priority), Tags: d.Tags,
		AssigneeID: d.AssigneeID, GroupID: d.GroupID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		FirstResponseAt: d.FirstResponseAt, SolvedAt: d.SolvedAt, ClosedAt: d.ClosedAt,
		FirstResponseDue: d.FirstResponseDue, ResolutionDue: d.ResolutionDue,
		MergedInto: d.MergedInto, Version: d.Version, OrderID: d.OrderID,
	}
	if d.CSAT != nil {
		t.CSAT = &ticket.Rating{Score: d.CSAT.Score, Comment: d.CSAT.Comment, At: d.CSAT.At}
	}
	return t
}

type Attachment struct {
	Name        string `bson:"name"`
	ContentType string `bson:"contentType"`
	Size        int64  `bson:"size"`
	URL         string `bson:"url"`
}

type Message struct {
	ID          string       `bson:"_id"`
	TicketID    string       `bson:"ticketId"`
	Kind        string       `bson:"kind"`
	AuthorKind  string       `bson:"authorKind"`
	AuthorID    string       `bson:"authorId"`
	Body        string       `bson:"body"`
	Attachments []Attachment `bson:"attachments,omitempty"`
	CreatedAt   time.Time    `bson:"createdAt"`
}

func FromMessage(m ticket.Message) Message {
	d := Message{ID: m.ID, TicketID: m.TicketID, Kind: string(m.Kind), AuthorKind: string(m.AuthorKind), AuthorID: m.AuthorID, Body: m.Body, CreatedAt: m.CreatedAt}
	for _, a := range m.Attachments {
		d.Attachments = append(d.Attachments, Attachment(a))
	}
	return d
}

func (d Message) Message() ticket.Message {
	m := ticket.Message{ID: d.ID, TicketID: d.TicketID, Kind: ticket.MessageKind(d.Kind), AuthorKind: ticket.AuthorKind(d.AuthorKind), AuthorID: d.AuthorID, Body: d.Body, CreatedAt: d.CreatedAt}
	for _, a := range d.Attachments {
		m.Attachments = append(m.Attachments, ticket.Attachment(a))
	}
	return m
}

type Event struct {
	ID        string    `bson:"_id"`
	TicketID  string    `bson:"ticketId"`
	ActorKind string    `bson:"actorKind"`
	ActorID   string    `bson:"actorId"`
	Field     string    `bson:"field"`
	Old       string    `bson:"old"`
	New       string    `bson:"new"`
	At        time.Time `bson:"at"`
}

func FromEvent(e ticket.Event) Event {
	return Event{ID: e.ID, TicketID: e.TicketID, ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, Field: e.Field, Old: e.Old, New: e.New, At: e.At}
}

func (d Event) Event() ticket.Event {
	return ticket.Event{ID: d.ID, TicketID: d.TicketID, Actor: ticket.Actor{Kind: ticket.AuthorKind(d.ActorKind), ID: d.ActorID}, Field: d.Field, Old: d.Old, New: d.New, At: d.At}
}

type Agent struct {
	ID        string    `bson:"_id"` // the agent's API key id
	Name      string    `bson:"name"`
	Email     string    `bson:"email"`
	Groups    []string  `bson:"groups"`
	Available bool      `bson:"available"`
	CreatedAt time.Time `bson:"createdAt"`
}

func (d Agent) Agent() ticket.Agent {
	return ticket.Agent{ID: d.ID, Name: d.Name, Email: d.Email, Groups: d.Groups, Available: d.Available}
}

type Group struct {
	ID       string   `bson:"_id"`
	Name     string   `bson:"name"`
	AgentIDs []string `bson:"agentIds"`
}

func (d Group) Group() ticket.Group {
	return ticket.Group{ID: d.ID, Name: d.Name, AgentIDs: d.AgentIDs}
}

type Interval struct {
	Weekday int `bson:"weekday"`
	Start   int `bson:"start"`
	End     int `bson:"end"`
}

type BusinessHours struct {
	Location  string     `bson:"location"` // IANA name
	Intervals []Interval `bson:"intervals"`
	Holidays  []string   `bson:"holidays"` // YYYY-MM-DD
}

type SLA struct {
	Priority         string         `bson:"_id"`
	FirstResponseSec int64          `bson:"firstResponseSec"`
	ResolutionSec    int64          `bson:"resolutionSec"`
	BusinessHours    *BusinessHours `bson:"businessHours,omitempty"`
}

func FromSLA(p ticket.SLAPolicy) SLA {
	d := SLA{Priority: string(p.Priority), FirstResponseSec: int64(p.FirstResponse / time.Second), ResolutionSec: int64(p.Resolution / time.Second)}
	if bh := p.BusinessHours; bh != nil {
		b := &BusinessHours{Location: "UTC"}
		if bh.Location != nil {
			b.Location = bh.Location.String()
		}
		for day := time.Sunday; day <= time.Saturday; day++ {
			for _, iv := range bh.Days[day] {
				b.Intervals = append(b.Intervals, Interval{Weekday: int(day), Start: iv.Start, End: iv.End})
			}
		}
		for _, h := range bh.Holidays {
			b.Holidays = append(b.Holidays, fmt.Sprintf("%04d-%02d-%02d", h.Year, h.Month, h.Day))
		}
		d.BusinessHours = b
	}
	return d
}

func (d SLA) Policy() (ticket.SLAPolicy, error) {
	p := ticket.SLAPolicy{Priority: ticket.Priority(d.Priority), FirstResponse: time.Duration(d.FirstResponseSec) * time.Second, Resolution: time.Duration(d.ResolutionSec) * time.Second}
	if b := d.BusinessHours; b != nil {
		loc, err := time.LoadLocation(b.Location)
		if err != nil {
			return p, fmt.Errorf("SLA policy %s: %w", d.Priority, err)
		}
		bh := &sla.BusinessHours{Location: loc, Days: map[time.Weekday][]sla.Interval{}}
		for _, iv := range b.Intervals {
			bh.Days[time.Weekday(iv.Weekday)] = append(bh.Days[time.Weekday(iv.Weekday)], sla.Interval{Start: iv.Start, End: iv.End})
		}
		for _, h := range b.Holidays {
			day, err := time.Parse(time.DateOnly, h)
			if err != nil {
				return p, fmt.Errorf("SLA policy %s: %w", d.Priority, err)
			}
			bh.Holidays = append(bh.Holidays, sla.DateOf(day))
		}
		p.BusinessHours = bh
	}
	return p, nil
}

type Macro struct {
	ID          string   `bson:"_id"`
	Name        string   `bson:"name"`
	Body        string   `bson:"body"`
	SetStatus   string   `bson:"setStatus,omitempty"`
	AddTags     []string `bson:"addTags,omitempty"`
	SetPriority string   `bson:"setPriority,omitempty"`
}

func FromMacro(m ticket.Macro) Macro {
	d := Macro{ID: m.ID, Name: m.Name, Body: m.Body, AddTags: m.AddTags}
	if m.SetStatus != nil {
		d.SetStatus = string(*m.SetStatus)
	}
	if m.SetPriority != nil {
		d.SetPriority = string(*m.SetPriority)
	}
	return d
}

func (d Macro) Macro() ticket.Macro {
	m := ticket.Macro{ID: d.ID, Name: d.Name, Body: d.Body, AddTags: d.AddTags}
	if d.SetStatus != "" {
		s := ticket.Status(d.SetStatus)
		m.SetStatus = &s
	}
	if d.SetPriority != "" {
		p := ticket.Priority(d.SetPriority)
		m.SetPriority = &p
	}
	return m
}
