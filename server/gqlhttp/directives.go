package gqlhttp

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/identity"
)

// AuthDirective implements @auth(roles): the caller's key must have one of the roles.
func AuthDirective(ctx context.Context, _ any, next graphql.Resolver, roles []model.Role) (any, error) {
	rs := make([]auth.Role, len(roles))
	for i, r := range roles {
		rs[i] = auth.Role(strings.ToLower(string(r)))
	}
	if _, err := auth.Require(ctx, rs...); err != nil {
		return nil, err
	}
	// Graph changes made by this field (merges by resolution, edits) name the key.
	return next(identity.WithActor(ctx, auth.Actor(ctx)))
}
