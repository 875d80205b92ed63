package field

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
		if k == KindDate && len(a) != 8 {
			return 2 // equal, but only to the year or month: partial
		}
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
		return compareDates(a, b)
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

// compareDates compares two normalised dates (YYYYMMDD, YYYYMM or YYYY),
// known different. Dates known to the day differ by one digit or a swap of
// day and month (close), or by more within a year (same-year-or-two-edits).
// Where one is less precise, agreement on what both have is "partial".
func compareDates(a, b string) int {
	const exact, close, partial, sameYear, different = 0, 1, 2, 3, 4
	if len(a) != len(b) || len(a) != 8 {
		p := min(len(a), len(b))
		if len(a) < 4 || len(b) < 4 {
			return different
		}
		switch {
		case a[:p] == b[:p]:
			return partial
		case a[:4] == b[:4]:
			return sameYear
		}
		return different
	}
	switch {
	case closeEdit(a, b) || a[:4] == b[:4] && a[4:6] == b[6:8] && a[6:8] == b[4:6]: // day/month swapped
		return close
	case a[:4] == b[:4] || levenshtein.ComputeDistance(a, b) <= 2:
		return sameYear
	}
	return different
}

// NameSwapLevel is the "swapped" level of KindName.
const NameSwapLevel = 3

// CompareNames compares the two name fields (f = first, s = last or the
// other way round) of records a and b, straight and crosswise, and keeps
// the better reading: a name found in the other record's opposite column
// (transposed names, or a surname in the first-name column) gets the
// swapped level. A record holding one name only has it compared with
// whichever of the other's names it is close to, the column it sat in then
// counting as missing.
func CompareNames(af, as, bf, bs string) (lf, ls int) {
	lf, ls = CompareField(KindName, af, bf), CompareField(KindName, as, bs)
	if lf >= 0 && lf <= 1 && ls >= 0 && ls <= 1 {
		return lf, ls
	}
	cf, cs := CompareField(KindName, af, bs), CompareField(KindName, as, bf)
	swapped := func(l int) int {
		if l == 0 || l == 1 {
			return NameSwapLevel
		}
		return l
	}
	q := func(l int) int {
		switch {
		case l < 0:
			return 0
		case l <= 1:
			return 3
		case l == 2:
			return 1
		}
		return -1
	}
	switch {
	case af != "" && as != "" && bf != "" && bs != "":
		if q(cf)+q(cs) > q(lf)+q(ls) {
			return swapped(cf), swapped(cs)
		}
	case (af == "") != (as == "") && bf != "" && bs != "", (bf == "") != (bs == "") && af != "" && as != "":
		// One record holds one name: if it is close to the other's name in
		// the opposite column and not to the one in its own, it was shifted.
		if q(cf)+q(cs) > q(lf)+q(ls) && (cf == 0 || cf == 1 || cs == 0 || cs == 1) {
			if cf >= 0 { // af~bs: the surname field carries the match
				return -1, swapped(cf)
			}
			return swapped(cs), -1
		}
	}
	return lf, ls
}

// CompareLines compares two transposable text fields (address lines 1 and 2)
// straight and crosswise and keeps the better reading: a transposition is not
// evidence against a match.
func CompareLines(a1, a2, b1, b2 string) (l1, l2 int) {
	l1, l2 = CompareField(KindText, a1, b1), CompareField(KindText, a2, b2)
	c1, c2 := CompareField(KindText, a1, b2), CompareField(KindText, a2, b1)
	q := func(l int) int {
		if l < 0 {
			return 0
		}
		return len(levelNames[KindText]) - 1 - l
	}
	if q(c1)+q(c2) > q(l1)+q(l2) {
		return c1, c2
	}
	return l1, l2
}

// IsSwapped reports whether a record's field values appear transposed in the
// other (first name in the surname column and vice versa).
func IsSwapped(af, bf, as, bs string) bool {
	return as != "" && bs != "" && JaroWinkler(af, bs) >= jwClose && JaroWinkler(as, bf) >= jwClose
}
