package identity

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// Store is what resolution needs from the database. Every method is a single batched
// round trip (or a few), never one per record.
type Store interface {
	GetIdentities(ctx context.Context, keys []string) ([]profile.Identity, error)
	// MaybeIdentities leaves out keys that certainly have no identity document (a hint
	// that may keep missing ones: claims still detect a key taken meanwhile).
	MaybeIdentities(keys []string) []string
	IdentitiesOfProfiles(ctx context.Context, ids []string) ([]profile.Identity, error)
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
	// InsertProfiles creates profile documents; ids that exist already are skipped.
	InsertProfiles(ctx context.Context, ps []profile.Profile) error
	// DeleteProfiles removes new profiles that nothing points to (lost every claim).
	DeleteProfiles(ctx context.Context, ids []string) error
	// InsertRecords stores records seen for the first time, already resolved. It returns
	// the ids of those another writer had stored first (overwritten with this version).
	InsertRecords(ctx context.Context, rs []profile.Record) (dups []string, err error)
	// UpsertRecords stores new content of known records; it never changes their profile.
	UpsertRecords(ctx context.Context, rs []profile.Record) error
	GetRecords(ctx context.Context, ids []string) ([]profile.Record, error)
	// IncSourceRecords adds to the record counts of sources; RecountSourceRecords sets
	// them to what is stored (after a crash, when increments may be lost).
	IncSourceRecords(ctx context.Context, name string, n int64) error
	RecountSourceRecords(ctx context.Context, names []string) error
	// PutJournal writes (or replaces) a change's journal; DeleteJournal ends it.
	PutJournal(ctx context.Context, j Journal) error
	DeleteJournal(ctx context.Context, id string) error
	GetJournal(ctx context.Context, id string) (Journal, bool, error)
	// Journals lists journals written before the given time, oldest first.
	Journals(ctx context.Context, before time.Time) ([]Journal, error)
	// ClaimIdentities inserts identity documents; it returns the keys that another
	// writer owns already (unique _id), having inserted the rest.
	ClaimIdentities(ctx context.Context, ids []profile.Identity) (taken []string, err error)
	AddIdentitySources(ctx context.Context, sources map[string][]string) error
	// SetIdentityOwners points identities at profiles, creating missing ones.
	SetIdentityOwners(ctx context.Context, ids []profile.Identity) error
	// MarkMerged sets absorbed.mergedInto = survivor unless it is set already.
	MarkMerged(ctx context.Context, absorbed, survivor string, at time.Time) (bool, error)
	// Repoint moves identities and records of the given profiles to another profile (and
	// their RecordIDs hints with them); keys names identities to check besides those the
	// profiles' documents list (claims of the same batch, not listed yet).
	Repoint(ctx context.Context, from []string, to string, keys []string) error
	AssignRecords(ctx context.Context, as []Assignment) error
	UpdateProfiles(ctx context.Context, ds []Delta) error
	// ReplaceProfiles writes whole profile documents (used by unmerge).
	ReplaceProfiles(ctx context.Context, ps []profile.Profile) error
	RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error)
	// SaveComputed writes computed traits of profiles whose rev is unchanged; it returns
	// the ids whose rev moved on meanwhile.
	SaveComputed(ctx context.Context, ps []profile.Profile) (stale []string, err error)
	SourcePriorities(ctx context.Context) (map[string]int, error)
}

// Assignment resolves one record into a profile.
type Assignment struct {
	RecordID  string
	ProfileID string
	// Origin is set only the first time a record is resolved.
	Origin  string
	Dropped []profile.Dropped
}

// Delta is an incremental change of a profile document; it always bumps rev.
type Delta struct {
	ID             string
	AddIdentifiers []string
	AddKeepApart   []string
	// AddRecords extends the profile's RecordIDs hint.
	AddRecords []string
	History    []profile.MergeEvent
	At         time.Time
}
