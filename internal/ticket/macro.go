package ticket

import (
	"slices"
	"strings"
	"time"
)

// Placeholders known to the macro renderer. The Service fills all of them
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

// KnownPlaceholders is the vocabulary ValidateMacro accepts.
var KnownPlaceholders = []string{
	PhCustomerFirstName, PhCustomerLastName, PhCustomerName, PhCustomerEmail,
	PhTicketID, PhTicketSubject, PhAgentName,
}

// Macro is a canned reply plus ticket updates an agent applies in one click.
type Macro struct {
	ID          string
	Name        string
	Body        string // may contain {{placeholders}}; empty = no reply
	SetStatus   *Status
	AddTags     []string
	SetPriority *Priority
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

// ValidateMacro rejects macros that could never apply cleanly: unknown
// placeholders, invalid status/priority or tags. Run it when a macro is saved
// so agents find out before a customer sees "{{custmer.name}}".
func ValidateMacro(m Macro) error {
	if strings.TrimSpace(m.Name) == "" {
		return invalid("name", "required")
	}
	for _, k := range Placeholders(m.Body) {
		if !slices.Contains(KnownPlaceholders, k) {
			return invalid("body", "unknown placeholder {{%s}}", k)
		}
	}
	if len(m.Body) > MaxBodyBytes {
		return invalid("body", "larger than %d bytes", MaxBodyBytes)
	}
	if m.SetStatus != nil && (!m.SetStatus.Valid() || *m.SetStatus == StatusNew) {
		return invalid(FieldStatus, "macro cannot set status %q", *m.SetStatus)
	}
	if m.SetPriority != nil && !m.SetPriority.Valid() {
		return invalid(FieldPriority, "unknown priority %q", *m.SetPriority)
	}
	_, err := NormalizeTags(m.AddTags)
	return err
}

// ApplyMacro renders the macro body and applies its ticket updates through
// the same functions as manual edits (so the same validation and audit). It
// is all-or-nothing: on error t is left unchanged. The rendered body is
// returned for the caller to post as a public reply (AddMessage) — posting
// first would let the reply's side effects (new → open) interleave with the
// macro's own status change. missing lists unresolved placeholders.
// pol is the SLA policy of *m.SetPriority (nil = none; unused if the macro
// keeps the priority); it is applied right after the priority change so a
// macro that also solves the ticket is measured against the new targets.
func ApplyMacro(t *Ticket, m Macro, data map[string]string, pol *SLAPolicy, by Actor, now time.Time) (body string, missing []string, events []Event, err error) {
	if t.Status == StatusClosed {
		return "", nil, nil, ErrClosed
	}
	work := t.clone()
	var evs []Event
	step := func(e []Event, err error) error {
		evs = append(evs, e...)
		return err
	}
	if m.SetPriority != nil {
		if err := step(SetPriority(&work, *m.SetPriority, by, now)); err != nil {
			return "", nil, nil, err
		}
		evs = append(evs, ApplySLA(&work, pol, by, now)...)
	}
	if len(m.AddTags) > 0 {
		if err := step(AddTags(&work, m.AddTags, by, now)); err != nil {
			return "", nil, nil, err
		}
	}
	if m.SetStatus != nil {
		if err := step(ChangeStatus(&work, *m.SetStatus, by, now)); err != nil {
			return "", nil, nil, err
		}
	}
	body, missing = Render(m.Body, data)
	*t = work
	return body, missing, evs, nil
}
