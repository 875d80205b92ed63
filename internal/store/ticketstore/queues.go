package ticketstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
	ticketlisting "github.com/tessera-cdp/tessera/internal/ticket/listing"
	"github.com/tessera-cdp/tessera/internal/ticket/queueindex"
)

// The queues (ListTickets) on a backend that serves only bare-_id filters (FerretDB)
// cannot be queries: every filter and sort scans the tickets. There one process writes
// the database, so the tickets' queue fields are kept in process (queueindex), built
// by one projected scan (EnsureQueueIndex, in the background at start; until it is
// built the query answers) and written through by every ticket write of this store
// (applyTickets and its undo, under the "tickets" guard, so in the order of the
// writes). A page is then a walk of the index and a point read of each of its tickets.
// On MongoDB the query stays, served by the indexes of EnsureIndexes.

// queueIndexOf is the database's index, shared by the stores of this process.
func queueIndexOf(db *mongo.Database) *queueindex.Index { return dbkit.Shared(db, queueindex.New) }

// inProcessQueues reports whether the queues use the in-process index.
func (s *Store) inProcessQueues() bool { return !s.b.IndexedFilters }

func summaryOf(d *ticketdoc.Ticket) queueindex.Summary {
	return queueindex.Summary{ID: d.ID, Status: d.Status, Priority: d.Priority, AssigneeID: d.AssigneeID, GroupID: d.GroupID,
		RequesterID: d.RequesterID, Tags: d.Tags, Created: queueindex.Ms(d.CreatedAt), Updated: queueindex.Ms(d.UpdatedAt),
		Due: queueindex.Ms(d.NextDue)}
}

// queued writes a ticket write through to the queue index: d as written, or nil for
// the ticket id deleted.
func (s *Store) queued(d *ticketdoc.Ticket, id string) {
	s.observe(d, id)
	if !s.inProcessQueues() {
		return
	}
	if d == nil {
		s.queues.Delete(id)
		return
	}
	s.queues.Put(summaryOf(d))
}

// Observe adds f to the hearers of every ticket write of this store, as written (nil:
// the ticket id was deleted, an insert undone). It runs under the tickets guard, in
// the order of the writes, and must not block.
func (s *Store) Observe(f func(id string, t *ticket.Ticket)) { s.observers = append(s.observers, f) }

func (s *Store) observe(d *ticketdoc.Ticket, id string) {
	for _, f := range s.observers {
		if d == nil {
			f(id, nil)
			continue
		}
		t := d.Ticket()
		f(id, &t)
	}
}

// EnsureQueueIndex builds the in-process queue index from one projected scan of the
// tickets, unless it is built or being built. Writes made meanwhile are replayed over
// the scan, so none is lost, and none waits for it.
func (s *Store) EnsureQueueIndex(ctx context.Context) error {
	if !s.inProcessQueues() || !s.queues.Begin() {
		return nil
	}
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, bson.M{}, options.Find().SetProjection(bson.M{
		"status": 1, "priority": 1, "assigneeId": 1, "groupId": 1, "requesterId": 1, "tags": 1,
		"createdAt": 1, "updatedAt": 1, "nextDue": 1}))
	if err != nil {
		s.queues.Abort()
		return err
	}
	all := make([]queueindex.Summary, len(docs))
	for i := range docs {
		all[i] = summaryOf(&docs[i])
	}
	s.queues.Load(all)
	return nil
}

// StartQueueIndex builds the queue index in the background (the queries answer until
// it is built).
func (s *Store) StartQueueIndex(ctx context.Context) {
	if !s.inProcessQueues() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		if err := s.EnsureQueueIndex(ctx); err != nil {
			s.Log.Warn("build the ticket queue index (queues are read by query)", "err", err)
		}
	}()
}

// listFromIndex is a page of the listing from the queue index and a point read of
// each of its tickets; ok is false if the index is not built.
func (s *Store) listFromIndex(ctx context.Context, f ticketlisting.Filter, o ticketlisting.Order, lp listing) (ticketlisting.TicketPage, bool, error) {
	var after *queueindex.Cursor
	if lp.after != nil {
		after = &queueindex.Cursor{K: queueindex.Ms(lp.after.K), ID: lp.after.ID}
	}
	got, ok := s.queues.Page(f, o, after, lp.limit)
	if !ok {
		return ticketlisting.TicketPage{}, false, nil
	}
	page := got[:min(len(got), lp.limit)]
	ids := make([]string, len(page))
	for i, sm := range page {
		ids[i] = sm.ID
	}
	docs, err := dbkit.PointReads[ticketdoc.Ticket](ctx, s.tickets, ids)
	if err != nil {
		return ticketlisting.TicketPage{}, true, err
	}
	byID := make(map[string]ticketdoc.Ticket, len(docs))
	for _, d := range docs {
		byID[d.ID] = d
	}
	var pg ticketlisting.TicketPage
	for _, id := range ids {
		if d, ok := byID[id]; ok { // gone meanwhile (an insert undone): skipped
			pg.Tickets = append(pg.Tickets, d.Ticket())
		}
	}
	if len(got) > lp.limit {
		last := got[lp.limit-1]
		pg.Next = encodeCursor(ticketdoc.Ticket{ID: last.ID, NextDue: queueindex.Time(last.Due), UpdatedAt: queueindex.Time(last.Updated)}, lp.key)
	}
	return pg, true, nil
}
