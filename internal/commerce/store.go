package commerce

import (
	"context"
	"time"
)

// Store is what the commerce domain needs from the database. Every method is one or a
// few batched round trips.
type Store interface {
	GetOrders(ctx context.Context, ids []string) ([]Order, error)
	// PutOrders inserts new orders and replaces changed ones (an insert that finds the id
	// taken replaces it).
	PutOrders(ctx context.Context, inserts, replaces []Order) error
	OrdersOfProfiles(ctx context.Context, profileIDs []string) ([]Order, error)
	// InsertInteractions inserts interactions, skipping ids that exist; it returns the ids
	// it inserted.
	InsertInteractions(ctx context.Context, is []Interaction) (inserted []string, err error)
	InteractionsOfProfiles(ctx context.Context, profileIDs []string) ([]Interaction, error)
	// OrderPage and InteractionPage return one profile's items newest first (time, then
	// id descending) from position q.Before, at most q.Limit.
	OrderPage(ctx context.Context, profileID string, q PageQuery) ([]Order, error)
	InteractionPage(ctx context.Context, profileID string, q PageQuery) ([]Interaction, error)
	// MoveProfiles re-points every order and interaction of the from profiles to to.
	MoveProfiles(ctx context.Context, from []string, to string) error
	// SetProfiles re-points single orders and interactions (id -> profile id).
	SetProfiles(ctx context.Context, orders, interactions map[string]string) error
	// CommerceProfiles lists the distinct profile ids that orders and interactions use.
	CommerceProfiles(ctx context.Context) ([]string, error)

	// GetMetrics reads metrics documents with their ledgers; missing ids are left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]Metrics, error)
	// SaveMetrics writes order aggregates and ledgers (and, with Full, the interaction
	// fields too) if each document's rev is still Prev (New: the document must not
	// exist). It bumps rev and reports whether any write lost such a race.
	SaveMetrics(ctx context.Context, ws []MetricsWrite) (conflict bool, err error)
	// AddInteractionStats adds counts and raises last-interaction times.
	AddInteractionStats(ctx context.Context, st []InteractionStat) error
	DeleteMetrics(ctx context.Context, profileIDs []string) error
	// MetricsPage lists metrics without ledgers, by profile id after after.
	MetricsPage(ctx context.Context, after string, limit int) ([]Metrics, error)
	SetRFM(ctx context.Context, scores map[string]RFM) error

	// RecordProfiles returns the profile of each source record (records without one are
	// left out); MergedInto the survivor of each absorbed profile among ids.
	RecordProfiles(ctx context.Context, recordIDs []string) (map[string]string, error)
	MergedInto(ctx context.Context, profileIDs []string) (map[string]string, error)
}

// MetricsWrite is one compare-and-set write of a metrics document.
type MetricsWrite struct {
	M    Metrics
	Prev int64
	New  bool
	Full bool
}

// InteractionStat is an increment of a profile's interaction metrics.
type InteractionStat struct {
	ProfileID string
	Count     int
	LastAt    time.Time
}

// PageQuery selects one page of a profile's timeline items of one collection: items
// before (Before, BeforeID) in newest-first order, i.e. at < Before, or at == Before and
// (Inclusive or id < BeforeID). A zero Before means from the newest.
type PageQuery struct {
	Limit     int
	Before    time.Time
	BeforeID  string
	Inclusive bool
	// Filters; empty means any.
	Channels []string
	Types    []string // interactions: type
	Statuses []string // orders: status
}

// InteractionIndex keeps, on each profile's metrics document, the ids of the profile's
// interactions (the ledger lists its orders), so that following a merge or an unmerge
// reads a profile's orders and interactions by _id instead of searching the collections
// by profile. Service.Index is optional: without it interactions are found by profile.
type InteractionIndex interface {
	// AddInteractionIDs adds interaction ids to profiles' lists (profile id -> ids),
	// creating a profile's metrics document (rev 0) if it has none; adding an id twice
	// is a no-op. Ids of interactions that moved away since stay listed: readers check
	// each interaction's profile.
	AddInteractionIDs(ctx context.Context, byProfile map[string][]string) error
	// InteractionIDs reads the lists of profiles by _id; profiles without a list are
	// left out.
	InteractionIDs(ctx context.Context, profileIDs []string) (map[string][]string, error)
	// GetInteractions reads interactions by _id; missing ids are left out.
	GetInteractions(ctx context.Context, ids []string) ([]Interaction, error)
}
