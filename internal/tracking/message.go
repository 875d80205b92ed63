// Package tracking takes events in the shape of the Segment HTTP tracking API (track,
// identify, page, screen, group, alias and batch calls), so that shops send them with
// the Segment SDKs they already use. Each call becomes what Tessera already has:
//
//	identify, alias                -> a source record of the write key's source, so
//	                                  identity resolution links userId, anonymousId and
//	                                  traits (an anonymous visitor joins the profile
//	                                  when they identify)
//	track, page, screen, group     -> an interaction on the profile of its userId or
//	                                  anonymousId (through a small record carrying the
//	                                  ids, so an unknown visitor gets a profile)
//
// Delivery is at least once (SDKs retry); the effect is exactly once: every record and
// interaction id is derived from the message (its messageId, or its content), so a
// message processed twice writes the same documents, and processed message ids are
// recorded per source so a re-sent batch is skipped.
package tracking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the Segment tracking API.
const (
	MaxMessageBytes = 32 << 10  // one message (one call, or one element of a batch)
	MaxBatchBytes   = 500 << 10 // one batch request body
	maxIDBytes      = 190       // userId, anonymousId, groupId, previousId
	maxMessageID    = 200
	maxNameBytes    = 200 // event, page or screen name, category
)

// Types of calls.
const (
	Track    = "track"
	Identify = "identify"
	Page     = "page"
	Screen   = "screen"
	Group    = "group"
	Alias    = "alias"
)

// Types lists the calls a batch may hold.
var Types = []string{Track, Identify, Page, Screen, Group, Alias}

// Message is one validated call.
type Message struct {
	Type        string
	MessageID   string
	UserID      string
	AnonymousID string
	PreviousID  string // alias
	GroupID     string // group
	Event       string // track
	Name        string // page, screen
	Category    string // page
	Properties  map[string]any
	Traits      map[string]any // identify, group
	Context     map[string]any
	// At is when the event happened: the client's timestamp corrected for its clock's
	// skew (see Corrected).
	At time.Time
	// ClientTimestamp is the timestamp as sent, when there was one.
	ClientTimestamp *time.Time
	ReceivedAt      time.Time
}

// Batch is one request's messages; Rejects are those that failed validation, by index
// in the request.
type Batch struct {
	Messages []Message
	Index    []int // request index of each message
	Rejects  []Reject
}

// Reject says why one message of a request was not taken.
type Reject struct {
	Index     int    `json:"index"`
	MessageID string `json:"messageId,omitempty"`
	Reason    string `json:"reason"`
}

// RequestError is a request that cannot be read at all (bad JSON, too large).
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

func requestErrorf(format string, a ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, a...)}
}

// Corrected is the time an event happened: its timestamp moved by the client's clock
// skew, which is receivedAt - sentAt when the client said when it sent the message
// (both client times come from the same wrong clock). Without a timestamp it is
// receivedAt; it is never after receivedAt, and a time before 2000 (a clock reset to
// zero, with no sentAt to correct it) is taken as receivedAt too.
func Corrected(timestamp, sentAt *time.Time, receivedAt time.Time) time.Time {
	if timestamp == nil {
		return receivedAt
	}
	t := *timestamp
	if sentAt != nil {
		t = t.Add(receivedAt.Sub(*sentAt))
	}
	if t.After(receivedAt) || t.Before(earliest) {
		return receivedAt
	}
	return t
}

var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteKeyOf returns the writeKey field of a request body, if it has one (browsers send
// the key there rather than in an Authorization header, which would need a preflight).
func WriteKeyOf(body []byte) string {
	var x struct {
		WriteKey json.RawMessage `json:"writeKey"`
	}
	if json.Unmarshal(body, &x) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(x.WriteKey, &s)
	return s
}

// Parse reads a request of one call type (track, identify, ...) or of a batch ("batch",
// whose messages name their type). Messages that fail validation are rejected one by
// one; an error means the request as a whole is unreadable.
func Parse(call string, body []byte, receivedAt time.Time) (Batch, error) {
	if call == "batch" {
		if len(body) > MaxBatchBytes {
			return Batch{}, requestErrorf("batch is %d bytes: at most %d (500 KB) per batch", len(body), MaxBatchBytes)
		}
		var req struct {
			Batch   []json.RawMessage `json:"batch"`
			Context json.RawMessage   `json:"context"`
			SentAt  json.RawMessage   `json:"sentAt"`
		}
		if err := strictObject(body, &req); err != nil {
			return Batch{}, err
		}
		if req.Batch == nil {
			return Batch{}, requestErrorf(`a batch needs a "batch" array of messages`)
		}
		all := parseCommon(req.Context, req.SentAt)
		if all.err != "" {
			return Batch{}, requestErrorf("%s", all.err)
		}
		var b Batch
		for i, raw := range req.Batch {
			m, err := parseMessage("", raw, all, receivedAt)
			if err != "" {
				b.Rejects = append(b.Rejects, Reject{Index: i, MessageID: m.MessageID, Reason: err})
				continue
			}
			b.Messages = append(b.Messages, m)
			b.Index = append(b.Index, i)
		}
		return b, nil
	}
	if !slices.Contains(Types, call) {
		return Batch{}, requestErrorf("unknown call %q", call)
	}
	var probe map[string]json.RawMessage
	if err := strictObject(body, &probe); err != nil {
		return Batch{}, err
	}
	m, err := parseMessage(call, body, common{}, receivedAt)
	if err != "" {
		return Batch{Rejects: []Reject{{MessageID: m.MessageID, Reason: err}}}, nil
	}
	return Batch{Messages: []Message{m}, Index: []int{0}}, nil
}

// strictObject decodes a JSON object, with a readable error.
func strictObject(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return requestErrorf("the body must be a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			return requestErrorf("field %q has the wrong type (a JSON %s)", te.Field, te.Value)
		}
		return requestErrorf("the body is not valid JSON: %v", err)
	}
	return nil
}

// common holds what a batch gives all its messages.
type common struct {
	context map[string]any
	sentAt  *time.Time
	err     string
}

func parseCommon(ctx, sentAt json.RawMessage) common {
	var c common
	var err string
	if c.context, err = object(ctx, "context"); err != "" {
		c.err = err
		return c
	}
	c.sentAt, c.err = timeOf(sentAt, "sentAt")
	return c
}

// wire is a message as sent; every field is checked by hand for clear errors.
type wire struct {
	Type              json.RawMessage `json:"type"`
	MessageID         json.RawMessage `json:"messageId"`
	UserID            json.RawMessage `json:"userId"`
	AnonymousID       json.RawMessage `json:"anonymousId"`
	PreviousID        json.RawMessage `json:"previousId"`
	GroupID           json.RawMessage `json:"groupId"`
	Event             json.RawMessage `json:"event"`
	Name              json.RawMessage `json:"name"`
	Category          json.RawMessage `json:"category"`
	Properties        json.RawMessage `json:"properties"`
	Traits            json.RawMessage `json:"traits"`
	Context           json.RawMessage `json:"context"`
	Timestamp         json.RawMessage `json:"timestamp"`
	OriginalTimestamp json.RawMessage `json:"originalTimestamp"`
	SentAt            json.RawMessage `json:"sentAt"`
}

// parseMessage validates one message; call is the endpoint's type ("" in a batch,
// where the message names it). The error is "" when the message is good.
func parseMessage(call string, raw json.RawMessage, c common, receivedAt time.Time) (Message, string) {
	var m Message
	var w wire
	if len(raw) > MaxMessageBytes {
		_ = json.Unmarshal(raw, &w)
		m.MessageID, _ = idOf(w.MessageID, "messageId", maxMessageID)
		return m, fmt.Sprintf("message is %d bytes: at most %d (32 KB) per message", len(raw), MaxMessageBytes)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return m, "a message must be a JSON object"
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return m, "not valid JSON: " + err.Error()
	}
	var err string
	if m.MessageID, err = idOf(w.MessageID, "messageId", maxMessageID); err != "" {
		return m, err
	}
	if m.MessageID == "" {
		// Without an id, identical content is the same message (a retry).
		m.MessageID = "auto-" + digest(raw)
	}
	m.Type = call
	if call == "" {
		if m.Type, err = textOf(w.Type, "type", 20); err != "" {
			return m, err
		}
		if !slices.Contains(Types, m.Type) {
			return m, fmt.Sprintf("type %q: use one of %s", m.Type, strings.Join(Types, ", "))
		}
	}
	for _, f := range []struct {
		dst  *string
		raw  json.RawMessage
		name string
	}{{&m.UserID, w.UserID, "userId"}, {&m.AnonymousID, w.AnonymousID, "anonymousId"}, {&m.PreviousID, w.PreviousID, "previousId"}, {&m.GroupID, w.GroupID, "groupId"}} {
		if *f.dst, err = idOf(f.raw, f.name, maxIDBytes); err != "" {
			return m, err
		}
	}
	for _, f := range []struct {
		dst  *string
		raw  json.RawMessage
		name string
	}{{&m.Event, w.Event, "event"}, {&m.Name, w.Name, "name"}, {&m.Category, w.Category, "category"}} {
		if *f.dst, err = textOf(f.raw, f.name, maxNameBytes); err != "" {
			return m, err
		}
	}
	if m.Properties, err = object(w.Properties, "properties"); err != "" {
		return m, err
	}
	if m.Traits, err = object(w.Traits, "traits"); err != "" {
		return m, err
	}
	if m.Context, err = object(w.Context, "context"); err != "" {
		return m, err
	}
	m.Context = merged(c.context, m.Context)
	ts, err := timeOf(w.Timestamp, "timestamp")
	if err != "" {
		return m, err
	}
	if ts == nil {
		if ts, err = timeOf(w.OriginalTimestamp, "originalTimestamp"); err != "" {
			return m, err
		}
	}
	sent, err := timeOf(w.SentAt, "sentAt")
	if err != "" {
		return m, err
	}
	if sent == nil {
		sent = c.sentAt
	}
	m.ClientTimestamp, m.ReceivedAt = ts, receivedAt
	m.At = Corrected(ts, sent, receivedAt)
	return m, m.check()
}

// check applies the rules of each call type.
func (m *Message) check() string {
	switch {
	case m.Type == Alias:
		if m.UserID == "" || m.PreviousID == "" {
			return "alias needs userId and previousId"
		}
		return ""
	case m.UserID == "" && m.AnonymousID == "":
		return m.Type + " needs a userId or an anonymousId"
	case m.Type == Track && m.Event == "":
		return "track needs an event name"
	case m.Type == Group && m.GroupID == "":
		return "group needs a groupId"
	}
	return ""
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// decode reads a JSON value keeping numbers exact.
func decode(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// idOf reads an id: a string, or a number (some libraries send numeric user ids).
func idOf(raw json.RawMessage, name string, limit int) (string, string) {
	if absent(raw) {
		return "", ""
	}
	var v any
	if err := decode(raw, &v); err != nil {
		return "", name + ": not valid JSON"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		s = x.String()
	default:
		return "", name + " must be a string or a number"
	}
	if why := textProblem(s, limit); why != "" {
		return "", name + ": " + why
	}
	return s, ""
}

func textOf(raw json.RawMessage, name string, limit int) (string, string) {
	if absent(raw) {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", name + " must be a string"
	}
	s = strings.TrimSpace(s)
	if why := textProblem(s, limit); why != "" {
		return "", name + ": " + why
	}
	return s, ""
}

func textProblem(s string, limit int) string {
	switch {
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case len(s) > limit:
		return fmt.Sprintf("longer than %d bytes", limit)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "contains control characters"
	}
	return ""
}

func object(raw json.RawMessage, name string) (map[string]any, string) {
	if absent(raw) {
		return nil, ""
	}
	var m map[string]any
	if t := bytes.TrimSpace(raw); t[0] != '{' || decode(raw, &m) != nil {
		return nil, name + " must be a JSON object"
	}
	return m, ""
}

// timeOf reads an ISO 8601 time.
func timeOf(raw json.RawMessage, name string) (*time.Time, string) {
	if absent(raw) {
		return nil, ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, name + " must be an ISO 8601 time string"
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			t = t.UTC()
			return &t, ""
		}
	}
	return nil, fmt.Sprintf("%s %q is not an ISO 8601 time such as 2026-03-01T12:00:00.000Z", name, s)
}

// merged is a message's context over its batch's (the message's own keys win).
func merged(base, own map[string]any) map[string]any {
	if len(base) == 0 {
		return own
	}
	out := make(map[string]any, len(base)+len(own))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// DefaultIP sets the context's ip of the messages that do not give one (as Segment does
// with the address the request came from).
func (b *Batch) DefaultIP(ip string) {
	for i := range b.Messages {
		m := &b.Messages[i]
		if _, has := m.Context["ip"]; has {
			continue
		}
		c := make(map[string]any, len(m.Context)+1)
		for k, v := range m.Context {
			c[k] = v
		}
		c["ip"] = ip
		m.Context = c
	}
}
