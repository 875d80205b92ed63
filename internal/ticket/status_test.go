package ticket

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) // a Monday

var agentA = Actor{Kind: AuthorAgent, ID: "a1"}

func TestTransitionTable(t *testing.T) {
	// Written out independently of the transitions map so a typo there fails.
	legal := map[[2]Status]bool{
		{StatusNew, StatusOpen}: true, {StatusNew, StatusPending}: true, {StatusNew, StatusOnHold}: true, {StatusNew, StatusSolved}: true,
		{StatusOpen, StatusPending}: true, {StatusOpen, StatusOnHold}: true, {StatusOpen, StatusSolved}: true,
		{StatusPending, StatusOpen}: true, {StatusPending, StatusOnHold}: true, {StatusPending, StatusSolved}: true,
		{StatusOnHold, StatusOpen}: true, {StatusOnHold, StatusPending}: true, {StatusOnHold, StatusSolved}: true,
		{StatusSolved, StatusOpen}: true, {StatusSolved, StatusPending}: true, {StatusSolved, StatusOnHold}: true, {StatusSolved, StatusClosed}: true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				tk := &Ticket{Status: from}
				if from == StatusSolved {
					tk.SolvedAt = ptr(t0.Add(-time.Hour))
				}
				now := t0
				err := Transition(tk, to, now)
				switch {
				case from == StatusClosed:
					if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidInput) {
						t.Fatalf("closed ticket: err = %v, want ErrClosed", err)
					}
				case from == to:
					if err != nil || !tk.UpdatedAt.IsZero() {
						t.Fatalf("same status must be a silent no-op, err = %v", err)
					}
				case legal[[2]Status{from, to}]:
					if err != nil {
						t.Fatalf("legal transition failed: %v", err)
					}
					if tk.Status != to || !tk.UpdatedAt.Equal(now) {
						t.Fatalf("status %s updated %v", tk.Status, tk.UpdatedAt)
					}
				default:
					var ve *ValidationError
					if !errors.As(err, &ve) || ve.Field != FieldStatus || !errors.Is(err, ErrInvalidInput) {
						t.Fatalf("illegal transition: err = %v, want *ValidationError on status", err)
					}
					if tk.Status != from {
						t.Fatal("illegal transition changed the ticket")
					}
				}
				if CanTransition(from, to) != legal[[2]Status{from, to}] {
					t.Fatalf("CanTransition disagrees with table")
				}
			})
		}
	}
}

func TestTransitionTimestamps(t *testing.T) {
	tk := &Ticket{Status: StatusOpen}
	must(t, Transition(tk, StatusSolved, t0))
	if tk.SolvedAt == nil || !tk.SolvedAt.Equal(t0) {
		t.Fatalf("SolvedAt = %v", tk.SolvedAt)
	}
	must(t, Transition(tk, StatusOpen, t0.Add(time.Hour)))
	if tk.SolvedAt != nil {
		t.Fatal("reopen must clear SolvedAt")
	}
	must(t, Transition(tk, StatusSolved, t0.Add(2*time.Hour)))
	must(t, Transition(tk, StatusClosed, t0.Add(3*time.Hour)))
	if !tk.SolvedAt.Equal(t0.Add(2*time.Hour)) || !tk.ClosedAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("SolvedAt %v ClosedAt %v", tk.SolvedAt, tk.ClosedAt)
	}
	if err := Transition(tk, "bogus", t0); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestChangeStatusAudit(t *testing.T) {
	tk := &Ticket{ID: "T1", Status: StatusOpen}
	evs, err := ChangeStatus(tk, StatusSolved, agentA, t0)
	must(t, err)
	want := []Event{
		{TicketID: "T1", Actor: agentA, Field: FieldStatus, Old: "open", New: "solved", At: t0},
		{TicketID: "T1", Actor: agentA, Field: FieldSolvedAt, New: "2025-03-03T10:00:00Z", At: t0},
	}
	if !slices.Equal(evs, want) {
		t.Fatalf("events = %+v", evs)
	}
	evs, err = ChangeStatus(tk, StatusSolved, agentA, t0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("no-op change produced %v %v", evs, err)
	}
}

func TestAddMessageRules(t *testing.T) {
	reply := func(k AuthorKind) *Message {
		return &Message{Kind: KindPublicReply, AuthorKind: k, AuthorID: "x", Body: "hi"}
	}
	t.Run("agent first public reply sets FirstResponseAt once and opens new", func(t *testing.T) {
		tk := &Ticket{ID: "T", Status: StatusNew}
		note := &Message{Kind: KindInternalNote, AuthorKind: AuthorAgent, Body: "looking"}
		_, err := AddMessage(tk, note, t0)
		must(t, err)
		if tk.FirstResponseAt != nil || tk.Status != StatusNew {
			t.Fatal("internal note must not count as a response")
		}
		evs, err := AddMessage(tk, reply(AuthorAgent), t0.Add(time.Hour))
		must(t, err)
		if !tk.FirstResponseAt.Equal(t0.Add(time.Hour)) || tk.Status != StatusOpen || len(evs) != 2 {
			t.Fatalf("after reply: %+v events %+v", tk, evs)
		}
		_, err = AddMessage(tk, reply(AuthorAgent), t0.Add(2*time.Hour))
		must(t, err)
		if !tk.FirstResponseAt.Equal(t0.Add(time.Hour)) {
			t.Fatal("FirstResponseAt moved on second reply")
		}
	})
	for _, tc := range []struct {
		from, want Status
	}{
		{StatusPending, StatusOpen},
		{StatusSolved, StatusOpen},
		{StatusOnHold, StatusOnHold},
		{StatusNew, StatusNew},
		{StatusOpen, StatusOpen},
	} {
		t.Run("customer reply on "+string(tc.from), func(t *testing.T) {
			tk := &Ticket{ID: "T", Status: tc.from}
			if tc.from == StatusSolved {
				tk.SolvedAt = ptr(t0)
			}
			m := reply(AuthorCustomer)
			_, err := AddMessage(tk, m, t0.Add(time.Hour))
			must(t, err)
			if tk.Status != tc.want || m.TicketID != "T" || !m.CreatedAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("status %s msg %+v", tk.Status, m)
			}
			if tc.from == StatusSolved && tk.SolvedAt != nil {
				t.Fatal("reopen must clear SolvedAt")
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		for name, m := range map[string]*Message{
			"customer note": {Kind: KindInternalNote, AuthorKind: AuthorCustomer, Body: "x"},
			"empty body":    {Kind: KindPublicReply, AuthorKind: AuthorAgent, Body: "  "},
			"bad kind":      {Kind: "dm", AuthorKind: AuthorAgent, Body: "x"},
			"bad author":    {Kind: KindPublicReply, AuthorKind: "bot", Body: "x"},
			"nameless file": {Kind: KindPublicReply, AuthorKind: AuthorAgent, Attachments: []Attachment{{Size: 1}}},
		} {
			if _, err := AddMessage(&Ticket{Status: StatusOpen}, m, t0); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%s: err = %v", name, err)
			}
		}
		attachmentOnly := &Message{Kind: KindPublicReply, AuthorKind: AuthorCustomer, Attachments: []Attachment{{Name: "a.png", ContentType: "image/png", Size: 3}}}
		if _, err := AddMessage(&Ticket{Status: StatusOpen}, attachmentOnly, t0); err != nil {
			t.Errorf("attachment-only message: %v", err)
		}
		if _, err := AddMessage(&Ticket{Status: StatusClosed}, reply(AuthorCustomer), t0); !errors.Is(err, ErrClosed) {
			t.Errorf("closed: %v", err)
		}
	})
}

func TestTagsAssignPriority(t *testing.T) {
	tk := &Ticket{ID: "T", Status: StatusNew, Priority: PriorityNormal}
	evs, err := AddTags(tk, []string{" VIP", "billing", "vip"}, agentA, t0)
	must(t, err)
	if !slices.Equal(tk.Tags, []string{"billing", "vip"}) || len(evs) != 1 || evs[0].New != "billing,vip" {
		t.Fatalf("tags %v events %+v", tk.Tags, evs)
	}
	if _, err := AddTags(tk, []string{"two words"}, agentA, t0); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("tag with space: %v", err)
	}
	_, err = RemoveTags(tk, []string{"VIP", "absent"}, agentA, t0)
	must(t, err)
	if !slices.Equal(tk.Tags, []string{"billing"}) {
		t.Fatalf("tags %v", tk.Tags)
	}
	if _, err := SetPriority(tk, "critical", agentA, t0); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad priority: %v", err)
	}
	_, err = Assign(tk, "g1", "a2", agentA, t0)
	must(t, err)
	if tk.Status != StatusOpen || tk.AssigneeID != "a2" {
		t.Fatalf("assigning a new ticket should open it: %+v", tk)
	}
}

func TestCreate(t *testing.T) {
	tk, err := Create(Draft{Subject: " Help ", RequesterID: "c1", Channel: ChannelEmail, Tags: []string{"B", "a"}}, t0)
	must(t, err)
	if tk.Subject != "Help" || tk.Status != StatusNew || tk.Priority != PriorityNormal || !slices.Equal(tk.Tags, []string{"a", "b"}) {
		t.Fatalf("%+v", tk)
	}
	for name, d := range map[string]Draft{
		"no subject":   {RequesterID: "c", Channel: ChannelChat},
		"no requester": {Subject: "s", Channel: ChannelChat},
		"bad channel":  {Subject: "s", RequesterID: "c", Channel: "fax"},
		"bad priority": {Subject: "s", RequesterID: "c", Channel: ChannelPhone, Priority: "asap"},
	} {
		if _, err := Create(d, t0); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
