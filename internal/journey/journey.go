// Package journey runs customer journeys (issue 16): a trigger (entering or leaving a
// saved segment, an interaction of a type, an order placed, a ticket solved or rated)
// enrols a customer, who then moves through steps: waits, branches on a segment rule,
// random splits with a holdout, e-mails, webhooks, attribute and tag changes, tickets,
// and an exit. This package is the model (definitions, their validation, positions);
// the service that keeps and runs journeys is package journey/engine.
//
// # Versions
//
// A journey's definition is versioned: an edit makes a draft version, publishing it
// makes it the live one. A customer stays on the version they entered, to the end of
// that run; new enrolments take the live version.
//
// # Positions
//
// Each (journey, customer) has one position document, keyed journeyID:profileID, with
// the version, the current step, when it wakes, the runs (one per enrolment, with the
// re-entry rule deciding whether there may be another) and the steps visited. The
// Engine keeps every position in process (read once at start) with a due-queue ordered
// by wake time, and advances due positions in the background, one idempotent step at a
// time: a step with a side effect first records its intent (step and attempt) on the
// position, then does it with a key derived from (journey, customer, run, step,
// version) that makes a repeat harmless (an e-mail's claim on the position before the
// final dot, a webhook's Idempotency-Key, a ticket's fixed id, an attribute record's
// fixed id), then moves on. A restart resumes each position where it stood.
package journey

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// Status is a journey's state.
type Status string

const (
	Draft    Status = "DRAFT"    // never published
	Active   Status = "ACTIVE"   // enrols and advances customers
	Paused   Status = "PAUSED"   // neither: customers wait where they are
	Archived Status = "ARCHIVED" // done for good: customers in it exit
)

// TriggerKind is what enrols a customer.
type TriggerKind string

const (
	SegmentEntered TriggerKind = "SEGMENT_ENTERED"
	SegmentExited  TriggerKind = "SEGMENT_EXITED"
	InteractionOf  TriggerKind = "INTERACTION"
	OrderPlaced    TriggerKind = "ORDER_PLACED"
	TicketSolved   TriggerKind = "TICKET_SOLVED"
	TicketRated    TriggerKind = "TICKET_RATED"
)

// Trigger says which events enrol a customer.
type Trigger struct {
	Kind TriggerKind `json:"kind"`
	// SegmentID: the saved segment (SEGMENT_ENTERED, SEGMENT_EXITED).
	SegmentID string `json:"segmentId,omitempty"`
	// Type and Channel: the interaction type and, optionally, channel (INTERACTION).
	Type    string `json:"type,omitempty"`
	Channel string `json:"channel,omitempty"`
}

// StepKind is what a step does.
type StepKind string

const (
	Wait         StepKind = "WAIT"
	Branch       StepKind = "BRANCH"
	Split        StepKind = "SPLIT"
	SendEmail    StepKind = "SEND_EMAIL"
	CallWebhook  StepKind = "WEBHOOK"
	SetAttribute StepKind = "ATTRIBUTE"
	CreateTicket StepKind = "CREATE_TICKET"
	Exit         StepKind = "EXIT"
)

// Step is one node of a journey. Next is the step after it ("" ends the journey);
// Branch, Split and a Wait for an event name their own ways out.
type Step struct {
	ID        string         `json:"id"`
	Kind      StepKind       `json:"kind"`
	Next      string         `json:"next,omitempty"`
	Wait      *WaitSpec      `json:"wait,omitempty"`
	Branch    *BranchSpec    `json:"branch,omitempty"`
	Split     *SplitSpec     `json:"split,omitempty"`
	Email     *EmailSpec     `json:"email,omitempty"`
	Webhook   *WebhookSpec   `json:"webhook,omitempty"`
	Attribute *AttributeSpec `json:"attribute,omitempty"`
	Ticket    *TicketSpec    `json:"ticket,omitempty"`
}

// WaitSpec waits for a duration, until a time, or for an interaction of a type (at most
// Timeout, then on to TimeoutNext).
type WaitSpec struct {
	Duration    time.Duration `json:"duration,omitempty"`
	Until       time.Time     `json:"until,omitzero"`
	Event       string        `json:"event,omitempty"`
	Timeout     time.Duration `json:"timeout,omitempty"`
	TimeoutNext string        `json:"timeoutNext,omitempty"`
}

// BranchSpec goes to Yes when the customer matches Rule (a segment rule), else to No.
type BranchSpec struct {
	Rule segment.Rule `json:"rule"`
	Yes  string       `json:"yes,omitempty"`
	No   string       `json:"no,omitempty"`
}

// SplitSpec sends each customer down one arm, drawn by weight from a hash of
// (journey, version, step, customer): the same customer always takes the same arm.
type SplitSpec struct {
	Arms []Arm `json:"arms"`
}

// Arm is one way out of a split; a holdout arm ends the run there (its customers are
// the control group of the conversion goal).
type Arm struct {
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Next    string `json:"next,omitempty"`
	Holdout bool   `json:"holdout,omitempty"`
}

// EmailSpec is a message, its placeholders those of ticket macros and campaigns
// ({{customer.firstName}} ...). Marketing consent is required.
type EmailSpec struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// WebhookSpec POSTs the customer's position to URL, signed with the journey's secret.
type WebhookSpec struct {
	URL string `json:"url"`
}

// AttributeOp is what an attribute step does.
type AttributeOp string

const (
	SetAttr    AttributeOp = "SET"
	RemoveAttr AttributeOp = "REMOVE" // sets the attribute to "" (survivorship keeps the newest value)
	AddTag     AttributeOp = "ADD_TAG"
	RemoveTag  AttributeOp = "REMOVE_TAG"
)

// AttributeSpec changes a custom attribute, or a tag: the boolean attribute tag_<name>.
type AttributeSpec struct {
	Op    AttributeOp `json:"op"`
	Key   string      `json:"key"`
	Value string      `json:"value,omitempty"`
}

// TicketSpec opens a help-desk ticket for the customer.
type TicketSpec struct {
	Subject  string   `json:"subject"`
	Body     string   `json:"body"`
	Priority string   `json:"priority,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// ReentryMode says whether a customer whose run ended may enter again.
type ReentryMode string

const (
	Never  ReentryMode = "NEVER"
	After  ReentryMode = "AFTER" // After the last entry
	Always ReentryMode = "ALWAYS"
)

// Reentry is the re-entry rule. A customer in the journey never enters it twice at once.
type Reentry struct {
	Mode  ReentryMode   `json:"mode"`
	After time.Duration `json:"after,omitempty"`
}

// Goal is the conversion goal: an order placed within Within of entering.
type Goal struct {
	Within time.Duration `json:"within"`
}

// Email placeholders (besides customer.attributes.<key>).
var emailPlaceholders = []string{macro.PhCustomerFirstName, macro.PhCustomerLastName, macro.PhCustomerName, macro.PhCustomerEmail, "journey.name"}

// Definition is one version of a journey.
type Definition struct {
	Trigger Trigger `json:"trigger"`
	// Start is the first step (default: the first of Steps).
	Start   string  `json:"start,omitempty"`
	Steps   []Step  `json:"steps"`
	Reentry Reentry `json:"reentry"`
	Goal    *Goal   `json:"goal,omitempty"`
}

// Journey is a journey's head: its name, state and versions.
type Journey struct {
	ID     string
	Name   string
	Status Status
	// Live is the published version enrolments take (0: none yet); Latest the newest,
	// a draft when Latest > Live.
	Live, Latest int
	// Secret signs its webhook calls.
	Secret    string
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	Rev       int64
}

// Version is one version's definition.
type Version struct {
	JourneyID   string
	N           int
	Def         Definition
	CreatedAt   time.Time
	PublishedAt time.Time // zero: a draft
}

// VersionID is the stored id of a version.
func VersionID(journeyID string, n int) string { return fmt.Sprintf("%s:v%d", journeyID, n) }

const (
	// MaxSteps bounds a definition (and so a run of the engine through one).
	MaxSteps    = 100
	maxArms     = 10
	maxTextLen  = 100_000
	maxNameLen  = 200
	maxDuration = 5 * 365 * 24 * time.Hour
)

var (
	stepID   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	attrName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

func invalid(step, format string, a ...any) error {
	if step == "" {
		return apperr.Invalidf(format, a...)
	}
	return apperr.Invalidf("step %q: %s", step, fmt.Sprintf(format, a...))
}

// Validate checks a definition: every pointer names a step, every step is reachable
// from the start, no step leads back to itself (a journey ends), and each step has the
// settings its kind needs and no others.
func (d *Definition) Validate() error {
	if err := d.Trigger.validate(); err != nil {
		return err
	}
	switch d.Reentry.Mode {
	case Never, Always:
		if d.Reentry.After != 0 {
			return invalid("", "reentry: after is only for mode AFTER")
		}
	case After:
		if d.Reentry.After <= 0 || d.Reentry.After > maxDuration {
			return invalid("", "reentry: mode AFTER needs a positive period of at most 5 years")
		}
	case "":
		d.Reentry.Mode = Never
	default:
		return invalid("", "reentry: unknown mode %q (NEVER, AFTER or ALWAYS)", d.Reentry.Mode)
	}
	if d.Goal != nil && (d.Goal.Within <= 0 || d.Goal.Within > maxDuration) {
		return invalid("", "goal: within must be positive and at most 5 years")
	}
	if len(d.Steps) == 0 {
		return invalid("", "a journey needs at least one step")
	}
	if len(d.Steps) > MaxSteps {
		return invalid("", "at most %d steps", MaxSteps)
	}
	byID := map[string]*Step{}
	for i := range d.Steps {
		s := &d.Steps[i]
		if !stepID.MatchString(s.ID) {
			return invalid("", "step %d: id %q must be 1 to 64 letters, digits, - or _", i+1, s.ID)
		}
		if byID[s.ID] != nil {
			return invalid(s.ID, "the id is used twice")
		}
		byID[s.ID] = s
	}
	if d.Start == "" {
		d.Start = d.Steps[0].ID
	}
	if byID[d.Start] == nil {
		return invalid("", "start: no step %q", d.Start)
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		if err := s.validate(); err != nil {
			return err
		}
		for _, n := range s.Targets() {
			if n != "" && byID[n] == nil {
				return invalid(s.ID, "leads to %q, which is not a step", n)
			}
		}
	}
	// Depth-first from the start: a step met again on the current path is a loop.
	state := map[string]int{} // 1 on the path, 2 done
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return invalid(id, "is reached again from itself: a journey may not loop")
		case 2:
			return nil
		}
		state[id] = 1
		for _, n := range byID[id].Targets() {
			if n != "" {
				if err := visit(n); err != nil {
					return err
				}
			}
		}
		state[id] = 2
		return nil
	}
	if err := visit(d.Start); err != nil {
		return err
	}
	for _, s := range d.Steps {
		if state[s.ID] == 0 {
			return invalid(s.ID, "cannot be reached from the start")
		}
	}
	return nil
}

func (t Trigger) validate() error {
	switch t.Kind {
	case SegmentEntered, SegmentExited:
		if t.SegmentID == "" {
			return invalid("", "trigger %s needs a segmentId", t.Kind)
		}
		if t.Type != "" || t.Channel != "" {
			return invalid("", "trigger %s takes no type or channel", t.Kind)
		}
	case InteractionOf:
		if strings.TrimSpace(t.Type) == "" {
			return invalid("", "trigger INTERACTION needs the interaction type")
		}
		if t.SegmentID != "" {
			return invalid("", "trigger INTERACTION takes no segmentId")
		}
	case OrderPlaced, TicketSolved, TicketRated:
		if t.SegmentID != "" || t.Type != "" || t.Channel != "" {
			return invalid("", "trigger %s takes no segmentId, type or channel", t.Kind)
		}
	default:
		return invalid("", "trigger: unknown kind %q", t.Kind)
	}
	return nil
}

// Targets are the steps a step may lead to ("" ends the run).
func (s *Step) Targets() []string {
	switch s.Kind {
	case Branch:
		if s.Branch != nil {
			return []string{s.Branch.Yes, s.Branch.No}
		}
	case Split:
		var out []string
		if s.Split != nil {
			for _, a := range s.Split.Arms {
				if !a.Holdout {
					out = append(out, a.Next)
				}
			}
		}
		return out
	case Exit:
		return nil
	case Wait:
		if s.Wait != nil && s.Wait.Event != "" {
			return []string{s.Next, s.Wait.TimeoutNext}
		}
	}
	return []string{s.Next}
}

func (s *Step) validate() error {
	set := 0
	for _, p := range []bool{s.Wait != nil, s.Branch != nil, s.Split != nil, s.Email != nil, s.Webhook != nil, s.Attribute != nil, s.Ticket != nil} {
		if p {
			set++
		}
	}
	want := map[StepKind]bool{Wait: s.Wait != nil, Branch: s.Branch != nil, Split: s.Split != nil, SendEmail: s.Email != nil,
		CallWebhook: s.Webhook != nil, SetAttribute: s.Attribute != nil, CreateTicket: s.Ticket != nil, Exit: true}
	has, known := want[s.Kind]
	switch {
	case !known:
		return invalid(s.ID, "unknown kind %q", s.Kind)
	case s.Kind == Exit && (set > 0 || s.Next != ""):
		return invalid(s.ID, "EXIT takes no settings and no next step")
	case s.Kind != Exit && (!has || set != 1):
		return invalid(s.ID, "%s needs its %s settings and no others", s.Kind, strings.ToLower(string(s.Kind)))
	}
	if (s.Kind == Branch || s.Kind == Split) && s.Next != "" {
		return invalid(s.ID, "%s names its ways out in its settings, not in next", s.Kind)
	}
	switch s.Kind {
	case Wait:
		return s.Wait.validate(s.ID)
	case Branch:
		if err := s.Branch.Rule.Validate(); err != nil {
			return invalid(s.ID, "rule: %v", err)
		}
	case Split:
		return s.Split.validate(s.ID)
	case SendEmail:
		e := s.Email
		if strings.TrimSpace(e.Subject) == "" || strings.TrimSpace(e.Text) == "" {
			return invalid(s.ID, "an e-mail needs a subject and a text part")
		}
		if len(e.Subject) > 998 || len(e.Text) > maxTextLen || len(e.HTML) > maxTextLen {
			return invalid(s.ID, "the e-mail is too long")
		}
		for _, part := range []string{e.Subject, e.Text, e.HTML} {
			for _, k := range macro.Placeholders(part) {
				a, isAttr := strings.CutPrefix(k, "customer.attributes.")
				if !slices.Contains(emailPlaceholders, k) && !(isAttr && attrName.MatchString(a)) {
					return invalid(s.ID, "unknown placeholder {{%s}} (known: %s, customer.attributes.<key>)", k, strings.Join(emailPlaceholders, ", "))
				}
			}
		}
	case CallWebhook:
		u, err := url.Parse(strings.TrimSpace(s.Webhook.URL))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
			return invalid(s.ID, "webhook url must be an absolute http(s) URL")
		}
	case SetAttribute:
		return s.Attribute.validate(s.ID)
	case CreateTicket:
		t := s.Ticket
		if strings.TrimSpace(t.Subject) == "" || strings.TrimSpace(t.Body) == "" {
			return invalid(s.ID, "a ticket needs a subject and a body")
		}
		if !slices.Contains([]string{"", "low", "normal", "high", "urgent"}, t.Priority) {
			return invalid(s.ID, "ticket priority %q: low, normal, high or urgent", t.Priority)
		}
	}
	return nil
}

func (w *WaitSpec) validate(id string) error {
	n := 0
	for _, p := range []bool{w.Duration != 0, !w.Until.IsZero(), w.Event != ""} {
		if p {
			n++
		}
	}
	switch {
	case n != 1:
		return invalid(id, "a wait needs exactly one of duration, until or event")
	case w.Duration < 0 || w.Duration > maxDuration:
		return invalid(id, "wait duration must be positive and at most 5 years")
	case w.Event != "" && (w.Timeout <= 0 || w.Timeout > maxDuration):
		return invalid(id, "a wait for an event needs a timeout of at most 5 years")
	case w.Event == "" && (w.Timeout != 0 || w.TimeoutNext != ""):
		return invalid(id, "timeout is only for a wait for an event")
	}
	return nil
}

func (sp *SplitSpec) validate(id string) error {
	if len(sp.Arms) < 2 || len(sp.Arms) > maxArms {
		return invalid(id, "a split needs 2 to %d arms", maxArms)
	}
	names := map[string]bool{}
	for _, a := range sp.Arms {
		switch {
		case strings.TrimSpace(a.Name) == "":
			return invalid(id, "every arm needs a name")
		case names[a.Name]:
			return invalid(id, "arm %q is named twice", a.Name)
		case a.Weight < 1 || a.Weight > 10_000:
			return invalid(id, "arm %q: weight must be 1 to 10000", a.Name)
		case a.Holdout && a.Next != "":
			return invalid(id, "arm %q: a holdout arm ends the run (no next)", a.Name)
		}
		names[a.Name] = true
	}
	return nil
}

func (a *AttributeSpec) validate(id string) error {
	switch a.Op {
	case SetAttr, RemoveAttr, AddTag, RemoveTag:
	default:
		return invalid(id, "attribute op %q: SET, REMOVE, ADD_TAG or REMOVE_TAG", a.Op)
	}
	if !attrName.MatchString(a.Key) {
		return invalid(id, "attribute key %q: 1 to 64 letters, digits or _", a.Key)
	}
	if (a.Op == AddTag || a.Op == RemoveTag) && len(a.Key) > 60 {
		return invalid(id, "tag %q: at most 60 characters (it is the attribute tag_<name>)", a.Key)
	}
	if a.Op != SetAttr && a.Value != "" {
		return invalid(id, "only SET takes a value")
	}
	if len(a.Value) > 1000 {
		return invalid(id, "attribute value too long")
	}
	return nil
}

// Step returns a step by id.
func (d *Definition) Step(id string) *Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// ValidateName checks a journey name.
func ValidateName(name string) error {
	if n := strings.TrimSpace(name); n == "" || len(n) > maxNameLen {
		return apperr.Invalidf("name: 1 to %d characters", maxNameLen)
	}
	return nil
}
