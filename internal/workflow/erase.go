package workflow

import (
	"context"
	"errors"
)

// Erasure reports a GDPR erasure: the profiles erased (the live one and those merged
// into it) and what went with them.
type Erasure struct {
	ProfileIDs                              []string
	SourceRecords, Identities, Interactions int64
	OrdersAnonymised, Tickets               int64
}

// EraseFunc erases a live customer across every domain (identity, commerce, tickets,
// matching, segments) in journaled, idempotent steps.
type EraseFunc func(ctx context.Context, id string) (Erasure, error)

// Erase erases a live customer (see eraseCustomer in the schema). Commerce needs no
// step of its own: the interaction lists live on the metrics documents the erasure
// deletes.
func (s *Service) Erase(ctx context.Context, id string) (Erasure, error) {
	if s.Eraser == nil {
		return Erasure{}, errors.New("workflow: no eraser configured")
	}
	return s.Eraser(ctx, id)
}
