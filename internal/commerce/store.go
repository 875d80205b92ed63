package commerce

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// Store is what the commerce domain needs from the database. Every method is one or a
// few batched round trips; reads and writes by id are bare-_id point operations where
// only those avoid a scan (FerretDB).
type Store interface {
	GetOrders(ctx context.Context, ids []string) ([]Order, error)
	// InsertOrders inserts orders in bulk, skipping those whose id is taken; it returns
	// the ids it skipped.
	InsertOrders(ctx context.Context, os []Order) (existing []string, err error)
	// ReplaceOrders replaces orders by id (inserting those that are missing).
	ReplaceOrders(ctx context.Context, os []Order) error
	OrdersOfProfiles(ctx context.Context, profileIDs []string) ([]Order, error)
	// InsertInteractions inserts interactions, skipping ids that exist; it returns the ids
	// it inserted.
	InsertInteractions(ctx context.Context, is []Interaction) (inserted []string, err error)
	// GetInteractions reads interactions by id; missing ids are left out.
	GetInteractions(ctx context.Context, ids []string) ([]Interaction, error)
	InteractionsOfProfiles(ctx context.Context, profileIDs []string) ([]Interaction, error)
	// MoveProfiles re-points every order and interaction of the from profiles to to.
	MoveProfiles(ctx context.Context, from []string, to string) error
	// SetProfiles re-points single orders and interactions (id -> profile id).
	SetProfiles(ctx context.Context, orders, interactions map[string]string) error
	// CommerceProfiles lists the distinct profile ids that orders and interactions use.
	CommerceProfiles(ctx context.Context) ([]string, error)

	// LockMetrics serialises, within the process, the read-modify-write of metrics
	// documents and ledger buckets where updates are not atomic (FerretDB), and returns
	// its release; elsewhere it does nothing. Hold it from GetMetrics to SaveMetrics.
	LockMetrics() (unlock func())
	// ChangeLedger applies changes to ledger buckets (creating missing ones that get an
	// entry) and returns each bucket as it is after its change; a bucket that does not
	// exist and only loses entries is left out.
	ChangeLedger(ctx context.Context, cs []ledger.LedgerChange) ([]ledger.Bucket, error)
	// GetBuckets reads ledger buckets; missing ones are left out.
	GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error)
	// GetMetrics reads metrics documents with their period summaries (no ledger);
	// missing ids are left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]ledger.Metrics, error)
	// SaveMetrics writes metrics documents (aggregates and period summaries; RFM scores
	// are left as they are) and bumps their rev. Where updates are atomic it writes only
	// if each document's rev is still Prev (New: the document must not exist) and
	// reports whether any write lost such a race; elsewhere the caller holds
	// LockMetrics since it read them, and it writes by _id.
	SaveMetrics(ctx context.Context, ws []MetricsWrite) (conflict bool, err error)
	// DeleteMetrics deletes ledger buckets, then the metrics documents of profiles.
	DeleteMetrics(ctx context.Context, profileIDs []string, buckets []ledger.BucketKey) error
	// MetricsPage lists metrics without period summaries, by profile id after after.
	MetricsPage(ctx context.Context, after string, limit int) ([]ledger.Metrics, error)
	SetRFM(ctx context.Context, scores map[string]ledger.RFM) error

	// RecordProfiles returns the profile of each source record (records without one are
	// left out); MergedInto the survivor of each absorbed profile among ids.
	RecordProfiles(ctx context.Context, recordIDs []string) (map[string]string, error)
	MergedInto(ctx context.Context, profileIDs []string) (map[string]string, error)
}

// MetricsWrite is one write of a metrics document, compare-and-set on rev where
// updates are atomic.
type MetricsWrite struct {
	M    ledger.Metrics
	Prev int64
	New  bool
}
