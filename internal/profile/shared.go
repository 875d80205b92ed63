package profile

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/reqmemo"
)

// ReadShared reads profiles for a read-only view through the request's memo
// (reqmemo): the fields of one query that need the same profile (the customer itself,
// its identities, source records and tickets) read it once. get is the store's read.
func ReadShared(ctx context.Context, ids []string, get func(context.Context, []string) ([]Profile, error)) ([]Profile, error) {
	return reqmemo.Read(ctx, "profile.profiles", ids, get, func(p Profile) string { return p.ID })
}
