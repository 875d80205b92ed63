package matching

import "sort"

// pairScore is pairwise precision/recall/F1 of a clustering against the truth
// (the labelled data sets are scored by package eval; this is for the
// synthetic data of this package's tests and benchmark).
type pairScore struct {
	TruePairs, PredPairs, TP int
	Precision, Recall, F1    float64
}

func clusterPairs(cluster map[string]string) map[[2]string]bool {
	groups := map[string][]string{}
	for id, c := range cluster {
		if c != "" {
			groups[c] = append(groups[c], id)
		}
	}
	pairs := map[[2]string]bool{}
	for _, ids := range groups {
		sort.Strings(ids)
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				pairs[[2]string{ids[i], ids[j]}] = true
			}
		}
	}
	return pairs
}

func score(truth, pred map[string]string) pairScore {
	T, P := clusterPairs(truth), clusterPairs(pred)
	s := pairScore{TruePairs: len(T), PredPairs: len(P)}
	for p := range P {
		if T[p] {
			s.TP++
		}
	}
	if s.PredPairs > 0 {
		s.Precision = float64(s.TP) / float64(s.PredPairs)
	}
	if s.TruePairs > 0 {
		s.Recall = float64(s.TP) / float64(s.TruePairs)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
