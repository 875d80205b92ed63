// Package ingest takes records from sources, keeps them as received, normalises them
// and hands them to identity resolution in batches.
package ingest

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Kinds of sources.
var Kinds = []string{"WEB_SHOP", "NEWSLETTER", "SUPPORT_DESK", "POINT_OF_SALE", "CRM", "API", "OTHER"}

// ManualSource is the built-in source of edits made through the API.
const ManualSource = "manual"

// Source is a system that sends customer records.
type Source struct {
	Name     string `bson:"_id"`
	Kind     string `bson:"kind"`
	Priority int    `bson:"priority"`
	// IdentifierFields maps payload fields to identifier types (email, phone, customer_id...).
	IdentifierFields map[string]string `bson:"identifierFields"`
	// TraitFields maps payload fields to traits; unmapped fields become attributes.
	TraitFields map[string]string `bson:"traitFields,omitempty"`
	RecordCount int64             `bson:"recordCount"`
	CreatedAt   time.Time         `bson:"createdAt"`
}

// Traits a payload field can map to. "address." fields fill one postal address;
// "attributes.X" keeps a custom attribute; "name" is split into first and last name.
var traitTargets = []string{"firstName", "lastName", "name", "email", "phone", "birthDate", "locale",
	"address.line1", "address.line2", "address.city", "address.postcode", "address.region", "address.country"}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
var idTypeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Validate checks a source definition.
func (s *Source) Validate() error {
	if !nameRe.MatchString(s.Name) {
		return apperr.Invalidf("source name %q: use 1-64 lowercase letters, digits, - or _", s.Name)
	}
	if !slices.Contains(Kinds, s.Kind) {
		return apperr.Invalidf("unknown source kind %q", s.Kind)
	}
	if len(s.IdentifierFields) == 0 {
		return apperr.Invalidf("source %s needs at least one identifier field", s.Name)
	}
	for f, t := range s.IdentifierFields {
		if f == "" || !idTypeRe.MatchString(t) {
			return apperr.Invalidf("identifier mapping %q -> %q: type must be lowercase letters, digits or _", f, t)
		}
	}
	for f, t := range s.TraitFields {
		if f == "" || !(slices.Contains(traitTargets, t) || strings.HasPrefix(t, "attributes.") && len(t) > len("attributes.")) {
			return apperr.Invalidf("trait mapping %q -> %q: unknown trait (one of %s, or attributes.NAME)", f, t, strings.Join(traitTargets, ", "))
		}
	}
	return nil
}

// Store persists sources, records and jobs.
type Store interface {
	CreateSource(ctx context.Context, s Source) error
	GetSource(ctx context.Context, name string) (Source, error)
	ListSources(ctx context.Context) ([]Source, error)
	IncSourceRecords(ctx context.Context, name string, n int64) error
	GetRecords(ctx context.Context, ids []string) ([]profile.Record, error)
	// UpsertRecords stores records as received; it never changes their profile.
	UpsertRecords(ctx context.Context, rs []profile.Record) error
	CreateJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, id string) (Job, error)
	ListJobs(ctx context.Context, limit int) ([]Job, error)
	AddJobCounts(ctx context.Context, id string, c Counts, at time.Time) error
	FinishJob(ctx context.Context, id string, at time.Time) (Job, error)
}

// Counts of one ingest call or job.
type Counts struct {
	Created   int `bson:"created"`
	Updated   int `bson:"updated"`
	Unchanged int `bson:"unchanged"`
	Merged    int `bson:"merged"`
	Rejected  int `bson:"rejected"`
}

// Processed is every record counted.
func (c Counts) Processed() int { return c.Created + c.Updated + c.Unchanged + c.Rejected }

// Job follows a long import made of many batches.
type Job struct {
	ID         string     `bson:"_id"`
	Source     string     `bson:"source"`
	Done       bool       `bson:"done"`
	Total      *int       `bson:"total,omitempty"`
	Counts     Counts     `bson:"counts"`
	StartedAt  time.Time  `bson:"startedAt"`
	UpdatedAt  time.Time  `bson:"updatedAt"`
	FinishedAt *time.Time `bson:"finishedAt,omitempty"`
}
