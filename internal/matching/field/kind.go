// Package field normalises and compares the values of one field of a record:
// what kind of value it is (a name, a date, a code...), how raw values are
// cleaned (titles, placeholders, date formats and precision) and into which
// discrete comparison levels a pair of values falls.
package field

// Kind selects a field's normaliser and comparator (and so its levels).
type Kind int

const (
	KindName  Kind = iota // person names: exact / JW>=0.92 / JW>=0.80 / swapped / else
	KindText              // free text (street, city): exact / JW>=0.92 / JW>=0.80 / else
	KindDate              // dates: exact / one digit or transposed / partial / same year or 2 edits / else
	KindCode              // short codes (postcode, house number, phone): exact / one edit / else
	KindExact             // categorical (region, gender, country): exact / else
	KindEmail             // exact / same local part / JW>=0.88 / else
)

// levelNames lists the comparison levels of each kind, strongest first; the
// last is always the catch-all disagreement. Missing values get level -1,
// which is neutral (weight 0).
var levelNames = map[Kind][]string{
	KindName:  {"exact", "close", "somewhat", "swapped", "different"},
	KindText:  {"exact", "close", "somewhat", "different"},
	KindDate:  {"exact", "one-digit-or-transposed", "partial", "same-year-or-two-edits", "different"},
	KindCode:  {"exact", "one-edit", "different"},
	KindExact: {"exact", "different"},
	KindEmail: {"exact", "same-user", "close", "different"},
}

// levelChains lists, per kind, chains of levels whose weights must not
// increase along the chain (exact >= close >= different): EM on skewed data
// can otherwise make a near match weigh more than an exact one.
var levelChains = map[Kind][][]int{
	KindName:  {{0, 1, 2, 4}, {0, 3, 4}}, // "swapped" is never worth more than an exact match
	KindText:  {{0, 1, 2, 3}},
	KindDate:  {{0, 1, 2, 3, 4}},
	KindCode:  {{0, 1, 2}},
	KindExact: {{0, 1}},
	KindEmail: {{0, 1, 2, 3}},
}

// DateOrder tells how an all-numeric date with the year last is read.
type DateOrder int

const (
	DayFirst   DateOrder = iota // 09/04/1956 is 9 April (most of the world)
	MonthFirst                  // 04/09/1956 is 9 April (United States)
)

// Levels returns the level names of a kind, strongest first.
func Levels(k Kind) []string { return levelNames[k] }

// Chains returns the chains of levels of a kind whose weights must not
// increase along the chain.
func Chains(k Kind) [][]int { return levelChains[k] }
