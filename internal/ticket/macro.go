package ticket

import (
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// Macro is a canned reply plus ticket updates an agent applies in one click; its body
// may hold placeholders (package macro renders them).
type Macro struct {
	ID          string
	Name        string
	Body        string // may contain {{placeholders}}; empty = no reply
	SetStatus   *Status
	AddTags     []string
	SetPriority *Priority
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
	body, missing = macro.Render(m.Body, data)
	*t = work
	return body, missing, evs, nil
}
