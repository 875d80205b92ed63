// Package ingest takes records from sources, keeps them as received, normalises them
// and hands them to identity resolution in batches.
package ingest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
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
	// Revision counts the source's updates (UpdateSource); MappingRev those that changed
	// its mappings, which records are hashed with (RecordHash).
	Revision   int64 `bson:"revision,omitempty"`
	MappingRev int64 `bson:"mappingRev,omitempty"`
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
	for _, f := range sortedKeys(s.IdentifierFields) {
		if err := checkMapping(fmt.Sprintf("identifierFields[%q]", f), f, s.IdentifierFields[f], checkIdentifierType); err != nil {
			return err
		}
	}
	for _, f := range sortedKeys(s.TraitFields) {
		if err := checkMapping(fmt.Sprintf("traitFields[%q]", f), f, s.TraitFields[f], checkTraitTarget); err != nil {
			return err
		}
	}
	return nil
}

// IdentifierTypes are the identifier types Tessera normalises and has rules for. Other
// lowercase names (loyalty_card, ssn) are custom types, compared as sent.
var IdentifierTypes = []string{"email", "phone", "customer_id"}

// Mapping is one payload field mapping as given, in order.
type Mapping struct{ Field, Target string }

// IdentifierMappings checks identifier mappings given as a list (the API input at path,
// e.g. "input.identifierFields") and returns them as a map; an error names the entry.
func IdentifierMappings(path string, ms []Mapping) (map[string]string, error) {
	return mappingsOf(path, ms, checkIdentifierType)
}

// TraitMappings is IdentifierMappings for trait mappings; nil stays nil (the defaults).
func TraitMappings(path string, ms []Mapping) (map[string]string, error) {
	if ms == nil {
		return nil, nil
	}
	return mappingsOf(path, ms, checkTraitTarget)
}

func mappingsOf(path string, ms []Mapping, check func(string) string) (map[string]string, error) {
	out := make(map[string]string, len(ms))
	for i, m := range ms {
		at := fmt.Sprintf("%s[%d]", path, i)
		if err := checkMapping(at, m.Field, m.Target, check); err != nil {
			return nil, err
		}
		if _, dup := out[m.Field]; dup {
			return nil, apperr.Invalidf("%s.field: %q is mapped twice", at, m.Field)
		}
		out[m.Field] = m.Target
	}
	return out, nil
}

// checkMapping checks one mapping; at is its path for the message.
func checkMapping(at, field, target string, check func(string) string) error {
	if why := FieldNameProblem(field); why != "" {
		return apperr.Invalidf("%s.field %q: %s", at, field, why)
	}
	if why := check(target); why != "" {
		return apperr.Invalidf("%s.target %q: %s", at, target, why)
	}
	return nil
}

// FieldNameProblem says why a payload field name cannot be used ("" if it can): payload
// fields are document keys, so the rule is that of record payloads.
func FieldNameProblem(f string) string {
	switch {
	case f == "":
		return "a field name is required"
	case !utf8.ValidString(f):
		return "not valid UTF-8"
	case len(f) > 128:
		return "longer than 128 bytes"
	case strings.HasPrefix(f, "$"):
		return "a field name may not start with $"
	case strings.Contains(f, "."):
		return "a field name may not contain a dot (the database reads it as a path)"
	case strings.ContainsFunc(f, unicode.IsControl):
		return "a field name may not contain control characters"
	}
	return ""
}

func checkIdentifierType(t string) string {
	if slices.Contains(IdentifierTypes, t) {
		return ""
	}
	builtIn := strings.Join(IdentifierTypes, ", ")
	if !idTypeRe.MatchString(t) {
		return fmt.Sprintf("an identifier type is one of %s, or a custom type of lowercase letters, digits and _", builtIn)
	}
	if near := nearIdentifierType(t); near != "" {
		return fmt.Sprintf("unknown identifier type: did you mean %q? Valid types are %s, or a custom type (such as loyalty_card) that is not a variant of these", near, builtIn)
	}
	return ""
}

// identifierAliases are custom type names that are almost surely meant as a built-in one.
var identifierAliases = map[string]string{
	"mail": "email", "e_mail": "email", "email_address": "email", "emailaddress": "email", "emails": "email",
	"phone_number": "phone", "phonenumber": "phone", "mobile": "phone", "tel": "phone", "telephone": "phone", "cell": "phone", "phones": "phone",
	"customerid": "customer_id", "customer": "customer_id", "customer_no": "customer_id", "customer_number": "customer_id", "cust_id": "customer_id",
}

// nearIdentifierType returns the built-in type t is probably a misspelling of, or "".
func nearIdentifierType(t string) string {
	if a, ok := identifierAliases[t]; ok {
		return a
	}
	for _, b := range IdentifierTypes {
		if levenshtein.ComputeDistance(t, b) <= 2 {
			return b
		}
	}
	return ""
}

func checkTraitTarget(t string) string {
	if slices.Contains(traitTargets, t) || strings.HasPrefix(t, "attributes.") && FieldNameProblem(strings.TrimPrefix(t, "attributes.")) == "" {
		return ""
	}
	return fmt.Sprintf("unknown trait: use one of %s, or attributes.NAME", strings.Join(traitTargets, ", "))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Store persists sources, records and jobs.
type Store interface {
	CreateSource(ctx context.Context, s Source) error
	GetSource(ctx context.Context, name string) (Source, error)
	ListSources(ctx context.Context) ([]Source, error)
	// ReplaceSource writes s if the stored revision is still prevRevision (else an
	// apperr.Conflict; an unknown name is apperr.NotFound), and keeps the source
	// priorities the identity graph reads in step (UpdateSource).
	ReplaceSource(ctx context.Context, s Source, prevRevision int64) error
	GetRecords(ctx context.Context, ids []string) ([]profile.Record, error)
	// MaybeRecords leaves out ids that certainly have no record (a hint that may keep
	// missing ones: resolution's inserts still detect a record stored meanwhile).
	MaybeRecords(ids []string) []string
	CreateJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, id string) (Job, error)
	ListJobs(ctx context.Context, limit int) ([]Job, error)
	AddJobCounts(ctx context.Context, id string, c Counts, at time.Time) error
	FinishJob(ctx context.Context, id string, at time.Time) (Job, error)
	// MarkJobsInterrupted marks every job not done as interrupted.
	MarkJobsInterrupted(ctx context.Context) error
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
	ID     string `bson:"_id"`
	Source string `bson:"source"`
	Done   bool   `bson:"done"`
	// Interrupted is set at start on jobs left running by a process that stopped; the
	// job's next batch (the importer re-sending) sets it back to running.
	Interrupted bool       `bson:"interrupted,omitempty"`
	Total       *int       `bson:"total,omitempty"`
	Counts      Counts     `bson:"counts"`
	StartedAt   time.Time  `bson:"startedAt"`
	UpdatedAt   time.Time  `bson:"updatedAt"`
	FinishedAt  *time.Time `bson:"finishedAt,omitempty"`
}

// Suppressions is the list of identifiers of erased people (the privacy store).
type Suppressions interface {
	// Suppressed returns the identity keys among keys that are on the suppression list,
	// with point reads.
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}
