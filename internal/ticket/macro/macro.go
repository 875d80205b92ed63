// Package macro renders the bodies of help-desk macros: {{placeholder}} keys, the
// placeholders the help desk fills, and a renderer that inserts values literally (a
// value is never expanded again, so nothing can be injected). The ticket domain applies
// macros with it.
package macro

import (
	"slices"
	"strings"
)

// Placeholders known to the macro renderer. ticket.Service fills all of them
// (empty string when unknown, e.g. a customer without a last name).
const (
	PhCustomerFirstName = "customer.firstName"
	PhCustomerLastName  = "customer.lastName"
	PhCustomerName      = "customer.name"
	PhCustomerEmail     = "customer.email"
	PhTicketID          = "ticket.id"
	PhTicketSubject     = "ticket.subject"
	PhAgentName         = "agent.name"
)

// KnownPlaceholders is the vocabulary admin.ValidateMacro accepts.
var KnownPlaceholders = []string{
	PhCustomerFirstName, PhCustomerLastName, PhCustomerName, PhCustomerEmail,
	PhTicketID, PhTicketSubject, PhAgentName,
}

// Render replaces {{key}} (spaces inside the braces allowed; key made of
// letters, digits, '_' and '.') with data[key]. It is a single left-to-right
// pass: inserted values are never scanned again, so a customer named
// "{{agent.name}}" or "{{ .Secret }}" is printed literally — there is no
// template language to inject into. Placeholders with no entry in data are
// left visible verbatim (an agent notices "{{customer.nickname}}" in the
// preview instead of sending a silently blank greeting) and are reported in
// missing, de-duplicated, in order of first appearance. Text that merely
// looks like braces but is not a well-formed placeholder is copied as-is.
func Render(body string, data map[string]string) (out string, missing []string) {
	var b strings.Builder
	b.Grow(len(body))
	for {
		i := strings.Index(body, "{{")
		if i < 0 {
			b.WriteString(body)
			return b.String(), missing
		}
		b.WriteString(body[:i])
		key, size, ok := parsePlaceholder(body[i:])
		if !ok {
			// Not a placeholder: emit one '{' and rescan from the next byte so
			// "{{{x}}" still finds "{{x}}".
			b.WriteByte('{')
			body = body[i+1:]
			continue
		}
		if v, found := data[key]; found {
			b.WriteString(v)
		} else {
			b.WriteString(body[i : i+size])
			if !slices.Contains(missing, key) {
				missing = append(missing, key)
			}
		}
		body = body[i+size:]
	}
}

// parsePlaceholder parses "{{ key }}" at the start of s, returning the key
// and the number of bytes consumed.
func parsePlaceholder(s string) (key string, size int, ok bool) {
	i := 2
	for i < len(s) && s[i] == ' ' {
		i++
	}
	start := i
	for i < len(s) && isKeyByte(s[i]) {
		i++
	}
	key = s[start:i]
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if key == "" || !strings.HasPrefix(s[i:], "}}") {
		return "", 0, false
	}
	return key, i + 2, true
}

func isKeyByte(c byte) bool {
	return c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Placeholders lists the well-formed placeholder keys in body.
func Placeholders(body string) []string {
	_, keys := Render(body, nil)
	return keys
}
