package tracking

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Store keeps write keys and the ids of processed messages.
type Store interface {
	// InsertWriteKey stores a key and lists it on its source.
	InsertWriteKey(ctx context.Context, k WriteKey) error
	// WriteKey reads a key by its id (the hash of its secret), by _id.
	WriteKey(ctx context.Context, id string) (WriteKey, error)
	// WriteKeysOf lists the keys of a source, oldest first.
	WriteKeysOf(ctx context.Context, source string) ([]WriteKey, error)
	// RevokeWriteKey sets revokedAt unless it is set, and returns the key.
	RevokeWriteKey(ctx context.Context, id string, at time.Time) (WriteKey, error)
	// SeenMessages returns those of ids ("source:messageId") recorded as processed.
	SeenMessages(ctx context.Context, ids []string) ([]string, error)
	// MarkMessages records ids as processed; ids recorded already are left as they are.
	MarkMessages(ctx context.Context, ids []string, at time.Time) error
}

// Sources reads source definitions (ingest.Service).
type Sources interface {
	Source(ctx context.Context, name string) (ingest.Source, error)
}

// Ingester stores and resolves source records (workflow.Service: commerce follows the
// merges it makes).
type Ingester interface {
	Ingest(ctx context.Context, source string, in []ingest.Input, jobID string) (ingest.Result, error)
}

// Interactions stores interactions (commerce.Service); an id stored already is skipped.
type Interactions interface {
	AddInteractions(ctx context.Context, is []commerce.Interaction) (int, error)
}

// Service takes tracking calls and manages write keys.
type Service struct {
	Store        Store
	Sources      Sources
	Ingest       Ingester
	Interactions Interactions
	Now          func() time.Time

	mu    sync.Mutex
	cache map[string]cachedKey // verified write keys by id
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

// Result of one request.
type Result struct {
	// Accepted messages are stored (or were, by an earlier delivery whose record of
	// being processed was lost).
	Accepted int
	// Duplicates were processed before (same source and messageId), or repeated within
	// the request: skipped.
	Duplicates int
	// Rejects failed validation or could not be stored as a record (the reason says).
	Rejects []Reject
}

// Accept stores the messages of a request for the key's source. The steps, in order:
// skip messages recorded as processed; store their records (identity resolution links
// the ids); store the interactions of their events; record them as processed. Every
// step is idempotent (ids are derived from the messages), so a request that fails part
// way, or a crash before the last step, is finished by the SDK's retry with the same
// effect as one delivery.
func (s *Service) Accept(ctx context.Context, key WriteKey, b Batch) (Result, error) {
	res := Result{Rejects: b.Rejects}
	for start := 0; start < len(b.Messages); start += ingest.MaxBatch {
		end := min(start+ingest.MaxBatch, len(b.Messages))
		if err := s.accept(ctx, key.Source, b.Messages[start:end], b.Index[start:end], &res); err != nil {
			return res, err
		}
	}
	slices.SortStableFunc(res.Rejects, func(a, b Reject) int { return a.Index - b.Index })
	return res, nil
}

func (s *Service) accept(ctx context.Context, source string, msgs []Message, index []int, res *Result) error {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = source + ":" + m.MessageID
	}
	seen, err := s.Store.SeenMessages(ctx, ids)
	if err != nil {
		return err
	}
	skip := make(map[string]bool, len(ids))
	for _, id := range seen {
		skip[id] = true
	}
	var todo []int
	for i, id := range ids {
		if skip[id] {
			res.Duplicates++
			continue
		}
		skip[id] = true // a repeat within the request
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return nil
	}
	// One record per distinct external id: ingestion takes an id once per batch. The
	// records that link ids (identify, alias, an event with both ids) go first, so the
	// records of the other events find the person's profile instead of making one that
	// the same batch would merge at once.
	var inputs []ingest.Input
	inputOf := make([]int, len(msgs))
	byExt := map[string]int{}
	for _, linking := range []bool{true, false} {
		for _, i := range todo {
			if msgs[i].links() != linking {
				continue
			}
			in := msgs[i].Record()
			j, dup := byExt[in.ExternalID]
			if !dup {
				j = len(inputs)
				byExt[in.ExternalID] = j
				inputs = append(inputs, in)
			}
			inputOf[i] = j
		}
	}
	out, err := s.Ingest.Ingest(ctx, source, inputs, "")
	if err != nil {
		return err
	}
	why := map[int]string{}
	for _, r := range out.Rejects {
		why[r.Index] = r.Reason
	}
	// A record that was stored before keeps the profile it had, which a merge of this
	// very call may have absorbed (an anonymous visitor identifying): follow the merges.
	live := map[string]string{}
	for _, m := range out.Merges {
		live[m.Absorbed] = m.Survivor
	}
	var its []commerce.Interaction
	var done []string
	for _, i := range todo {
		j := inputOf[i]
		pid := out.ProfileIDs[j]
		for n := 0; live[pid] != "" && n < len(live); n++ {
			pid = live[pid]
		}
		if pid == "" {
			reason := why[j]
			if reason == "" {
				reason = "the message's record was not stored"
			}
			res.Rejects = append(res.Rejects, Reject{Index: index[i], MessageID: msgs[i].MessageID, Reason: reason})
			continue
		}
		if it, ok := msgs[i].Interaction(source, profile.RecordID(source, inputs[j].ExternalID), pid); ok {
			its = append(its, it)
		}
		done = append(done, ids[i])
	}
	if _, err := s.Interactions.AddInteractions(ctx, its); err != nil {
		return err
	}
	if err := s.Store.MarkMessages(ctx, done, s.now()); err != nil {
		return err
	}
	res.Accepted += len(done)
	return nil
}

// links reports a message whose record links ids to each other (or to traits).
func (m *Message) links() bool {
	return m.Type == Identify || m.Type == Alias || m.UserID != "" && m.AnonymousID != ""
}
