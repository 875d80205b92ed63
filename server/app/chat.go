package app

// Live chat (issue 18): conversations are CHAT tickets of the help desk, visitors'
// records go to the chat source through the workflows (identity resolution links an
// e-mail given in the chat), site keys are the tracking write keys, and agent replies
// to visitors who have left go out through the SMTP relay of Options.Mail.

import (
	"context"
	"fmt"

	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/store/chatstore"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// newChat wires the chat service (after the help desk, the workflows and tracking).
func (a *App) newChat(ctx context.Context, db *mongo.Database, o Options) (*chat.Service, error) {
	s := &chat.Service{Store: chatstore.New(db), Tickets: a.Tickets, Agents: a.HelpDesk, Keys: a.Tracking,
		Sources: a.Ingest, Ingest: a.Workflows, Notify: a.Notify, Log: o.Log,
		// The widget offers a live chat while an agent is marked available.
		AgentsOnline: func(ctx context.Context) (bool, error) {
			agents, err := a.HelpDesk.ListAgents(ctx)
			for _, ag := range agents {
				if ag.Available {
					return true, err
				}
			}
			return false, err
		}}
	if o.Mail.Enabled() {
		c, err := mail.New(o.Mail)
		if err != nil {
			return nil, fmt.Errorf("smtp relay: %w", err)
		}
		s.Mail = c
	}
	return s, s.Prepare(ctx)
}
