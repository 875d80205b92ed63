package guard_test

import (
	"context"
	"os"
	"testing"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/eval"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/matchjob/guard"
)

// What the job would merge automatically on FEBRL3 (the matcher's auto pairs through
// the job's guard and its group limit): recall at least 0.95 at precision 0.999.
func TestGuardOnFebrl3(t *testing.T) {
	path := "../../../../shared/data/linkage/febrl_dataset3.csv"
	if _, err := os.Stat(path); err != nil {
		t.Skip("FEBRL3 not present")
	}
	s, err := eval.FEBRL("febrl3", path)
	if err != nil {
		t.Fatal(err)
	}
	_, res, m, err := eval.Run(context.Background(), s, matching.PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	fig := guard.Evaluate(m, res, s.Truth, matchjob.New(nil, nil).MaxGroup)
	t.Logf("job merges: %v; held %v", fig.Scores, fig.Held)
	if fig.Precision < 0.999 || fig.Recall < 0.95 {
		t.Errorf("job merges: precision %.4f recall %.4f, want >= 0.999 and >= 0.95", fig.Precision, fig.Recall)
	}
}
