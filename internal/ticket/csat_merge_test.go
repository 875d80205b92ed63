package ticket

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status Status
		merged string
		score  int
		ok     bool
	}{
		{"solved 5", StatusSolved, "", 5, true},
		{"closed 1", StatusClosed, "", 1, true},
		{"open", StatusOpen, "", 4, false},
		{"pending", StatusPending, "", 4, false},
		{"score 0", StatusSolved, "", 0, false},
		{"score 6", StatusSolved, "", 6, false},
		{"merged away", StatusClosed, "T9", 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := &Ticket{ID: "T", RequesterID: "c1", Status: tc.status, MergedInto: tc.merged}
			evs, err := Rate(tk, tc.score, " great ", t0)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) || tk.CSAT != nil {
					t.Fatalf("err %v, CSAT %v", err, tk.CSAT)
				}
				return
			}
			if *tk.CSAT != (Rating{Score: tc.score, Comment: "great", At: t0}) || len(evs) != 1 || evs[0].Actor != (Actor{AuthorCustomer, "c1"}) {
				t.Fatalf("CSAT %+v events %+v", tk.CSAT, evs)
			}
		})
	}
	t.Run("edit window", func(t *testing.T) {
		tk := &Ticket{Status: StatusSolved}
		_, err := Rate(tk, 1, "", t0)
		must(t, err)
		_, err = Rate(tk, 5, "misclicked", t0.Add(RatingEditWindow))
		must(t, err)
		if tk.CSAT.Score != 5 || !tk.CSAT.At.Equal(t0) {
			t.Fatalf("edit: %+v", tk.CSAT)
		}
		if _, err := Rate(tk, 2, "", t0.Add(RatingEditWindow+time.Second)); !errors.Is(err, ErrInvalidInput) || tk.CSAT.Score != 5 {
			t.Fatalf("edit after window: %v", err)
		}
	})
}

func TestMerge(t *testing.T) {
	target := &Ticket{ID: "T1", Subject: "Login", Status: StatusOpen}
	dup := &Ticket{ID: "T2", Subject: "Login again", Status: StatusNew}
	msgs := []Message{
		{ID: "m3", TicketID: "T2", Body: "third", CreatedAt: t0.Add(2 * time.Hour)},
		{ID: "m1", TicketID: "T2", Body: "first", CreatedAt: t0},
		{ID: "m2", TicketID: "T2", Body: "second", CreatedAt: t0.Add(time.Hour), Attachments: []Attachment{{Name: "a"}}},
	}
	now := t0.Add(3 * time.Hour)
	res, err := Merge(target, dup, msgs, agentA, now)
	must(t, err)
	var ids []string
	for _, m := range res.Moved {
		ids = append(ids, m.ID)
		if m.TicketID != "T1" {
			t.Fatalf("message %s not re-pointed", m.ID)
		}
	}
	if !slices.Equal(ids, []string{"m1", "m2", "m3"}) {
		t.Fatalf("order %v", ids)
	}
	if msgs[0].TicketID != "T2" {
		t.Fatal("input messages mutated")
	}
	if dup.Status != StatusClosed || dup.MergedInto != "T1" || !dup.ClosedAt.Equal(now) {
		t.Fatalf("dup %+v", dup)
	}
	if len(res.Notes) != 2 || res.Notes[0].TicketID != "T1" || res.Notes[1].TicketID != "T2" ||
		res.Notes[0].Kind != KindInternalNote || res.Notes[0].AuthorKind != AuthorSystem {
		t.Fatalf("notes %+v", res.Notes)
	}
	fields := map[string]bool{}
	for _, e := range res.Events {
		fields[e.TicketID+"/"+e.Field] = true
	}
	for _, f := range []string{"T2/status", "T2/closed_at", "T2/merged_into", "T1/merged"} {
		if !fields[f] {
			t.Errorf("missing event %s in %v", f, fields)
		}
	}

	for name, tc := range map[string]struct {
		target, dup *Ticket
		msgs        []Message
	}{
		"into itself":      {&Ticket{ID: "A", Status: StatusOpen}, &Ticket{ID: "A", Status: StatusOpen}, nil},
		"into closed":      {&Ticket{ID: "A", Status: StatusClosed}, &Ticket{ID: "B", Status: StatusOpen}, nil},
		"into merged":      {&Ticket{ID: "A", Status: StatusSolved, MergedInto: "Z"}, &Ticket{ID: "B", Status: StatusOpen}, nil},
		"closed duplicate": {&Ticket{ID: "A", Status: StatusOpen}, &Ticket{ID: "B", Status: StatusClosed}, nil},
		"foreign message":  {&Ticket{ID: "A", Status: StatusOpen}, &Ticket{ID: "B", Status: StatusOpen}, []Message{{ID: "m", TicketID: "C"}}},
	} {
		dupBefore := *tc.dup
		if _, err := Merge(tc.target, tc.dup, tc.msgs, agentA, now); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v", name, err)
		}
		if tc.dup.Status != dupBefore.Status || tc.dup.MergedInto != dupBefore.MergedInto {
			t.Errorf("%s: dup changed on error", name)
		}
	}
	// The dup, now closed, cannot be merged or replied to again.
	if _, err := Merge(&Ticket{ID: "T3", Status: StatusOpen}, dup, nil, agentA, now); err == nil {
		t.Fatal("re-merging a merged ticket")
	}
}
