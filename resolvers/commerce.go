package resolvers

import (
	"context"
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

// CustomerRef names the customer of an order or interaction: a source record id, or an
// identifier (type and value).
type CustomerRef struct{ RecordID, Type, Value string }

// ResolvedRef is the profile (and the customer's source record) a ref resolved to, or
// why it did not.
type ResolvedRef struct {
	ProfileID, RecordID string
	Reason              string
}

// CustomerRefs resolves refs in a few batched lookups.
type CustomerRefs interface {
	Resolve(ctx context.Context, refs []CustomerRef) ([]ResolvedRef, error)
}

// Erasure reports a GDPR erasure.
type Erasure struct {
	ProfileIDs                              []string
	SourceRecords, Identities, Interactions int64
	OrdersAnonymised, Tickets               int64
}

// Eraser erases a customer.
type Eraser interface {
	Erase(ctx context.Context, id string) (Erasure, error)
}

// Limits of the commerce fields.
const (
	maxCommerceBatch = 1000
	maxOrdersPage    = 100
	maxTimelinePage  = 200
)

// toCustomerRef checks that a ref names the customer one way.
func toCustomerRef(in *model.CustomerRefInput) (CustomerRef, string) {
	if in == nil {
		return CustomerRef{}, ""
	}
	ref := CustomerRef{RecordID: strings.TrimSpace(val(in.RecordID)), Type: strings.TrimSpace(val(in.Type)), Value: val(in.Value)}
	switch {
	case ref.RecordID != "" && ref.Type == "" && ref.Value == "":
		if !strings.Contains(ref.RecordID, ":") {
			return ref, "customer.recordId must be source:externalId"
		}
	case ref.RecordID == "" && ref.Type != "" && strings.TrimSpace(ref.Value) != "":
	default:
		return ref, "customer needs either recordId, or type and value"
	}
	return ref, ""
}

// checkBatch validates what applies to the whole batch.
func (r *Resolver) checkBatch(ctx context.Context, source string, n int) error {
	if n > maxCommerceBatch {
		return apperr.Invalidf("at most %d rows per batch, got %d", maxCommerceBatch, n)
	}
	_, err := r.Ingest.Source(ctx, source)
	return err
}

// resolveRows resolves the customer refs of the rows still accepted (reason "").
func (r *Resolver) resolveRows(ctx context.Context, refs []CustomerRef, reasons []string, need func(i int) bool) ([]ResolvedRef, error) {
	var ask []CustomerRef
	var at []int
	for i, ref := range refs {
		if reasons[i] == "" && need(i) {
			ask = append(ask, ref)
			at = append(at, i)
		}
	}
	out := make([]ResolvedRef, len(refs))
	if len(ask) == 0 {
		return out, nil
	}
	got, err := r.Refs.Resolve(ctx, ask)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = got[j]
		if got[j].Reason != "" {
			reasons[i] = got[j].Reason
		}
	}
	return out, nil
}

// rankedCustomers lists customers with commerce data in a value order, restricted by
// the text query and filters.
func (r *Resolver) rankedCustomers(ctx context.Context, query string, filter *model.CustomerFilter, orderBy *model.CustomerOrder, n int, after string) (*model.CustomerConnection, error) {
	pg, ps, err := r.C360.RankedCustomers(ctx, convert.ToRankRequest(query, filter, orderBy, n, after))
	if err != nil {
		return nil, err
	}
	return convert.ToRankedConnection(pg, ps), nil
}
