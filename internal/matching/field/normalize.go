package field

import (
	"fmt"
	"strings"
	"unicode"
)

// NormalizeName lower-cases and keeps letters only (spaces, hyphens,
// apostrophes and digits are noise for names: "O'Brien" == "obrien").
// Non-ASCII letters are kept; their case is folded. Titles and honorifics
// ("Mr", "Dr", "Sir", "Jr") are dropped when they stand as words of their own,
// and a value that says nothing ("unknown", "n/a", "-") is missing ("").
func NormalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	word := make([]rune, 0, 16)
	flush := func() {
		if w := string(word); !nameNoise[w] {
			b.WriteString(w)
		}
		word = word[:0]
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			word = append(word, unicode.ToLower(r))
		case r == '\'' || r == '’' || r == '-': // O'Brien, Smith-Jones: one word
		default:
			flush()
		}
	}
	flush()
	out := b.String()
	if nameNoise[out] || placeholder[out] {
		return ""
	}
	return out
}

// nameNoise are titles, honorifics and generational suffixes.
var nameNoise = setOf("mr", "mrs", "ms", "miss", "mx", "mister", "missus", "dr", "doctor", "prof", "professor", "sir", "dame",
	"lady", "lord", "rev", "revd", "reverend", "fr", "father", "sr", "jr", "snr", "jnr", "junior", "senior", "ii", "iii", "iv",
	"esq", "hon", "capt", "captain", "col", "maj", "mme", "mlle", "herr", "frau")

// placeholder are values that stand for "not known".
var placeholder = setOf("unknown", "unk", "na", "nk", "none", "null", "nil", "nan", "notknown", "notgiven", "notprovided",
	"notapplicable", "notavailable", "noname", "missing", "anonymous", "anon", "tbc", "tba", "xxx", "xx", "x", "zzz", "blank",
	"n a", "not known", "not given", "not provided", "not applicable", "not available", "no name")

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// NormalizeText lower-cases, keeps letters and digits, and collapses every
// other run of characters into a single space.
func NormalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		} else {
			space = true
		}
	}
	if out := b.String(); !placeholder[out] {
		return out
	}
	return ""
}

// NormalizeCode keeps ASCII letters and digits, lower-cased ("2 119" == "2119").
func NormalizeCode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// NormalizeDate is ParseDate with day-first reading of ambiguous numeric
// dates.
func NormalizeDate(s string) string { return ParseDate(s, DayFirst) }

// ParseDate reads a date in the common formats and returns it at the
// precision it has: YYYYMMDD, YYYYMM (month and year) or YYYY (year only),
// or "" if it is not a date. Accepted: ISO (1956-04-09, 1956/04/09,
// 19560409, with a time after it), numeric with the year last (09/04/1956,
// 9.4.1956: day or month first as order says, unless one part is over 12),
// month names (9 April 1956, Apr 9th 1956, April 1956), month-year
// (1956-04, 04/1956) and year only (1956). A month or day of 00 means
// unknown and lowers the precision. Calendar validity is not checked
// further on purpose: a typo'd date (1956-13-09) is still strong evidence
// when compared digit-wise. Years must lie in 1800..2199.
func ParseDate(s string, order DateOrder) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 10 && (s[10] == 't' || s[10] == ' ') && isDigits(s[:4]) { // ISO timestamp
		s = s[:10]
	}
	var nums []string
	month := ""
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		switch {
		case c >= '0' && c <= '9':
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			nums = append(nums, s[i:j])
		case c >= 'a' && c <= 'z':
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
			w := s[i:j]
			switch {
			case monthOf(w) != "" && month == "":
				month = monthOf(w)
			case (w == "st" || w == "nd" || w == "rd" || w == "th") && len(nums) > 0: // 9th
			case w == "of": // 9th of April
			default:
				return ""
			}
		case c == '-' || c == '/' || c == '.' || c == ' ' || c == ',':
		default:
			return ""
		}
		i = j
	}
	if len(nums) > 3 {
		return ""
	}
	if month != "" {
		var y, d string
		for _, n := range nums {
			switch {
			case len(n) == 4 && y == "":
				y = n
			case len(n) <= 2 && d == "":
				d = n
			default:
				return ""
			}
		}
		return dateOf(y, month, d)
	}
	switch len(nums) {
	case 1:
		n := nums[0]
		switch len(n) {
		case 8:
			if century(n[4:6]) && !century(n[:2]) { // 09041956
				return dayMonth(n[:2], n[2:4], n[4:], order)
			}
			return dateOf(n[:4], n[4:6], n[6:])
		case 6:
			if century(n[:2]) {
				return dateOf(n[:4], n[4:], "")
			}
			if century(n[2:4]) {
				return dateOf(n[2:], n[:2], "")
			}
		case 4:
			return dateOf(n, "", "")
		}
		return ""
	case 2:
		a, b := nums[0], nums[1]
		switch {
		case len(a) == 4 && len(b) <= 2:
			return dateOf(a, b, "")
		case len(b) == 4 && len(a) <= 2:
			return dateOf(b, a, "")
		}
		return ""
	case 3:
		a, b, c := nums[0], nums[1], nums[2]
		switch {
		case len(a) == 4 && len(b) <= 2 && len(c) <= 2:
			return dateOf(a, b, c)
		case len(c) == 4 && len(a) <= 2 && len(b) <= 2:
			return dayMonth(a, b, c, order)
		}
	}
	return ""
}

// dayMonth reads a and b as day and month (or month and day) of year y:
// a part over 12 can only be the day; otherwise order decides.
func dayMonth(a, b, y string, order DateOrder) string {
	ai, bi := atoi(a), atoi(b)
	switch {
	case ai > 12 && bi <= 12:
		return dateOf(y, b, a)
	case bi > 12 && ai <= 12:
		return dateOf(y, a, b)
	case order == MonthFirst:
		return dateOf(y, a, b)
	}
	return dateOf(y, b, a)
}

// dateOf assembles YYYYMMDD, lowering the precision where month or day is
// empty or zero; "" if the year is not a plausible birth or event year.
func dateOf(y, m, d string) string {
	if len(y) != 4 || !isDigits(y) || y < "1800" || y > "2199" {
		return ""
	}
	pad := func(x string) string {
		if len(x) == 1 {
			return "0" + x
		}
		return x
	}
	m, d = pad(m), pad(d)
	if m == "" || m == "00" || !isDigits(m) {
		return y
	}
	if d == "" || d == "00" || !isDigits(d) {
		return y + m
	}
	return y + m + d
}

func century(s string) bool { return s == "18" || s == "19" || s == "20" || s == "21" }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

var months = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// monthOf returns the two-digit month of an English month name or its
// abbreviation ("sept" too), "" otherwise.
func monthOf(w string) string {
	if len(w) < 3 {
		return ""
	}
	full := []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	for i, m := range months {
		if strings.HasPrefix(w, m) && strings.HasPrefix(full[i], w) || w == "sept" && i == 8 {
			return fmt.Sprintf("%02d", i+1)
		}
	}
	return ""
}

// NormalizeEmail lower-cases and trims.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Normalize normalises a value of a field of kind k (order reads ambiguous
// numeric dates).
func Normalize(k Kind, order DateOrder, s string) string {
	switch k {
	case KindName:
		return NormalizeName(s)
	case KindDate:
		return ParseDate(s, order)
	case KindCode:
		return NormalizeCode(s)
	case KindEmail:
		return NormalizeEmail(s)
	default:
		return NormalizeText(s)
	}
}

// Soundex is the American Soundex code of the ASCII letters of s ("" if none),
// used as a phonetic blocking key so "smith" and "smyth" share a block.
func Soundex(s string) string {
	const codes = "01230120022455012623010202" // a..z
	out := make([]byte, 0, 4)
	var last byte
	for i := 0; i < len(s) && len(out) < 4; i++ {
		c := s[i] | 0x20 // ASCII lower-case
		if c < 'a' || c > 'z' {
			continue
		}
		code := codes[c-'a']
		if len(out) == 0 {
			out = append(out, c-'a'+'A')
			last = code
			continue
		}
		if code != '0' && code != last {
			out = append(out, code)
		}
		if c != 'h' && c != 'w' { // h/w do not separate equal codes
			last = code
		}
	}
	if len(out) == 0 {
		return ""
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}
