// Package reqmemo shares reads within one request: the fields of a GraphQL query that
// need the same documents (a customer's profile for its identities, source records and
// tickets; its metrics and ledger for the metrics, order page and timeline) read each
// once. With attaches a memo to a request's context; Read goes through it, concurrent
// callers waiting for a read already in flight. Only read-only views use it (writers
// read the store directly), and a memo lives as long as its request, so nothing in it
// goes stale in a way a reader could tell from reading twice.
package reqmemo

import (
	"context"
	"sync"
)

type memoKey struct{}

// Memo is one request's shared reads, by table.
type Memo struct {
	mu     sync.Mutex
	tables map[string]any
}

// With returns ctx with a fresh memo.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &Memo{tables: map[string]any{}})
}

// call is one document's read: done closes when v (nil: missing) and err are set.
type call[V any] struct {
	done chan struct{}
	v    *V
	err  error
}

// Read returns the documents of keys from the request's memo, reading those nobody has
// asked for yet with one call of read (which leaves out missing documents, as stores
// do); key names a read document. Without a memo in ctx it is read(ctx, keys). table
// names the kind of document; one table always holds one type.
func Read[K comparable, V any](ctx context.Context, table string, keys []K, read func(context.Context, []K) ([]V, error), key func(V) K) ([]V, error) {
	m, _ := ctx.Value(memoKey{}).(*Memo)
	if m == nil {
		return read(ctx, keys)
	}
	m.mu.Lock()
	t, ok := m.tables[table].(map[K]*call[V])
	if !ok {
		t = map[K]*call[V]{}
		m.tables[table] = t
	}
	m.mu.Unlock()
	return through(ctx, &m.mu, t, keys, read, key)
}

func through[K comparable, V any](ctx context.Context, mu *sync.Mutex, calls map[K]*call[V], keys []K,
	read func(context.Context, []K) ([]V, error), key func(V) K) ([]V, error) {
	mu.Lock()
	var mine, order []K
	all := map[K]*call[V]{}
	own := map[K]*call[V]{}
	for _, k := range keys {
		if all[k] != nil {
			continue
		}
		c, ok := calls[k]
		if !ok {
			c = &call[V]{done: make(chan struct{})}
			calls[k], own[k] = c, c
			mine = append(mine, k)
		}
		all[k] = c
		order = append(order, k)
	}
	mu.Unlock()
	if len(mine) > 0 {
		got, err := read(ctx, mine)
		for i := range got {
			if c := own[key(got[i])]; c != nil {
				c.v = &got[i]
			}
		}
		mu.Lock()
		for k, c := range own {
			if c.err = err; err != nil {
				delete(calls, k) // a failed read is not remembered
			}
			close(c.done)
		}
		mu.Unlock()
	}
	var out []V
	for _, k := range order {
		c := all[k]
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if c.err != nil {
			return nil, c.err
		}
		if c.v != nil {
			out = append(out, *c.v)
		}
	}
	return out, nil
}
