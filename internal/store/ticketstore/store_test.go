package ticketstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

func newTicket(id string) *ticket.Ticket {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &ticket.Ticket{ID: id, Subject: "s", RequesterID: "cus_1", Channel: ticket.ChannelEmail, Status: ticket.StatusNew,
		Priority: ticket.PriorityNormal, CreatedAt: now, UpdatedAt: now}
}

func TestTicketSaveVersionCheck(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	tk := newTicket(dbkit.NewID())
	ev := ticket.Event{ID: dbkit.NewID(), TicketID: tk.ID, Field: "status", New: "new", At: tk.CreatedAt}
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{tk}, Events: []ticket.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	if tk.Version != 1 {
		t.Fatalf("version %d", tk.Version)
	}
	stale := *tk
	tk.Status = ticket.StatusOpen
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{tk}}); err != nil {
		t.Fatal(err)
	}
	stale.Status = ticket.StatusSolved
	err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{&stale}, Events: []ticket.Event{{ID: dbkit.NewID(), TicketID: tk.ID, Field: "x"}}})
	if !errors.Is(err, ticket.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	// A merge whose second ticket conflicts leaves the first one as it was.
	other := newTicket(dbkit.NewID())
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{other}}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetTicket(ctx, tk.ID)
	a, b := before, *other
	a.Subject, b.Version = "changed", 7
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{&a, &b}}); !errors.Is(err, ticket.ErrConflict) {
		t.Fatalf("conflicting merge: %v", err)
	}
	if after, _ := s.GetTicket(ctx, tk.ID); after.Subject != before.Subject || after.Version != before.Version {
		t.Fatalf("partial merge not undone: %+v", after)
	}
	evs, _ := s.ListEvents(ctx, tk.ID)
	if len(evs) != 1 || evs[0].ID != ev.ID {
		t.Fatalf("events %+v", evs)
	}
	if n, _ := s.journal.CountDocuments(ctx, bson.M{}); n != 0 {
		t.Fatalf("%d journals left", n)
	}
	if _, err := s.GetTicket(ctx, "nope"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatal(err)
	}
}

// A crash between the ticket write and its events is rolled forward by Recover (or the
// next Save); a crash before the ticket write leaves nothing visible.
func TestTicketSaveCrashRecovery(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	tk := newTicket(dbkit.NewID())
	crashed := func(applyTicket bool) string {
		j := ticketdoc.Journal{ID: dbkit.NewID(), CreatedAt: s.Now().Add(-time.Hour),
			Tickets:  []ticketdoc.JournalTicket{{Expect: tk.Version, Doc: ticketdoc.FromTicket(tk, tk.Version+1, "")}},
			Messages: []ticketdoc.Message{ticketdoc.FromMessage(ticket.Message{ID: dbkit.NewID(), TicketID: tk.ID, Kind: ticket.KindPublicReply, Body: "hi"})},
			Events:   []ticketdoc.Event{ticketdoc.FromEvent(ticket.Event{ID: dbkit.NewID(), TicketID: tk.ID, Field: "status"})}}
		j.Tickets[0].Doc.LastCS = j.ID
		if _, err := s.journal.InsertOne(ctx, j); err != nil {
			t.Fatal(err)
		}
		if applyTicket {
			if err := s.applyTickets(ctx, &j, nil); err != nil {
				t.Fatal(err)
			}
			tk.Version++
		}
		return j.ID
	}
	crashed(false)
	if err := s.Recover(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.ListEvents(ctx, tk.ID); len(evs) != 0 {
		t.Fatalf("aborted change left events %+v", evs)
	}
	crashed(true)
	if err := s.Recover(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.ListEvents(ctx, tk.ID)
	msgs, _ := s.ListMessages(ctx, tk.ID)
	if len(evs) != 1 || len(msgs) != 1 {
		t.Fatalf("not rolled forward: %d events, %d messages", len(evs), len(msgs))
	}
	// Next Save of the ticket also completes an unfinished previous change.
	crashed(true)
	tk.Subject = "next"
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{tk}}); err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.ListEvents(ctx, tk.ID); len(evs) != 2 {
		t.Fatalf("previous change not completed: %d events", len(evs))
	}
	if n, _ := s.journal.CountDocuments(ctx, bson.M{}); n != 0 {
		t.Fatalf("%d journals left", n)
	}
	ns, err := s.NotificationsAfter(ctx, "", 100)
	if err != nil || len(ns) < 3 {
		t.Fatalf("notifications %v %v", ns, err)
	}
}

// Concurrent saves of one ticket from stale copies: exactly the saves that succeed must
// be counted in the version (compare-and-set), whatever the database's update atomicity.
func TestTicketConcurrentSavesKeepCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s := New(testdb.DB(t), testdb.Backend(t))
	tk := newTicket(dbkit.NewID())
	if err := s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{tk}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				cur, err := s.GetTicket(ctx, tk.ID)
				if err != nil {
					t.Error(err)
					return
				}
				cur.Subject = fmt.Sprintf("w%d-%d", w, i)
				err = s.Save(ctx, ticket.Changeset{Tickets: []*ticket.Ticket{&cur},
					Events: []ticket.Event{{ID: dbkit.NewID(), TicketID: tk.ID, Field: "subject", New: cur.Subject, At: time.Now().UTC()}}})
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case !errors.Is(err, ticket.ErrConflict):
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := s.GetTicket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := s.ListEvents(ctx, tk.ID)
	if got.Version != int64(won)+1 || len(evs) != won {
		t.Fatalf("%d saves succeeded, but version is %d and %d events were kept", won, got.Version, len(evs))
	}
}
