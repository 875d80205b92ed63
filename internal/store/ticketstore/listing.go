package ticketstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
	ticketlisting "github.com/tessera-cdp/tessera/internal/ticket/listing"
)

// The ticket listing behind the queues: a keyset page on (sort key, _id), from the
// in-process queue index where it answers (queues.go), else from the query below.

type ticketCursor struct {
	K  time.Time `json:"k,omitzero"`
	ID string    `json:"id"`
}

// MaxPage bounds one page of tickets.
const MaxPage = 200

func ticketFilter(f ticketlisting.Filter) bson.M {
	q := bson.M{}
	if len(f.Statuses) > 0 {
		q["status"] = bson.M{"$in": f.Statuses}
	}
	if len(f.Priorities) > 0 {
		q["priority"] = bson.M{"$in": f.Priorities}
	}
	if f.AssigneeID != nil {
		q["assigneeId"] = *f.AssigneeID
	}
	if f.GroupID != nil {
		q["groupId"] = *f.GroupID
	}
	if f.RequesterID != "" {
		q["requesterId"] = f.RequesterID
	}
	if len(f.Tags) > 0 {
		q["tags"] = bson.M{"$all": f.Tags}
	}
	created := bson.M{}
	if !f.CreatedFrom.IsZero() {
		created["$gte"] = f.CreatedFrom
	}
	if !f.CreatedTo.IsZero() {
		created["$lt"] = f.CreatedTo
	}
	if len(created) > 0 {
		q["createdAt"] = created
	}
	if f.BreachingBy != nil {
		// nextDue is the earliest unmet target, so this is exactly Filter.Matches.
		q["nextDue"] = bson.M{"$lte": *f.BreachingBy}
	}
	return q
}

// ListTickets lists a page of tickets matching f. Where only _id lookups are indexed
// and the in-process queue index is built (queues.go), the page comes from it and
// point reads of its tickets; elsewhere (and until then) from the query.
func (s *Store) ListTickets(ctx context.Context, f ticketlisting.Filter, p ticketlisting.Page) (ticketlisting.TicketPage, error) {
	lp, err := listParams(p)
	if err != nil {
		return ticketlisting.TicketPage{}, err
	}
	if s.inProcessQueues() {
		if pg, ok, err := s.listFromIndex(ctx, f, p.Order, lp); ok || err != nil {
			return pg, err
		}
	}
	return s.listByQuery(ctx, f, lp)
}

// listing is a page request checked: its size, sort key and direction, and cursor.
type listing struct {
	limit int
	key   string // "" (_id), "nextDue" or "updatedAt"
	dir   int
	after *ticketCursor
}

func listParams(p ticketlisting.Page) (listing, error) {
	lp := listing{limit: p.Limit, dir: 1}
	if lp.limit <= 0 {
		lp.limit = 50
	}
	lp.limit = min(lp.limit, MaxPage)
	// Keyset pagination on (sort key, _id); _id breaks ties and is the whole key for
	// creation order, since ids are ULIDs.
	switch p.Order {
	case ticketlisting.OrderCreatedAsc:
	case ticketlisting.OrderDueAsc:
		lp.key = "nextDue"
	case ticketlisting.OrderUpdatedDesc, "":
		lp.key, lp.dir = "updatedAt", -1
	default:
		return lp, fmt.Errorf("%w: unknown order %q", ticket.ErrInvalidInput, p.Order)
	}
	if p.After != "" {
		var c ticketCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.After)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return lp, fmt.Errorf("%w: invalid cursor", ticket.ErrInvalidInput)
		}
		lp.after = &c
	}
	return lp, nil
}

// listByQuery is the listing as a query: on MongoDB served by the indexes of
// EnsureIndexes; the reference of the in-process index.
func (s *Store) listByQuery(ctx context.Context, f ticketlisting.Filter, lp listing) (ticketlisting.TicketPage, error) {
	key, dir, limit := lp.key, lp.dir, lp.limit
	q := ticketFilter(f)
	if c := lp.after; c != nil {
		op := "$gt"
		if dir < 0 {
			op = "$lt"
		}
		var after bson.M
		if key == "" {
			after = bson.M{"_id": bson.M{op: c.ID}}
		} else {
			after = bson.M{"$or": bson.A{bson.M{key: bson.M{op: c.K}}, bson.M{key: c.K, "_id": bson.M{op: c.ID}}}}
		}
		q = bson.M{"$and": bson.A{q, after}}
	}
	sort := bson.D{{Key: "_id", Value: dir}}
	if key != "" {
		sort = bson.D{{Key: key, Value: dir}, {Key: "_id", Value: dir}}
	}
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, q, options.Find().SetSort(sort).SetLimit(int64(limit+1)))
	if err != nil {
		return ticketlisting.TicketPage{}, err
	}
	var pg ticketlisting.TicketPage
	for i, d := range docs {
		if i == limit {
			pg.Next = encodeCursor(docs[limit-1], key)
			break
		}
		pg.Tickets = append(pg.Tickets, d.Ticket())
	}
	return pg, nil
}

// TicketCursor is the cursor right after t in a listing of order o.
func (s *Store) TicketCursor(t ticket.Ticket, o ticketlisting.Order) string {
	key := ""
	switch o {
	case ticketlisting.OrderDueAsc:
		key = "nextDue"
	case ticketlisting.OrderUpdatedDesc, "":
		key = "updatedAt"
	}
	return encodeCursor(ticketdoc.FromTicket(&t, t.Version, ""), key)
}

func encodeCursor(d ticketdoc.Ticket, key string) string {
	c := ticketCursor{ID: d.ID}
	switch key {
	case "nextDue":
		c.K = d.NextDue
	case "updatedAt":
		c.K = d.UpdatedAt
	}
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}
