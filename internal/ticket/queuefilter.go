package ticket

import (
	"slices"
	"time"
)

// QueueName names one of the agent queues.
type QueueName string

// The queues. An unknown name is the ALL_OPEN queue.
const (
	// QueueNameUnassigned: open tickets nobody owns, oldest first.
	QueueNameUnassigned QueueName = "unassigned"
	// QueueNameMine: open tickets assigned to the caller's agent, oldest first.
	QueueNameMine QueueName = "mine"
	// QueueNameAllOpen: every ticket still needing work, most recently active first.
	QueueNameAllOpen QueueName = "all_open"
	// QueueNameBreachingSoon: open tickets with a target due within BreachingWindow or
	// overdue, earliest due first.
	QueueNameBreachingSoon QueueName = "breaching_soon"
	// QueueNameAll: every ticket, closed ones included, most recently active first.
	QueueNameAll QueueName = "all"
)

// BreachingWindow is how far ahead the BREACHING_SOON queue looks.
const BreachingWindow = time.Hour

// QueueFilter is what a caller adds to a queue to narrow it; nil and empty fields
// don't narrow.
type QueueFilter struct {
	Statuses    []Status
	Priorities  []Priority
	AssigneeID  *string
	GroupID     *string
	RequesterID string
	// Tags: tickets carrying all of these (normalised like ticket tags).
	Tags                   []string
	CreatedFrom, CreatedTo *time.Time
}

// QueueFilterFor turns a queue, the caller's agent id (for MINE) and the caller's extra
// filter into one Filter and the queue's order. The filter narrows the queue; ok is
// false when the two contradict (the result is empty without asking the store).
func QueueFilterFor(q QueueName, agentID string, in *QueueFilter, now time.Time) (f Filter, o Order, ok bool, err error) {
	switch q {
	case QueueNameUnassigned:
		f, o = QueueUnassigned(), OrderCreatedAsc
	case QueueNameMine:
		f, o = QueueMine(agentID), OrderCreatedAsc
	case QueueNameBreachingSoon:
		f, o = QueueBreachingSoon(now, BreachingWindow), OrderDueAsc
	case QueueNameAll:
		o = OrderUpdatedDesc
	default:
		f, o = QueueAllOpen(), OrderUpdatedDesc
	}
	if in == nil {
		return f, o, true, nil
	}
	if len(in.Statuses) > 0 {
		var want []Status
		for _, st := range in.Statuses {
			if len(f.Statuses) == 0 || slices.Contains(f.Statuses, st) {
				want = append(want, st)
			}
		}
		if len(want) == 0 {
			return f, o, false, nil
		}
		f.Statuses = want
	}
	f.Priorities = append(f.Priorities, in.Priorities...)
	narrow := func(dst **string, v *string) bool {
		if v == nil {
			return true
		}
		if *dst != nil && **dst != *v {
			return false
		}
		*dst = v
		return true
	}
	if !narrow(&f.AssigneeID, in.AssigneeID) || !narrow(&f.GroupID, in.GroupID) {
		return f, o, false, nil
	}
	f.RequesterID = in.RequesterID
	if len(in.Tags) > 0 {
		if f.Tags, err = NormalizeTags(in.Tags); err != nil {
			return f, o, false, err
		}
	}
	if in.CreatedFrom != nil {
		f.CreatedFrom = *in.CreatedFrom
	}
	if in.CreatedTo != nil {
		f.CreatedTo = *in.CreatedTo
	}
	return f, o, true, nil
}
