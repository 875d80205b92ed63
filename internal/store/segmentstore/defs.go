package segmentstore

// The segment definitions in process: a small list, read by every Customer 360 request
// (Customer.segments), which then reads only the bare-_id member documents. This
// store's own writes (create, update, delete, membership counts, evaluation times)
// update the list as they happen; a list older than defsTTL is reloaded in the
// background (the request is served from the list it has), so changes made by other
// instances show within about defsTTL.

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/membership"
)

// defsTTL is how old the list may get before a background reload.
const defsTTL = 10 * time.Second

type defsCache struct {
	mu        sync.Mutex
	list      []membership.Segment // by name, then id; replaced, never changed in place
	loaded    bool
	at        time.Time
	seq       uint64 // counts this store's writes, so a reload racing one is not kept
	reloading bool
}

// cachedSegments returns the segment definitions from the in-process list, loading it
// on first use and refreshing it in the background when it is older than defsTTL.
func (s *Store) cachedSegments(ctx context.Context) ([]membership.Segment, error) {
	d := &s.defs
	d.mu.Lock()
	if d.loaded {
		out := d.list
		stale := time.Since(d.at) > defsTTL && !d.reloading
		if stale {
			d.reloading = true
		}
		d.mu.Unlock()
		if stale {
			go func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				_, _ = s.ListSegments(rctx)
				d.mu.Lock()
				d.reloading = false
				d.mu.Unlock()
			}()
		}
		return out, nil
	}
	d.mu.Unlock()
	return s.ListSegments(ctx)
}

// readSeq is the write count before a read of the definitions.
func (s *Store) readSeq() uint64 {
	s.defs.mu.Lock()
	defer s.defs.mu.Unlock()
	return s.defs.seq
}

// keepDefs stores a list read from the database, unless this store wrote meanwhile.
func (s *Store) keepDefs(list []membership.Segment, seq uint64) {
	d := &s.defs
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seq != seq {
		return
	}
	d.list, d.loaded, d.at = list, true, time.Now()
}

// editDefs applies one of this store's writes to the list (when loaded).
func (s *Store) editDefs(edit func([]membership.Segment) []membership.Segment) {
	d := &s.defs
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	if !d.loaded {
		return
	}
	list := edit(slices.Clone(d.list))
	slices.SortStableFunc(list, func(a, b membership.Segment) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	d.list = list
}

// editSegment changes the listed segment id.
func (s *Store) editSegment(id string, change func(*membership.Segment)) {
	s.editDefs(func(l []membership.Segment) []membership.Segment {
		for i := range l {
			if l[i].ID == id {
				change(&l[i])
			}
		}
		return l
	})
}
