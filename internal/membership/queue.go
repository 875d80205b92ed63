package membership

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Queue collects changed profile ids from the write paths (which must not wait for
// segment evaluation) and hands them to Touch in batches.
type Queue struct {
	Service *Service
	Log     *slog.Logger
	// Every is how long changes gather before a Touch (default 500 ms).
	Every time.Duration

	mu      sync.Mutex
	pending map[string]bool
	kick    chan struct{}
	// runMu is held while a batch is evaluated, so Flush sees its effects.
	runMu sync.Mutex
}

// Add queues profile ids; it never blocks.
func (q *Queue) Add(ids []string) {
	if q.Service != nil {
		q.Service.profilesChanged(ids)
	}
	q.mu.Lock()
	if q.pending == nil {
		q.pending = map[string]bool{}
	}
	for _, id := range ids {
		q.pending[id] = true
	}
	q.mu.Unlock()
	q.signal()
}

func (q *Queue) signal() {
	q.mu.Lock()
	if q.kick == nil {
		q.kick = make(chan struct{}, 1)
	}
	k := q.kick
	q.mu.Unlock()
	select {
	case k <- struct{}{}:
	default:
	}
}

func (q *Queue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]string, 0, len(q.pending))
	for id := range q.pending {
		ids = append(ids, id)
	}
	q.pending = nil
	return ids
}

// Flush evaluates what is queued now (tests, shutdown).
func (q *Queue) Flush(ctx context.Context) error {
	q.runMu.Lock()
	defer q.runMu.Unlock()
	return q.Service.Touch(ctx, q.take())
}

// Run drains the queue until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	every := q.Every
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	q.signal() // create the channel
	q.mu.Lock()
	k := q.kick
	q.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k:
		}
		select { // let a burst of batches gather
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		q.runMu.Lock()
		ids := q.take()
		if err := q.Service.Touch(ctx, ids); err != nil && ctx.Err() == nil {
			if q.Log != nil {
				q.Log.Error("segment membership", "profiles", len(ids), "err", err)
			}
			q.Add(ids) // keep them for the next round
		}
		q.runMu.Unlock()
	}
}
