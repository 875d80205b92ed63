package convert

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/report"
	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

func upperEnum[T ~string, S ~string](s S) T { return T(strings.ToUpper(string(s))) }

func ToTicket(t ticket.Ticket) *model.Ticket {
	m := &model.Ticket{
		ID: t.ID, Subject: t.Subject, RequesterID: t.RequesterID,
		Channel: upperEnum[model.TicketChannel](t.Channel), Status: upperEnum[model.TicketStatus](t.Status),
		Priority: upperEnum[model.TicketPriority](t.Priority), Tags: NonNil(t.Tags),
		AssigneeID: Opt(t.AssigneeID), GroupID: Opt(t.GroupID), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		FirstResponseAt: t.FirstResponseAt, SolvedAt: t.SolvedAt, ClosedAt: t.ClosedAt,
		FirstResponseDue: t.FirstResponseDue, ResolutionDue: t.ResolutionDue,
		MergedInto: Opt(t.MergedInto), Version: int(t.Version), OrderID: Opt(t.OrderID),
	}
	if t.CSAT != nil {
		m.Csat = &model.CsatRating{Score: t.CSAT.Score, Comment: Opt(t.CSAT.Comment), At: t.CSAT.At}
	}
	return m
}

func ToMessage(x ticket.Message) *model.TicketMessage {
	return &model.TicketMessage{ID: x.ID, Kind: upperEnum[model.MessageKind](x.Kind), AuthorKind: upperEnum[model.ActorKind](x.AuthorKind),
		AuthorID: Opt(x.AuthorID), Body: x.Body, CreatedAt: x.CreatedAt}
}

func ToEvent(e ticket.Event) *model.TicketEvent {
	return &model.TicketEvent{ID: e.ID, ActorKind: upperEnum[model.ActorKind](e.Actor.Kind), ActorID: Opt(e.Actor.ID), Field: e.Field, Old: e.Old, New: e.New, At: e.At}
}

func ToAgent(a ticket.Agent) *model.Agent {
	return &model.Agent{ID: a.ID, Name: a.Name, Email: a.Email, Groups: NonNil(a.Groups), Available: a.Available}
}

func ToGroup(g ticket.Group) *model.Group {
	return &model.Group{ID: g.ID, Name: g.Name, AgentIds: NonNil(g.AgentIDs)}
}

func ToMacro(m ticket.Macro) *model.Macro {
	out := &model.Macro{ID: m.ID, Name: m.Name, Body: m.Body, AddTags: NonNil(m.AddTags)}
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

func ToSLAPolicy(p ticket.SLAPolicy) *model.SLAPolicy {
	out := &model.SLAPolicy{Priority: upperEnum[model.TicketPriority](p.Priority),
		FirstResponseMinutes: int(p.FirstResponse / time.Minute), ResolutionMinutes: int(p.Resolution / time.Minute)}
	if bh := p.BusinessHours; bh != nil {
		b := &model.BusinessHours{TimeZone: "UTC", Intervals: []*model.BusinessInterval{}, Holidays: []string{}}
		if bh.Location != nil {
			b.TimeZone = bh.Location.String()
		}
		for day := time.Sunday; day <= time.Saturday; day++ {
			ivs := slices.Clone(bh.Days[day])
			slices.SortFunc(ivs, func(a, b sla.Interval) int { return a.Start - b.Start })
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

// FromSLAPolicy converts the input; the help-desk configuration validates it
// (admin.ParseSLAPolicy).
func FromSLAPolicy(in model.SLAPolicyInput) admin.SLAPolicyInput {
	out := admin.SLAPolicyInput{Priority: ticket.Priority(strings.ToLower(string(in.Priority))),
		FirstResponseMinutes: in.FirstResponseMinutes, ResolutionMinutes: in.ResolutionMinutes}
	if b := in.BusinessHours; b != nil {
		bh := &sla.BusinessHoursInput{TimeZone: b.TimeZone, Holidays: b.Holidays}
		for _, iv := range b.Intervals {
			bh.Intervals = append(bh.Intervals, sla.BusinessIntervalInput{Weekday: iv.Weekday, Start: iv.Start, End: iv.End})
		}
		out.BusinessHours = bh
	}
	return out
}

// FromMacro converts the input; the ticket domain normalises and validates it.
func FromMacro(in model.MacroInput) ticket.Macro {
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

// fromTicketFilter converts a queue's extra filter; package queue merges it with the
// queue (queue.FilterFor).
func fromTicketFilter(in *model.TicketFilter) *queue.Filter {
	if in == nil {
		return nil
	}
	f := &queue.Filter{AssigneeID: in.AssigneeID, GroupID: in.GroupID, RequesterID: Val(in.RequesterID), Tags: in.Tags,
		CreatedFrom: in.CreatedFrom, CreatedTo: in.CreatedTo}
	for _, st := range in.Statuses {
		f.Statuses = append(f.Statuses, ticket.Status(strings.ToLower(string(st))))
	}
	for _, p := range in.Priorities {
		f.Priorities = append(f.Priorities, ticket.Priority(strings.ToLower(string(p))))
	}
	return f
}

func ToRatio(r report.Ratio) *model.Ratio {
	out := &model.Ratio{Met: r.Met, Total: r.Total}
	if p, ok := r.Percent(); ok {
		out.Percent = &p
	}
	return out
}

func ToCsatSummary(s report.CSATSummary) *model.CsatSummary {
	out := &model.CsatSummary{Count: s.Count}
	if a, ok := s.Average(); ok {
		out.Average = &a
	}
	if p, ok := s.SatisfiedPercent(); ok {
		out.SatisfiedPercent = &p
	}
	return out
}

// FromCreateTicketInput converts the input to the requester and the draft of the new
// ticket (a web form ticket unless the input names the channel).
func FromCreateTicketInput(in model.CreateTicketInput) (ticket.RequesterRef, ticket.Draft) {
	d := ticket.Draft{Subject: in.Subject, Channel: ticket.ChannelWebForm, Tags: in.Tags, GroupID: Val(in.GroupID), OrderID: Val(in.OrderID)}
	if in.Channel != nil {
		d.Channel = ticket.Channel(strings.ToLower(string(*in.Channel)))
	}
	if in.Priority != nil {
		d.Priority = ticket.Priority(strings.ToLower(string(*in.Priority)))
	}
	return ticket.RequesterRef{CustomerID: in.CustomerID, Email: in.Email}, d
}

// ToMacroResult is the ticket after a macro and the placeholders it could not fill.
func ToMacroResult(t ticket.Ticket, missing []string) *model.MacroResult {
	return &model.MacroResult{Ticket: ToTicket(t), MissingPlaceholders: NonNil(missing)}
}

func ToSLAAttainment(a report.SLAAttainment) *model.SLAAttainment {
	return &model.SLAAttainment{FirstResponse: ToRatio(a.FirstResponse), Resolution: ToRatio(a.Resolution)}
}

// ToCsatStats shows a CSAT report: the total and each assignee's ratings (an agent
// removed since keeps its id, without the agent).
func ToCsatStats(st report.CSATStats) *model.CsatStats {
	out := &model.CsatStats{Total: ToCsatSummary(st.Total), ByAgent: []*model.AgentCsat{}}
	for _, a := range st.ByAgent {
		ac := &model.AgentCsat{AgentID: Opt(a.AgentID), Summary: ToCsatSummary(a.Summary)}
		if a.Agent != nil {
			ac.Agent = ToAgent(*a.Agent)
		}
		out.ByAgent = append(out.ByAgent, ac)
	}
	return out
}

// ToQueueQuery asks for a page of a queue (ALL_OPEN when q is nil) narrowed by the
// filter, for the caller's agent.
func ToQueueQuery(q *model.TicketQueue, filter *model.TicketFilter, agentID, after string, limit int) queue.Query {
	out := queue.Query{Queue: queue.AllOpen, Filter: fromTicketFilter(filter), AgentID: agentID, After: after, Limit: limit}
	if q != nil {
		out.Queue = queue.Name(strings.ToLower(string(*q)))
	}
	return out
}

// ToTicketConnection shows a page of a queue.
func ToTicketConnection(pg queue.Page) *model.TicketConnection {
	out := &model.TicketConnection{Edges: []*model.TicketEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}}
	for i, t := range pg.Tickets {
		c := pg.Cursors[i]
		out.Edges = append(out.Edges, &model.TicketEdge{Cursor: c, Node: ToTicket(t)})
		out.PageInfo.EndCursor = &c
	}
	return out
}
