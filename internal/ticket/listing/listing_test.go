package listing

import (
	"slices"
	"strings"
	"testing"

	"github.com/tessera-cdp/tessera/internal/ticket"
)

// memList is a minimal in-memory listing: the filter's Matches, id order, the last
// id as the cursor.
type memList []ticket.Ticket

func (s memList) ListTickets(f Filter, p Page) TicketPage {
	var all []ticket.Ticket
	for _, t := range s {
		if f.Matches(&t) {
			all = append(all, t)
		}
	}
	slices.SortFunc(all, func(a, b ticket.Ticket) int { return strings.Compare(a.ID, b.ID) })
	start, _ := slices.BinarySearchFunc(all, p.After, func(t ticket.Ticket, id string) int {
		if t.ID <= id {
			return -1
		}
		return 1
	})
	all = all[start:]
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	if len(all) > limit {
		return TicketPage{Tickets: all[:limit], Next: all[limit-1].ID}
	}
	return TicketPage{Tickets: all}
}

// Moved from the ticket package's TestServiceMacroRateMerge, whose three tickets
// (one solved, one merged and closed, one open) these stand for.
func TestFakeCursorWalksAllOnce(t *testing.T) {
	st := memList{
		{ID: "t2", Status: ticket.StatusSolved},
		{ID: "t3", Status: ticket.StatusClosed, MergedInto: "t1"},
		{ID: "t1", Status: ticket.StatusOpen},
	}

	// The fake's cursor walks all tickets exactly once.
	var seen []string
	for p := (Page{Limit: 2}); ; {
		page := st.ListTickets(Filter{}, p)
		for _, tk := range page.Tickets {
			seen = append(seen, tk.ID)
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	if len(seen) != 3 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 3 {
		t.Fatalf("pages saw %v", seen)
	}
}
