// Package matching links records of the same person that share no common
// identifier (Fellegi-Sunter probabilistic record linkage).
//
// It works on plain records (ID + named string fields) so callers can feed it
// profiles from any store. The pipeline is: normalise fields, generate
// candidate pairs with OR-ed blocking rules, compare each field into discrete
// levels, estimate m/u probabilities by expectation-maximisation, score pairs
// and cluster those above the auto-merge threshold.
package matching

import (
	"fmt"
	"strings"
)

// Record is one input row: an ID and named string fields (missing = "").
type Record struct {
	ID     string
	Fields map[string]string
}

// Person is a convenience shape for customer profiles; see Record.
type Person struct {
	ID, FirstName, LastName, StreetNumber, Street, Street2, Suburb, Postcode, State, BirthDate, Phone, Email string
}

// Field names used by Person and PersonConfig.
const (
	FFirstName    = "first_name"
	FLastName     = "last_name"
	FStreetNumber = "street_number"
	FStreet       = "street"
	FStreet2      = "street2"
	FSuburb       = "suburb"
	FPostcode     = "postcode"
	FState        = "state"
	FBirthDate    = "birth_date"
	FPhone        = "phone"
	FEmail        = "email"
)

// Record converts a Person into a generic Record.
func (p Person) Record() Record {
	return Record{ID: p.ID, Fields: map[string]string{
		FFirstName: p.FirstName, FLastName: p.LastName, FStreetNumber: p.StreetNumber,
		FStreet: p.Street, FStreet2: p.Street2, FSuburb: p.Suburb, FPostcode: p.Postcode,
		FState: p.State, FBirthDate: p.BirthDate, FPhone: p.Phone, FEmail: p.Email,
	}}
}

// Kind selects a field's normaliser and comparator (and so its levels).
type Kind int

const (
	KindName  Kind = iota // person names: exact / JW>=0.92 / JW>=0.80 / swapped / else
	KindText              // free text (street, suburb): exact / JW>=0.92 / JW>=0.80 / else
	KindDate              // dates: exact / one digit or transposed / same year or 2 edits / else
	KindCode              // short codes (postcode, street number, phone): exact / one edit / else
	KindExact             // categorical (state): exact / else
	KindEmail             // exact / same local part / JW>=0.88 / else
)

// levelNames lists the comparison levels of each kind, strongest first; the
// last is always the catch-all disagreement. Missing values get level -1,
// which is neutral (weight 0).
var levelNames = map[Kind][]string{
	KindName:  {"exact", "close", "somewhat", "swapped", "different"},
	KindText:  {"exact", "close", "somewhat", "different"},
	KindDate:  {"exact", "one-digit-or-transposed", "same-year-or-two-edits", "different"},
	KindCode:  {"exact", "one-edit", "different"},
	KindExact: {"exact", "different"},
	KindEmail: {"exact", "same-user", "close", "different"},
}

// FieldSpec declares one compared field.
type FieldSpec struct {
	Name string
	Kind Kind
	// SwapWith names another field whose values may be transposed with this
	// one (first/last name): a cross match gets the "swapped" level.
	SwapWith string
}

// KeyPart is one component of a blocking key: a field and a transform of its
// normalised value. An empty result means "no key" (missing values never block).
type KeyPart struct {
	Field     string
	Transform func(string) string // nil = whole value
}

// BlockingRule groups records whose key parts are all equal. Rules are OR-ed;
// a pair matched by several rules is compared once.
type BlockingRule struct {
	Name  string
	Parts []KeyPart
}

// Thresholds on match probability: >= Upper merges automatically,
// >= Lower is suggested for human review.
type Thresholds struct {
	Upper, Lower float64
}

// Decision is the outcome of classifying a scored pair.
type Decision int

const (
	None Decision = iota
	Review
	Auto
)

func (d Decision) String() string { return [...]string{"none", "review", "auto"}[d] }

// Classify maps a match probability to a decision.
func (t Thresholds) Classify(p float64) Decision {
	switch {
	case p >= t.Upper:
		return Auto
	case p >= t.Lower:
		return Review
	}
	return None
}

// Config configures a Matcher.
type Config struct {
	Fields   []FieldSpec
	Blocking []BlockingRule
	Thresholds
	// MaxBlockSize skips blocks with more members (too common keys, e.g. a
	// default value); 0 means 1000.
	MaxBlockSize int
	// MaxClusterSize (optional) refuses merges that would grow a cluster past
	// it, guarding against chaining through weak links; 0 disables.
	MaxClusterSize int
	// PriorMatch is the starting share of matches among compared pairs.
	PriorMatch float64
	// USamples random pairs are compared to estimate u; 0 means 200000,
	// negative disables (u then starts from defaults and EM estimates it).
	USamples int
	// FixU keeps u at the random-pair estimate during EM (only m and the
	// match rate are trained). Otherwise EM refines u on the compared pairs.
	FixU bool
	// EMIterations bounds EM; 0 means 200.
	EMIterations int
	// MinEMPairs is the fewest compared pairs EM learns m from; with fewer, the starting m
	// and the u of random pairs are used as they are. 0 means 1000; -1 always runs EM.
	MinEMPairs int
	// Model, if set, is used as is and no training happens.
	Model *Model
	// Seed for random-pair sampling (deterministic by default).
	Seed uint64
	// Workers for pair comparison; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called (from one goroutine at a time) with pairs
	// compared so far and the total, after each chunk and at the end.
	Progress func(done, total int)
}

// Prefix returns a transform keeping the first n runes.
func Prefix(n int) func(string) string {
	return func(s string) string {
		r := []rune(s)
		if len(r) > n {
			r = r[:n]
		}
		return string(r)
	}
}

// Year keeps the year of a normalised YYYYMMDD date.
func Year(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[:4]
}

// PersonConfig returns a configuration for Person records (fields absent from
// the data are simply neutral and never block).
func PersonConfig() Config {
	return Config{
		Fields: []FieldSpec{
			{Name: FFirstName, Kind: KindName, SwapWith: FLastName},
			{Name: FLastName, Kind: KindName, SwapWith: FFirstName},
			{Name: FBirthDate, Kind: KindDate},
			{Name: FStreetNumber, Kind: KindCode},
			{Name: FStreet, Kind: KindText},
			{Name: FStreet2, Kind: KindText},
			{Name: FSuburb, Kind: KindText},
			{Name: FPostcode, Kind: KindCode},
			{Name: FState, Kind: KindExact},
			{Name: FPhone, Kind: KindCode},
			{Name: FEmail, Kind: KindEmail},
		},
		Blocking: []BlockingRule{
			{Name: "postcode", Parts: []KeyPart{{Field: FPostcode}}},
			{Name: "birth_date", Parts: []KeyPart{{Field: FBirthDate}}},
			{Name: "surname3+year", Parts: []KeyPart{{FLastName, Prefix(3)}, {FBirthDate, Year}}},
			{Name: "soundex(names)", Parts: []KeyPart{{FLastName, Soundex}, {FFirstName, Soundex}}},
			{Name: "soundex(swapped names)", Parts: []KeyPart{{FFirstName, Soundex}, {FLastName, Soundex}}},
			{Name: "first_name+suburb", Parts: []KeyPart{{Field: FFirstName}, {Field: FSuburb}}},
			{Name: "first_name+year", Parts: []KeyPart{{Field: FFirstName}, {FBirthDate, Year}}},
			{Name: "surname+suburb", Parts: []KeyPart{{Field: FLastName}, {Field: FSuburb}}},
			{Name: "phone", Parts: []KeyPart{{Field: FPhone}}},
			{Name: "email", Parts: []KeyPart{{Field: FEmail}}},
		},
		Thresholds: Thresholds{Upper: 0.9, Lower: 0.5},
	}
}

func (c *Config) validate() error {
	if len(c.Fields) == 0 || len(c.Fields) > 16 {
		return fmt.Errorf("matching: need 1..16 fields, got %d", len(c.Fields))
	}
	if len(c.Blocking) == 0 {
		return fmt.Errorf("matching: need at least one blocking rule")
	}
	idx := c.fieldIndex()
	if len(idx) != len(c.Fields) {
		return fmt.Errorf("matching: duplicate field names")
	}
	for _, f := range c.Fields {
		if _, ok := levelNames[f.Kind]; !ok {
			return fmt.Errorf("matching: field %q: unknown kind %d", f.Name, f.Kind)
		}
		if _, ok := idx[f.SwapWith]; f.SwapWith != "" && !ok {
			return fmt.Errorf("matching: field %q swaps with unknown field %q", f.Name, f.SwapWith)
		}
	}
	for _, r := range c.Blocking {
		for _, p := range r.Parts {
			if _, ok := idx[p.Field]; !ok {
				return fmt.Errorf("matching: blocking rule %q uses unknown field %q", r.Name, p.Field)
			}
		}
	}
	if c.Upper < c.Lower {
		return fmt.Errorf("matching: upper threshold %v below lower %v", c.Upper, c.Lower)
	}
	if c.Model != nil && len(c.Model.Fields) != len(c.Fields) {
		return fmt.Errorf("matching: model has %d fields, config %d", len(c.Model.Fields), len(c.Fields))
	}
	return nil
}

func (c *Config) fieldIndex() map[string]int {
	m := make(map[string]int, len(c.Fields))
	for i, f := range c.Fields {
		m[strings.TrimSpace(f.Name)] = i
	}
	return m
}
