package matching

import (
	"context"
	"testing"
)

// Adding records later must compare only pairs involving a new record, reuse
// the model, and put each new duplicate in its original's cluster.
func TestIncremental(t *testing.T) {
	recs, truth := synthPeople(4000, 0.2, 3)
	old, fresh := recs[:3900], recs[3900:]
	ctx := context.Background()

	full, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	all, err := full.Match(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}

	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.Match(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	model := m.Model()
	var calls, lastDone, lastTotal int
	m.cfg.Progress = func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total }
	inc, err := m.Add(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if m.Model() != model {
		t.Error("Add retrained the model")
	}
	// Blocks are small here, so batch pairs = old-old pairs + pairs touching new records.
	if inc.PairsCompared != all.PairsCompared-first.PairsCompared {
		t.Errorf("Add compared %d pairs, want %d (%d all - %d old)", inc.PairsCompared, all.PairsCompared-first.PairsCompared, all.PairsCompared, first.PairsCompared)
	}
	if calls == 0 || lastDone != inc.PairsCompared || lastTotal != inc.PairsCompared {
		t.Errorf("progress: %d calls, last %d/%d, want %d", calls, lastDone, lastTotal, inc.PairsCompared)
	}
	isNew := map[string]bool{}
	for _, r := range fresh {
		isNew[r.ID] = true
	}
	for _, p := range inc.Pairs {
		if !isNew[p.A] && !isNew[p.B] {
			t.Fatalf("Add recompared old pair %s~%s", p.A, p.B)
		}
	}
	found, dups := 0, 0
	for _, r := range fresh {
		if orig := truth[r.ID]; orig != r.ID {
			dups++
			if inc.Clusters[r.ID] == inc.Clusters[orig] {
				found++
			}
		}
	}
	t.Logf("Add: %d new records, %d pairs compared (batch of all: %d); %d/%d new duplicates joined their original", len(fresh), inc.PairsCompared, all.PairsCompared, found, dups)
	if dups == 0 || float64(found) < 0.9*float64(dups) {
		t.Errorf("only %d of %d new duplicates found their original", found, dups)
	}
	if len(inc.Clusters) != len(recs) {
		t.Errorf("clusters cover %d records, want %d", len(inc.Clusters), len(recs))
	}
}

func TestCancel(t *testing.T) {
	recs, _ := synthPeople(2000, 0.2, 5)
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Match(ctx, recs); err != context.Canceled {
		t.Errorf("Match on cancelled context: err = %v", err)
	}
}
