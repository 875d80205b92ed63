package identity

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity/resolve"
)

// The caller of a graph change travels in the context: who caused it (recorded as the
// Actor of merge events) and whether it may merge profiles. The API edge sets both from
// the API key; background work (demo loads, jobs) has neither and acts as "system",
// allowed to merge.

type callerKey struct{}

type caller struct {
	actor    string
	mayMerge bool
}

// SystemActor is the actor of changes made without a caller in the context.
const SystemActor = "system"

// WithActor records who causes the graph changes made with ctx; merges made through
// it may go ahead unless WithoutMerges says otherwise.
func WithActor(ctx context.Context, actor string) context.Context {
	c, ok := ctx.Value(callerKey{}).(caller)
	if !ok {
		c.mayMerge = true
	}
	c.actor = actor
	return context.WithValue(ctx, callerKey{}, c)
}

// WithoutMerges forbids graph changes made with ctx from merging profiles: a record
// whose identifiers belong to another profile fails with FORBIDDEN instead.
func WithoutMerges(ctx context.Context) context.Context {
	c, _ := ctx.Value(callerKey{}).(caller)
	c.mayMerge = false
	return context.WithValue(ctx, callerKey{}, c)
}

// ActorOf names the caller for merge history: the actor set by WithActor, else
// SystemActor.
func ActorOf(ctx context.Context) string {
	if c, ok := ctx.Value(callerKey{}).(caller); ok && c.actor != "" {
		return c.actor
	}
	return SystemActor
}

// MayMerge reports whether changes made with ctx may merge profiles (true unless
// WithoutMerges was applied).
func MayMerge(ctx context.Context) bool {
	c, ok := ctx.Value(callerKey{}).(caller)
	return !ok || c.mayMerge
}

func mergeForbidden(absorbed, survivor string) error {
	return apperr.Forbiddenf("this change would merge customer %s into %s: merging customers needs a key allowed to merge (admin)", absorbed, survivor)
}

// checkMerges refuses a planned batch that would merge profiles when ctx may not merge.
// Resolve calls it after planning and before the first write (the journal included), so
// a refused batch leaves nothing stored.
func checkMerges(ctx context.Context, p *resolve.Plan) error {
	if len(p.Merges) == 0 || MayMerge(ctx) {
		return nil
	}
	return mergeForbidden(p.Merges[0].Absorbed, p.Merges[0].Survivor)
}
