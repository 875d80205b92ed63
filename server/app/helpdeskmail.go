package app

// E-mail in the help desk (issue 18): support mailboxes received by an SMTP server of
// our own (Options.MailListen), agent replies on e-mail tickets sent through the relay of
// Options.Mail.

import (
	"context"
	"net"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/helpdeskmail/smtpd"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/helpdeskmailstore"
	"github.com/tessera-cdp/tessera/server/app/adapters"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// newHelpDeskMail wires the service and makes it hear agent replies.
func (a *App) newHelpDeskMail(db *mongo.Database, b *dbkit.Backend, req *adapters.Requesters, o Options) *helpdeskmail.Service {
	s := &helpdeskmail.Service{Store: helpdeskmailstore.New(db, b), Tickets: a.Tickets, Requesters: req, Customers: req, Groups: a.HelpDesk,
		Relay: o.Mail, Log: o.Log, NewID: dbkit.NewID}
	a.Tickets.Observe(s.Replied)
	return s
}

// startHelpDeskMail runs the outbox and, with MailListen, the receiver until ctx ends;
// MailAddr is where the receiver listens.
func (a *App) startHelpDeskMail(ctx context.Context) {
	go a.HelpDeskMail.Run(ctx)
	if a.opts.MailListen == "" {
		return
	}
	l, err := net.Listen("tcp", a.opts.MailListen)
	if err != nil {
		a.opts.Log.Error("help desk mail: listen", "addr", a.opts.MailListen, "err", err)
		return
	}
	a.MailAddr = l.Addr().String()
	srv := smtpd.New(a.HelpDeskMail, smtpd.Options{MaxBytes: a.opts.MailMaxBytes, Log: a.opts.Log})
	go func() {
		if err := srv.Serve(l); err != nil && ctx.Err() == nil {
			a.opts.Log.Error("help desk mail: receiver", "err", err)
		}
	}()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	a.opts.Log.Info("help desk mail: receiving", "addr", a.MailAddr)
}
