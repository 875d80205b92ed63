// Package smtpd is the help desk's receiving SMTP server (github.com/emersion/go-smtp):
// it accepts mail for the configured support mailboxes only, up to a size limit, and
// hands each message to helpdeskmail.Service.Deliver before answering the final dot, so
// a 250 means the ticket has it and a 4xx makes the sending server try again.
package smtpd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
)

// Options of the server.
type Options struct {
	Domain   string // greeting name (default "localhost")
	MaxBytes int64  // message size limit (default 10 MiB)
	Log      *slog.Logger
}

// Server receives the support mailboxes' mail.
type Server struct {
	srv  *smtp.Server
	mail *helpdeskmail.Service
	log  *slog.Logger
}

// New prepares a server for the mailboxes of svc.
func New(svc *helpdeskmail.Service, o Options) *Server {
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 10 << 20
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Server{mail: svc, log: o.Log}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = o.Domain
	s.srv.MaxMessageBytes = o.MaxBytes
	s.srv.MaxRecipients = 50
	s.srv.ReadTimeout, s.srv.WriteTimeout = 5*time.Minute, 5*time.Minute
	return s
}

// Serve accepts connections on l until Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops listening and ends the connections.
func (s *Server) Close() error { return s.srv.Close() }

var (
	errNoMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure, try again later"}
	errBad       = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message refused"}
)

type session struct {
	s    *Server
	from string
	to   []helpdeskmail.Mailbox
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	mb, err := x.s.mail.Accepts(context.Background(), to)
	if errors.Is(err, helpdeskmail.ErrNotFound) {
		return errNoMailbox
	}
	if err != nil {
		x.s.log.Error("help desk mail: recipient check", "to", to, "err", err)
		return errTemporary
	}
	for _, m := range x.to {
		if m.Address == mb.Address {
			return nil
		}
	}
	x.to = append(x.to, mb)
	return nil
}

// Data delivers to each mailbox; after the first, the Message-ID makes the others
// duplicates, so a mail to two mailboxes opens one ticket.
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // the size limit, as go-smtp's own error
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, mb := range x.to {
		res, err := x.s.mail.Deliver(ctx, mb, x.from, raw)
		if errors.Is(err, helpdeskmail.ErrRefused) {
			x.s.log.Info("help desk mail: refused", "mailbox", mb.Address, "err", err)
			return errBad
		}
		if err != nil {
			x.s.log.Error("help desk mail: deliver", "mailbox", mb.Address, "err", err)
			return errTemporary
		}
		x.s.log.Info("help desk mail: received", "mailbox", mb.Address, "outcome", res.Outcome, "ticket", res.TicketID, "reason", res.Reason)
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
