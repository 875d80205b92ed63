package matching

import (
	"context"
	"testing"
)

// BenchmarkMatch50k: 50k synthetic people, ~20% corrupted duplicates; full
// pipeline (index, block, compare, EM, score, cluster).
func BenchmarkMatch50k(b *testing.B) {
	recs, truth := synthPeople(50000, 0.2, 1)
	b.ReportAllocs()
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		m, err := New(PersonConfig())
		if err != nil {
			b.Fatal(err)
		}
		if res, err = m.Match(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	s := score(truth, res.Clusters)
	b.ReportMetric(float64(res.PairsCompared), "pairs")
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(s.F1, "F1")
	b.Logf("pairs compared %d of %d; precision %.4f recall %.4f F1 %.4f", res.PairsCompared, len(recs)*(len(recs)-1)/2, s.Precision, s.Recall, s.F1)
}
