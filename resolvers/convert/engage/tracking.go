package engage

import (
	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/tracking"
)

// ToWriteKey is a write key as GraphQL shows it (never its secret).
func ToWriteKey(k tracking.WriteKey) *model.WriteKey {
	return &model.WriteKey{ID: k.ID, Source: k.Source, Prefix: k.Prefix, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}
