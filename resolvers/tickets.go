package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// actor is the caller as a ticket actor: the agent id is the key id.
func actor(ctx context.Context) ticket.Actor {
	k, _ := auth.FromContext(ctx)
	return ticket.Actor{Kind: ticket.AuthorAgent, ID: k.ID}
}

func upperEnum[T ~string, S ~string](s S) T { return T(strings.ToUpper(string(s))) }

func toTicket(t ticket.Ticket) *model.Ticket {
	m := &model.Ticket{
		ID: t.ID, Subject: t.Subject, RequesterID: t.RequesterID,
		Channel: upperEnum[model.TicketChannel](t.Channel), Status: upperEnum[model.TicketStatus](t.Status),
		Priority: upperEnum[model.TicketPriority](t.Priority), Tags: nonNil(t.Tags),
		AssigneeID: opt(t.AssigneeID), GroupID: opt(t.GroupID), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		FirstResponseAt: t.FirstResponseAt, SolvedAt: t.SolvedAt, ClosedAt: t.ClosedAt,
		FirstResponseDue: t.FirstResponseDue, ResolutionDue: t.ResolutionDue,
		MergedInto: opt(t.MergedInto), Version: int(t.Version),
	}
	if t.CSAT != nil {
		m.Csat = &model.CsatRating{Score: t.CSAT.Score, Comment: opt(t.CSAT.Comment), At: t.CSAT.At}
	}
	return m
}

func toMessage(x ticket.Message) *model.TicketMessage {
	return &model.TicketMessage{ID: x.ID, Kind: upperEnum[model.MessageKind](x.Kind), AuthorKind: upperEnum[model.ActorKind](x.AuthorKind),
		AuthorID: opt(x.AuthorID), Body: x.Body, CreatedAt: x.CreatedAt}
}

func toEvent(e ticket.Event) *model.TicketEvent {
	return &model.TicketEvent{ID: e.ID, ActorKind: upperEnum[model.ActorKind](e.Actor.Kind), ActorID: opt(e.Actor.ID), Field: e.Field, Old: e.Old, New: e.New, At: e.At}
}

func toAgent(a ticket.Agent) *model.Agent {
	return &model.Agent{ID: a.ID, Name: a.Name, Email: a.Email, Groups: nonNil(a.Groups), Available: a.Available}
}

func toGroup(g ticket.Group) *model.Group {
	return &model.Group{ID: g.ID, Name: g.Name, AgentIds: nonNil(g.AgentIDs)}
}

func toMacro(m ticket.Macro) *model.Macro {
	out := &model.Macro{ID: m.ID, Name: m.Name, Body: m.Body, AddTags: nonNil(m.AddTags)}
	if m.SetStatus != nil {
		s := upperEnum[model.TicketStatus](*m.SetStatus)
		out.SetStatus = &s
	}
	if m.SetPriority != nil {
		p := upperEnum[model.TicketPriority](*m.SetPriority)
		out.SetPriority = &p
	}
	return out
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

func toSLAPolicy(p ticket.SLAPolicy) *model.SLAPolicy {
	out := &model.SLAPolicy{Priority: upperEnum[model.TicketPriority](p.Priority),
		FirstResponseMinutes: int(p.FirstResponse / time.Minute), ResolutionMinutes: int(p.Resolution / time.Minute)}
	if bh := p.BusinessHours; bh != nil {
		b := &model.BusinessHours{TimeZone: "UTC", Intervals: []*model.BusinessInterval{}, Holidays: []string{}}
		if bh.Location != nil {
			b.TimeZone = bh.Location.String()
		}
		for day := time.Sunday; day <= time.Saturday; day++ {
			ivs := slices.Clone(bh.Days[day])
			slices.SortFunc(ivs, func(a, b ticket.Interval) int { return a.Start - b.Start })
			for _, iv := range ivs {
				b.Intervals = append(b.Intervals, &model.BusinessInterval{Weekday: int(day), Start: hhmm(iv.Start), End: hhmm(iv.End)})
			}
		}
		for _, h := range bh.Holidays {
			b.Holidays = append(b.Holidays, fmt.Sprintf("%04d-%02d-%02d", h.Year, h.Month, h.Day))
		}
		out.BusinessHours = b
	}
	return out
}

// fromSLAPolicy converts the input; the ticket domain validates it (ticket.ParseSLAPolicy).
func fromSLAPolicy(in model.SLAPolicyInput) ticket.SLAPolicyInput {
	out := ticket.SLAPolicyInput{Priority: ticket.Priority(strings.ToLower(string(in.Priority))),
		FirstResponseMinutes: in.FirstResponseMinutes, ResolutionMinutes: in.ResolutionMinutes}
	if b := in.BusinessHours; b != nil {
		bh := &ticket.BusinessHoursInput{TimeZone: b.TimeZone, Holidays: b.Holidays}
		for _, iv := range b.Intervals {
			bh.Intervals = append(bh.Intervals, ticket.BusinessIntervalInput{Weekday: iv.Weekday, Start: iv.Start, End: iv.End})
		}
		out.BusinessHours = bh
	}
	return out
}

// fromMacro converts the input; the ticket domain normalises and validates it.
func fromMacro(in model.MacroInput) ticket.Macro {
	m := ticket.Macro{Name: in.Name, Body: in.Body, AddTags: in.AddTags}
	if in.SetStatus != nil {
		st := ticket.Status(strings.ToLower(string(*in.SetStatus)))
		m.SetStatus = &st
	}
	if in.SetPriority != nil {
		p := ticket.Priority(strings.ToLower(string(*in.SetPriority)))
		m.SetPriority = &p
	}
	return m
}

// fromTicketFilter converts a queue's extra filter; the ticket domain merges it with the
// queue (ticket.QueueFilterFor).
func fromTicketFilter(in *model.TicketFilter) *ticket.QueueFilter {
	if in == nil {
		return nil
	}
	f := &ticket.QueueFilter{AssigneeID: in.AssigneeID, GroupID: in.GroupID, RequesterID: val(in.RequesterID), Tags: in.Tags,
		CreatedFrom: in.CreatedFrom, CreatedTo: in.CreatedTo}
	for _, st := range in.Statuses {
		f.Statuses = append(f.Statuses, ticket.Status(strings.ToLower(string(st))))
	}
	for _, p := range in.Priorities {
		f.Priorities = append(f.Priorities, ticket.Priority(strings.ToLower(string(p))))
	}
	return f
}

func ratio(r ticket.Ratio) *model.Ratio {
	out := &model.Ratio{Met: r.Met, Total: r.Total}
	if p, ok := r.Percent(); ok {
		out.Percent = &p
	}
	return out
}

func csatSummary(s ticket.CSATSummary) *model.CsatSummary {
	out := &model.CsatSummary{Count: s.Count}
	if a, ok := s.Average(); ok {
		out.Average = &a
	}
	if p, ok := s.SatisfiedPercent(); ok {
		out.SatisfiedPercent = &p
	}
	return out
}

// ticketMatches applies a subscription filter to a changed ticket.
func ticketMatches(t ticket.Ticket, f *model.TicketUpdatedFilter) bool {
	if f == nil {
		return true
	}
	return (f.TicketID == nil || *f.TicketID == t.ID) &&
		(f.AssigneeID == nil || *f.AssigneeID == t.AssigneeID) &&
		(f.RequesterID == nil || *f.RequesterID == t.RequesterID)
}
