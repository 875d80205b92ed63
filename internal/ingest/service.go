package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// MaxBatch is the most records one Ingest call takes.
const MaxBatch = 1000

// Input is one record as a source sends it.
type Input struct {
	ExternalID string
	Payload    map[string]any
	ObservedAt time.Time // zero: now
	// Pinned attaches the record to this profile (edits made through the API).
	Pinned string
}

// Reject says why one input was not accepted.
type Reject struct {
	Index      int
	ExternalID string
	Reason     string
}

// Result of one Ingest call.
type Result struct {
	Counts
	ProfileIDs []string // per input; "" when rejected
	Rejects    []Reject
	// Merges are the merges identity resolution made (Counts.Merged of them).
	Merges []identity.MergeEvent
}

// Service ingests batches.
type Service struct {
	Store Store
	// Suppressions, if set, rejects records carrying an identifier of an erased person.
	Suppressions Suppressions
	Engine       *identity.Engine
	Normalizer   *normalize.Normalizer
	Now          func() time.Time
}

// NewService wires an ingest service.
func NewService(s Store, e *identity.Engine, n *normalize.Normalizer) *Service {
	return &Service{Store: s, Engine: e, Normalizer: n, Now: func() time.Time { return time.Now().UTC() }}
}

// CreateSource validates and stores a source.
func (s *Service) CreateSource(ctx context.Context, src Source) (Source, error) {
	src.CreatedAt = s.Now()
	src.RecordCount = 0
	if err := src.Validate(); err != nil {
		return Source{}, err
	}
	if src.Name == ManualSource {
		return Source{}, apperr.Conflictf("source name %q is reserved", ManualSource)
	}
	return src, s.Store.CreateSource(ctx, src)
}

// EnsureManualSource creates the built-in source of API edits; it outranks all others
// because a person typed it on purpose.
func (s *Service) EnsureManualSource(ctx context.Context) error {
	_, err := s.Store.GetSource(ctx, ManualSource)
	if err == nil {
		return nil
	}
	src := Source{Name: ManualSource, Kind: "API", Priority: 1000, IdentifierFields: map[string]string{"email": "email", "phone": "phone"}, CreatedAt: s.Now()}
	if err := s.Store.CreateSource(ctx, src); err != nil && !isKind(err, apperr.Conflict) {
		return err
	}
	return nil
}

func isKind(err error, k apperr.Kind) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == k
}

// checkPayload refuses payloads that cannot be stored safely: keys that MongoDB would
// read as operators or paths, and absurd sizes or depths.
func checkPayload(v any, depth int) (any, error) {
	if depth > 8 {
		return nil, fmt.Errorf("payload nested deeper than 8 levels")
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if why := FieldNameProblem(k); why != "" {
				return nil, fmt.Errorf("field name %q is not allowed: %s", k, why)
			}
			c, err := checkPayload(val, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		if len(x) > 1000 {
			return nil, fmt.Errorf("array longer than 1000 elements")
		}
		out := make([]any, len(x))
		for i, val := range x {
			c, err := checkPayload(val, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case json.Number:
		// Exact or kept as its text: a huge integer must not become a rounded float.
		return exactNumber(x)
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("string is not valid UTF-8")
		}
		if len(x) > 10000 {
			return nil, fmt.Errorf("string value longer than 10000 bytes")
		}
		return x, nil
	case nil, bool, float64, int, int64, int32:
		return x, nil
	default:
		return nil, fmt.Errorf("unsupported value of type %T", v)
	}
}

// Ingest stores a batch of records of one source and resolves the new and changed ones.
// Changed records are saved before resolution; new ones are inserted by resolution,
// already resolved. Either way a failed call is safe to repeat: records are keyed by
// source and external id, identities by value.
func (s *Service) Ingest(ctx context.Context, source string, in []Input, jobID string) (Result, error) {
	if len(in) == 0 {
		return Result{}, apperr.Invalidf("no records given")
	}
	if len(in) > MaxBatch {
		return Result{}, apperr.Invalidf("at most %d records per batch, got %d", MaxBatch, len(in))
	}
	src, err := s.Store.GetSource(ctx, source)
	if err != nil {
		return Result{}, err
	}
	now := s.Now()
	res := Result{ProfileIDs: make([]string, len(in))}
	ids := make([]string, 0, len(in))
	index := map[string]int{} // record id -> last input index (a later duplicate wins)
	prepared := make([]*profile.Record, len(in))
	for i, x := range in {
		ext := strings.TrimSpace(x.ExternalID)
		reject := func(why string) {
			res.Rejects = append(res.Rejects, Reject{Index: i, ExternalID: x.ExternalID, Reason: why})
			res.Rejected++
		}
		if ext == "" || len(ext) > 200 || !utf8.ValidString(ext) {
			reject("externalId must be 1 to 200 characters of UTF-8")
			continue
		}
		if x.Payload == nil {
			reject("payload must be a JSON object")
			continue
		}
		clean, err := checkPayload(x.Payload, 0)
		if err != nil {
			reject(err.Error())
			continue
		}
		obs := x.ObservedAt
		if obs.IsZero() {
			obs = now
		}
		r := &profile.Record{ID: profile.RecordID(src.Name, ext), Source: src.Name, ExternalID: ext, Payload: clean.(map[string]any), ReceivedAt: now, ObservedAt: obs.UTC(), PinnedProfile: x.Pinned}
		r.Hash = src.RecordHash(r.Payload)
		Map(src, s.Normalizer, r, now)
		if prev, dup := index[r.ID]; !dup {
			ids = append(ids, r.ID)
		} else {
			// The later row wins; the earlier one is reported, so counts add up to rows.
			res.Rejects = append(res.Rejects, Reject{Index: prev, ExternalID: in[prev].ExternalID,
				Reason: fmt.Sprintf("duplicate externalId in this batch: row %d replaces it", i)})
			res.Rejected++
			prepared[prev] = nil
		}
		index[r.ID] = i
		prepared[i] = r
	}
	// --- suppression (GDPR erasure, see suppress.go): a record carrying an identifier
	// of an erased person is rejected here, before anything of it is stored or resolved.
	if ids, err = s.dropSuppressed(ctx, in, prepared, ids, &res); err != nil {
		return Result{}, err
	}
	// --- end suppression
	existing, err := s.Store.GetRecords(ctx, s.Store.MaybeRecords(ids))
	if err != nil {
		return Result{}, err
	}
	old := map[string]profile.Record{}
	for _, r := range existing {
		old[r.ID] = r
	}
	var resolve []*profile.Record
	planned := map[string]bool{} // records planned as new
	for _, id := range ids {
		r := prepared[index[id]]
		prev, seen := old[id]
		switch {
		case seen && prev.Hash == r.Hash && prev.ProfileID != "" && (r.PinnedProfile == "" || r.PinnedProfile == prev.PinnedProfile):
			res.Unchanged++
			continue
		case seen:
			res.Updated++
			r.ReceivedAt = prev.ReceivedAt
			r.ProfileID, r.OriginProfileID = prev.ProfileID, prev.OriginProfileID
		default:
			r.IsNew = true // stored by resolution, already resolved
			planned[id] = true
		}
		resolve = append(resolve, r)
	}
	profileOf := map[string]string{}
	for id, r := range old {
		profileOf[id] = r.ProfileID
	}
	if len(resolve) > 0 {
		// Resolution stores the records (new ones already resolved) and counts the new
		// ones on the source, under its journal (crash-safe).
		out, err := s.Engine.Resolve(ctx, resolve)
		if err != nil {
			return Result{}, err
		}
		res.Merged, res.Merges = out.Merged, out.Merges
		for id, p := range out.ProfileOf {
			profileOf[id] = p
		}
		// Created counts what this call stored: a record that a concurrent call stored
		// first is that call's, and unchanged here.
		res.Created = len(out.Inserted)
		res.Unchanged += len(planned) - len(out.Inserted)
	}
	for i, r := range prepared {
		if r != nil {
			res.ProfileIDs[i] = profileOf[r.ID]
		}
	}
	if jobID != "" {
		if err := s.Store.AddJobCounts(ctx, jobID, res.Counts, now); err != nil {
			return res, err
		}
	}
	return res, nil
}

// MarkInterrupted marks the jobs that were running when the process stopped: nothing
// counts them any more unless their importer sends again.
func (s *Service) MarkInterrupted(ctx context.Context) error {
	return s.Store.MarkJobsInterrupted(ctx)
}

// StartJob opens a job that counts later Ingest calls.
func (s *Service) StartJob(ctx context.Context, source string, total *int) (Job, error) {
	if _, err := s.Store.GetSource(ctx, source); err != nil {
		return Job{}, err
	}
	if total != nil && *total < 0 {
		return Job{}, apperr.Invalidf("total must not be negative")
	}
	now := s.Now()
	j := Job{ID: "job_" + strings.ToLower(s.Engine.NewProfileID()[4:]), Source: source, Total: total, StartedAt: now, UpdatedAt: now}
	return j, s.Store.CreateJob(ctx, j)
}

// CheckJob verifies that a job exists, is running and belongs to the source.
func (s *Service) CheckJob(ctx context.Context, id, source string) error {
	j, err := s.Store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if j.Source != source {
		return apperr.Invalidf("job %s belongs to source %s, not %s", id, j.Source, source)
	}
	if j.Done {
		return apperr.Conflictf("job %s is finished", id)
	}
	return nil
}
