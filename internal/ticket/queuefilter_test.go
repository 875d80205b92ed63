package ticket

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestQueueFilterForQueues(t *testing.T) {
	for _, tc := range []struct {
		q         QueueName
		order     Order
		statuses  []Status
		assignee  *string
		breaching bool
	}{
		{QueueNameUnassigned, OrderCreatedAsc, OpenStatuses, ptr(""), false},
		{QueueNameMine, OrderCreatedAsc, OpenStatuses, ptr("me"), false},
		{QueueNameBreachingSoon, OrderDueAsc, OpenStatuses, nil, true},
		{QueueNameAll, OrderUpdatedDesc, nil, nil, false},
		{QueueNameAllOpen, OrderUpdatedDesc, OpenStatuses, nil, false},
		{"", OrderUpdatedDesc, OpenStatuses, nil, false}, // unknown: all open
	} {
		f, o, ok, err := QueueFilterFor(tc.q, "me", nil, t0)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", tc.q, ok, err)
		}
		if o != tc.order || !slices.Equal(f.Statuses, tc.statuses) || (f.AssigneeID == nil) != (tc.assignee == nil) ||
			(f.AssigneeID != nil && *f.AssigneeID != *tc.assignee) || (f.BreachingBy != nil) != tc.breaching {
			t.Errorf("%s: got %+v %s", tc.q, f, o)
		}
		if tc.breaching && !f.BreachingBy.Equal(t0.Add(BreachingWindow)) {
			t.Errorf("%s: breaching by %v", tc.q, f.BreachingBy)
		}
	}
}

func TestQueueFilterForNarrows(t *testing.T) {
	from, to := t0.Add(-time.Hour), t0
	in := &QueueFilter{Statuses: []Status{StatusPending, StatusSolved}, Priorities: []Priority{PriorityHigh}, GroupID: ptr("g1"),
		RequesterID: "c1", Tags: []string{" VIP ", "vip", "billing"}, CreatedFrom: &from, CreatedTo: &to}
	f, o, ok, err := QueueFilterFor(QueueNameMine, "me", in, t0)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	// The open queue keeps only the open statuses asked for; the rest narrows as given.
	if o != OrderCreatedAsc || !slices.Equal(f.Statuses, []Status{StatusPending}) || !slices.Equal(f.Priorities, []Priority{PriorityHigh}) ||
		*f.AssigneeID != "me" || *f.GroupID != "g1" || f.RequesterID != "c1" || !f.CreatedFrom.Equal(from) || !f.CreatedTo.Equal(to) {
		t.Errorf("got %+v", f)
	}
	if !slices.Equal(f.Tags, []string{"billing", "vip"}) && !slices.Equal(f.Tags, []string{"vip", "billing"}) {
		t.Errorf("tags = %v, want vip and billing normalised", f.Tags)
	}

	// The ALL queue has no statuses of its own: the filter's apply as given.
	f, _, ok, _ = QueueFilterFor(QueueNameAll, "me", &QueueFilter{Statuses: []Status{StatusClosed}}, t0)
	if !ok || !slices.Equal(f.Statuses, []Status{StatusClosed}) {
		t.Errorf("all + closed: ok=%v %v", ok, f.Statuses)
	}
}

func TestQueueFilterForContradictions(t *testing.T) {
	for name, tc := range map[string]struct {
		q  QueueName
		in QueueFilter
	}{
		"closed in an open queue":       {QueueNameAllOpen, QueueFilter{Statuses: []Status{StatusClosed, StatusSolved}}},
		"someone else's in MINE":        {QueueNameMine, QueueFilter{AssigneeID: ptr("you")}},
		"an assignee in UNASSIGNED":     {QueueNameUnassigned, QueueFilter{AssigneeID: ptr("you")}},
		"the caller's own in UNASSIGNE": {QueueNameUnassigned, QueueFilter{AssigneeID: ptr("me")}},
	} {
		if _, _, ok, err := QueueFilterFor(tc.q, "me", &tc.in, t0); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want an empty result", name, ok, err)
		}
	}
	// Agreeing with the queue is no contradiction.
	if _, _, ok, _ := QueueFilterFor(QueueNameMine, "me", &QueueFilter{AssigneeID: ptr("me")}, t0); !ok {
		t.Error("MINE + own assignee: want ok")
	}
	if _, _, _, err := QueueFilterFor(QueueNameAll, "me", &QueueFilter{Tags: []string{" "}}, t0); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("empty tag: err = %v, want invalid input", err)
	}
}
