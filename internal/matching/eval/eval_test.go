package eval

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/matching"
)

const linkageDir = "../../../../shared/data/linkage"

// The matcher with its default configuration (no setting for any data set) on
// labelled data: FEBRL 1-3 (without soc_sec_id), Splink's fake_1000 and the
// generated development set. The largest predicted cluster may be at most twice
// the largest true one on every set (no chaining).
func TestLinkageFigures(t *testing.T) {
	sets, err := Standard(linkageDir, "../testdata/dev_people.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"febrl1": 0.999, "febrl2": 0.999, "febrl3": 0.999, "fake_1000": 0.92, "generated": 0.95}
	seen := 0
	for _, s := range sets {
		minF1, ok := want[s.Name]
		if !ok {
			continue
		}
		seen++
		t.Run(s.Name, func(t *testing.T) {
			sc, res, m, err := Run(context.Background(), s, matching.PersonConfig())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d records, %d pairs compared, blocking recall %.4f, lambda %.3g: %v", len(s.Records), res.PairsCompared,
				BlockingRecall(m, s.Truth), m.Model().Lambda, sc)
			if sc.F1 < minF1 {
				t.Errorf("F1 %.4f, want at least %.3f", sc.F1, minF1)
			}
			if sc.LargestPred > 2*sc.LargestTrue {
				t.Errorf("largest cluster %d, more than twice the largest true one (%d)", sc.LargestPred, sc.LargestTrue)
			}
			for f, fm := range m.Model().Fields {
				for l := range fm.M {
					if w := m.Model().LevelWeight(f, l); w > m.Model().MaxWeight || w < -m.Model().MaxWeight {
						t.Errorf("%s %s weighs %.1f", fm.Name, fm.Levels[l], w)
					}
				}
			}
			if s.Name == "febrl3" {
				crossCheck(t, filepath.Join(linkageDir, "febrl_dataset3.csv"), "rec_id", "febrl", res.Clusters)
			}
		})
	}
	if seen == 0 {
		t.Skip("no labelled data sets present")
	}
}

// crossCheck writes id,cluster to a temp CSV and, if node and the conformance
// scorer are available, logs its independent figures.
func crossCheck(t *testing.T, truthFile, truthID, truthCol string, pred map[string]string) {
	scorer := "../../../../shared/conformance/linkage-score.mjs"
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(scorer); err != nil || serr != nil {
		return
	}
	out := filepath.Join(t.TempDir(), "pred.csv")
	var b strings.Builder
	b.WriteString("id,cluster\n")
	for id, c := range pred {
		fmt.Fprintf(&b, "%s,%s\n", id, c)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(node, scorer, truthFile, truthID, truthCol, out, "id", "cluster").CombinedOutput()
	t.Logf("linkage-score.mjs: %s (err %v)", strings.TrimSpace(string(got)), err)
}
