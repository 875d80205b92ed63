// Package queueindex is an in-process index of ticket summaries for the help desk's
// queues, for a database that serves only _id lookups without a scan (the embedded
// FerretDB, where one process writes): a queue page is a filter and a keyset walk in
// memory, then point reads of the page's tickets. The ticket store builds it from one
// scan and writes every ticket write through to it; this package holds no driver code.
//
// Tickets are kept per status, each status in the three listing orders, so a queue of
// open tickets walks open tickets only, whatever the number of solved and closed ones.
// The answers are those of the store's query (ticketstore.ListTickets): the filter is
// listing.Filter on the stored values (times to the millisecond, as the database keeps
// them), the orders and the keyset cursor those of the query.
package queueindex

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

// Summary is what the queues filter and sort a ticket on, as stored: times are Unix
// milliseconds (the database's precision).
type Summary struct {
	ID, Status, Priority, AssigneeID, GroupID, RequesterID string
	Tags                                                   []string
	Created, Updated, Due                                  int64
}

// Ms is a time as the database stores it, in Unix milliseconds.
func Ms(t time.Time) int64 { return t.UnixMilli() }

// Time is the time of Unix milliseconds ms, in UTC (as the driver decodes it).
func Time(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// The listing orders, as positions in a status's lists.
const (
	byCreated = iota // _id ascending (ULIDs: creation order)
	byDue            // nextDue ascending, then _id ascending
	byUpdated        // updatedAt descending, then _id descending
	orders
)

func orderIndex(o listing.Order) (int, bool) {
	switch o {
	case listing.OrderCreatedAsc:
		return byCreated, true
	case listing.OrderDueAsc:
		return byDue, true
	case listing.OrderUpdatedDesc, "":
		return byUpdated, true
	}
	return 0, false
}

func key(o int, s *Summary) int64 {
	switch o {
	case byDue:
		return s.Due
	case byUpdated:
		return s.Updated
	}
	return 0
}

// compare orders (ak, aid) against (bk, bid) in the walk order of o.
func compare(o int, ak int64, aid string, bk int64, bid string) int {
	c := cmp.Compare(ak, bk)
	if c == 0 {
		c = strings.Compare(aid, bid)
	}
	if o == byUpdated {
		return -c
	}
	return c
}

// Cursor is the position a page starts after: the sort key (Unix ms; ignored for the
// creation order) and the id of the last ticket of the previous page.
type Cursor struct {
	K  int64
	ID string
}

type change struct {
	s   Summary
	del bool
}

const (
	idle = iota
	building
	built
)

// Index is the index of one database. Its zero value is not usable: see New.
type Index struct {
	mu    sync.RWMutex
	state int
	log   []change // the writes made while building, replayed over the scan
	byID  map[string]*Summary
	lists map[string]*[orders][]*Summary // status -> its tickets in each order
}

// New returns an empty index, not built.
func New() *Index {
	return &Index{byID: map[string]*Summary{}, lists: map[string]*[orders][]*Summary{}}
}

// Built reports whether the index answers (Page).
func (x *Index) Built() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.state == built
}

// Begin starts a build: true if the caller is to scan the tickets and call Load (or
// Abort), false if the index is built or being built already. From here on the writes
// are logged, to be replayed over what the scan read.
func (x *Index) Begin() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != idle {
		return false
	}
	x.state, x.log = building, nil
	return true
}

// Abort gives a build up (the scan failed): writes are dropped again until the next
// Begin.
func (x *Index) Abort() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state == building {
		x.state, x.log = idle, nil
	}
}

// Load ends a build with what the scan read, then replays the writes made since Begin
// in their order (each at least as new as what the scan read of its ticket).
func (x *Index) Load(all []Summary) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != building {
		return
	}
	x.byID = make(map[string]*Summary, len(all))
	x.lists = map[string]*[orders][]*Summary{}
	for i := range all {
		s := all[i]
		s.Tags = slices.Clone(s.Tags)
		if old := x.byID[s.ID]; old != nil {
			*old = s // the last read of an id wins (a scan may see a ticket twice)
			continue
		}
		x.byID[s.ID] = &s
	}
	for _, s := range x.byID {
		l := x.listsOf(s.Status)
		for o := range orders {
			l[o] = append(l[o], s)
		}
	}
	for _, l := range x.lists {
		for o := range orders {
			slices.SortFunc(l[o], func(a, b *Summary) int { return compare(o, key(o, a), a.ID, key(o, b), b.ID) })
		}
	}
	for _, c := range x.log {
		if c.del {
			x.deleteLocked(c.s.ID)
		} else {
			x.putLocked(c.s)
		}
	}
	x.state, x.log = built, nil
}

// Put writes a ticket's summary through (after the ticket's write, in the order of
// the writes).
func (x *Index) Put(s Summary) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch x.state {
	case building:
		s.Tags = slices.Clone(s.Tags)
		x.log = append(x.log, change{s: s})
	case built:
		x.putLocked(s)
	}
}

// Delete takes a ticket out (its insert was undone).
func (x *Index) Delete(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch x.state {
	case building:
		x.log = append(x.log, change{s: Summary{ID: id}, del: true})
	case built:
		x.deleteLocked(id)
	}
}

// Len is the number of tickets indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

func (x *Index) listsOf(status string) *[orders][]*Summary {
	l := x.lists[status]
	if l == nil {
		l = &[orders][]*Summary{}
		x.lists[status] = l
	}
	return l
}

// search is the position of (k, id) in list l of order o, and whether it is there.
func search(l []*Summary, o int, k int64, id string) (int, bool) {
	i := sort.Search(len(l), func(i int) bool { return compare(o, key(o, l[i]), l[i].ID, k, id) >= 0 })
	return i, i < len(l) && l[i].ID == id
}

func (x *Index) putLocked(s Summary) {
	x.deleteLocked(s.ID)
	s.Tags = slices.Clone(s.Tags)
	p := &s
	x.byID[s.ID] = p
	l := x.listsOf(s.Status)
	for o := range orders {
		i, _ := search(l[o], o, key(o, p), p.ID)
		l[o] = slices.Insert(l[o], i, p)
	}
}

func (x *Index) deleteLocked(id string) {
	old := x.byID[id]
	if old == nil {
		return
	}
	delete(x.byID, id)
	l := x.lists[old.Status]
	for o := range orders {
		if i, found := search(l[o], o, key(o, old), id); found {
			l[o] = slices.Delete(l[o], i, i+1)
		}
	}
	if len(l[0]) == 0 {
		delete(x.lists, old.Status)
	}
}

// matcher is a listing.Filter on the stored values.
type matcher struct {
	f                listing.Filter
	from, to, dueBy  int64
	hasFrom, hasTo   bool
	hasDue           bool
	priorities, tags []string
}

func matcherOf(f listing.Filter) matcher {
	m := matcher{f: f, hasFrom: !f.CreatedFrom.IsZero(), hasTo: !f.CreatedTo.IsZero(), hasDue: f.BreachingBy != nil}
	if m.hasFrom {
		m.from = Ms(f.CreatedFrom)
	}
	if m.hasTo {
		m.to = Ms(f.CreatedTo)
	}
	if m.hasDue {
		m.dueBy = Ms(*f.BreachingBy)
	}
	for _, p := range f.Priorities {
		m.priorities = append(m.priorities, string(p))
	}
	m.tags = f.Tags
	return m
}

func (m *matcher) matches(s *Summary) bool {
	f := &m.f
	switch {
	case len(m.priorities) > 0 && !slices.Contains(m.priorities, s.Priority),
		f.AssigneeID != nil && *f.AssigneeID != s.AssigneeID,
		f.GroupID != nil && *f.GroupID != s.GroupID,
		f.RequesterID != "" && f.RequesterID != s.RequesterID,
		m.hasFrom && s.Created < m.from,
		m.hasTo && s.Created >= m.to,
		m.hasDue && s.Due > m.dueBy:
		return false
	}
	for _, t := range m.tags {
		if !slices.Contains(s.Tags, t) {
			return false
		}
	}
	return true
}

// Page returns, in order o, the summaries of the tickets matching f after the cursor
// (nil: from the start), at most limit+1 of them (one more than a page tells whether
// there is a next one). ok is false if the index is not built (or o unknown): ask the
// database then.
func (x *Index) Page(f listing.Filter, o listing.Order, after *Cursor, limit int) (out []Summary, ok bool) {
	oi, known := orderIndex(o)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.state != built || !known {
		return nil, false
	}
	var lists [][]*Summary
	if len(f.Statuses) > 0 {
		seen := map[ticket.Status]bool{}
		for _, st := range f.Statuses {
			if l := x.lists[string(st)]; l != nil && !seen[st] {
				lists = append(lists, l[oi])
			}
			seen[st] = true
		}
	} else {
		for _, l := range x.lists {
			lists = append(lists, l[oi])
		}
	}
	// Each list from its first ticket after the cursor, merged in order.
	heads := make([]int, len(lists))
	if after != nil {
		k := after.K
		if oi == byCreated {
			k = 0
		}
		for i, l := range lists {
			heads[i] = sort.Search(len(l), func(j int) bool { return compare(oi, key(oi, l[j]), l[j].ID, k, after.ID) > 0 })
		}
	}
	m := matcherOf(f)
	for len(out) <= limit {
		best := -1
		for i, l := range lists {
			if heads[i] < len(l) && (best < 0 || compare(oi, key(oi, l[heads[i]]), l[heads[i]].ID, key(oi, lists[best][heads[best]]), lists[best][heads[best]].ID) < 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		s := lists[best][heads[best]]
		heads[best]++
		if m.matches(s) {
			c := *s
			c.Tags = slices.Clone(s.Tags)
			out = append(out, c)
		}
	}
	return out, true
}
