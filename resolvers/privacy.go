package resolvers

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/privacy"
)

// Privacy serves GDPR access requests and the suppression list that erasure fills.
type Privacy interface {
	// ExportCustomerData returns everything held about a customer as one JSON object.
	ExportCustomerData(ctx context.Context, id string) (map[string]any, error)
	// Suppressions pages the list, newest first; after is the hash of the last entry.
	Suppressions(ctx context.Context, after string, limit int) ([]privacy.Suppression, error)
	// LiftSuppression takes an identifier (type and value, normalised as ingestion
	// does) off the list; NOT_FOUND if it is not on it.
	LiftSuppression(ctx context.Context, typ, value string) (privacy.Suppression, error)
}
