// Package facts keeps, in process, the few facts of every live profile that segment
// rules read (traits, identifiers, granted consent, value metrics) and evaluates a
// rule over them in memory, with exactly the semantics of the database query path
// (internal/store/segmentquery; see the package doc of internal/segment).
//
// It is domain code: no driver types. A store loads the cache (one projected scan of
// the profiles, of the metrics and of the consent records), then keeps it current write-through: every write
// path announces the profiles it changed (MarkDirty, from the segment queue), and the
// store re-reads their facts by bare _id (Refresh) before a preview or a membership
// re-evaluation reads the cache. Conditions on other collections (orders, interactions,
// tickets) are not facts: the caller evaluates them into id sets (Leaves).
//
// The cache is only right where this process sees every write: the embedded database,
// whose single writer process is this one. On a MongoDB shared by several instances the
// store keeps the query path.
package facts

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Kind is the type of an attribute value.
type Kind uint8

const (
	// String values compare with strings.
	String Kind = iota + 1
	// Number values (every numeric type) compare with numbers.
	Number
	// Bool values equal booleans.
	Bool
	// Other values (null, documents, nested arrays, dates...) only make a field present.
	Other
)

// Value is one value of an attribute (an array attribute has one per element).
type Value struct {
	S string
	N float64 // a number; 1 or 0 for a boolean
	K Kind
}

// Attr is an attribute of a profile: present, with zero or more values.
type Attr struct {
	Key  string
	Vals []Value
}

// Metrics are the fields of a profile's metrics document that rules read; an absent
// numeric field is 0 (which is what the query path makes of it).
type Metrics struct {
	Orders, Interactions float64
	NetMinor             int64
	R, F, M              float64 // RFM scores
	Currency             string  // "" when absent or not a string
	// LastOrderAt is the last order time in Unix milliseconds when HasLastOrder (a
	// date-typed field).
	LastOrderAt  int64
	HasLastOrder bool
}

// Fact is what rules can read of one live profile. Empty strings and nil lists are
// absent fields (profile documents are written with omitempty).
type Fact struct {
	ID                                     string
	FirstName, LastName, BirthDate, Locale string
	Emails, Phones                         []string
	Cities, Postcodes, Countries           []string // of every address that has one
	Identifiers                            []string
	Attrs                                  []Attr // by key
	Metrics                                *Metrics
	// Consent lists the granted consent keys ("email:marketing"), from the profile's
	// consent record.
	Consent []string
}

// Attr returns the attribute with key k.
func (f *Fact) Attr(k string) (*Attr, bool) {
	if len(f.Attrs) <= 8 {
		for i := range f.Attrs {
			if f.Attrs[i].Key == k {
				return &f.Attrs[i], true
			}
		}
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(f.Attrs, k, func(a Attr, k string) int { return strings.Compare(a.Key, k) })
	if !ok {
		return nil, false
	}
	return &f.Attrs[i], true
}

// SortAttrs orders Attrs by key (loaders call it once per fact).
func (f *Fact) SortAttrs() {
	slices.SortFunc(f.Attrs, func(a, b Attr) int { return strings.Compare(a.Key, b.Key) })
}

// Cache holds the facts of the live profiles in profile id order.
type Cache struct {
	mu     sync.RWMutex
	sorted []*Fact // by ID
	byID   map[string]*Fact

	started atomic.Bool
	loaded  atomic.Bool

	dirtyMu sync.Mutex
	dirty   map[string]uint64 // profile id -> generation of its last mark
	gen     uint64

	// RefreshMu serialises re-reads, so an older read is never applied after a newer.
	RefreshMu sync.Mutex

	internMu sync.Mutex
	intern   map[string]string
}

// NewCache returns an empty cache, not yet started.
func NewCache() *Cache {
	return &Cache{byID: map[string]*Fact{}, dirty: map[string]uint64{}, intern: map[string]string{}}
}

// maxInterned bounds the interning table.
const maxInterned = 1 << 20

// Intern returns a shared copy of s, for values many profiles have (names, cities,
// attribute values, currencies).
func (c *Cache) Intern(s string) string {
	if s == "" {
		return ""
	}
	c.internMu.Lock()
	defer c.internMu.Unlock()
	if v, ok := c.intern[s]; ok {
		return v
	}
	if len(c.intern) < maxInterned {
		s = strings.Clone(s)
		c.intern[s] = s
	}
	return s
}

// Start marks the beginning of the load: from now on MarkDirty records changes, so
// that writes racing with the load are re-read afterwards.
func (c *Cache) Start() { c.started.Store(true) }

// Abort undoes Start after a failed load, so that a new one can begin.
func (c *Cache) Abort() {
	if !c.loaded.Load() {
		c.started.Store(false)
	}
}

// Started reports whether a load has begun.
func (c *Cache) Started() bool { return c.started.Load() }

// SetLoaded marks the cache complete: evaluations may use it.
func (c *Cache) SetLoaded() { c.loaded.Store(true) }

// Loaded reports whether the cache is complete.
func (c *Cache) Loaded() bool { return c.loaded.Load() }

// Len is the number of live profiles held.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.sorted)
}

// MarkDirty records that the profiles changed in the database (ignored before Start).
func (c *Cache) MarkDirty(ids []string) {
	if !c.started.Load() || len(ids) == 0 {
		return
	}
	c.dirtyMu.Lock()
	c.gen++
	for _, id := range ids {
		if id != "" {
			c.dirty[id] = c.gen
		}
	}
	c.dirtyMu.Unlock()
}

// Marks is a snapshot of dirty marks, to clear after the re-read.
type Marks map[string]uint64

// DirtyMarks returns the marks of ids, or of every dirty profile when all.
func (c *Cache) DirtyMarks(ids []string, all bool) Marks {
	c.dirtyMu.Lock()
	defer c.dirtyMu.Unlock()
	out := Marks{}
	if all {
		for id, g := range c.dirty {
			out[id] = g
		}
		return out
	}
	for _, id := range ids {
		out[id] = c.dirty[id] // 0 when not marked
	}
	return out
}

// Clear removes the marks that were not renewed since the snapshot.
func (c *Cache) Clear(m Marks) {
	c.dirtyMu.Lock()
	defer c.dirtyMu.Unlock()
	for id, g := range m {
		if cur, ok := c.dirty[id]; ok && cur == g {
			delete(c.dirty, id)
		}
	}
}

// DirtyCount is the number of profiles waiting for a re-read.
func (c *Cache) DirtyCount() int {
	c.dirtyMu.Lock()
	defer c.dirtyMu.Unlock()
	return len(c.dirty)
}

// Apply stores the facts of live profiles and drops the ids in gone (merged into
// another profile, erased, or never created).
func (c *Cache) Apply(put []Fact, gone []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range gone {
		if _, ok := c.byID[id]; !ok {
			continue
		}
		delete(c.byID, id)
		if i, ok := c.index(id); ok {
			c.sorted = slices.Delete(c.sorted, i, i+1)
		}
	}
	for i := range put {
		f := &put[i]
		if _, ok := c.byID[f.ID]; ok {
			j, _ := c.index(f.ID)
			c.sorted[j] = f
		} else if n := len(c.sorted); n == 0 || c.sorted[n-1].ID < f.ID {
			c.sorted = append(c.sorted, f) // ids are time-ordered: new ones go last
		} else {
			j, _ := c.index(f.ID)
			c.sorted = slices.Insert(c.sorted, j, f)
		}
		c.byID[f.ID] = f
	}
}

// Load replaces the content with facts (any order), for the initial load.
func (c *Cache) Load(all []*Fact) {
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	all = slices.CompactFunc(all, func(a, b *Fact) bool { return a.ID == b.ID })
	by := make(map[string]*Fact, len(all))
	for _, f := range all {
		by[f.ID] = f
	}
	c.mu.Lock()
	c.sorted, c.byID = all, by
	c.mu.Unlock()
}

func (c *Cache) index(id string) (int, bool) {
	return slices.BinarySearchFunc(c.sorted, id, func(f *Fact, id string) int { return strings.Compare(f.ID, id) })
}

// Get returns a copy of a profile's facts.
func (c *Cache) Get(id string) (Fact, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	f, ok := c.byID[id]
	if !ok {
		return Fact{}, false
	}
	return *f, true
}

// Scan calls fn with the matching profiles in id order while fn returns true; restrict
// (nil: every profile) limits it to those ids.
func (c *Cache) Scan(p *Predicate, restrict []string, fn func(id string) bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if restrict != nil {
		ids := slices.Clone(restrict)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			if f, ok := c.byID[id]; ok && p.Match(f) && !fn(id) {
				return
			}
		}
		return
	}
	for _, f := range c.sorted {
		if p.Match(f) && !fn(f.ID) {
			return
		}
	}
}

// Count counts the matching profiles and returns the ids of the first sample of them.
func (c *Cache) Count(p *Predicate, sample int) (int, []string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	var first []string
	for _, f := range c.sorted {
		if p.Match(f) {
			if n < sample {
				first = append(first, f.ID)
			}
			n++
		}
	}
	return n, first
}
