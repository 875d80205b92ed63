package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Message is one e-mail to one recipient.
type Message struct {
	To        string
	Subject   string
	Text      string
	HTML      string // optional: sent as the alternative of Text
	MessageID string // without angle brackets
	// Headers are added as they are (List-Unsubscribe...), in order.
	Headers [][2]string
	// FromName, if set, replaces the display name of the configured sender.
	FromName string
}

// Outcome is what became of a message.
type Outcome int

const (
	// Accepted: the relay answered 250 to the end of data; it is the relay's now.
	Accepted Outcome = iota
	// Rejected: the relay refused it for good (5xx); Result.Code says why (550 at RCPT:
	// the mailbox does not exist, a hard bounce).
	Rejected
	// Deferred: temporary failures (4xx, connection trouble) until MaxAttempts ran out;
	// the relay never took it.
	Deferred
	// Ambiguous: the connection failed after the final dot went out, before the answer:
	// the relay may or may not have taken it.
	Ambiguous
	// Abandoned: Commit.Claim refused (another sender has it); the connection was
	// dropped before the dot, so the relay discards it.
	Abandoned
)

func (o Outcome) String() string {
	return [...]string{"accepted", "rejected", "deferred", "ambiguous", "abandoned"}[o]
}

// Result is an outcome with its detail.
type Result struct {
	Outcome Outcome
	// Code is the relay's reply code of the last failure (0: no reply, e.g. a network
	// error); AtRecipient tells it came at RCPT TO (the address, not the message).
	Code        int
	AtRecipient bool
	Err         error
	Attempts    int
	// Relay marks a failure to reach or log in to the relay: nothing about this
	// message, so a caller stops rather than failing every message.
	Relay bool
}

// Commit is what a caller does at the point of no return (see the package doc).
type Commit struct {
	// Claim runs when the relay has the whole message and waits for the final dot; an
	// error abandons the message.
	Claim func(ctx context.Context) error
	// Release undoes a claim when the relay then refuses with a temporary error, before
	// the message is tried again (or given up as Deferred).
	Release func(ctx context.Context) error
}

// Client sends through one relay; it is safe for concurrent use, each Session holding
// its own connection.
type Client struct {
	cfg     Config
	gm      *gomail.Client
	from    *mail.Address
	domain  string
	limiter *Limiter
	// sleep waits between attempts (tests shorten it).
	sleep func(ctx context.Context, d time.Duration) error
}

// New prepares a client for the relay in cfg (nothing is dialled yet).
func New(cfg Config) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("no SMTP relay configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	from, _ := mail.ParseAddress(cfg.From)
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tc)}
	switch cfg.TLS {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case Opportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	gm, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Client{cfg: cfg, gm: gm, from: from, domain: domain, limiter: NewLimiter(cfg.RatePerSecond), sleep: sleepCtx}, nil
}

// Domain is the sender's domain (for Message-IDs).
func (c *Client) Domain() string { return c.domain }

// Workers is the configured number of connections.
func (c *Client) Workers() int { return c.cfg.Workers }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the wait after the n-th failed attempt (n ≥ 1): Backoff doubled per
// attempt, at most a minute.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.Backoff
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// Session is one connection to the relay, dialled on first use and renewed after
// PerConnection messages or a failure. Not safe for concurrent use.
type Session struct {
	c    *Client
	conn *smtp.Client
	sent int
}

// Session returns a new session; Close it when done.
func (c *Client) Session() *Session { return &Session{c: c} }

// Close ends the connection politely (QUIT).
func (s *Session) Close() {
	if s.conn != nil {
		_ = s.conn.Quit()
		_ = s.conn.Close()
		s.conn = nil
	}
}

// drop closes the connection without QUIT (after a failure, or to abandon a message
// before its final dot).
func (s *Session) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// SendOne sends one message on its own connection (test sends).
func (c *Client) SendOne(ctx context.Context, m Message) Result {
	s := c.Session()
	defer s.Close()
	return s.Send(ctx, m, Commit{})
}

// Send delivers m to the relay, retrying temporary failures with back-off, waiting for
// the rate limit before each attempt. Commit's Claim runs before the final dot of each
// attempt that gets that far.
func (s *Session) Send(ctx context.Context, m Message, commit Commit) Result {
	msg, err := s.c.build(m)
	if err != nil {
		return Result{Outcome: Rejected, Err: err}
	}
	var last Result
	for attempt := 1; ; attempt++ {
		if err := s.c.limiter.Wait(ctx); err != nil {
			return Result{Outcome: Deferred, Err: err, Attempts: attempt - 1}
		}
		r := s.attempt(ctx, m.To, msg, commit)
		r.Attempts = attempt
		if r.Outcome != Deferred {
			return r
		}
		last = r
		if attempt >= s.c.cfg.MaxAttempts || ctx.Err() != nil {
			return last
		}
		if err := s.c.sleep(ctx, s.c.backoff(attempt)); err != nil {
			return last
		}
	}
}

// attempt is one try; Deferred means it may be tried again.
func (s *Session) attempt(ctx context.Context, to string, msg *gomail.Msg, commit Commit) Result {
	if s.conn == nil {
		conn, err := s.c.gm.DialToSMTPClientWithContext(ctx)
		if err != nil {
			r := classify(err, false)
			r.Relay = true
			return r
		}
		s.conn, s.sent = conn, 0
	}
	if err := s.conn.UpdateDeadline(s.c.cfg.Timeout); err != nil {
		s.drop()
		return Result{Outcome: Deferred, Err: err}
	}
	// go-mail's low-level client sends the argument as given: RFC 5321 wants a path.
	if err := s.conn.Mail("<" + s.c.from.Address + ">"); err != nil {
		return s.failed(err, false)
	}
	if err := s.conn.Rcpt("<" + to + ">"); err != nil {
		r := s.failed(err, false)
		r.AtRecipient = true
		return r
	}
	w, err := s.conn.Data()
	if err != nil {
		return s.failed(err, false)
	}
	if _, err := msg.WriteTo(w); err != nil {
		s.drop() // the data is half written: the relay discards it when the connection goes
		return Result{Outcome: Deferred, Err: err}
	}
	if commit.Claim != nil {
		if err := commit.Claim(ctx); err != nil {
			s.drop()
			return Result{Outcome: Abandoned, Err: err}
		}
	}
	if err := w.Close(); err != nil { // the final dot and the relay's answer
		r := s.failed(err, true)
		if r.Outcome == Deferred && commit.Release != nil {
			if rerr := commit.Release(ctx); rerr != nil {
				// The claim stays: the caller must not try again.
				return Result{Outcome: Ambiguous, Err: fmt.Errorf("%v; and releasing the claim: %w", err, rerr)}
			}
		}
		return r
	}
	s.sent++
	if s.sent >= s.c.cfg.PerConnection || s.conn.Reset() != nil {
		s.Close()
	}
	return Result{Outcome: Accepted}
}

// failed classifies a failed command, resetting or dropping the connection; afterDot
// tells the final dot had gone out.
func (s *Session) failed(err error, afterDot bool) Result {
	r := classify(err, afterDot)
	if r.Code == 0 || s.conn.Reset() != nil {
		s.drop()
	}
	return r
}

// classify turns an error into an outcome: a 5xx reply is Rejected, a 4xx Deferred; an
// error without a reply (network, TLS) is Deferred before the dot, Ambiguous after it.
func classify(err error, afterDot bool) Result {
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return Result{Outcome: Rejected, Code: te.Code, Err: err}
		}
		return Result{Outcome: Deferred, Code: te.Code, Err: err}
	}
	if afterDot {
		return Result{Outcome: Ambiguous, Err: err}
	}
	return Result{Outcome: Deferred, Err: err}
}

// build turns m into a go-mail message.
func (c *Client) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	name := c.from.Name
	if m.FromName != "" {
		name = m.FromName
	}
	if err := msg.FromFormat(name, c.from.Address); err != nil {
		return nil, err
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	for _, h := range m.Headers {
		msg.SetGenHeader(gomail.Header(h[0]), h[1])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
