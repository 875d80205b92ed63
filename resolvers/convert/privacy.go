package convert

import (
	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/privacy"
)

func ToSuppression(s privacy.Suppression) *model.Suppression {
	return &model.Suppression{Hash: s.Hash, Type: s.Type, CreatedAt: s.CreatedAt, Actor: s.Actor}
}
