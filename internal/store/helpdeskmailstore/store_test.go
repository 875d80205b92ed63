package helpdeskmailstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/store/helpdeskmailstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The store's contract on whichever backend the tests run; every filter is a bare _id
// on FerretDB (the claim's conditional update is MongoDB's only).
func TestHelpDeskMailStore(t *testing.T) {
	ctx := context.Background()
	log := &testdb.CommandLog{}
	db := testdb.MonitoredClient(t, log).Database(fmt.Sprintf("helpdeskmailstore_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx) })
	b := testdb.Backend(t)
	s := helpdeskmailstore.New(db, b)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	log.Record(true)
	t.Cleanup(func() {
		for _, c := range log.Record(false) {
			for _, f := range c.Filters {
				if !testdb.BareID(f) && !b.AtomicUpdates {
					t.Errorf("not a bare _id operation: %s", c)
				}
			}
		}
	})

	t.Run("mailboxes", func(t *testing.T) {
		for _, m := range []helpdeskmail.Mailbox{{Address: "a@x.example", GroupID: "g1", CreatedAt: at}, {Address: "b@x.example", GroupID: "g2", CreatedAt: at}} {
			if err := s.PutMailbox(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if m, err := s.Mailbox(ctx, "b@x.example"); err != nil || m.GroupID != "g2" || !m.CreatedAt.Equal(at) {
			t.Fatalf("%+v %v", m, err)
		}
		if _, err := s.Mailbox(ctx, "c@x.example"); !errors.Is(err, helpdeskmail.ErrNotFound) {
			t.Fatal(err)
		}
		if ok, err := s.DeleteMailbox(ctx, "a@x.example"); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, _ := s.DeleteMailbox(ctx, "a@x.example"); ok {
			t.Fatal("deleted twice")
		}
		if ms, err := s.Mailboxes(ctx); err != nil || len(ms) != 1 || ms[0].Address != "b@x.example" {
			t.Fatalf("%+v %v", ms, err)
		}
	})

	t.Run("refs, tokens, threads, meta", func(t *testing.T) {
		r := helpdeskmail.Ref{MessageID: "m1@c.example", Dir: helpdeskmail.DirIn, TicketID: "t1", TicketMessageID: "tm1", NewTicket: true, Pending: true, At: at}
		if err := s.PutRef(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Pending = false
		if err := s.PutRef(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Refs(ctx, []string{"nope", "m1@c.example"})
		if err != nil || len(got) != 1 || got[0].Pending || got[0].TicketID != "t1" || !got[0].NewTicket {
			t.Fatalf("%+v %v", got, err)
		}
		if owner, err := s.ClaimToken(ctx, "T-aaa", "t1"); owner != "t1" || err != nil {
			t.Fatal(owner, err)
		}
		if owner, err := s.ClaimToken(ctx, "T-aaa", "t2"); owner != "t1" || err != nil {
			t.Fatal("a claimed token keeps its ticket:", owner, err)
		}
		th := helpdeskmail.Thread{TicketID: "t1", Token: "T-aaa", Mailbox: "b@x.example", Customer: "c@c.example", LastInbound: "m1@c.example", References: []string{"m1@c.example"}}
		if err := s.PutThread(ctx, th); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Thread(ctx, "t1"); err != nil || got.Customer != th.Customer || len(got.References) != 1 {
			t.Fatalf("%+v %v", got, err)
		}
		m := helpdeskmail.Meta{TicketMessageID: "tm1", MessageID: "m1@c.example", Dir: helpdeskmail.DirIn, Attachments: []helpdeskmail.AttachmentMeta{{Name: "a.pdf", ContentType: "application/pdf", Size: 3}}}
		if err := s.PutMeta(ctx, m); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Meta(ctx, "tm1"); err != nil || len(got.Attachments) != 1 || got.Attachments[0].Size != 3 {
			t.Fatalf("%+v %v", got, err)
		}
	})

	t.Run("outbox: claimed once, finished off the queue", func(t *testing.T) {
		o := helpdeskmail.Outgoing{MessageID: "o1@x.example", TicketID: "t1", To: "c@c.example", State: helpdeskmail.Queued, CreatedAt: at}
		for range 2 { // repeated: one entry, state kept
			if err := s.AddOutgoing(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ClaimOutgoing(ctx, o.MessageID, at); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimOutgoing(ctx, o.MessageID, at); !errors.Is(err, helpdeskmail.ErrNotQueued) {
			t.Fatal("claimed twice:", err)
		}
		if err := s.AddOutgoing(ctx, o); err != nil {
			t.Fatal(err)
		}
		if q, err := s.Queued(ctx); err != nil || len(q) != 1 || q[0].State != helpdeskmail.Sending {
			t.Fatalf("%+v %v", q, err)
		}
		if err := s.FinishOutgoing(ctx, o.MessageID, helpdeskmail.Sent, 1, "", at); err != nil {
			t.Fatal(err)
		}
		if q, err := s.Queued(ctx); err != nil || len(q) != 0 {
			t.Fatalf("%+v %v", q, err)
		}
		if got, err := s.Outgoing(ctx, o.MessageID); err != nil || got.State != helpdeskmail.Sent || got.Attempts != 1 {
			t.Fatalf("%+v %v", got, err)
		}
	})
}
