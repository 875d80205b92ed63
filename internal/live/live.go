// Package live holds an in-process structure built once in the background from the
// database and then kept current by the changes the process hears (the order book, the
// product-quality aggregate). Writers queue a change under a small lock of their own and
// never wait for readers (a commerce observer must not block, and a report may hold the
// read lock for a while); the queue is applied under the write lock before each read, so
// a read sees every change queued before it. A build reads a fresh value outside the
// lock and replays on it the changes heard while it ran, so it loses none.
package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Apply applies a batch of queued changes to s, under the write lock. s is nil while
// nothing is built (the changes are then only logged for the running build). replay is
// true when a build replays the changes on its result: they were applied, and counted,
// when they were first heard.
type Apply[S, Op any] func(s *S, ops []Op, replay bool)

// Value is a structure *S kept current by changes Op.
type Value[S, Op any] struct {
	apply Apply[S, Op]

	mu       sync.RWMutex
	cur      *S // nil until the first build ends
	building bool
	log      []Op // changes applied while a build runs, to replay on its result
	meta     Meta
	loaded   atomic.Int64

	qmu   sync.Mutex // below: what writers queue
	queue []Op
}

// Meta is where a Value stands.
type Meta struct {
	Building bool
	Version  uint64 // raised by every change applied and every build swapped in
	BuiltAt  time.Time
	Took     time.Duration // of the last successful build
	Err      string        // of the last build ("" it succeeded)
	Loaded   int64         // progress of the running build (Build's progress)
}

// New returns a Value with nothing built; apply applies its changes.
func New[S, Op any](apply Apply[S, Op]) *Value[S, Op] { return &Value[S, Op]{apply: apply} }

// Enqueue queues a change for the next read; it never waits for a reader.
func (v *Value[S, Op]) Enqueue(ops ...Op) {
	v.qmu.Lock()
	v.queue = append(v.queue, ops...)
	v.qmu.Unlock()
}

func (v *Value[S, Op]) flush() {
	v.qmu.Lock()
	empty := len(v.queue) == 0
	v.qmu.Unlock()
	if empty {
		return
	}
	v.mu.Lock()
	v.flushLocked()
	v.mu.Unlock()
}

// flushLocked applies the queue (and logs it for a running build); the caller holds mu.
func (v *Value[S, Op]) flushLocked() {
	v.qmu.Lock()
	ops := v.queue
	v.queue = nil
	v.qmu.Unlock()
	if len(ops) == 0 {
		return
	}
	if v.building {
		v.log = append(v.log, ops...)
	}
	v.apply(v.cur, ops, false)
	v.meta.Version += uint64(len(ops))
}

// Read runs fn on the built value under the read lock, once the queued changes are
// applied; ok is false while nothing is built.
func (v *Value[S, Op]) Read(fn func(s *S)) (ok bool) {
	v.Inspect(func(s *S, _ Meta) {
		if ok = s != nil; ok {
			fn(s)
		}
	})
	return ok
}

// Inspect runs fn under the read lock, once the queued changes are applied, with the
// value (nil while nothing is built) and where it stands.
func (v *Value[S, Op]) Inspect(fn func(s *S, m Meta)) {
	v.flush()
	v.mu.RLock()
	defer v.mu.RUnlock()
	m := v.meta
	m.Building, m.Loaded = v.building, v.loaded.Load()
	fn(v.cur, m)
}

// Build makes a fresh value with load, outside the lock (progress adds to
// Meta.Loaded), replays on it the changes heard meanwhile and swaps it in. A failed
// build keeps the current value and records the error. A call while a build runs
// returns nil at once; a later one rebuilds.
func (v *Value[S, Op]) Build(load func(progress func(n int)) (*S, error)) error {
	v.mu.Lock()
	if v.building {
		v.mu.Unlock()
		return nil
	}
	v.flushLocked()
	v.building, v.log = true, nil
	v.loaded.Store(0)
	v.mu.Unlock()
	start := time.Now()
	fresh, err := load(func(n int) { v.loaded.Add(int64(n)) })
	v.mu.Lock()
	defer v.mu.Unlock()
	v.flushLocked() // into the log too
	v.building = false
	if err != nil {
		v.log, v.meta.Err = nil, err.Error()
		return err
	}
	v.apply(fresh, v.log, true)
	v.cur, v.log = fresh, nil
	v.meta.Err, v.meta.BuiltAt, v.meta.Took = "", time.Now(), time.Since(start)
	v.meta.Version++
	return nil
}

// Batches is a load's callback for a pass over items in batches (a store's EachOrder):
// put adds an item to the fresh value, and each batch counts toward Meta.Loaded.
func Batches[T any](progress func(n int), put func(*T)) func([]T) error {
	return func(batch []T) error {
		for i := range batch {
			put(&batch[i])
		}
		progress(len(batch))
		return nil
	}
}

// BuildWithRetry calls build until it succeeds, waiting after a failure (reported to
// failed) 1 s, then twice as long each time up to a minute: a service's first build,
// which nothing can serve without. It returns false when ctx ends first.
func BuildWithRetry(ctx context.Context, build func() error, failed func(err error)) bool {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := build()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		failed(err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
