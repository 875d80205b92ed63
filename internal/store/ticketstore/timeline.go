package ticketstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketindex"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Ticket activity on the Customer 360 timeline (replies and solves are the requester
// index's item kinds).
const (
	ItemTicket    = "ticket"
	TicketCreated = "created"
	TicketReplied = ticketindex.KindReplied
	TicketSolved  = ticketindex.KindSolved
)

// Activity is the Extra of a ticket timeline item.
type Activity struct {
	Ticket ticket.Ticket
	// MessageID is the agent reply of a "replied" item.
	MessageID string
}

// maxTimelineTickets bounds the tickets one timeline page looks at (newest first).
const maxTimelineTickets = 500

// Timeline is a c360.TimelineSource of help-desk activity: a ticket created,
// each public agent reply, each move to solved. Aliases gives the profile ids whose
// tickets belong to a profile (tickets keep the requester id they were opened with, so
// a survivor also shows those of the profiles it absorbed).
type Timeline struct {
	Tickets *Store
	Aliases func(ctx context.Context, profileID string) ([]string, error)
}

var _ c360.TimelineSource = (*Timeline)(nil)

// Page reads the requester index documents of the profile and its aliases (a point
// read each), picks the page's items from them, and reads the tickets of those items
// (a point read each, at most limit; tickets being created are checked too): the
// reads do not grow with the size of the database.
func (tt *Timeline) Page(ctx context.Context, profileID string, from *c360.Position, f c360.TimelineFilter, limit int) ([]c360.TimelineItem, error) {
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
	s := tt.Tickets
	v, err := s.index.RequesterView(ctx, ids)
	if err != nil {
		return nil, err
	}
	// The newest tickets of the channels asked for.
	var tids []string
	for id, e := range v.Entries {
		if len(f.Channels) == 0 || slices.Contains(f.Channels, e.Channel) {
			tids = append(tids, id)
		}
	}
	slices.SortFunc(tids, func(a, b string) int { return strings.Compare(b, a) })
	tids = tids[:min(len(tids), maxTimelineTickets)]
	if len(tids) == 0 {
		return nil, nil
	}
	in := make(map[string]bool, len(tids))
	var items []c360.TimelineItem
	ticketOf := map[string]string{} // item id -> ticket id
	add := func(e ticketindex.RequesterTicket, id, typ, msg string, at time.Time) {
		ticketOf[id] = e.ID
		it := c360.TimelineItem{Kind: ItemTicket, ID: id, At: at.UTC(), Channel: e.Channel, Type: typ,
			Extra: Activity{MessageID: msg}}
		if f.Allows(it.Channel, it.Type) && from.Includes(it) {
			items = append(items, it)
		}
	}
	for _, id := range tids {
		in[id] = true
		add(v.Entries[id], id+":created", TicketCreated, "", v.Entries[id].At)
	}
	seen := map[ticketindex.RequesterItem]bool{}
	for _, x := range v.Items {
		if !in[x.Ticket] || seen[x] {
			continue
		}
		seen[x] = true
		e := v.Entries[x.Ticket]
		switch x.Kind {
		case TicketReplied:
			if x.At.Equal(e.At) {
				continue // the opening message is the "created" item
			}
			add(e, x.Ticket+":reply:"+x.ID, TicketReplied, x.ID, x.At)
		case TicketSolved:
			add(e, x.Ticket+":solved:"+x.ID, TicketSolved, "", x.At)
		}
	}
	slices.SortFunc(items, func(a, b c360.TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	items = items[:min(len(items), limit)]
	// The tickets of this page only.
	var page []string
	for _, it := range items {
		page = append(page, ticketOf[it.ID])
	}
	docs, err := s.index.TicketsByID(ctx, v, dbkit.Uniq(page))
	if err != nil {
		return nil, err
	}
	out := items[:0]
	for i, it := range items {
		d, ok := docs[page[i]]
		if !ok {
			continue
		}
		a := it.Extra.(Activity)
		a.Ticket = d.Ticket()
		it.Extra = a
		out = append(out, it)
	}
	return out, nil
}
