package ticket

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var macroData = map[string]string{
	PhCustomerFirstName: "Ada",
	PhCustomerLastName:  "Lovelace",
	PhCustomerName:      "Ada Lovelace",
	PhCustomerEmail:     "ada@example.com",
	PhTicketID:          "T-42",
	PhTicketSubject:     "Refund",
	PhAgentName:         "Grace",
}

func TestRender(t *testing.T) {
	tests := []struct {
		body, want string
		missing    []string
	}{
		{"Hi {{customer.firstName}} {{customer.lastName}}!", "Hi Ada Lovelace!", nil},
		{"{{ customer.name }} <{{customer.email}}> #{{ticket.id}} {{ticket.subject}} — {{agent.name}}",
			"Ada Lovelace <ada@example.com> #T-42 Refund — Grace", nil},
		{"Dear {{customer.nickname}}, {{customer.nickname}} {{x}}", "Dear {{customer.nickname}}, {{customer.nickname}} {{x}}",
			[]string{"customer.nickname", "x"}},
		{"no placeholders", "no placeholders", nil},
		{"{{}} {{ }} {{a b}} {{ unterminated", "{{}} {{ }} {{a b}} {{ unterminated", nil},
		{"{{{agent.name}}}", "{Grace}", nil},
		{"{{.Secret}} {{printf \"%s\" 1}}", "{{.Secret}} {{printf \"%s\" 1}}", []string{".Secret"}},
		{"", "", nil},
	}
	for _, tc := range tests {
		got, missing := Render(tc.body, macroData)
		if got != tc.want || !slices.Equal(missing, tc.missing) {
			t.Errorf("Render(%q) = %q, %q; want %q, %q", tc.body, got, missing, tc.want, tc.missing)
		}
	}
}

func TestRenderNoInjection(t *testing.T) {
	data := map[string]string{
		PhCustomerName: "{{agent.name}} {{ .Secret }} {{template \"x\"}}",
		PhAgentName:    "SECRET-AGENT",
	}
	got, missing := Render("Hello {{customer.name}}", data)
	if got != "Hello {{agent.name}} {{ .Secret }} {{template \"x\"}}" || missing != nil {
		t.Fatalf("customer value was interpreted: %q %v", got, missing)
	}
	// A value that completes a placeholder split across the boundary.
	data[PhCustomerName] = "{{agent."
	got, _ = Render("{{customer.name}}name}}", data)
	if strings.Contains(got, "SECRET-AGENT") {
		t.Fatalf("value joined with template text was expanded: %q", got)
	}
}

func TestValidateMacro(t *testing.T) {
	solved, bogus, high := StatusSolved, Status("bogus"), PriorityHigh
	ok := Macro{Name: "Close", Body: "Thanks {{customer.firstName}}", SetStatus: &solved, SetPriority: &high, AddTags: []string{"done"}}
	if err := ValidateMacro(ok); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Macro{
		"typo placeholder": {Name: "x", Body: "Hi {{custmer.name}}"},
		"bad status":       {Name: "x", SetStatus: &bogus},
		"bad tag":          {Name: "x", AddTags: []string{"a b"}},
		"no name":          {Body: "x"},
	} {
		if err := ValidateMacro(m); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
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

// FuzzRender checks the renderer never panics, is the identity without data,
// and inserts values literally whatever they contain.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "{{", "}}", "{{customer.name}}", "{{ {{x}} }}", "{{{a}}}", "{{a.b_c9}}", "\xff{{x}}"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, body, value string) {
		if got, _ := Render(body, nil); got != body {
			t.Fatalf("Render(%q, nil) = %q", body, got)
		}
		data := map[string]string{PhCustomerName: value, PhAgentName: "\x00AGENT\x00"}
		got, _ := Render("<{{customer.name}}>", data)
		if got != "<"+value+">" {
			t.Fatalf("value %q rendered as %q", value, got)
		}
		out, missing := Render(body, data)
		for _, k := range missing {
			if k == PhCustomerName || k == PhAgentName {
				t.Fatalf("known key %q reported missing", k)
			}
		}
		// Every "{{" in the output comes from the body or a value, never from
		// re-expansion, so the agent marker appears at most as often as
		// {{...}} placeholders in the body.
		if strings.Count(out, "\x00AGENT\x00") > strings.Count(body, "{{")+strings.Count(body, "\x00AGENT\x00") {
			t.Fatalf("agent name appeared more often than placeholders: %q → %q", body, out)
		}
	})
}
