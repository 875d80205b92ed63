package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
)

func client(t *testing.T, s *mailtest.Server) *mail.Client {
	t.Helper()
	c, err := mail.New(s.Config("Shop <news@shop.example>"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendOverStartTLSWithAuth(t *testing.T) {
	s := mailtest.Start(t)
	c := client(t, s)
	r := c.SendOne(context.Background(), mail.Message{To: "ann@example.com", Subject: "Hello Ann", Text: "Hi Ann", HTML: "<p>Hi <b>Ann</b></p>",
		MessageID: "c1.p1@shop.example", Headers: [][2]string{{"List-Unsubscribe", "<https://t.example/u/x>"}, {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}}})
	if r.Outcome != mail.Accepted || r.Attempts != 1 {
		t.Fatalf("result %+v", r)
	}
	ms := s.Messages()
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	m := ms[0]
	if !m.TLS || m.User != mailtest.Username || m.From != "news@shop.example" || m.To[0] != "ann@example.com" {
		t.Fatalf("envelope: tls %v user %q from %q to %v", m.TLS, m.User, m.From, m.To)
	}
	for h, want := range map[string]string{"Message-Id": "<c1.p1@shop.example>", "Subject": "Hello Ann", "List-Unsubscribe": "<https://t.example/u/x>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "From": `"Shop" <news@shop.example>`} {
		if got := m.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(m.Text, "Hi Ann") || !strings.Contains(m.HTML, "<b>Ann</b>") {
		t.Errorf("parts: %q / %q", m.Text, m.HTML)
	}
}

func TestWrongPasswordIsARelayFailure(t *testing.T) {
	s := mailtest.Start(t)
	cfg := s.Config("news@shop.example")
	cfg.Password = "wrong"
	c, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := c.SendOne(context.Background(), mail.Message{To: "ann@example.com", Subject: "x", Text: "x"})
	if r.Outcome != mail.Rejected || !r.Relay || r.Code != 535 || s.Count() != 0 {
		t.Fatalf("result %+v", r)
	}
}

func TestTemporaryFailuresAreRetriedAndReleased(t *testing.T) {
	s := mailtest.Start(t)
	var refused atomic.Int32
	s.OnData = func(mailtest.Received) error {
		if refused.Add(1) <= 2 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}
		return nil
	}
	c := client(t, s)
	var claims, releases int
	r := c.Session().Send(context.Background(), mail.Message{To: "bob@example.com", Subject: "s", Text: "t"}, mail.Commit{
		Claim:   func(context.Context) error { claims++; return nil },
		Release: func(context.Context) error { releases++; return nil },
	})
	if r.Outcome != mail.Accepted || r.Attempts != 3 || claims != 3 || releases != 2 || s.Count() != 1 {
		t.Fatalf("result %+v, claims %d, releases %d, delivered %d", r, claims, releases, s.Count())
	}
}

func TestTemporaryFailuresRunOut(t *testing.T) {
	s := mailtest.Start(t)
	s.OnRcpt = func(string) error {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
	}
	c := client(t, s)
	claimed := false
	r := c.Session().Send(context.Background(), mail.Message{To: "bob@example.com", Subject: "s", Text: "t"}, mail.Commit{Claim: func(context.Context) error { claimed = true; return nil }})
	if r.Outcome != mail.Deferred || r.Attempts != 5 || r.Code != 452 || !r.AtRecipient || claimed {
		t.Fatalf("result %+v, claimed %v", r, claimed)
	}
}

func TestPermanentRejectionIsNotRetried(t *testing.T) {
	s := mailtest.Start(t)
	s.OnRcpt = func(to string) error {
		if to == "gone@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	c := client(t, s)
	sess := c.Session()
	defer sess.Close()
	r := sess.Send(context.Background(), mail.Message{To: "gone@example.com", Subject: "s", Text: "t"}, mail.Commit{})
	if r.Outcome != mail.Rejected || r.Code != 550 || !r.AtRecipient || r.Attempts != 1 {
		t.Fatalf("result %+v", r)
	}
	// The session goes on with the next message.
	if r := sess.Send(context.Background(), mail.Message{To: "ok@example.com", Subject: "s", Text: "t"}, mail.Commit{}); r.Outcome != mail.Accepted {
		t.Fatalf("next: %+v", r)
	}
}

func TestRefusedClaimAbandonsBeforeTheDot(t *testing.T) {
	s := mailtest.Start(t)
	c := client(t, s)
	sess := c.Session()
	defer sess.Close()
	r := sess.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"}, mail.Commit{Claim: func(context.Context) error { return errors.New("taken") }})
	if r.Outcome != mail.Abandoned {
		t.Fatalf("result %+v", r)
	}
	if r := sess.Send(context.Background(), mail.Message{To: "b@example.com", Subject: "s", Text: "t"}, mail.Commit{}); r.Outcome != mail.Accepted {
		t.Fatalf("next: %+v", r)
	}
	if ms := s.Messages(); len(ms) != 1 || ms[0].To[0] != "b@example.com" {
		t.Fatalf("delivered %v", ms)
	}
}

func TestLostAnswerIsAmbiguous(t *testing.T) {
	s := mailtest.Start(t)
	s.OnData = func(mailtest.Received) error { return mailtest.ErrDrop }
	c := client(t, s)
	released := false
	r := c.Session().Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"}, mail.Commit{
		Claim: func(context.Context) error { return nil }, Release: func(context.Context) error { released = true; return nil }})
	if r.Outcome != mail.Ambiguous || released || r.Attempts != 1 {
		t.Fatalf("result %+v released %v", r, released)
	}
}

func TestPoolSendsEachJobOnce(t *testing.T) {
	s := mailtest.Start(t)
	c := client(t, s)
	const n = 60
	jobs := make(chan int)
	go func() {
		for i := range n {
			jobs <- i
		}
		close(jobs)
	}()
	var mu sync.Mutex
	results := map[mail.Outcome]int{}
	mail.Pool(context.Background(), c, 3, jobs, func(ctx context.Context, sess *mail.Session, i int) {
		r := sess.Send(ctx, mail.Message{To: fmt.Sprintf("p%d@example.com", i), Subject: "s", Text: "t"}, mail.Commit{})
		mu.Lock()
		results[r.Outcome]++
		mu.Unlock()
	})
	if results[mail.Accepted] != n || s.Count() != n {
		t.Fatalf("results %v, delivered %d", results, s.Count())
	}
	seen := map[string]bool{}
	for _, m := range s.Messages() {
		if seen[m.To[0]] {
			t.Fatalf("%s twice", m.To[0])
		}
		seen[m.To[0]] = true
	}
}

// BenchmarkMailPool is messages per second through the worker pool to a local relay
// (STARTTLS, authentication), without a campaign around it.
func BenchmarkMailPool(b *testing.B) {
	s := mailtest.Start(b)
	c, err := mail.New(s.Config("Shop <news@shop.example>"))
	if err != nil {
		b.Fatal(err)
	}
	const perOp = 200
	jobs := make(chan int)
	go func() {
		for i := range perOp * b.N {
			jobs <- i
		}
		close(jobs)
	}()
	b.ResetTimer()
	mail.Pool(context.Background(), c, 4, jobs, func(ctx context.Context, sess *mail.Session, i int) {
		if r := sess.Send(ctx, mail.Message{To: fmt.Sprintf("p%d@example.com", i), Subject: "Hello", Text: "Hi there", HTML: "<p>Hi there</p>"}, mail.Commit{}); r.Outcome != mail.Accepted {
			b.Error(r.Err)
		}
	})
	b.ReportMetric(float64(perOp*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestEnvelopeAddressesInAngleBrackets: MAIL FROM and RCPT TO carry their addresses as
// RFC 5321 paths, <address>. go-mail's low-level client sends what it is given, and a
// strict relay (nodemailer's smtp-server, Postfix with strict_rfc821_envelopes) answers
// "501 Bad sender address syntax" to a bare address; go-smtp accepts both.
func TestEnvelopeAddressesInAngleBrackets(t *testing.T) {
	s := mailtest.StartRecording(t)
	c := client(t, s)
	if r := c.SendOne(context.Background(), mail.Message{To: "ann@example.com", Subject: "x", Text: "x"}); r.Outcome != mail.Accepted {
		t.Fatalf("result %+v", r)
	}
	tr := s.Transcript()
	for _, want := range []string{"MAIL FROM:<news@shop.example>", "RCPT TO:<ann@example.com>"} {
		if !strings.Contains(tr, want) {
			t.Errorf("the conversation has no %q:\n%s", want, tr)
		}
	}
}
