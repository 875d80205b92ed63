package app

// Admin edits (issue 17): deleting an agent unassigns its tickets through the ticket
// service; deleting a group is refused while a support mailbox routes to it.

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
)

// groupMailboxes finds the support mailboxes of a group in the mailbox list (point
// reads of the list and its mailboxes).
type groupMailboxes struct{ mail *helpdeskmail.Service }

var _ admin.Mailboxes = groupMailboxes{}

func (g groupMailboxes) MailboxesOfGroup(ctx context.Context, groupID string) ([]string, error) {
	ms, err := g.mail.Mailboxes(ctx)
	var out []string
	for _, m := range ms {
		if m.GroupID == groupID {
			out = append(out, m.Address)
		}
	}
	return out, err
}

// wireAdminEdits gives the help-desk admin what its edits need (after the help-desk mail).
func (a *App) wireAdminEdits() {
	a.Resolver.DeskAdmin.Tickets = a.Tickets
	a.Resolver.DeskAdmin.Mailboxes = groupMailboxes{a.HelpDeskMail}
}
