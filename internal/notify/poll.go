package notify

import (
	"context"
	"time"
)

// Poll serves a subscription on a document that another instance may be writing
// (no change streams on FerretDB): it sends the current state, then polls and sends each
// change until the document says it is done or the client leaves.
func Poll[T, M any](ctx context.Context, every time.Duration, load func(context.Context) (T, error),
	state func(T) (updated time.Time, done bool), out func(T) M) (<-chan M, error) {
	cur, err := load(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan M, 1)
	ch <- out(cur)
	go func() {
		defer close(ch)
		last, done := state(cur)
		t := time.NewTicker(every)
		defer t.Stop()
		for !done {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if cur, err = load(ctx); err != nil {
				return
			}
			var at time.Time
			if at, done = state(cur); at.After(last) || done {
				last = at
				select {
				case ch <- out(cur):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
