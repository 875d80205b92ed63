// Package notify fans change notifications out to the subscribers of one server
// instance. Writers on any instance insert notifications into a shared collection
// (FerretDB has no change streams); every instance's Broker polls it and delivers
// what is new to its local subscribers, so a desktop inbox connected to instance A
// sees a change made through instance B. Poll serves a subscription on one document
// (a job's progress) the same way, by polling it.
package notify

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Notification says that a ticket changed. IDs are ULIDs: sortable by creation time.
type Notification struct {
	ID       string
	TicketID string
	Kind     string // "created" or "updated"
	At       time.Time
}

// Source is the shared collection.
type Source interface {
	// NotificationsAfter returns notifications with ID > after, oldest first.
	NotificationsAfter(ctx context.Context, after string, limit int) ([]Notification, error)
	// PruneNotifications deletes notifications with ID < before.
	PruneNotifications(ctx context.Context, before string) error
}

// Broker polls a Source and fans out to subscribers.
type Broker struct {
	Source   Source
	Interval time.Duration // poll period, default 400ms
	// Lookback re-reads this much of the past on every poll: ids come from the
	// writers' clocks and are inserted a little after they are made, so a
	// notification can land behind one already seen. Seen ids are remembered for
	// twice this long so nothing is delivered twice. Default 3s.
	Lookback time.Duration
	Retain   time.Duration // notifications older than this are pruned; default 10 minutes
	Log      *slog.Logger

	mu   sync.Mutex
	subs map[*sub]struct{}
}

type sub struct {
	ch chan Notification
}

// IDAt returns the smallest ULID of instant t, for range queries on ids.
func IDAt(t time.Time) string {
	var id ulid.ULID
	_ = id.SetTime(ulid.Timestamp(t))
	return id.String()
}

func idTime(id string, def time.Time) time.Time {
	u, err := ulid.ParseStrict(strings.ToUpper(id))
	if err != nil {
		return def
	}
	return ulid.Time(u.Time())
}

// NewID returns a new ULID (monotonic within the process).
func NewID() string { return ulid.Make().String() }

// Subscribe delivers notifications until ctx ends. A subscriber that does not keep up
// loses notifications rather than stalling the others (the buffer holds 64).
func (b *Broker) Subscribe(ctx context.Context) <-chan Notification {
	s := &sub{ch: make(chan Notification, 64)}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*sub]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	out := make(chan Notification)
	go func() {
		defer close(out)
		defer func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-s.ch:
				select {
				case out <- n:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (b *Broker) publish(n Notification) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- n:
		default:
			b.log().Warn("notification dropped: subscriber too slow", "ticket", n.TicketID)
		}
	}
}

func (b *Broker) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// Run polls until ctx ends. Only notifications created after Run starts are delivered.
func (b *Broker) Run(ctx context.Context) {
	interval, lookback, retain := b.Interval, b.Lookback, b.Retain
	if interval <= 0 {
		interval = 400 * time.Millisecond
	}
	if lookback <= 0 {
		lookback = 3 * time.Second
	}
	if retain <= 0 {
		retain = 10 * time.Minute
	}
	lastPoll := time.Now()
	seen := map[string]time.Time{} // id -> its time, for de-duplication inside the window
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		from := lastPoll.Add(-lookback)
		after, ok := IDAt(from), true
		for {
			ns, err := b.Source.NotificationsAfter(ctx, after, 500)
			if err != nil {
				if ctx.Err() == nil {
					b.log().Warn("poll notifications", "err", err)
				}
				ok = false
				break
			}
			for _, n := range ns {
				after = n.ID
				if _, dup := seen[n.ID]; dup {
					continue
				}
				seen[n.ID] = idTime(n.ID, now)
				b.publish(n)
			}
			if len(ns) < 500 {
				break
			}
		}
		if ok {
			lastPoll = now // a failed poll keeps the window so nothing is skipped
		}
		for id, t := range seen {
			if t.Before(lastPoll.Add(-lookback - time.Second)) {
				delete(seen, id)
			}
		}
		// Every instance prunes; deletes are idempotent. No TTL indexes on FerretDB.
		if now.Sub(lastPrune) > time.Minute {
			lastPrune = now
			if err := b.Source.PruneNotifications(ctx, IDAt(now.Add(-retain))); err != nil && ctx.Err() == nil {
				b.log().Warn("prune notifications", "err", err)
			}
		}
	}
}
