package app

// Other channels (issue 18): connectors POST messages to /channels/{name}/messages
// (signed), which become SOCIAL tickets; agents' replies go back through the outbox.

import (
	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/store/channelstore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// newChannels wires the connectors (after the help desk and the workflows) and makes
// them hear agent replies.
func (a *App) newChannels(db *mongo.Database, policy *netguard.Policy, o Options) *channels.Service {
	s := &channels.Service{Store: channelstore.New(db), Tickets: a.Tickets, Sources: a.Ingest, Ingest: a.Workflows, Policy: policy,
		Log: o.Log, NewID: dbkit.NewID}
	a.Tickets.Observe(s.Replied)
	return s
}
