package live

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// seq is a test structure: the ops applied to it, in order, after what the load read.
type seq struct{ ops []int }

func newSeq() *Value[seq, int] {
	return New(func(s *seq, ops []int, _ bool) {
		if s != nil {
			s.ops = append(s.ops, ops...)
		}
	})
}

func read(t *testing.T, v *Value[seq, int]) []int {
	t.Helper()
	var out []int
	if !v.Read(func(s *seq) { out = slices.Clone(s.ops) }) {
		t.Fatal("not built")
	}
	return out
}

func TestBuildReplaysOpsHeardMeanwhileOnce(t *testing.T) {
	v := newSeq()
	if v.Read(func(*seq) {}) {
		t.Fatal("read before the first build")
	}
	v.Enqueue(1) // before any build: lost with nothing built, as the load reads it
	if err := v.Build(func(func(int)) (*seq, error) { return &seq{ops: []int{1}}, nil }); err != nil {
		t.Fatal(err)
	}
	v.Enqueue(2)
	if got := read(t, v); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("after the first build: %v", got)
	}

	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- v.Build(func(progress func(int)) (*seq, error) {
			progress(2)
			close(started)
			<-release
			return &seq{ops: []int{1, 2}}, nil // what the database held when the load read it
		})
	}()
	<-started
	var building Meta
	v.Inspect(func(_ *seq, m Meta) { building = m })
	if !building.Building || building.Loaded != 2 {
		t.Fatalf("meta while building: %+v", building)
	}
	if err := v.Build(func(func(int)) (*seq, error) { t.Error("second build ran"); return nil, nil }); err != nil {
		t.Fatal(err)
	}
	v.Enqueue(3, 4)
	if got := read(t, v); !slices.Equal(got, []int{1, 2, 3, 4}) { // applied to the old value meanwhile
		t.Fatalf("old value during the build: %v", got)
	}
	v.Enqueue(5) // queued, not applied before the build ends
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := read(t, v); !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("after the rebuild: %v", got)
	}
	var m Meta
	v.Inspect(func(_ *seq, mm Meta) { m = mm })
	// 1, 2, 3, 4, 5 applied, and two builds swapped in.
	if m.Building || m.Err != "" || m.BuiltAt.IsZero() || m.Version != 7 {
		t.Fatalf("meta: %+v", m)
	}
}

func TestFailedBuildKeepsTheOldValue(t *testing.T) {
	v := newSeq()
	boom := errors.New("boom")
	if err := v.Build(func(func(int)) (*seq, error) { return nil, boom }); err != boom {
		t.Fatalf("err %v", err)
	}
	if v.Read(func(*seq) {}) {
		t.Fatal("built after a failed build")
	}
	if err := v.Build(func(func(int)) (*seq, error) { return &seq{}, nil }); err != nil {
		t.Fatal(err)
	}
	v.Enqueue(1)
	if err := v.Build(func(func(int)) (*seq, error) {
		v.Enqueue(2)
		return &seq{ops: []int{99}}, boom
	}); err != boom {
		t.Fatalf("err %v", err)
	}
	if got := read(t, v); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("after a failed rebuild: %v", got)
	}
	var m Meta
	v.Inspect(func(_ *seq, mm Meta) { m = mm })
	if m.Err != "boom" || m.Building {
		t.Fatalf("meta: %+v", m)
	}
	if err := v.Build(func(func(int)) (*seq, error) { return &seq{}, nil }); err != nil {
		t.Fatal(err)
	}
	v.Inspect(func(_ *seq, mm Meta) { m = mm })
	if m.Err != "" {
		t.Fatalf("error kept after a good build: %+v", m)
	}
}

func TestOpsBeforeBuildReachTheHookWithNil(t *testing.T) {
	var unbuilt []int
	v := New(func(s *seq, ops []int, replay bool) {
		if s == nil {
			unbuilt = append(unbuilt, ops...)
			return
		}
		if !replay {
			s.ops = append(s.ops, ops...)
		}
	})
	v.Enqueue(1, 2)
	if v.Read(func(*seq) {}) {
		t.Fatal("built")
	}
	if !slices.Equal(unbuilt, []int{1, 2}) {
		t.Fatalf("hook with nil got %v", unbuilt)
	}
}

// Concurrent writers, readers and rebuilds (run with -race): a read sees every op its
// goroutine queued before it, and no rebuild loses an op. Like the real structures, the
// ops are idempotent (a set by id) and written to the "database" the builds load before
// they are queued.
func TestReadsSeeEveryOpQueuedBefore(t *testing.T) {
	type set struct{ has map[int]bool }
	v := New(func(s *set, ops []int, _ bool) {
		for _, op := range ops {
			if s != nil {
				s.has[op] = true
			}
		}
	})
	var dbMu sync.Mutex
	db := map[int]bool{}
	load := func(func(int)) (*set, error) {
		dbMu.Lock()
		defer dbMu.Unlock()
		s := &set{has: map[int]bool{}}
		for op := range db {
			s.has[op] = true
		}
		return s, nil
	}
	if err := v.Build(load); err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				op := w*each + i
				dbMu.Lock()
				db[op] = true
				dbMu.Unlock()
				v.Enqueue(op)
				if !v.Read(func(s *set) {
					if !s.has[op] {
						t.Errorf("op %d not seen by the read after it", op)
					}
				}) {
					t.Error("not built")
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := v.Build(load); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	v.Read(func(s *set) {
		if len(s.has) != writers*each {
			t.Errorf("%d ops held, want %d", len(s.has), writers*each)
		}
	})
}

func TestBuildWithRetry(t *testing.T) {
	var failed []error
	n := 0
	ok := BuildWithRetry(context.Background(), func() error {
		if n++; n == 1 {
			return errors.New("first")
		}
		return nil
	}, func(err error) { failed = append(failed, err) })
	if !ok || n != 2 || len(failed) != 1 {
		t.Fatalf("ok %v, %d calls, failures %v", ok, n, failed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	ok = BuildWithRetry(ctx, func() error { n++; cancel(); return errors.New("down") }, func(error) { t.Error("reported after ctx ended") })
	if ok || n != 1 {
		t.Fatalf("ok %v after ctx ended, %d calls", ok, n)
	}
}
