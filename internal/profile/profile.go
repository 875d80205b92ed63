// Package profile holds the customer profile model and survivorship: how a profile's
// traits are computed from the source records resolved into it, each value with its
// provenance.
package profile

import (
	"time"
)

// Traits are the person-level attributes of a profile or of one source record.
type Traits struct {
	FirstName  string         `bson:"firstName,omitempty"`
	LastName   string         `bson:"lastName,omitempty"`
	Emails     []string       `bson:"emails,omitempty"`
	Phones     []string       `bson:"phones,omitempty"`
	Addresses  []Address      `bson:"addresses,omitempty"`
	BirthDate  string         `bson:"birthDate,omitempty"`
	Locale     string         `bson:"locale,omitempty"`
	Attributes map[string]any `bson:"attributes,omitempty"`
}

// Address is a postal address; Postcode is kept as given, compared normalised.
type Address struct {
	Line1    string `bson:"line1,omitempty"`
	Line2    string `bson:"line2,omitempty"`
	City     string `bson:"city,omitempty"`
	Postcode string `bson:"postcode,omitempty"`
	Region   string `bson:"region,omitempty"`
	Country  string `bson:"country,omitempty"`
}

// IsZero reports an address with no field set.
func (a Address) IsZero() bool { return a == Address{} }

// Rule is a survivorship rule.
type Rule string

const (
	MostRecent     Rule = "MOST_RECENT"
	SourcePriority Rule = "SOURCE_PRIORITY"
	MostFrequent   Rule = "MOST_FREQUENT"
	FirstSeen      Rule = "FIRST_SEEN"
	Union          Rule = "UNION"
)

// Provenance tells where a trait value came from.
type Provenance struct {
	Field      string    `bson:"field"`
	Value      any       `bson:"value"`
	Source     string    `bson:"source"`
	RecordID   string    `bson:"recordId"`
	ReceivedAt time.Time `bson:"receivedAt"`
	Rule       Rule      `bson:"rule"`
}

// Invalid is a value that failed normalisation: kept and shown, never an identifier.
type Invalid struct {
	Field    string `bson:"field"`
	Value    string `bson:"value"`
	Reason   string `bson:"reason"`
	Source   string `bson:"source"`
	RecordID string `bson:"recordId"`
}

// Event kinds in a profile's merge history.
const (
	EventMerge   = "MERGE"
	EventUnmerge = "UNMERGE"
)

// MergeEvent is one entry of a profile's merge history.
type MergeEvent struct {
	At         time.Time `bson:"at"`
	Kind       string    `bson:"kind"`
	ProfileIDs []string  `bson:"profileIds"`
	// Into is the profile that absorbed ProfileIDs (MERGE events).
	Into     string `bson:"into,omitempty"`
	RecordID string `bson:"recordId,omitempty"`
	Rule     string `bson:"rule"`
	Actor    string `bson:"actor"`
}

// Profile is one real customer.
type Profile struct {
	ID        string    `bson:"_id"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
	// MergedInto is set on an absorbed profile; readers follow it to the survivor.
	MergedInto string `bson:"mergedInto,omitempty"`
	// Rev counts changes to the record set; trait recomputation writes only if it is
	// unchanged since it read the records (optimistic concurrency without transactions).
	Rev        int64        `bson:"rev"`
	Traits     Traits       `bson:"traits"`
	Provenance []Provenance `bson:"provenance,omitempty"`
	Invalid    []Invalid    `bson:"invalid,omitempty"`
	// Identifiers are the identity keys ("email:ann@example.com") owned by the profile.
	Identifiers []string `bson:"identifiers,omitempty"`
	// KeepApart lists profiles this one must never merge with (set by unmerge).
	KeepApart    []string     `bson:"keepApart,omitempty"`
	History      []MergeEvent `bson:"history,omitempty"`
	SearchTokens []string     `bson:"searchTokens,omitempty"`
	RecordCount  int          `bson:"recordCount"`
	// RecordIDs lists source records resolved into the profile at some time: a lookup
	// hint for databases that cannot query records by profileId cheaply (FerretDB scans).
	// It may hold records that moved on since; readers check the record's profileId.
	RecordIDs []string `bson:"recordIds,omitempty"`
}

// Identifier is a normalised identifying value of a record.
type Identifier struct {
	Type  string `bson:"type"`
	Value string `bson:"value"`
}

// Key is the identity document id: type and value.
func (i Identifier) Key() string { return i.Type + ":" + i.Value }

// Dropped is an identifier a record carried but that resolution did not use.
type Dropped struct {
	Identifier `bson:",inline"`
	Reason     string `bson:"reason"`
}

// Identity maps one identifier to the profile that owns it.
type Identity struct {
	ID        string    `bson:"_id"`
	Type      string    `bson:"type"`
	Value     string    `bson:"value"`
	ProfileID string    `bson:"profileId"`
	Sources   []string  `bson:"sources"`
	FirstSeen time.Time `bson:"firstSeen"`
}

// Record is a source record as received, with what normalisation made of it.
type Record struct {
	ID         string         `bson:"_id"` // source:externalId
	Source     string         `bson:"source"`
	ExternalID string         `bson:"externalId"`
	Payload    map[string]any `bson:"payload"`
	Hash       string         `bson:"hash"`
	ReceivedAt time.Time      `bson:"receivedAt"`
	ObservedAt time.Time      `bson:"observedAt"`
	// ProfileID is the profile the record is resolved into; OriginProfileID the first one
	// it ever was, so an unmerge can give split-off records their old id back.
	ProfileID       string       `bson:"profileId,omitempty"`
	OriginProfileID string       `bson:"originProfileId,omitempty"`
	Identifiers     []Identifier `bson:"identifiers,omitempty"`
	Dropped         []Dropped    `bson:"dropped,omitempty"`
	Traits          Traits       `bson:"traits"`
	Invalid         []Invalid    `bson:"invalid,omitempty"`
	// PinnedProfile attaches the record to a profile regardless of identifiers (edits
	// made on a profile through the API).
	PinnedProfile string `bson:"pinnedProfile,omitempty"`
	// IsNew marks a record not stored yet: ingest hands it to resolution, which inserts
	// it already resolved instead of inserting and then updating it.
	IsNew bool `bson:"-"`
}

// RecordID builds the record id from source and external id.
func RecordID(source, externalID string) string { return source + ":" + externalID }
