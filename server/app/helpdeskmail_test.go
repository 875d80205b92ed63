package app_test

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// Issue 18: e-mail in the help desk, over real SMTP both ways. Tessera's receiver takes
// the customer's mail (sent with net/smtp), a go-smtp server (mailtest: STARTTLS and
// authentication) is the relay and the customer's mailbox.

const ticketMailFields = `id subject channel groupId requesterId status
	messages { body authorKind email { direction messageId from to subject inReplyTo references quotedTextHidden delivery attachments { name contentType size } } }`

func customerMail(from, subject, msgID, inReplyTo, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Ann Customer <%s>\r\nTo: support@shop.example\r\nSubject: %s\r\nMessage-ID: <%s>\r\n", from, subject, msgID)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, inReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

func TestHelpDeskMailRoundTrip(t *testing.T) {
	relay := mailtest.Start(t)
	o := app.Options{Mail: relay.Config("Shop <noreply@shop.example>"), MailListen: "127.0.0.1:0"}
	s := newServerWith(t, testdb.DB(t), o)
	if s.a.MailAddr == "" {
		t.Fatal("the receiver does not listen")
	}
	send := func(from string, to []string, raw []byte) error {
		return smtp.SendMail(s.a.MailAddr, nil, from, to, raw)
	}

	// An agent, a group and its mailbox (ADMIN only, checked).
	agentKey := s.newKey("AGENT")
	keyID := get(s.ok(agentKey, `{ me { id } }`, nil), "me", "id").(string)
	s.ok(adminKey, `mutation($k: ID!) { createAgent(input: {apiKeyId: $k, name: "Sam", email: "sam@shop.example"}) { id } }`, map[string]any{"k": keyID})
	group := get(s.ok(adminKey, `mutation($k: ID!) { createGroup(name: "Support", agentIds: [$k]) { id } }`, map[string]any{"k": keyID}), "createGroup", "id").(string)
	s.code(agentKey, `mutation($g: ID!) { setSupportMailbox(address: "support@shop.example", groupId: $g) { address } }`, map[string]any{"g": group}, "FORBIDDEN")
	s.code(adminKey, `mutation { setSupportMailbox(address: "not an address", groupId: "g") { address } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { setSupportMailbox(address: "support@shop.example", groupId: "nope") { address } }`, nil, "BAD_USER_INPUT")
	mb := s.ok(adminKey, `mutation($g: ID!) { setSupportMailbox(address: "Support <Support@Shop.Example>", groupId: $g) { address groupId } }`, map[string]any{"g": group})
	if get(mb, "setSupportMailbox", "address") != "support@shop.example" {
		t.Fatalf("mailbox: %v", mb)
	}
	if l := get(s.ok(agentKey, `{ supportMailboxes { address groupId } }`, nil), "supportMailboxes").([]any); len(l) != 1 {
		t.Fatalf("mailboxes: %v", l)
	}

	// The customer is known: the mail lands on her profile through identity resolution.
	ann := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Ann", emails: ["ann.customer@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	ticketsOf := func(email string) []any {
		t.Helper()
		d := s.ok(agentKey, `query($e: String!) { customerByIdentifier(type: "email", value: $e) { id tickets { `+ticketMailFields+` } } }`, map[string]any{"e": email})
		return get(d, "customerByIdentifier", "tickets").([]any)
	}

	// Other recipients are refused at RCPT.
	if err := send("ann.customer@example.com", []string{"sales@shop.example"}, customerMail("ann.customer@example.com", "Hi", "x0@customer.example", "", "hi")); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("mail to a non-mailbox: %v", err)
	}

	// 1. The customer writes (with an attachment): a ticket in the mailbox's group.
	first := "From: Ann Customer <Ann.Customer@Example.com>\r\nTo: support@shop.example\r\nSubject: Parcel arrived broken\r\n" +
		"Message-ID: <c1@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n" +
		"--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe vase was in pieces.\r\n" +
		"--xx\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"vase.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRg==\r\n--xx--\r\n"
	if err := send("ann.customer@example.com", []string{"support@shop.example"}, []byte(first)); err != nil {
		t.Fatal(err)
	}
	ts := ticketsOf("ann.customer@example.com")
	if len(ts) != 1 {
		t.Fatalf("tickets: %v", ts)
	}
	tk := ts[0].(map[string]any)
	if tk["subject"] != "Parcel arrived broken" || tk["channel"] != "EMAIL" || tk["groupId"] != group || tk["requesterId"] != ann {
		t.Fatalf("ticket: %v", tk)
	}
	m0 := get(tk, "messages", 0).(map[string]any)
	if m0["body"] != "The vase was in pieces." || get(m0, "email", "messageId") != "c1@customer.example" ||
		get(m0, "email", "attachments", 0, "name") != "vase.jpg" || get(m0, "email", "attachments", 0, "size") != float64(10) {
		t.Fatalf("first message: %v", m0)
	}
	ticketID := tk["id"].(string)

	// 2. The agent replies over GraphQL: it arrives in the customer's mailbox, threaded.
	s.ok(agentKey, `mutation($id: ID!) { replyToTicket(id: $id, body: "Sorry! A new vase is on its way.") { id } }`, map[string]any{"id": ticketID})
	got := relay.WaitFor(t, 1)[0]
	if len(got.To) != 1 || got.To[0] != "ann.customer@example.com" || got.From != "support@shop.example" || !got.TLS {
		t.Fatalf("envelope: from %s to %v tls %v", got.From, got.To, got.TLS)
	}
	subject := got.Header.Get("Subject")
	if !strings.HasPrefix(subject, "Re: Parcel arrived broken [#T-") || got.Header.Get("In-Reply-To") != "<c1@customer.example>" ||
		!strings.Contains(got.Header.Get("References"), "<c1@customer.example>") || !strings.Contains(got.Text, "A new vase is on its way.") {
		t.Fatalf("reply: subject %q in-reply-to %q references %q text %q", subject, got.Header.Get("In-Reply-To"), got.Header.Get("References"), got.Text)
	}
	agentMsgID := strings.Trim(got.Header.Get("Message-Id"), "<>")
	if agentMsgID == "" {
		t.Fatal("reply without Message-ID")
	}

	// 3. The customer answers the reply (threaded by In-Reply-To alone, no token, quoting it).
	answer := customerMail("ann.customer@example.com", "Re: Parcel arrived broken", "c2@customer.example", agentMsgID,
		"Thank you!\n\nOn Mon, Support <support@shop.example> wrote:\n> Sorry! A new vase is on its way.\n")
	if err := send("ann.customer@example.com", []string{"support@shop.example"}, answer); err != nil {
		t.Fatal(err)
	}
	// 4. A mail with only the token in the subject threads too.
	token := subject[strings.Index(subject, "[#"):]
	if err := send("ann.customer@example.com", []string{"support@shop.example"}, customerMail("ann.customer@example.com", "One more thing "+token, "c3@customer.example", "", "Can it be gift-wrapped?")); err != nil {
		t.Fatal(err)
	}
	// 5. Re-delivery adds nothing; an auto-reply and a bounce open no ticket.
	if err := send("ann.customer@example.com", []string{"support@shop.example"}, answer); err != nil {
		t.Fatal(err)
	}
	auto := "From: ann.customer@example.com\r\nTo: support@shop.example\r\nSubject: Out of office\r\nMessage-ID: <ooo@customer.example>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
	if err := send("ann.customer@example.com", []string{"support@shop.example"}, []byte(auto)); err != nil {
		t.Fatal(err)
	}
	bounce := "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nTo: support@shop.example\r\nSubject: Undelivered Mail\r\nMessage-ID: <dsn@mx.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--r--\r\n"
	if err := send("", []string{"support@shop.example"}, []byte(bounce)); err != nil {
		t.Fatal(err)
	}

	ts = ticketsOf("ann.customer@example.com")
	if len(ts) != 1 {
		t.Fatalf("want the one ticket, got %d: %v", len(ts), ts)
	}
	msgs := get(ts[0], "messages").([]any)
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, get(m, "body").(string))
	}
	if strings.Join(bodies, "|") != "The vase was in pieces.|Sorry! A new vase is on its way.|Thank you!|Can it be gift-wrapped?" {
		t.Fatalf("conversation: %q", bodies)
	}
	if get(msgs[2], "authorKind") != "CUSTOMER" || get(msgs[2], "email", "quotedTextHidden") != true || get(msgs[2], "email", "inReplyTo") != agentMsgID {
		t.Fatalf("answer: %v", msgs[2])
	}
	if get(msgs[1], "email", "direction") != "OUTBOUND" || get(msgs[1], "email", "messageId") != agentMsgID {
		t.Fatalf("agent reply's e-mail: %v", msgs[1])
	}
	// The bounce's sender got no profile.
	s.code(agentKey, `{ customerByIdentifier(type: "email", value: "mailer-daemon@mx.example") { id } }`, nil, "NOT_FOUND")

	// 6. The second reply threads on the customer's last mail and carries the chain.
	s.ok(agentKey, `mutation($id: ID!) { replyToTicket(id: $id, body: "Yes, gift-wrapped.") { id } }`, map[string]any{"id": ticketID})
	second := relay.WaitFor(t, 2)[1]
	refs := second.Header.Get("References")
	if second.Header.Get("In-Reply-To") != "<c3@customer.example>" || !strings.Contains(refs, "<c1@customer.example>") ||
		!strings.Contains(refs, "<"+agentMsgID+">") || !strings.Contains(refs, "<c2@customer.example>") || second.Header.Get("Subject") != subject {
		t.Fatalf("second reply: in-reply-to %q references %q subject %q", second.Header.Get("In-Reply-To"), refs, second.Header.Get("Subject"))
	}
	// Internal notes stay inside.
	s.ok(agentKey, `mutation($id: ID!) { addInternalNote(id: $id, body: "customer is VIP") { id } }`, map[string]any{"id": ticketID})

	// The delivery state shows on the reply once the relay's answer is recorded (a
	// bound on a hang, not a timing assertion).
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		d := s.ok(agentKey, `query($id: ID!) { ticket(id: $id) { messages { email { delivery } } } }`, map[string]any{"id": ticketID})
		if get(d, "ticket", "messages", 1, "email", "delivery") == "SENT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not recorded: %v", d)
		}
	}
	if n := len(relay.Messages()); n != 2 {
		t.Fatalf("%d messages at the relay, want 2 (the note is not mailed)", n)
	}
}

// A new sender gets a profile through identity resolution, and a ticket opened there;
// a message over the size limit is refused.
func TestHelpDeskMailNewSender(t *testing.T) {
	s := newServerWith(t, testdb.DB(t), app.Options{MailListen: "127.0.0.1:0", MailMaxBytes: 4096})
	group := get(s.ok(adminKey, `mutation { createGroup(name: "Support", agentIds: []) { id } }`, nil), "createGroup", "id").(string)
	s.ok(adminKey, `mutation($g: ID!) { setSupportMailbox(address: "help@shop.example", groupId: $g) { address } }`, map[string]any{"g": group})
	big := customerMail("bo@new.example", "Big", "big@new.example", "", strings.Repeat(strings.Repeat("x", 70)+"\n", 80))
	if err := smtp.SendMail(s.a.MailAddr, nil, "bo@new.example", []string{"help@shop.example"}, big); err == nil || !strings.Contains(err.Error(), "552") {
		t.Fatalf("a message over the size limit: %v", err)
	}
	raw := "From: Bo <bo@new.example>\r\nTo: help@shop.example\r\nSubject: Re: Fwd: Question\r\nMessage-ID: <n1@new.example>\r\nContent-Type: text/html\r\n\r\n<p>Do you ship to <b>Norway</b>?</p>\r\n"
	if err := smtp.SendMail(s.a.MailAddr, nil, "bo@new.example", []string{"help@shop.example"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	d := s.ok(adminKey, `{ customerByIdentifier(type: "email", value: "bo@new.example") { id emails tickets { subject channel messages { body } } } }`, nil)
	if get(d, "customerByIdentifier", "tickets", 0, "subject") != "Question" || get(d, "customerByIdentifier", "tickets", 0, "messages", 0, "body") != "Do you ship to Norway?" {
		t.Fatalf("%v", d)
	}
}

// Crash safety: a delivery interrupted after its plan was stored, before or after the
// ticket changed, finishes on re-delivery without adding anything twice; an outgoing
// reply claimed by a process that then stopped is marked uncertain and not sent again.
func TestHelpDeskMailCrashSafety(t *testing.T) {
	relay := mailtest.Start(t)
	s := newServerWith(t, testdb.DB(t), app.Options{Mail: relay.Config("noreply@shop.example")})
	ctx := context.Background()
	svc, st := s.a.HelpDeskMail, s.a.HelpDeskMail.Store
	group := get(s.ok(adminKey, `mutation { createGroup(name: "Support", agentIds: []) { id } }`, nil), "createGroup", "id").(string)
	mb, err := svc.SetMailbox(ctx, "support@shop.example", group)
	if err != nil {
		t.Fatal(err)
	}
	count := func() (tickets, messages int) {
		d := s.ok(adminKey, `{ customerByIdentifier(type: "email", value: "cy@example.com") { tickets { messages { id } } } }`, nil)
		for _, tk := range get(d, "customerByIdentifier", "tickets").([]any) {
			tickets++
			messages += len(get(tk, "messages").([]any))
		}
		return
	}

	// Interrupted before the ticket was created: the stored plan is carried out.
	raw := customerMail("cy@example.com", "Hello", "k1@example.com", "", "first")
	plan := helpdeskmail.Ref{MessageID: "k1@example.com", Dir: helpdeskmail.DirIn, TicketID: "01TICKETPLANNED0000000000A", TicketMessageID: "01MSGPLANNED00000000000000", NewTicket: true, Pending: true}
	if err := st.PutRef(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Deliver(ctx, mb, "cy@example.com", raw); err != nil || r.TicketID != plan.TicketID || r.Outcome != helpdeskmail.Opened {
		t.Fatalf("%+v %v", r, err)
	}
	// Interrupted after the ticket changed, before the plan was marked done.
	plan.Pending = true
	if err := st.PutRef(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deliver(ctx, mb, "cy@example.com", raw); err != nil {
		t.Fatal(err)
	}
	answer := customerMail("cy@example.com", "Re: Hello", "k2@example.com", "k1@example.com", "second")
	if r, err := svc.Deliver(ctx, mb, "cy@example.com", answer); err != nil || r.Outcome != helpdeskmail.Continued {
		t.Fatalf("%+v %v", r, err)
	}
	refs, _ := st.Refs(ctx, []string{"k2@example.com"})
	refs[0].Pending = true
	if err := st.PutRef(ctx, refs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deliver(ctx, mb, "cy@example.com", answer); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Deliver(ctx, mb, "cy@example.com", answer); err != nil || r.Outcome != helpdeskmail.Duplicate {
		t.Fatalf("%+v %v", r, err)
	}
	if tk, msgs := count(); tk != 1 || msgs != 2 {
		t.Fatalf("%d tickets, %d messages; want 1 and 2", tk, msgs)
	}

	// A reply claimed before a stop is not sent again.
	o := helpdeskmail.Outgoing{MessageID: "claimed@shop.example", TicketID: plan.TicketID, From: "support@shop.example", To: "cy@example.com",
		Subject: "Re: Hello", Text: "x", State: helpdeskmail.Queued}
	if err := st.AddOutgoing(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimOutgoing(ctx, o.MessageID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := svc.SendQueued(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Outgoing(ctx, o.MessageID); err != nil || got.State != helpdeskmail.Uncertain {
		t.Fatalf("%+v %v", got, err)
	}
	if q, _ := st.Queued(ctx); len(q) != 0 || relay.Count() != 0 {
		t.Fatalf("queued %v, relay got %d", q, relay.Count())
	}
}
