package membership

import (
	"context"
	"encoding/json"
	"slices"
)

// Forgetter is the part of the store that removes erased profiles from a segment.
type Forgetter interface {
	// ForgetProfiles deletes the profiles' member documents and their entries and exits
	// in the segment's history, recounts the members, and takes the ids out of the
	// segment's webhook payloads (deleting deliveries left with none). Idempotent.
	ForgetProfiles(ctx context.Context, segmentID string, ids []string, rewrite func(body []byte) ([]byte, bool)) error
}

// Forget removes erased profiles from every segment: membership, history, and their ids
// in queued and past webhook payloads. Each segment is handled under its evaluation
// lock, so an evaluation running in this process cannot write them back in between.
// Run it after the profiles are deleted (no evaluation can find them again); repeating
// it is harmless.
func (s *Service) Forget(ctx context.Context, f Forgetter, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	// The profiles are deleted: drop them from the evaluator's in-process facts.
	s.profilesChanged(ids)
	if err := s.refreshProfiles(ctx, ids); err != nil {
		return err
	}
	segs, err := s.Store.ListSegments(ctx)
	if err != nil {
		return err
	}
	gone := map[string]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	rewrite := func(body []byte) ([]byte, bool) { return WithoutProfiles(body, gone) }
	for _, seg := range segs {
		unlock := s.segLock(seg.ID)
		err := f.ForgetProfiles(ctx, seg.ID, ids, rewrite)
		unlock()
		if err != nil {
			return err
		}
	}
	s.invalidate()
	return nil
}

// WithoutProfiles rewrites a delivery body without the given profile ids; keep is false
// when nothing is left to deliver.
func WithoutProfiles(body []byte, gone map[string]bool) (out []byte, keep bool) {
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return body, true // not ours to judge
	}
	drop := func(id string) bool { return gone[id] }
	p.Entered = slices.DeleteFunc(nonNil(p.Entered), drop)
	p.Exited = slices.DeleteFunc(nonNil(p.Exited), drop)
	if len(p.Entered) == 0 && len(p.Exited) == 0 {
		return nil, false
	}
	b, err := json.Marshal(p)
	if err != nil {
		return body, true
	}
	return b, true
}
