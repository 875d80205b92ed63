// Package matching links records of the same person that share no common
// identifier (Fellegi-Sunter probabilistic record linkage).
//
// It works on plain records (ID + named string fields) so callers can feed it
// profiles from any store. The pipeline is: normalise fields, generate
// candidate pairs with OR-ed blocking rules, compare each field into discrete
// levels, estimate m/u probabilities by expectation-maximisation, score pairs
// and cluster those above the auto-merge threshold. Normalisers and
// comparators of single fields are in package field, the model and its
// estimation in package estimate.
package matching

import (
	"fmt"
	"strings"

	"github.com/tessera-cdp/tessera/internal/matching/estimate"
	"github.com/tessera-cdp/tessera/internal/matching/field"
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

// Field names of the default schema (DefaultSchema, PersonConfig, Person).
const (
	FFirstName    = "first_name"
	FLastName     = "last_name"
	FBirthDate    = "birth_date"
	FStreetNumber = "house_number"
	FStreet       = "address_line1"
	FStreet2      = "address_line2"
	FSuburb       = "city"
	FPostcode     = "postcode"
	FState        = "region"
	FPhone        = "phone"
	FEmail        = "email"
	FGender       = "gender"
	FCountry      = "country"
)

// Record converts a Person into a generic Record.
func (p Person) Record() Record {
	return Record{ID: p.ID, Fields: map[string]string{
		FFirstName: p.FirstName, FLastName: p.LastName, FStreetNumber: p.StreetNumber,
		FStreet: p.Street, FStreet2: p.Street2, FSuburb: p.Suburb, FPostcode: p.Postcode,
		FState: p.State, FBirthDate: p.BirthDate, FPhone: p.Phone, FEmail: p.Email,
	}}
}

// FieldSpec declares one compared field.
type FieldSpec struct {
	Name string
	Kind field.Kind
	// SwapWith names another field whose values may be transposed with this
	// one: first/last name (a cross match gets the "swapped" level, and a
	// surname alone in the first-name column is compared with the surname) or
	// two address lines (a transposition compares crosswise, at no cost).
	SwapWith string
	// Group names fields that depend on each other (the parts of an address):
	// a blocking rule fixing one of them leaves the whole group out of the EM
	// run on that rule's pairs.
	Group string
	// Related names a group whose values people who are not the same person
	// still share with this field (a household shares its surname and
	// landline with its address): a blocking rule fixing either leaves the
	// other out of its EM run.
	Related string
	// TF adjusts exact agreement by how common the value is (a match on
	// "smith" or on 1900-01-01 weighs less than on a rare value).
	TF bool
	// DateOrder reads ambiguous numeric dates of a field.KindDate field.
	DateOrder field.DateOrder
}

// KeyPart is one component of a blocking key: a field and a transform of its
// normalised value. An empty result means "no key" (missing values never block).
type KeyPart struct {
	Field     string
	Transform func(string) string // nil = whole value
	// Fallback, if set, is used when Field is empty (a surname found in the
	// first-name column of a record without a surname).
	Fallback string
}

// BlockingRule groups records whose key parts are all equal. Rules are OR-ed;
// a pair matched by several rules is compared once.
type BlockingRule struct {
	Name  string
	Parts []KeyPart
	// Unordered sorts the parts' values before joining them, so that the key
	// does not depend on which field holds which value (swapped names,
	// transposed address lines).
	Unordered bool
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
	// it; 0 disables. Clustering does not need it: a merge must be supported
	// by the pairs across the two clusters (see Cohesion).
	MaxClusterSize int
	// Cohesion is the least mean match probability over all record pairs
	// across two clusters for an automatic link to join them (average
	// linkage, so weak links do not chain); 0 means 0.5.
	Cohesion float64
	// PriorMatch is the starting share of matches among the pairs of a
	// blocking rule in EM.
	PriorMatch float64
	// USamples random pairs are compared to estimate u (all pairs when there
	// are fewer); 0 means 300000. Negative keeps the default u (tests only).
	USamples int
	// FixU is kept for compatibility: u always comes from random pairs.
	FixU bool
	// EMIterations bounds each EM run; 0 means 200.
	EMIterations int
	// MinEMPairs is the fewest pairs of a blocking rule EM learns m from; a
	// field no rule could train keeps its starting m. 0 means 1000; -1 always
	// runs EM.
	MinEMPairs int
	// MaxWeight caps the weight (log2 Bayes factor) of any level, both ways;
	// 0 means 11 bits.
	MaxWeight float64
	// Model, if set, is used as is and no training happens.
	Model *estimate.Model
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

// Year keeps the year of a normalised date (YYYYMMDD, YYYYMM or YYYY).
func Year(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[:4]
}

// FullDate keeps only dates known to the day (a year-only or month-year
// date, or a detected placeholder, does not block on the exact date).
func FullDate(s string) string {
	if len(s) != 8 {
		return ""
	}
	return s
}

// Schema says which columns of the data hold what. Empty roles are simply
// absent. Config derives the compared fields and blocking rules from it.
type Schema struct {
	FirstName, LastName string
	BirthDate           string
	DateOrder           field.DateOrder
	// AddressLines are street lines, which may be transposed (at most two
	// are compared crosswise).
	AddressLines []string
	HouseNumber  string
	Locality     string // city, town or suburb
	Postcode     string
	Region       string // state, county, province
	// Phones and other identifiers compared as codes (exact or one edit);
	// Emails compared as e-mail addresses; Categorical fields exact or not
	// (gender, country).
	Phones      []string
	Emails      []string
	Categorical []string
}

// DefaultSchema is the schema of Person and of the matching job's profiles.
func DefaultSchema() Schema {
	return Schema{FirstName: FFirstName, LastName: FLastName, BirthDate: FBirthDate,
		AddressLines: []string{FStreet, FStreet2}, HouseNumber: FStreetNumber, Locality: FSuburb,
		Postcode: FPostcode, Region: FState, Phones: []string{FPhone}, Emails: []string{FEmail}}
}

// Config returns the fields and blocking rules of the schema, with the
// default thresholds (auto above 0.9, review above 0.5).
func (s Schema) Config() Config {
	var c Config
	add := func(f FieldSpec) {
		if f.Name != "" {
			c.Fields = append(c.Fields, f)
		}
	}
	rule := func(name string, parts ...KeyPart) {
		for _, p := range parts {
			if p.Field == "" {
				return
			}
		}
		c.Blocking = append(c.Blocking, BlockingRule{Name: name, Parts: parts})
	}
	firstSwap, lastSwap := "", ""
	if s.FirstName != "" && s.LastName != "" {
		firstSwap, lastSwap = s.LastName, s.FirstName
	}
	add(FieldSpec{Name: s.FirstName, Kind: field.KindName, SwapWith: firstSwap, TF: true})
	add(FieldSpec{Name: s.LastName, Kind: field.KindName, SwapWith: lastSwap, TF: true, Related: "address"})
	add(FieldSpec{Name: s.BirthDate, Kind: field.KindDate, TF: true, DateOrder: s.DateOrder})
	add(FieldSpec{Name: s.HouseNumber, Kind: field.KindCode, Group: "address"})
	lines := s.AddressLines
	for i, l := range lines {
		f := FieldSpec{Name: l, Kind: field.KindText, Group: "address"}
		if len(lines) >= 2 && i < 2 {
			f.SwapWith = lines[1-i]
		}
		add(f)
	}
	add(FieldSpec{Name: s.Locality, Kind: field.KindText, Group: "address", TF: true})
	add(FieldSpec{Name: s.Postcode, Kind: field.KindCode, Group: "address", TF: true})
	add(FieldSpec{Name: s.Region, Kind: field.KindExact, Group: "address"})
	for _, p := range s.Phones {
		add(FieldSpec{Name: p, Kind: field.KindCode, TF: true, Related: "address"})
	}
	for _, e := range s.Emails {
		add(FieldSpec{Name: e, Kind: field.KindEmail, TF: true})
	}
	for _, x := range s.Categorical {
		add(FieldSpec{Name: x, Kind: field.KindExact})
	}

	last := KeyPart{Field: s.LastName, Fallback: s.FirstName}
	if s.LastName == "" {
		last = KeyPart{Field: s.FirstName}
	}
	first := KeyPart{Field: s.FirstName}
	dob := KeyPart{Field: s.BirthDate, Transform: FullDate}
	year := KeyPart{Field: s.BirthDate, Transform: Year}
	sx := func(p KeyPart) KeyPart { p.Transform = field.Soundex; return p }
	pre := func(p KeyPart, n int) KeyPart { p.Transform = Prefix(n); return p }
	rule("postcode", KeyPart{Field: s.Postcode})
	rule("birth_date", dob)
	rule("surname3+year", pre(last, 3), year)
	rule("soundex(names)", sx(KeyPart{Field: s.LastName}), sx(first))
	if s.FirstName != "" && s.LastName != "" {
		c.Blocking = append(c.Blocking, BlockingRule{Name: "soundex(names, any order)", Unordered: true,
			Parts: []KeyPart{sx(KeyPart{Field: s.FirstName}), sx(KeyPart{Field: s.LastName})}})
	}
	rule("first_name+locality", first, KeyPart{Field: s.Locality})
	rule("first_name+year", first, year)
	rule("surname+locality", last, KeyPart{Field: s.Locality})
	if len(lines) > 0 {
		rule("house_number+street", KeyPart{Field: s.HouseNumber}, KeyPart{Field: lines[0]})
		if len(lines) >= 2 {
			c.Blocking = append(c.Blocking, BlockingRule{Name: "address lines (any order)", Unordered: true,
				Parts: []KeyPart{{Field: lines[0]}, {Field: lines[1]}}})
		}
		rule("street+locality", KeyPart{Field: lines[0]}, KeyPart{Field: s.Locality})
	}
	for _, p := range s.Phones {
		rule(p, KeyPart{Field: p})
	}
	for _, e := range s.Emails {
		rule(e, KeyPart{Field: e})
	}
	c.Thresholds = Thresholds{Upper: 0.9, Lower: 0.5}
	return c
}

// PersonConfig returns the configuration of DefaultSchema (fields absent from
// the data are simply neutral and never block).
func PersonConfig() Config { return DefaultSchema().Config() }

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
		if field.Levels(f.Kind) == nil {
			return fmt.Errorf("matching: field %q: unknown kind %d", f.Name, f.Kind)
		}
		if _, ok := idx[f.SwapWith]; f.SwapWith != "" && !ok {
			return fmt.Errorf("matching: field %q swaps with unknown field %q", f.Name, f.SwapWith)
		}
		if f.SwapWith == f.Name && f.Name != "" {
			return fmt.Errorf("matching: field %q swaps with itself", f.Name)
		}
	}
	for _, r := range c.Blocking {
		for _, p := range r.Parts {
			if _, ok := idx[p.Field]; !ok {
				return fmt.Errorf("matching: blocking rule %q uses unknown field %q", r.Name, p.Field)
			}
			if _, ok := idx[p.Fallback]; p.Fallback != "" && !ok {
				return fmt.Errorf("matching: blocking rule %q falls back to unknown field %q", r.Name, p.Fallback)
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
