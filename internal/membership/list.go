package membership

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// MaxList is the most customers a list segment is saved with.
const MaxList = 200_000

// SaveList saves the customers ids (profile ids) as a LIST segment. The segment's id
// derives from the name and the ids, so saving the same list again, or again after a
// crash half way, finishes and returns the same segment instead of making a second one.
// A customer merged since the ids were taken is saved as the survivor.
func (s *Service) SaveList(ctx context.Context, in Input, ids []string) (Segment, error) {
	in.Kind = List
	if err := in.validate(); err != nil {
		return Segment{}, err
	}
	ids = uniq(ids)
	if len(ids) > MaxList {
		return Segment{}, apperr.Invalidf("a list segment holds at most %d customers", MaxList)
	}
	id := listID(in.Name, ids)
	seg, err := s.Store.GetSegment(ctx, id)
	if errors.Is(err, apperr.ErrNotFound) {
		now := s.now()
		seg = Segment{ID: id, Name: in.Name, Description: in.Description, Kind: List, CreatedAt: now, UpdatedAt: now}
		if err = s.Store.InsertSegment(ctx, seg); err != nil {
			// Another call saving the same list got there first.
			if seg, err = s.Store.GetSegment(ctx, id); err != nil {
				return Segment{}, err
			}
		}
		s.invalidate()
	} else if err != nil {
		return Segment{}, err
	}
	defer s.segLock(id)()
	merged, err := s.Store.MergedInto(ctx, ids)
	if err != nil {
		return Segment{}, err
	}
	want := map[string]bool{}
	for _, p := range ids {
		if to, ok := merged[p]; ok {
			p = to
		}
		want[p] = true
	}
	scope := make([]string, 0, len(want))
	for p := range want {
		scope = append(scope, p)
	}
	have, err := s.Store.Members(ctx, id, scope)
	if err != nil {
		return Segment{}, err
	}
	// Only entries: a list never drops a member on a second save (merges and unmerges
	// changed it since, as they change a static segment).
	d := diff(want, have, scope)
	d.exited = nil
	now := s.now()
	if err := s.apply(ctx, seg, d, now); err != nil {
		return Segment{}, err
	}
	if err := s.Store.SetEvaluated(ctx, id, now); err != nil {
		return Segment{}, err
	}
	return s.Store.GetSegment(ctx, id)
}

// listID is "seg_L" and 26 hex digits of a hash of the name and the sorted ids.
func listID(name string, ids []string) string {
	h := sha256.New()
	h.Write([]byte(strings.TrimSpace(name)))
	for _, id := range ids {
		h.Write([]byte{0})
		h.Write([]byte(id))
	}
	return "seg_L" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:26])
}
