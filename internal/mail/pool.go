package mail

import (
	"context"
	"sync"
	"time"
)

// Limiter spaces events to at most a rate per second, shared by goroutines (a token
// bucket of one: no bursts). A nil Limiter, or a rate of 0, never waits.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// NewLimiter returns a limiter of perSecond events a second (nil for 0: no limit).
func NewLimiter(perSecond float64) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	return &Limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// Wait blocks until the caller's turn (or ctx ends).
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err()
}

// Pool runs workers goroutines over jobs until jobs is closed or ctx ends, each with
// its own Session (so at most workers connections to the relay), and waits for them.
// workers ≤ 0 takes the configured number.
func Pool[T any](ctx context.Context, c *Client, workers int, jobs <-chan T, work func(ctx context.Context, s *Session, job T)) {
	if workers <= 0 {
		workers = c.cfg.Workers
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := c.Session()
			defer s.Close()
			for {
				select {
				case <-ctx.Done():
					return
				case j, ok := <-jobs:
					if !ok {
						return
					}
					work(ctx, s, j)
				}
			}
		})
	}
	wg.Wait()
}
