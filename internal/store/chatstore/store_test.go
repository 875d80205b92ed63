package chatstore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/store/chatstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The chat store's contract on whichever backend the tests run, every command a bare
// _id operation or an insert.
func TestChatStore(t *testing.T) {
	ctx := context.Background()
	log := &testdb.CommandLog{}
	db := testdb.MonitoredClient(t, log).Database(fmt.Sprintf("chatstore_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx) })
	s := chatstore.New(db)
	log.Record(true)
	t.Cleanup(func() {
		for _, c := range log.Record(false) {
			for _, f := range c.Filters {
				if !testdb.BareID(f) {
					t.Errorf("not a bare _id operation: %s", c)
				}
			}
		}
	})
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	if _, err := s.VisitorConversation(ctx, "vis_1"); !apperr.IsNotFound(err) {
		t.Fatalf("unknown visitor: %v", err)
	}
	// Before the first message: by visitor only.
	c := chat.Conversation{VisitorID: "vis_1", Source: "shop", Email: "ann@example.com", CreatedAt: at}
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.VisitorConversation(ctx, "vis_1"); err != nil || got.Email != "ann@example.com" || got.TicketID != "" {
		t.Fatalf("visitor: %+v %v", got, err)
	}
	c.TicketID, c.ProfileID, c.SeenAt = "t1", "cus_1", at
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSeen(ctx, "t1", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Writing the conversation again (an e-mail given later) keeps the ticket's seenAt.
	c.Email = "ann@work.example"
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, "t1")
	if err != nil || got.VisitorID != "vis_1" || got.ProfileID != "cus_1" || got.Email != "ann@work.example" || !got.SeenAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("by ticket: %+v %v", got, err)
	}
	if got, err := s.VisitorConversation(ctx, "vis_1"); err != nil || got.TicketID != "t1" {
		t.Fatalf("visitor after the first message: %+v %v", got, err)
	}

	r := chat.OfflineReply{ID: "m1", TicketID: "t1", To: "ann@work.example", Subject: "Re: x", Body: "hi", CreatedAt: at}
	if ok, err := s.ClaimOfflineReply(ctx, r); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, err := s.ClaimOfflineReply(ctx, r); ok || err != nil {
		t.Fatalf("second claim: %v %v", ok, err)
	}
	if err := s.FinishOfflineReply(ctx, "m1", at, "no SMTP relay configured"); err != nil {
		t.Fatal(err)
	}
	if got, sent, why, err := s.OfflineReply(ctx, "m1"); err != nil || sent || why != "no SMTP relay configured" || got.To != r.To {
		t.Fatalf("outcome: %+v %v %q %v", got, sent, why, err)
	}

	k1, err := s.TokenKey(ctx)
	if err != nil || len(k1) != 32 {
		t.Fatalf("key: %v", err)
	}
	if k2, err := chatstore.New(db).TokenKey(ctx); err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("another instance reads the same key: %v", err)
	}
}
