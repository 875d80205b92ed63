package queueindex

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func randSummary(r *rand.Rand, id string) Summary {
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	s := Summary{ID: id, Status: pick("new", "open", "pending", "on_hold", "solved", "closed"), Priority: pick("low", "normal", "high", "urgent"),
		AssigneeID: pick("", "a1", "a2"), GroupID: pick("", "g1"), RequesterID: pick("c1", "c2", "c3"),
		Created: Ms(t0) + int64(r.IntN(20))*1000, Updated: Ms(t0) + int64(r.IntN(10))*1000, Due: Ms(t0) + int64(r.IntN(8))*1000}
	if r.IntN(3) == 0 {
		s.Due = Ms(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
	}
	for _, t := range []string{"vip", "billing", "bug"} {
		if r.IntN(2) == 0 {
			s.Tags = append(s.Tags, t)
		}
	}
	return s
}

func asTicket(s Summary) ticket.Ticket {
	t := ticket.Ticket{ID: s.ID, Status: ticket.Status(s.Status), Priority: ticket.Priority(s.Priority), AssigneeID: s.AssigneeID,
		GroupID: s.GroupID, RequesterID: s.RequesterID, Tags: s.Tags, CreatedAt: Time(s.Created), UpdatedAt: Time(s.Updated)}
	due := Time(s.Due)
	t.ResolutionDue = &due
	return t
}

// reference pages the summaries the slow way: listing.Filter.Matches, a sort, a cursor.
func reference(all map[string]Summary, f listing.Filter, o listing.Order, after *Cursor, limit int) []Summary {
	oi, _ := orderIndex(o)
	var out []Summary
	for _, s := range all {
		t := asTicket(s)
		if f.Matches(&t) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Summary) int { return compare(oi, key(oi, &a), a.ID, key(oi, &b), b.ID) })
	if after != nil {
		out = slices.DeleteFunc(out, func(s Summary) bool {
			k := after.K
			if oi == byCreated {
				k = 0
			}
			return compare(oi, key(oi, &s), s.ID, k, after.ID) <= 0
		})
	}
	return out[:min(len(out), limit+1)]
}

func randFilter(r *rand.Rand) listing.Filter {
	var f listing.Filter
	if r.IntN(2) == 0 {
		f.Statuses = slices.Clone(ticket.OpenStatuses[:1+r.IntN(4)])
	}
	if r.IntN(4) == 0 {
		f.Priorities = []ticket.Priority{"high", "urgent"}
	}
	if r.IntN(3) == 0 {
		a := []string{"", "a1"}[r.IntN(2)]
		f.AssigneeID = &a
	}
	if r.IntN(5) == 0 {
		g := "g1"
		f.GroupID = &g
	}
	if r.IntN(5) == 0 {
		f.RequesterID = "c2"
	}
	if r.IntN(4) == 0 {
		f.Tags = []string{"vip"}
	}
	if r.IntN(5) == 0 {
		f.CreatedFrom, f.CreatedTo = t0.Add(3*time.Second), t0.Add(12*time.Second)
	}
	if r.IntN(3) == 0 {
		by := t0.Add(4 * time.Second)
		f.BreachingBy = &by
	}
	return f
}

func TestQueueIndexPagesAsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := New()
	if _, ok := x.Page(listing.Filter{}, listing.OrderCreatedAsc, nil, 10); ok {
		t.Fatal("answers before it is built")
	}
	all := map[string]Summary{}
	var scan []Summary
	for i := range 300 {
		s := randSummary(r, fmt.Sprintf("T%04d", i))
		all[s.ID] = s
		scan = append(scan, s)
	}
	if !x.Begin() || x.Begin() {
		t.Fatal("Begin")
	}
	// Writes while building: replayed over the scan.
	for i := range 50 {
		id := fmt.Sprintf("T%04d", r.IntN(320))
		if i%7 == 0 {
			x.Delete(id)
			delete(all, id)
			continue
		}
		s := randSummary(r, id)
		x.Put(s)
		all[id] = s
	}
	x.Load(scan)
	check := func(round int) {
		t.Helper()
		if x.Len() != len(all) {
			t.Fatalf("round %d: %d indexed, want %d", round, x.Len(), len(all))
		}
		for range 60 {
			f := randFilter(r)
			for _, o := range []listing.Order{listing.OrderCreatedAsc, listing.OrderDueAsc, listing.OrderUpdatedDesc} {
				limit := 1 + r.IntN(25)
				var after *Cursor
				for pages := 0; ; pages++ {
					got, ok := x.Page(f, o, after, limit)
					want := reference(all, f, o, after, limit)
					if !ok || !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
						t.Fatalf("round %d %+v %s after %+v: got %v want %v", round, f, o, after, ids(got), ids(want))
					}
					if len(got) <= limit {
						break
					}
					oi, _ := orderIndex(o)
					last := got[limit-1]
					after = &Cursor{K: key(oi, &last), ID: last.ID}
				}
			}
		}
	}
	check(0)
	// Written through once built.
	for round := 1; round <= 3; round++ {
		for range 80 {
			id := fmt.Sprintf("T%04d", r.IntN(330))
			if r.IntN(6) == 0 {
				x.Delete(id)
				delete(all, id)
				continue
			}
			s := randSummary(r, id)
			x.Put(s)
			all[id] = s
		}
		check(round)
	}
}

func ids(ss []Summary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}
