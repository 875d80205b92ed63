package macro

import (
	"slices"
	"strings"
	"testing"
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
