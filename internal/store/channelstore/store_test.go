package channelstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/store/channelstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestChannelsRefsAndOutbox(t *testing.T) {
	ctx := context.Background()
	s := channelstore.New(testdb.DB(t))
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, n := range []string{"wa", "insta"} {
		if ok, err := s.AddChannel(ctx, channels.Channel{Name: n, Kind: channels.Social, Secret: "s-" + n, CreatedAt: t0}); !ok || err != nil {
			t.Fatalf("add %s: %v %v", n, ok, err)
		}
	}
	if ok, _ := s.AddChannel(ctx, channels.Channel{Name: "wa"}); ok {
		t.Fatal("a taken name was added")
	}
	if l, err := s.Channels(ctx); err != nil || len(l) != 2 || l[0].Name != "insta" || l[1].Secret != "s-wa" {
		t.Fatalf("list: %+v %v", l, err)
	}
	if ok, err := s.RemoveChannel(ctx, "wa"); !ok || err != nil {
		t.Fatalf("remove: %v %v", ok, err)
	}
	if _, err := s.Channel(ctx, "wa"); err != channels.ErrNotFound {
		t.Fatalf("removed: %v", err)
	}
	r := channels.Ref{ID: "insta|m1", TicketID: "t1", TicketMessageID: "tm1", NewTicket: true, Pending: true, At: t0}
	if err := s.PutRef(ctx, r); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Ref(ctx, "insta|m1"); err != nil || g != r {
		t.Fatalf("ref: %+v %v", g, err)
	}
	c := channels.Conversation{Channel: "insta", ConversationID: "c1", TicketID: "t1", SenderID: "u1", ProfileID: "p1"}
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Conversation(ctx, "insta", "c1"); err != nil || g != c {
		t.Fatalf("conversation: %+v %v", g, err)
	}
	if g, err := s.TicketConversation(ctx, "t1"); err != nil || g != c {
		t.Fatalf("by ticket: %+v %v", g, err)
	}
	o := channels.Outgoing{ID: "tm2", Channel: "insta", TicketID: "t1", Body: []byte(`{"a":1}`), State: channels.Pending, NextAt: t0, CreatedAt: t0}
	if ok, err := s.Enqueue(ctx, o); !ok || err != nil {
		t.Fatalf("enqueue: %v %v", ok, err)
	}
	if ok, _ := s.Enqueue(ctx, o); ok {
		t.Fatal("enqueued twice")
	}
	if p, err := s.PendingOutgoing(ctx); err != nil || len(p) != 1 || p[0].ID != "tm2" {
		t.Fatalf("pending: %+v %v", p, err)
	}
	o.State, o.Attempts, o.DeliveredAt = channels.Delivered, 1, t0
	if err := s.PutOutgoing(ctx, o); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Outgoing(ctx, "tm2"); err != nil || g.State != channels.Delivered || string(g.Body) != `{"a":1}` || !g.DeliveredAt.Equal(t0) {
		t.Fatalf("outgoing: %+v %v", g, err)
	}
	if p, _ := s.PendingOutgoing(ctx); len(p) != 0 {
		t.Fatalf("pending after delivery: %+v", p)
	}
}
