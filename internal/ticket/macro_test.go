package ticket

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

var macroData = map[string]string{
	macro.PhCustomerFirstName: "Ada",
	macro.PhCustomerLastName:  "Lovelace",
	macro.PhCustomerName:      "Ada Lovelace",
	macro.PhCustomerEmail:     "ada@example.com",
	macro.PhTicketID:          "T-42",
	macro.PhTicketSubject:     "Refund",
	macro.PhAgentName:         "Grace",
}

func TestApplyMacro(t *testing.T) {
	solved, urgent, closed := StatusSolved, PriorityUrgent, StatusClosed
	tk := &Ticket{ID: "T-42", Status: StatusOpen, Priority: PriorityNormal, Tags: []string{"billing"}}
	m := Macro{Body: "Hi {{customer.firstName}}, {{oops}}", SetStatus: &solved, SetPriority: &urgent, AddTags: []string{"Refund"}}
	body, missing, evs, err := ApplyMacro(tk, m, macroData, nil, agentA, t0)
	must(t, err)
	if body != "Hi Ada, {{oops}}" || !slices.Equal(missing, []string{"oops"}) {
		t.Fatalf("body %q missing %v", body, missing)
	}
	if tk.Status != StatusSolved || tk.Priority != PriorityUrgent || !slices.Equal(tk.Tags, []string{"billing", "refund"}) || tk.SolvedAt == nil {
		t.Fatalf("ticket %+v", tk)
	}
	var fields []string
	for _, e := range evs {
		fields = append(fields, e.Field)
	}
	if !slices.Equal(fields, []string{FieldPriority, FieldTags, FieldStatus, FieldSolvedAt}) {
		t.Fatalf("event fields %v", fields)
	}

	// Same validation as manual changes, and all-or-nothing.
	tk2 := &Ticket{ID: "T", Status: StatusOpen, Priority: PriorityNormal}
	_, _, _, err = ApplyMacro(tk2, Macro{SetPriority: &urgent, SetStatus: &closed}, nil, &SLAPolicy{Resolution: time.Hour}, agentA, t0)
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("open→closed via macro: %v", err)
	}
	if tk2.Priority != PriorityNormal || !tk2.UpdatedAt.IsZero() || tk2.ResolutionDue != nil {
		t.Fatalf("failed macro partially applied: %+v", tk2)
	}
}
