package app

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/store/auditstore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// newAudit wires the audit trail: the GraphQL handler records every mutation through it
// (gqlhttp.Options.Audit), the export endpoint its downloads.
func (a *App) newAudit(ctx context.Context, db *mongo.Database, backend *dbkit.Backend) error {
	a.AuditStore = auditstore.New(db, backend)
	if err := a.AuditStore.EnsureIndexes(ctx); err != nil {
		return err
	}
	a.Audit = &audit.Service{Store: a.AuditStore, Log: a.opts.Log}
	a.Resolver.Audit = a.Audit
	return nil
}

// startAudit builds the in-process index of the trail (embedded database only; until it
// is built, filtered pages are queries).
func (a *App) startAudit(ctx context.Context) {
	go func() {
		if err := a.AuditStore.BuildIndex(ctx); err != nil && ctx.Err() == nil {
			a.opts.Log.Error("audit index", "err", err)
		}
	}()
}
