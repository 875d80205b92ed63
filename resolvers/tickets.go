package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// HelpDesk is the ticket store plus the admin data and reports the GraphQL layer
// reads directly (there is no domain logic in them beyond validation).
type HelpDesk interface {
	ticket.Store
	CreateAgent(ctx context.Context, a ticket.Agent) (ticket.Agent, error)
	SetAgentAvailable(ctx context.Context, id string, available bool) (ticket.Agent, error)
	ListAgents(ctx context.Context) ([]ticket.Agent, error)
	CreateGroup(ctx context.Context, g ticket.Group) (ticket.Group, error)
	ListGroups(ctx context.Context) ([]ticket.Group, error)
	PutSLAPolicy(ctx context.Context, p ticket.SLAPolicy) error
	ListSLAPolicies(ctx context.Context) ([]ticket.SLAPolicy, error)
	CreateMacro(ctx context.Context, m ticket.Macro) error
	ListMacros(ctx context.Context) ([]ticket.Macro, error)
	TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]ticket.Ticket, error)
	TicketsForAttainment(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error)
	TicketsRatedBetween(ctx context.Context, from, to time.Time) ([]ticket.Ticket, error)
	// TicketCursor is the cursor after t in a listing of order o.
	TicketCursor(t ticket.Ticket, o ticket.Order) string
}

// Requesters turns a ticket's requester (profile id or e-mail) into a profile id.
type Requesters interface {
	RequesterByID(ctx context.Context, id string) (string, error)
	RequesterByEmail(ctx context.Context, email string) (string, error)
}

// BreachingWindow is how far ahead the BREACHING_SOON queue looks.
const BreachingWindow = time.Hour

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

func parseHHMM(field, s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, &ticket.ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a time of day HH:MM", s)}
	}
	return hh*60 + mm, nil
}

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

func fromSLAPolicy(in model.SLAPolicyInput) (ticket.SLAPolicy, error) {
	if in.FirstResponseMinutes < 0 || in.ResolutionMinutes < 0 || in.FirstResponseMinutes > 366*24*60 || in.ResolutionMinutes > 366*24*60 {
		return ticket.SLAPolicy{}, &ticket.ValidationError{Field: "minutes", Reason: "targets must be between 0 and one year"}
	}
	p := ticket.SLAPolicy{Priority: ticket.Priority(strings.ToLower(string(in.Priority))),
		FirstResponse: time.Duration(in.FirstResponseMinutes) * time.Minute, Resolution: time.Duration(in.ResolutionMinutes) * time.Minute}
	if b := in.BusinessHours; b != nil {
		loc, err := time.LoadLocation(b.TimeZone)
		if err != nil || b.TimeZone == "" || strings.EqualFold(b.TimeZone, "local") {
			return p, &ticket.ValidationError{Field: "timeZone", Reason: fmt.Sprintf("unknown time zone %q", b.TimeZone)}
		}
		bh := &ticket.BusinessHours{Location: loc, Days: map[time.Weekday][]ticket.Interval{}}
		if len(b.Intervals) > 7*24 || len(b.Holidays) > 1000 {
			return p, &ticket.ValidationError{Field: "businessHours", Reason: "too many intervals or holidays"}
		}
		for _, iv := range b.Intervals {
			if iv.Weekday < 0 || iv.Weekday > 6 {
				return p, &ticket.ValidationError{Field: "weekday", Reason: "must be 0 (Sunday) to 6 (Saturday)"}
			}
			start, err := parseHHMM("start", iv.Start)
			if err != nil {
				return p, err
			}
			end, err := parseHHMM("end", iv.End)
			if err != nil {
				return p, err
			}
			bh.Days[time.Weekday(iv.Weekday)] = append(bh.Days[time.Weekday(iv.Weekday)], ticket.Interval{Start: start, End: end})
		}
		for _, h := range b.Holidays {
			d, err := time.Parse(time.DateOnly, h)
			if err != nil {
				return p, &ticket.ValidationError{Field: "holidays", Reason: fmt.Sprintf("%q is not a date YYYY-MM-DD", h)}
			}
			bh.Holidays = append(bh.Holidays, ticket.DateOf(d))
		}
		if err := bh.Validate(); err != nil {
			return p, err
		}
		p.BusinessHours = bh
	}
	return p, nil
}

// queueFilter turns a queue and the caller's extra filter into one domain filter.
// The filter narrows the queue; ok is false when the two contradict (empty result).
func queueFilter(ctx context.Context, q model.TicketQueue, in *model.TicketFilter, now time.Time) (f ticket.Filter, o ticket.Order, ok bool, err error) {
	switch q {
	case model.TicketQueueUnassigned:
		f, o = ticket.QueueUnassigned(), ticket.OrderCreatedAsc
	case model.TicketQueueMine:
		f, o = ticket.QueueMine(actor(ctx).ID), ticket.OrderCreatedAsc
	case model.TicketQueueBreachingSoon:
		f, o = ticket.QueueBreachingSoon(now, BreachingWindow), ticket.OrderDueAsc
	case model.TicketQueueAll:
		o = ticket.OrderUpdatedDesc
	default:
		f, o = ticket.QueueAllOpen(), ticket.OrderUpdatedDesc
	}
	if in == nil {
		return f, o, true, nil
	}
	if len(in.Statuses) > 0 {
		var want []ticket.Status
		for _, s := range in.Statuses {
			st := ticket.Status(strings.ToLower(string(s)))
			if len(f.Statuses) == 0 || slices.Contains(f.Statuses, st) {
				want = append(want, st)
			}
		}
		if len(want) == 0 {
			return f, o, false, nil
		}
		f.Statuses = want
	}
	for _, p := range in.Priorities {
		f.Priorities = append(f.Priorities, ticket.Priority(strings.ToLower(string(p))))
	}
	narrow := func(dst **string, v *string) bool {
		if v == nil {
			return true
		}
		if *dst != nil && **dst != *v {
			return false
		}
		*dst = v
		return true
	}
	if !narrow(&f.AssigneeID, in.AssigneeID) || !narrow(&f.GroupID, in.GroupID) {
		return f, o, false, nil
	}
	f.RequesterID = val(in.RequesterID)
	if len(in.Tags) > 0 {
		if f.Tags, err = ticket.NormalizeTags(in.Tags); err != nil {
			return f, o, false, err
		}
	}
	if in.CreatedFrom != nil {
		f.CreatedFrom = *in.CreatedFrom
	}
	if in.CreatedTo != nil {
		f.CreatedTo = *in.CreatedTo
	}
	return f, o, true, nil
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

// reportPeriod checks a report's [from, to) and caps to at now: targets still
// running are not settled yet.
func reportPeriod(from, to, now time.Time) (time.Time, time.Time, error) {
	if !from.Before(to) {
		return from, to, &ticket.ValidationError{Field: "from", Reason: "must be before to"}
	}
	if to.Sub(from) > 366*24*time.Hour {
		return from, to, &ticket.ValidationError{Field: "to", Reason: "period longer than one year"}
	}
	if to.After(now) {
		to = now
	}
	return from, to, nil
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
