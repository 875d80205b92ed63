// Package audit keeps the append-only trail of administrative and data-changing actions:
// who (the API key), when, what (the action and the ids it named), the change (its
// arguments, with secrets and personal values taken out) and how it ended. Entries are
// only ever inserted; nothing here changes or removes one.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
)

// OK is the result of an action that succeeded; a failed one records its error code.
const OK = "ok"

// Actor is the API key that acted.
type Actor struct {
	KeyID string
	Name  string
	Role  string
}

// Entry is one recorded action. Its ID is a ULID of its time, so id order is time order.
type Entry struct {
	ID      string
	At      time.Time
	Actor   Actor
	Action  string
	Targets []string
	// Change is the JSON of the action's arguments, redacted (see Redact).
	Change string
	Result string
}

// Filter narrows a page of the log; empty fields match everything. From is inclusive,
// To exclusive (millisecond precision).
type Filter struct {
	Actor  string // API key id
	Action string
	Target string
	From   time.Time
	To     time.Time
}

// Store keeps entries. It has no way to change or remove one.
type Store interface {
	// Insert stores e unless an entry with its id exists (a retried insert is a no-op).
	Insert(ctx context.Context, e Entry) error
	// Page returns entries matching f with ids below before ("" for the newest), newest
	// first, at most limit.
	Page(ctx context.Context, f Filter, before string, limit int) ([]Entry, error)
}

// Call is one action to record: a GraphQL mutation field or an HTTP action.
type Call struct {
	Action string
	// Args are the arguments as sent (redacted before they are stored).
	Args map[string]any
	// Targets are ids named besides those found in Args (e.g. the id of what a
	// mutation created).
	Targets []string
	Result  string // OK or an error code
}

// Service records and reads the trail.
type Service struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time

	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) newID(at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entropy == nil {
		s.entropy = ulid.Monotonic(rand.Reader, 0)
	}
	return ulid.MustNew(ulid.Timestamp(at), s.entropy).String()
}

// ActorOf is the caller of ctx; ok is false without an authenticated key.
func ActorOf(ctx context.Context) (Actor, bool) {
	k, ok := auth.FromContext(ctx)
	if !ok {
		return Actor{}, false
	}
	return Actor{KeyID: k.ID, Name: k.Name, Role: string(k.Role)}, true
}

// Record stores one entry per call, made by the caller of ctx. Calls without an
// authenticated caller are not recorded: they changed nothing, and recording them would
// let anyone fill the log. An entry that cannot be stored is logged, not returned: the
// action has happened already.
func (s *Service) Record(ctx context.Context, calls ...Call) {
	actor, ok := ActorOf(ctx)
	if !ok || s == nil {
		return
	}
	// The action is done: its entry is written even if the client has gone.
	ctx = context.WithoutCancel(ctx)
	at := s.now().Truncate(time.Millisecond)
	for _, c := range calls {
		e := Entry{ID: s.newID(at), At: at, Actor: actor, Action: c.Action, Result: c.Result}
		if e.Result == "" {
			e.Result = OK
		}
		e.Targets = uniq(append(Targets(c.Args), c.Targets...), maxTargets)
		e.Change = changeJSON(c.Args)
		// A retried insert of the same id is a no-op, so a transient failure is retried.
		var err error
		for try := 0; try < 3; try++ {
			if err = s.Store.Insert(ctx, e); err == nil {
				break
			}
		}
		if err != nil && s.Log != nil {
			s.Log.Error("audit: entry not recorded", "action", c.Action, "actor", actor.KeyID, "err", err)
		}
	}
}

// Page is a page of the log, newest first.
type Page struct {
	Entries []Entry
	HasNext bool
}

// MaxPage caps a page of the log.
const MaxPage = 200

// List pages the log newest first; after is the id of the last entry of the previous
// page.
func (s *Service) List(ctx context.Context, f Filter, first int, after string) (Page, error) {
	if first <= 0 || first > MaxPage {
		return Page{}, apperr.Invalidf("first must be 1 to %d", MaxPage)
	}
	if after != "" {
		if _, err := ulid.ParseStrict(after); err != nil {
			return Page{}, apperr.Invalidf("after is not an audit entry id")
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Page{}, apperr.Invalidf("from must be before to")
	}
	es, err := s.Store.Page(ctx, f, after, first+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Entries: es}
	if len(es) > first {
		p.Entries, p.HasNext = es[:first], true
	}
	return p, nil
}

// IDAt is the smallest entry id of instant t: entries at or after t have ids >= it.
func IDAt(t time.Time) string {
	var id ulid.ULID
	_ = id.SetTime(ulid.Timestamp(t))
	return id.String()
}

const (
	maxTargets   = 50
	maxList      = 20
	maxChangeLen = 8 << 10
	maxDepth     = 8
)

// changeJSON is the redacted arguments as JSON, cut short when large (a batch of a
// thousand records is summarised, not copied).
func changeJSON(args map[string]any) string {
	if len(args) == 0 {
		return "{}"
	}
	b, err := json.Marshal(Redact(args))
	if err != nil {
		return `{"unrecorded":"arguments not serialisable"}`
	}
	if len(b) > maxChangeLen {
		b, _ = json.Marshal(map[string]any{"truncated": true, "bytes": len(b)})
	}
	return string(b)
}

// Placeholders that stand for what is not kept.
const (
	Redacted = "[redacted]" // secrets
	Personal = "[personal]" // personal data
)

// secretField reports a field whose value is a credential.
func secretField(k string) bool {
	k = strings.ToLower(k)
	return k == "key" || strings.HasSuffix(k, "key") || strings.Contains(k, "secret") || strings.Contains(k, "password") ||
		strings.Contains(k, "token")
}

// personalFields hold personal data, or free text that may (a ticket reply, a record's
// payload, a segment condition's value, a merge or rejection reason): kept out so that an erasure leaves nothing of
// the person in the trail, which names customers by profile id only.
var personalFields = map[string]bool{
	"email": true, "emails": true, "phone": true, "phones": true, "firstname": true, "lastname": true, "fullname": true,
	"birthdate": true, "address": true, "addresses": true, "line1": true, "line2": true, "postcode": true, "city": true,
	"payload": true, "attributes": true, "body": true, "text": true, "html": true, "note": true, "comment": true,
	"message": true, "value": true, "values": true, "subject": true, "externalid": true, "reason": true,
}

// Redact copies v with secrets replaced by "[redacted]", personal values by
// "[personal]" (also any string that looks like an e-mail address, wherever it is), and
// long lists cut to their first 20 elements and a count.
func Redact(v any) any { return redact(v, 0) }

func redact(v any, depth int) any {
	if depth > maxDepth {
		return "…"
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch {
			case secretField(k):
				out[k] = Redacted
			case personalFields[strings.ToLower(k)]:
				if e != nil {
					out[k] = Personal
				} else {
					out[k] = nil
				}
			default:
				out[k] = redact(e, depth+1)
			}
		}
		return out
	case []any:
		n := min(len(x), maxList)
		out := make([]any, 0, n+1)
		for _, e := range x[:n] {
			out = append(out, redact(e, depth+1))
		}
		if len(x) > n {
			out = append(out, map[string]any{"more": len(x) - n})
		}
		return out
	case string:
		if looksPersonal(x) {
			return Personal
		}
		return x
	default:
		return v
	}
}

// looksPersonal catches e-mail addresses in fields not named as personal.
func looksPersonal(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.Contains(s[at:], ".") && !strings.ContainsAny(s, " \n")
}

// idField names a field that holds the id of something: id, ids, customerId,
// segmentIds, source (a source is named by its name).
func idField(k string) bool {
	l := strings.ToLower(k)
	if l == "externalid" || l == "externalids" {
		return false
	}
	return l == "id" || l == "ids" || l == "source" || strings.HasSuffix(k, "Id") || strings.HasSuffix(k, "Ids")
}

// Targets collects, best effort, the ids the arguments name (see idField), never a
// value that looks personal.
func Targets(args map[string]any) []string {
	var out []string
	var walk func(v any, depth int)
	add := func(v any) {
		switch x := v.(type) {
		case string:
			if x != "" && !looksPersonal(x) && len(x) <= 200 {
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok && s != "" && !looksPersonal(s) && len(s) <= 200 {
					out = append(out, s)
				}
			}
		}
	}
	walk = func(v any, depth int) {
		if depth > maxDepth || len(out) > maxTargets {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				e := x[k]
				switch {
				case secretField(k) || personalFields[strings.ToLower(k)]:
				case idField(k):
					add(e)
				default:
					walk(e, depth+1)
				}
			}
		case []any:
			for _, e := range x[:min(len(x), maxList)] {
				walk(e, depth+1)
			}
		}
	}
	walk(args, 0)
	return out
}

func uniq(ids []string, limit int) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, id := range ids {
		if !seen[id] && len(out) < limit {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
