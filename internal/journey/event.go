package journey

import "time"

// Event is something that happened to a customer: what triggers enrol on, what waits
// for events hear, and (orders) what reaches a conversion goal.
type Event struct {
	Kind      TriggerKind
	ProfileID string
	// Key identifies the event (an order id, an interaction id, a segment change): a
	// repeat does not enrol the customer again.
	Key       string
	SegmentID string // SEGMENT_ENTERED, SEGMENT_EXITED
	Type      string // INTERACTION
	Channel   string // INTERACTION
	At        time.Time
}

// Matches reports whether an event is of the trigger's kind and, for segments and
// interactions, of its segment or type.
func (t Trigger) Matches(ev Event) bool {
	if t.Kind != ev.Kind {
		return false
	}
	switch t.Kind {
	case SegmentEntered, SegmentExited:
		return t.SegmentID == ev.SegmentID
	case InteractionOf:
		return t.Type == ev.Type && (t.Channel == "" || t.Channel == ev.Channel)
	}
	return true
}
