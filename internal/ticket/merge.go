package ticket

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// MergeResult is everything the caller must persist after a merge.
type MergeResult struct {
	Moved  []Message // dup's messages re-pointed to target, oldest first
	Notes  []Message // system internal notes: [0] on target, [1] on dup; IDs empty for the caller to fill
	Events []Event   // audit for both tickets
}

// Merge folds duplicate dup into target: dup's messages move to target, dup
// is closed with MergedInto = target.ID (bypassing the status machine, since
// a merged ticket is closed from any working state), and both tickets get a
// system note. Merging a ticket into itself, into a closed or merged ticket,
// or merging an already closed ticket is an error. msgs must be dup's
// messages. by is the agent performing the merge (audit). A solved target
// is allowed and keeps its status: the moved history is not a new reply.
func Merge(target, dup *Ticket, msgs []Message, by Actor, now time.Time) (MergeResult, error) {
	switch {
	case target.ID == dup.ID:
		return MergeResult{}, invalid("target", "cannot merge a ticket into itself")
	case target.MergedInto != "":
		return MergeResult{}, invalid("target", "ticket %s was merged into %s", target.ID, target.MergedInto)
	case target.Status == StatusClosed:
		return MergeResult{}, invalid("target", "ticket %s is closed", target.ID)
	case dup.Status == StatusClosed:
		return MergeResult{}, invalid("source", "ticket %s is closed", dup.ID)
	}
	moved := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		if m.TicketID != dup.ID {
			return MergeResult{}, invalid("messages", "message %s belongs to %s, not %s", m.ID, m.TicketID, dup.ID)
		}
		m.TicketID = target.ID
		m.Attachments = slices.Clone(m.Attachments)
		moved = append(moved, m)
	}
	slices.SortStableFunc(moved, func(a, b Message) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})

	before := dup.clone()
	dup.Status = StatusClosed
	dup.ClosedAt = ptr(now)
	dup.MergedInto = target.ID
	evs := touch(&before, dup, by, now)

	target.UpdatedAt = now
	evs = append(evs, Event{TicketID: target.ID, Actor: by, Field: FieldMerged, New: dup.ID, At: now})

	note := func(ticketID, body string) Message {
		return Message{TicketID: ticketID, Kind: KindInternalNote, AuthorKind: AuthorSystem, Body: body, CreatedAt: now}
	}
	notes := []Message{
		note(target.ID, fmt.Sprintf("Ticket %s (%q) was merged into this ticket.", dup.ID, dup.Subject)),
		note(dup.ID, fmt.Sprintf("This ticket was merged into ticket %s (%q).", target.ID, target.Subject)),
	}
	return MergeResult{Moved: moved, Notes: notes, Events: evs}, nil
}
