// Package matchjob runs the probabilistic matcher (internal/matching) over customer
// profiles: pairs that score above the upper threshold are merged through the identity
// engine (undoable with Unmerge), pairs between the thresholds become suggestions for a
// person to accept or reject, and rejections are remembered for good.
//
// A run reads the live profiles in pages, maps each to a matching.Record, and either
// matches them all (training the Fellegi-Sunter model by EM) or, for an incremental or
// a source-filtered run with a model from an earlier run, compares only the focus
// profiles (changed since the last run, or holding records of a source) with the
// profiles sharing a blocking key with them. Progress is kept in a job document.
package matchjob

import (
	"context"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/estimate"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// SuggestionStatus is the review state of a suggestion.
type SuggestionStatus string

const (
	Pending  SuggestionStatus = "PENDING"
	Accepted SuggestionStatus = "ACCEPTED"
	Rejected SuggestionStatus = "REJECTED"
)

// JobStatus is the state of a match job.
type JobStatus string

const (
	Running   JobStatus = "RUNNING"
	Succeeded JobStatus = "SUCCEEDED"
	Failed    JobStatus = "FAILED"
)

// Phase is the step a running job is in; Processed and Total count within the phase.
type Phase string

const (
	PhaseLoading   Phase = "LOADING"   // reading profiles: processed/total profiles
	PhaseComparing Phase = "COMPARING" // scoring candidate pairs: processed/total pairs
	PhaseApplying  Phase = "APPLYING"  // merging and suggesting: processed/total scored pairs
	PhaseDone      Phase = "DONE"
)

// Decisions a suggestion records: REVIEW scored between the thresholds; AUTO scored
// above the upper one but was not merged (dry run, or held back, see Note).
const (
	DecisionReview = "REVIEW"
	DecisionAuto   = "AUTO"
)

// Evidence is one field's contribution to a pair's score, with both values as the
// profiles had them when the pair was scored (A is the suggestion's A side).
type Evidence struct {
	Field  string  `bson:"field"`
	A      string  `bson:"a"`
	B      string  `bson:"b"`
	Level  string  `bson:"level"`  // comparison level, e.g. "exact", "close", "missing"
	Weight float64 `bson:"weight"` // log2 Bayes factor
}

// Suggestion is a pair of profiles that may be one customer.
type Suggestion struct {
	ID string `bson:"_id"` // PairID(A, B)
	// A and B are the profiles as suggested, A < B.
	A           string           `bson:"a"`
	B           string           `bson:"b"`
	Status      SuggestionStatus `bson:"status"`
	Probability float64          `bson:"probability"`
	Weight      float64          `bson:"weight"` // log2 odds of a match, prior included
	Decision    string           `bson:"decision"`
	Note        string           `bson:"note,omitempty"`
	Evidence    []Evidence       `bson:"evidence"`
	RunID       string           `bson:"runId"`
	CreatedAt   time.Time        `bson:"createdAt"`
	UpdatedAt   time.Time        `bson:"updatedAt"`
	// Set when decided.
	DecidedBy string     `bson:"decidedBy,omitempty"`
	DecidedAt *time.Time `bson:"decidedAt,omitempty"`
	Reason    string     `bson:"reason,omitempty"`
	Survivor  string     `bson:"survivor,omitempty"`

	// Resolved when read through the Service: the live profiles A and B are part of
	// now (a side may have been merged into another profile since), and whether they
	// are one profile already.
	CurrentA    string `bson:"-"`
	CurrentB    string `bson:"-"`
	SameProfile bool   `bson:"-"`
}

// Rejection remembers that two profiles are not the same customer. It is checked by
// the profiles A and B are part of at the time of each run, so it still holds after
// either side was merged into another profile.
type Rejection struct {
	ID           string    `bson:"_id"` // PairID(A, B)
	A            string    `bson:"a"`
	B            string    `bson:"b"`
	SuggestionID string    `bson:"suggestionId,omitempty"`
	Probability  float64   `bson:"probability"`
	By           string    `bson:"by"`
	Reason       string    `bson:"reason,omitempty"`
	At           time.Time `bson:"at"`
}

// SkippedPair is a pair above the upper threshold that was not merged.
type SkippedPair struct {
	A           string  `bson:"a"`
	B           string  `bson:"b"`
	Probability float64 `bson:"probability"`
	Reason      string  `bson:"reason"`
}

// Options of one run.
type Options struct {
	// Incremental compares only profiles created or updated since the last successful
	// full or incremental run (not dry, not source-filtered) with the rest, using that
	// run's model. Without such a run it is a full run.
	Incremental bool `bson:"incremental"`
	// SourceFilter keeps only pairs where at least one side holds records of the source.
	SourceFilter string `bson:"sourceFilter,omitempty"`
	// DryRun writes suggestions only: pairs above the upper threshold become
	// suggestions with Decision AUTO instead of being merged.
	DryRun bool `bson:"dryRun"`
	// Upper and Lower override the service's thresholds when not zero.
	Upper float64 `bson:"upper,omitempty"`
	Lower float64 `bson:"lower,omitempty"`
	// Actor is recorded on automatic merges (default "matcher").
	Actor string `bson:"actor,omitempty"`
}

// MaxSkippedPairs bounds the skipped pairs a job document lists (SkippedCount counts all).
const MaxSkippedPairs = 100

// Job is one run: its document in match_jobs is updated at most every
// Service.ProgressInterval while it runs.
type Job struct {
	ID        string    `bson:"_id"`
	Status    JobStatus `bson:"status"`
	Phase     Phase     `bson:"phase"`
	Processed int       `bson:"processed"`
	Total     int       `bson:"total"`
	Options   Options   `bson:"options"`
	// Upper and Lower are the thresholds in use.
	Upper float64 `bson:"upper"`
	Lower float64 `bson:"lower"`
	// Profiles is the number of live profiles read; Focus the number compared with the
	// rest in an incremental or source-filtered run (0 in a full run).
	Profiles int `bson:"profiles"`
	Focus    int `bson:"focus"`
	// Incremental tells whether only focus profiles were compared, with the model of
	// job ModelFrom (an incremental run without an earlier run matches everything).
	Incremental   bool          `bson:"incremental"`
	ModelFrom     string        `bson:"modelFrom,omitempty"`
	PairsCompared int           `bson:"pairsCompared"`
	PairsScored   int           `bson:"pairsScored"` // pairs at or above the lower threshold
	AutoMerged    int           `bson:"autoMerged"`
	Suggested     int           `bson:"suggested"`
	KnownRejected int           `bson:"knownRejected"` // pairs not suggested again because rejected before
	SkippedCount  int           `bson:"skippedCount"`
	Skipped       []SkippedPair `bson:"skipped,omitempty"`
	// Closed counts pending suggestions closed because their sides became one profile.
	Closed int `bson:"closed"`
	// Suppressed counts profiles left out because they carry an identifier on the
	// suppression list (of an erased person): they are never suggested or merged.
	Suppressed int    `bson:"suppressed"`
	Error      string `bson:"error,omitempty"`
	// Baseline jobs (succeeded, not dry, not source-filtered) are what an incremental
	// run compares against: profiles updated at or after Watermark are new to it.
	Baseline   bool       `bson:"baseline"`
	Watermark  time.Time  `bson:"watermark"`
	StartedAt  time.Time  `bson:"startedAt"`
	UpdatedAt  time.Time  `bson:"updatedAt"`
	FinishedAt *time.Time `bson:"finishedAt,omitempty"`
	// Model is the trained model, reused by incremental and source-filtered runs.
	Model *estimate.Model `bson:"model,omitempty"`
}

// Store is what matching needs from the database.
type Store interface {
	// CountLiveProfiles counts profiles that were not merged into another.
	CountLiveProfiles(ctx context.Context) (int, error)
	// LiveProfiles reads the profiles that were not merged (traits, keepApart and
	// updatedAt are enough) with one query, handing them to fn in batches of up to
	// batch profiles; an error from fn stops the read.
	LiveProfiles(ctx context.Context, batch int, fn func([]profile.Profile) error) error
	// GetProfiles reads profiles by id (missing ones are left out).
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
	// ProfileIDsOfSource lists the profiles the records of a source are resolved into.
	ProfileIDsOfSource(ctx context.Context, source string) ([]string, error)

	// UpsertSuggestions writes suggestions as PENDING, keeping CreatedAt of existing ones
	// and clearing their decision.
	UpsertSuggestions(ctx context.Context, ss []Suggestion) error
	GetSuggestions(ctx context.Context, ids []string) ([]Suggestion, error)
	// ListSuggestions pages suggestions of a status ("" = any), most probable first, then
	// by id; after is the id of the last suggestion of the previous page; limit 0 = all.
	ListSuggestions(ctx context.Context, status SuggestionStatus, after string, limit int) ([]Suggestion, error)
	// DecideSuggestion writes status and decision fields if the suggestion is still
	// PENDING; it reports whether it was.
	DecideSuggestion(ctx context.Context, s Suggestion) (bool, error)
	// DeleteSuggestions deletes suggestions by id.
	DeleteSuggestions(ctx context.Context, ids []string) error

	// AddRejection stores a rejection (an existing one for the pair is replaced).
	AddRejection(ctx context.Context, r Rejection) error
	Rejections(ctx context.Context) ([]Rejection, error)

	// SaveMatchJob writes the whole job document.
	SaveMatchJob(ctx context.Context, j Job) error
	GetMatchJob(ctx context.Context, id string) (Job, error)
	// ListMatchJobs lists the newest jobs first.
	ListMatchJobs(ctx context.Context, limit int) ([]Job, error)
	RunningMatchJobs(ctx context.Context) ([]Job, error)
	// LastBaselineMatchJob is the newest succeeded job with Baseline set, or nil.
	LastBaselineMatchJob(ctx context.Context) (*Job, error)

	// SuppressionFilter reads the suppression list (identifiers of erased people) once
	// and returns a check of identity keys against it.
	SuppressionFilter(ctx context.Context) (func(identityKey string) bool, error)
	// Suppressed returns the identity keys among keys that are suppressed.
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}

// Engine is the part of identity.Engine that matching uses.
type Engine interface {
	// MergeWithRule merges profiles (the oldest id survives), recording rule in history;
	// a keep-apart or limit rule gives an apperr CONFLICT.
	MergeWithRule(ctx context.Context, ids []string, rule, actor string) (string, error)
	// Final follows merge redirects to the live profile.
	Final(ctx context.Context, id string) (string, error)
}

// Service runs match jobs and the review of their suggestions.
type Service struct {
	Store  Store
	Engine Engine
	// SourceExists, if set, checks a job's source filter names a source (NOT_FOUND).
	SourceExists func(ctx context.Context, name string) error
	// Schema says which matcher fields the profiles' traits fill (names, birth date,
	// address parts, phones, e-mails, categorical attributes); DefaultSchema if nil.
	Schema *matching.Schema
	// Config is the matcher configuration (fields, blocking, default thresholds);
	// the schema's (Schema.Config) if it has no fields.
	Config matching.Config
	Now    func() time.Time
	// OnProgress, if set, gets the job each time its document is written (at most every
	// ProgressInterval, and at the end). It is called from the job's goroutine and
	// should not block.
	OnProgress func(Job)
	// ProgressInterval between job document writes (default 500 ms).
	ProgressInterval time.Duration
	// Heartbeat: a running job's document is written at least this often, so another
	// instance can tell a live job from one whose process died (default 10 s).
	Heartbeat time.Duration
	// StaleAfter: a RUNNING job not written for this long is taken as interrupted and
	// marked FAILED when the next job starts (default 2 min).
	StaleAfter time.Duration
	// PageSize is the batch size of profile reads (default 1000).
	PageSize int
	// MaxGroup caps how many profiles of one run automatic merges may join into one
	// (chaining through weak links); a merge past it becomes a suggestion. 0 = no cap.
	MaxGroup int

	mu  sync.Mutex
	cur *active
}

// active is the job running in this process.
type active struct {
	id     string
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a service with the person matching configuration.
func New(st Store, eng Engine) *Service {
	return &Service{Store: st, Engine: eng,
		Now: func() time.Time { return time.Now().UTC() }, MaxGroup: 10}
}

// PairID is the id of the suggestion and rejection of two profiles: the sorted ids
// joined by "|".
func PairID(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "|" + b
}

func (s *Service) interval() time.Duration {
	if s.ProgressInterval > 0 {
		return s.ProgressInterval
	}
	return 500 * time.Millisecond
}

func (s *Service) heartbeat() time.Duration {
	if s.Heartbeat > 0 {
		return s.Heartbeat
	}
	return 10 * time.Second
}

func (s *Service) staleAfter() time.Duration {
	if s.StaleAfter > 0 {
		return s.StaleAfter
	}
	return 2 * time.Minute
}

func (s *Service) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return 1000
}
