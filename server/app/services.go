package app

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
	"github.com/tessera-cdp/tessera/internal/ticket/queue"
	"github.com/tessera-cdp/tessera/internal/ticket/report"
)

// What the domain services read, checked at compile time: the help desk's configuration,
// queues and reports, the Customer 360 reads, the segment reads.
var (
	_ admin.Store             = (*ticketstore.Store)(nil)
	_ queue.Store             = (*ticketstore.Store)(nil)
	_ report.Store            = (*ticketstore.Store)(nil)
	_ ticket.RequesterTickets = (*ticketstore.Store)(nil)
	_ c360.Reader             = (*commercestore.Store)(nil)
	_ membership.Reader       = segmentReads{}
)

// agentKeys shows the help desk the API keys agents are registered with.
type agentKeys struct{ auth *auth.Service }

var _ admin.Keys = agentKeys{}

func (k agentKeys) APIKey(ctx context.Context, id string) (admin.APIKey, bool, error) {
	keys, err := k.auth.List(ctx)
	if err != nil {
		return admin.APIKey{}, false, err
	}
	for _, x := range keys {
		if x.ID == id {
			return admin.APIKey{ID: x.ID, Role: string(x.Role), Revoked: x.RevokedAt != nil}, true, nil
		}
	}
	return admin.APIKey{}, false, nil
}

// followers hears merges and splits one after the other: the workflows (commerce), then
// consent.
type followers []identity.Follower

func (fs followers) FollowMerges(ctx context.Context, ms []identity.MergeEvent) error {
	for _, f := range fs {
		if err := f.FollowMerges(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

func (fs followers) FollowSplit(ctx context.Context, sp identity.SplitEvent) error {
	for _, f := range fs {
		if err := f.FollowSplit(ctx, sp); err != nil {
			return err
		}
	}
	return nil
}
