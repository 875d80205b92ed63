package adapters

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/workflow"
	"github.com/tessera-cdp/tessera/resolvers"
)

// CustomerRefs resolves the customer of an order or interaction for the resolvers: an
// adapter of workflow.ResolveRefs (a source record, or an identifier normalised the way
// ingestion does; a few batched lookups whatever the batch size).
type CustomerRefs struct {
	Store    *identitystore.Store
	Profiles *customer.Service
}

var _ resolvers.CustomerRefs = (*CustomerRefs)(nil)

// Resolve resolves refs with workflow.ResolveRefs.
func (c *CustomerRefs) Resolve(ctx context.Context, refs []resolvers.CustomerRef) ([]resolvers.ResolvedRef, error) {
	in := make([]workflow.CustomerRef, len(refs))
	for i, r := range refs {
		in[i] = workflow.CustomerRef{RecordID: r.RecordID, Type: r.Type, Value: r.Value}
	}
	got, err := workflow.ResolveRefs(ctx, c.Store, c.Profiles, in)
	if err != nil {
		return nil, err
	}
	out := make([]resolvers.ResolvedRef, len(got))
	for i, r := range got {
		out[i] = resolvers.ResolvedRef{ProfileID: r.ProfileID, RecordID: r.RecordID, Reason: r.Reason}
	}
	return out, nil
}

// EraseWith lets the workflows erase through the resolver's Eraser (the journaled steps
// of server/app/gdpr), one instance for both.
func EraseWith(e resolvers.Eraser) workflow.EraseFunc {
	return func(ctx context.Context, id string) (workflow.Erasure, error) {
		x, err := e.Erase(ctx, id)
		return workflow.Erasure{ProfileIDs: x.ProfileIDs, SourceRecords: x.SourceRecords, Identities: x.Identities,
			Interactions: x.Interactions, OrdersAnonymised: x.OrdersAnonymised, Tickets: x.Tickets}, err
	}
}

// TicketAliases gives the profiles whose tickets a profile shows: itself and those it
// absorbed (tickets keep the requester id they were opened with).
func TicketAliases(profiles *customer.Service) func(ctx context.Context, id string) ([]string, error) {
	return func(ctx context.Context, id string) ([]string, error) {
		ps, err := profile.ReadShared(ctx, []string{id}, profiles.Store.GetProfiles)
		if err != nil || len(ps) == 0 {
			return nil, err
		}
		var out []string
		for _, ev := range ps[0].History {
			if ev.Kind == profile.EventMerge {
				out = append(out, ev.ProfileIDs...)
			}
		}
		return out, nil
	}
}
