package ticketstore

import (
	"context"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Ticket activity on the Customer 360 timeline.
const (
	ItemTicket    = "ticket"
	TicketCreated = "created"
	TicketReplied = "replied"
	TicketSolved  = "solved"
)

// Activity is the Extra of a ticket timeline item.
type Activity struct {
	Ticket ticket.Ticket
	// MessageID is the agent reply of a "replied" item.
	MessageID string
}

// maxTimelineTickets bounds the tickets one timeline page looks at (newest first).
const maxTimelineTickets = 500

// Timeline is a commerce.TimelineSource of help-desk activity: a ticket created,
// each public agent reply, each move to solved. Aliases gives the profile ids whose
// tickets belong to a profile (tickets keep the requester id they were opened with, so
// a survivor also shows those of the profiles it absorbed).
type Timeline struct {
	Tickets *Store
	Aliases func(ctx context.Context, profileID string) ([]string, error)
}

var _ commerce.TimelineSource = (*Timeline)(nil)

// Page reads the profile's tickets, their agent replies and their solved events: three
// queries whatever the page size, and the items are merged in Go.
func (tt *Timeline) Page(ctx context.Context, profileID string, from *commerce.Position, f commerce.TimelineFilter, limit int) ([]commerce.TimelineItem, error) {
	if len(f.Types) > 0 && !slices.ContainsFunc(f.Types, func(t string) bool { return t == TicketCreated || t == TicketReplied || t == TicketSolved }) {
		return nil, nil
	}
	ids := []string{profileID}
	if tt.Aliases != nil {
		more, err := tt.Aliases(ctx, profileID)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	q := bson.M{"requesterId": bson.M{"$in": ids}}
	if len(f.Channels) > 0 {
		q["channel"] = bson.M{"$in": f.Channels}
	}
	s := tt.Tickets
	docs, err := dbkit.FindAll[ticketDoc](ctx, s.tickets, q, options.Find().SetSort(bson.M{"_id": -1}).SetLimit(maxTimelineTickets))
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	byID := map[string]ticket.Ticket{}
	var tids []string
	for _, d := range docs {
		byID[d.ID] = d.ticket()
		tids = append(tids, d.ID)
	}
	var items []commerce.TimelineItem
	add := func(t ticket.Ticket, id, typ, msg string, at commerce.Position) {
		it := commerce.TimelineItem{Kind: ItemTicket, ID: id, At: at.At.UTC(), Channel: string(t.Channel), Type: typ,
			Extra: Activity{Ticket: t, MessageID: msg}}
		if f.Allows(it.Channel, it.Type) && from.Includes(it) {
			items = append(items, it)
		}
	}
	for _, id := range tids {
		t := byID[id]
		add(t, id+":created", TicketCreated, "", commerce.Position{At: t.CreatedAt})
	}
	msgs, err := dbkit.FindAll[messageDoc](ctx, s.messages, bson.M{"ticketId": bson.M{"$in": tids},
		"kind": string(ticket.KindPublicReply), "authorKind": string(ticket.AuthorAgent)})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.CreatedAt.Equal(byID[m.TicketID].CreatedAt) {
			continue // the opening message is the "created" item
		}
		add(byID[m.TicketID], m.TicketID+":reply:"+m.ID, TicketReplied, m.ID, commerce.Position{At: m.CreatedAt})
	}
	evs, err := dbkit.FindAll[eventDoc](ctx, s.events, bson.M{"ticketId": bson.M{"$in": tids}, "field": ticket.FieldStatus, "new": string(ticket.StatusSolved)})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		add(byID[e.TicketID], e.TicketID+":solved:"+e.ID, TicketSolved, "", commerce.Position{At: e.At})
	}
	slices.SortFunc(items, func(a, b commerce.TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return items[:min(len(items), limit)], nil
}

// CountTicketsOfRequesters counts tickets opened by any of the profiles.
func (s *Store) CountTicketsOfRequesters(ctx context.Context, ids []string) (int64, error) {
	return s.tickets.CountDocuments(ctx, bson.M{"requesterId": bson.M{"$in": ids}})
}
