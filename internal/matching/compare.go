package matching

import (
	"strings"

	"github.com/adrg/strutil/metrics"
	"github.com/agnivade/levenshtein"
)

// Level thresholds on Jaro-Winkler similarity.
const (
	jwClose    = 0.92
	jwSomewhat = 0.80
	jwEmail    = 0.88
)

// The metric is stateless apart from its options, so one value is shared.
var jw = metrics.NewJaroWinkler()

// JaroWinkler returns the Jaro-Winkler similarity of a and b in [0,1].
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	return jw.Compare(a, b)
}

// closeEdit reports whether a and b differ by at most one edit or one
// adjacent transposition (the classic keying errors).
func closeEdit(a, b string) bool {
	if len(a) == len(b) {
		diff := -1
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if diff >= 0 { // second difference: only a transposition of i-1,i
					return diff == i-1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
				}
				diff = i
			}
		}
		return true
	}
	return levenshtein.ComputeDistance(a, b) <= 1
}

// CompareField returns the comparison level (index into Levels(kind)) of two
// normalised values, or -1 if either is missing.
func CompareField(k Kind, a, b string) int {
	if a == "" || b == "" {
		return -1
	}
	if a == b {
		return 0
	}
	switch k {
	case KindName, KindText:
		s := jw.Compare(a, b)
		switch {
		case s >= jwClose:
			return 1
		case s >= jwSomewhat:
			return 2
		}
		return len(levelNames[k]) - 1
	case KindDate:
		switch {
		case closeEdit(a, b) || a[:4] == b[:4] && a[4:6] == b[6:8] && a[6:8] == b[4:6]: // day/month swapped
			return 1
		case a[:4] == b[:4] || levenshtein.ComputeDistance(a, b) <= 2:
			return 2
		}
		return 3
	case KindCode:
		if closeEdit(a, b) {
			return 1
		}
		return 2
	case KindEmail:
		ua, _, _ := strings.Cut(a, "@")
		ub, _, _ := strings.Cut(b, "@")
		switch {
		case ua == ub:
			return 1
		case jw.Compare(a, b) >= jwEmail:
			return 2
		}
		return 3
	}
	return len(levelNames[k]) - 1 // KindExact
}

// Levels returns the level names of a kind, strongest first.
func Levels(k Kind) []string { return levelNames[k] }
