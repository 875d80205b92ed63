package consent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/consent"
)

// memStore is an in-memory consent.Store.
type memStore struct {
	mu   sync.Mutex
	recs map[string]consent.Record
	key  []byte
}

func (m *memStore) Get(_ context.Context, id string) (consent.Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	r.ProfileID = id
	return clone(r), ok, nil
}

func (m *memStore) GetMany(ctx context.Context, ids []string) ([]consent.Record, error) {
	var out []consent.Record
	for _, id := range ids {
		if r, ok, _ := m.Get(ctx, id); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) Update(_ context.Context, id string, change func(*consent.Record) (bool, error)) (consent.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := clone(m.recs[id])
	r.ProfileID = id
	ok, err := change(&r)
	if err != nil {
		return consent.Record{}, err
	}
	if ok {
		r.Rev++
		m.recs[id] = r
	}
	return clone(r), nil
}

func (m *memStore) Delete(_ context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.recs, id)
	}
	return nil
}

func (m *memStore) TokenKey(context.Context) ([]byte, error) { return m.key, nil }

func clone(r consent.Record) consent.Record {
	r.States, r.History = slices.Clone(r.States), slices.Clone(r.History)
	return r
}

type env struct {
	svc     *consent.Service
	st      *memStore
	now     time.Time
	merged  map[string]string // absorbed -> survivor
	erased  map[string]bool
	changed []string
}

func newEnv() *env {
	e := &env{st: &memStore{recs: map[string]consent.Record{}, key: []byte("0123456789abcdef0123456789abcdef")},
		now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), merged: map[string]string{}, erased: map[string]bool{}}
	n := 0
	e.svc = &consent.Service{Store: e.st, Now: func() time.Time { return e.now },
		NewID: func() string { n++; return fmt.Sprintf("e%03d", n) },
		Final: func(_ context.Context, id string) (string, error) {
			for e.merged[id] != "" {
				id = e.merged[id]
			}
			if e.erased[id] {
				return "", apperr.NotFoundf("customer %s not found", id)
			}
			return id, nil
		},
		Changed: func(ids []string) { e.changed = append(e.changed, ids...) }}
	return e
}

func (e *env) set(t *testing.T, pid string, c consent.Channel, p consent.Purpose, s consent.Status, at time.Time) consent.Result {
	t.Helper()
	res, err := e.svc.Set(context.Background(), pid, consent.Statement{Channel: c, Purpose: p, Status: s, Source: "web form", Actor: "agent", At: at})
	if err != nil {
		t.Fatalf("set %s %s %s: %v", c, p, s, err)
	}
	return res
}

func status(r consent.Record, c consent.Channel, p consent.Purpose) consent.Status {
	s, _ := r.State(consent.Key{Channel: c, Purpose: p})
	return s.Status
}

// Every statement joins the history with its source, time and actor; the latest
// statement is the current state, and an older one (an import of past data) only joins
// the history.
func TestTransitionsAndHistory(t *testing.T) {
	e := newEnv()
	ctx := context.Background()
	t0 := e.now.Add(-time.Hour)
	e.set(t, "p1", consent.Email, consent.Marketing, consent.Granted, t0)
	r := e.set(t, "p1", consent.Email, consent.Marketing, consent.Withdrawn, time.Time{}).Record
	if got := status(r, consent.Email, consent.Marketing); got != consent.Withdrawn {
		t.Fatalf("after withdrawal: %s", got)
	}
	// A statement made before the current one: history only.
	r = e.set(t, "p1", consent.Email, consent.Marketing, consent.Granted, t0.Add(time.Minute)).Record
	if got := status(r, consent.Email, consent.Marketing); got != consent.Withdrawn {
		t.Fatalf("an older grant changed the state: %s", got)
	}
	if len(r.History) != 3 || r.History[0].Status != consent.Granted || r.History[1].Status != consent.Granted ||
		r.History[2].Status != consent.Withdrawn || !r.History[2].At.Equal(e.now) || r.History[2].Source != "web form" || r.History[2].Actor != "agent" {
		t.Fatalf("history (oldest first by statement time): %+v", r.History)
	}
	s, _ := r.State(consent.Key{Channel: consent.Email, Purpose: consent.Marketing})
	if s.Entry != r.History[2].ID || !s.At.Equal(e.now) {
		t.Fatalf("state %+v", s)
	}
	// Granted again later: granted; then a complaint, then a new grant supersedes it.
	e.now = e.now.Add(time.Hour)
	e.set(t, "p1", consent.Email, consent.Marketing, consent.Granted, time.Time{})
	e.now = e.now.Add(time.Hour)
	r = e.set(t, "p1", consent.Email, consent.Marketing, consent.Complained, time.Time{}).Record
	if r.Allowed(consent.Email, consent.Marketing) || r.Allowed(consent.Email, consent.Transactional) != true {
		t.Fatalf("a complaint about marketing stops marketing only: %+v", r.States)
	}
	// A bounce stops every purpose of the channel, not other channels.
	e.now = e.now.Add(time.Hour)
	e.set(t, "p1", consent.SMS, consent.Marketing, consent.Granted, time.Time{})
	r = e.set(t, "p1", consent.Email, consent.Marketing, consent.Bounced, time.Time{}).Record
	if status(r, consent.Email, consent.Marketing) != consent.Bounced || status(r, consent.Email, consent.Transactional) != consent.Bounced ||
		r.Allowed(consent.Email, consent.Transactional) || !r.Allowed(consent.SMS, consent.Marketing) {
		t.Fatalf("after a bounce: %+v", r.States)
	}
	if got := r.Granted(); !slices.Equal(got, []string{"sms:marketing"}) {
		t.Fatalf("granted keys %v", got)
	}
	// Allowed: marketing needs a grant, transactional only the absence of a refusal.
	for _, tc := range []struct {
		c    consent.Channel
		p    consent.Purpose
		want bool
	}{{consent.Push, consent.Marketing, false}, {consent.Push, consent.Transactional, true}, {consent.SMS, consent.Marketing, true},
		{consent.Email, consent.Transactional, false}} {
		if got, err := e.svc.Allowed(ctx, "p1", tc.c, tc.p); err != nil || got != tc.want {
			t.Errorf("allowed %s %s = %v, %v", tc.c, tc.p, got, err)
		}
	}
	if !slices.Contains(e.changed, "p1") {
		t.Fatalf("changes not announced: %v", e.changed)
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	e := newEnv()
	ctx := context.Background()
	e.erased["gone"] = true
	for _, tc := range []struct {
		id   string
		st   consent.Statement
		kind apperr.Kind
	}{
		{"p", consent.Statement{Channel: "fax", Purpose: consent.Marketing, Status: consent.Granted, Source: "x"}, apperr.Invalid},
		{"p", consent.Statement{Channel: consent.Email, Purpose: "sales", Status: consent.Granted, Source: "x"}, apperr.Invalid},
		{"p", consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: "maybe", Source: "x"}, apperr.Invalid},
		{"p", consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: consent.Pending, Source: "x"}, apperr.Invalid},
		{"p", consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: consent.Granted, Source: "  "}, apperr.Invalid},
		{"p", consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: consent.Granted, Source: "x", At: e.now.Add(time.Hour)}, apperr.Invalid},
		{"gone", consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: consent.Granted, Source: "x"}, apperr.NotFound},
	} {
		_, err := e.svc.Set(ctx, tc.id, tc.st)
		if ae, ok := apperr.As(err); !ok || ae.Kind != tc.kind {
			t.Errorf("%+v: %v, want %s", tc.st, err, tc.kind)
		}
	}
	if len(e.st.recs) != 0 {
		t.Fatalf("refused statements were stored: %v", e.st.recs)
	}
}

// Double opt-in: a grant is pending until the signed token confirms it; the token
// survives a merge, cannot be forged or used after it expires, and a withdrawal in
// between wins.
func TestDoubleOptIn(t *testing.T) {
	e := newEnv()
	ctx := context.Background()
	e.svc.DoubleOptIn = map[consent.Key]bool{{Channel: consent.Email, Purpose: consent.Marketing}: true}
	res := e.set(t, "p1", consent.Email, consent.Marketing, consent.Granted, time.Time{})
	if status(res.Record, consent.Email, consent.Marketing) != consent.Pending || res.Token == "" || !res.TokenUntil.After(e.now) {
		t.Fatalf("grant with double opt-in: %+v", res)
	}
	if res.Record.Allowed(consent.Email, consent.Marketing) {
		t.Fatal("pending allows marketing")
	}
	// Other keys are granted at once.
	if r := e.set(t, "p1", consent.SMS, consent.Marketing, consent.Granted, time.Time{}); r.Token != "" || status(r.Record, consent.SMS, consent.Marketing) != consent.Granted {
		t.Fatalf("sms: %+v", r)
	}
	for _, bad := range []string{"", "x.y", res.Token + "x", strings.Replace(res.Token, ".", "x.", 1)} {
		if _, _, err := e.svc.Confirm(ctx, bad, "shop"); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	// The profile is merged into p0 before the customer clicks.
	e.merged["p1"] = "p0"
	if err := e.svc.FollowMerge(ctx, "p0", []string{"p1"}, "merge", e.now); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	r, k, err := e.svc.Confirm(ctx, res.Token, "shop")
	if err != nil || r.ProfileID != "p0" || k != (consent.Key{Channel: consent.Email, Purpose: consent.Marketing}) || status(r, consent.Email, consent.Marketing) != consent.Granted {
		t.Fatalf("confirm: %+v %v %v", r, k, err)
	}
	last := r.History[len(r.History)-1]
	if last.Source != "double opt-in confirmation" || last.Actor != "shop" || !last.At.Equal(e.now) {
		t.Fatalf("confirmation entry %+v", last)
	}
	// Again: harmless.
	if r2, _, err := e.svc.Confirm(ctx, res.Token, "shop"); err != nil || len(r2.History) != len(r.History) {
		t.Fatalf("second confirm: %v (%d entries, was %d)", err, len(r2.History), len(r.History))
	}
	// A new request withdrawn before it is confirmed: CONFLICT.
	e.set(t, "p0", consent.Email, consent.Marketing, consent.Withdrawn, time.Time{})
	e.now = e.now.Add(time.Minute)
	res2 := e.set(t, "p0", consent.Email, consent.Marketing, consent.Granted, time.Time{})
	e.now = e.now.Add(time.Minute)
	e.set(t, "p0", consent.Email, consent.Marketing, consent.Withdrawn, time.Time{})
	if _, _, err := e.svc.Confirm(ctx, res2.Token, "shop"); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("confirm after withdrawal: %v", err)
	}
	// Expired.
	e.now = e.now.Add(time.Minute)
	res3 := e.set(t, "p0", consent.Email, consent.Marketing, consent.Granted, time.Time{})
	e.now = e.now.Add(consent.DefaultTokenTTL + time.Second)
	if _, _, err := e.svc.Confirm(ctx, res3.Token, "shop"); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("expired token: %v", err)
	}
	// Another installation's key does not verify it.
	e2 := newEnv()
	e2.st.key = []byte("another key of thirty-two bytes!")
	if _, _, err := e2.svc.Confirm(ctx, res.Token, "shop"); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("foreign key: %v", err)
	}
}

// A merge keeps the most restrictive current statement per key (among equals the most
// recent; granted beats pending), joins the histories, deletes the absorbed record, and
// changes nothing when replayed.
func TestMergeMostRestrictive(t *testing.T) {
	e := newEnv()
	ctx := context.Background()
	old, recent := e.now.Add(-48*time.Hour), e.now.Add(-time.Hour)
	e.set(t, "s", consent.Email, consent.Marketing, consent.Granted, recent)
	e.set(t, "a", consent.Email, consent.Marketing, consent.Withdrawn, old)
	e.set(t, "s", consent.SMS, consent.Marketing, consent.Granted, old)
	e.set(t, "a", consent.SMS, consent.Marketing, consent.Granted, recent)
	e.set(t, "a", consent.Push, consent.Marketing, consent.Granted, old)
	e.svc.DoubleOptIn = map[consent.Key]bool{{Channel: consent.Phone, Purpose: consent.Marketing}: true}
	e.set(t, "s", consent.Phone, consent.Marketing, consent.Granted, recent) // pending
	e.svc.DoubleOptIn = nil
	e.set(t, "a", consent.Phone, consent.Marketing, consent.Granted, old)
	e.merged["a"] = "s"
	for range 2 { // a replay changes nothing
		if err := e.svc.FollowMerge(ctx, "s", []string{"a"}, "admin", e.now); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.svc.Get(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := map[consent.Key]consent.Status{
		{Channel: consent.Email, Purpose: consent.Marketing}: consent.Withdrawn, // the older refusal stands
		{Channel: consent.SMS, Purpose: consent.Marketing}:   consent.Granted,
		{Channel: consent.Push, Purpose: consent.Marketing}:  consent.Granted,
		{Channel: consent.Phone, Purpose: consent.Marketing}: consent.Granted, // granted beats pending
	}
	for k, st := range want {
		if got := status(r, k.Channel, k.Purpose); got != st {
			t.Errorf("%s: %s, want %s", k, got, st)
		}
	}
	sms, _ := r.State(consent.Key{Channel: consent.SMS, Purpose: consent.Marketing})
	if !sms.At.Equal(recent) {
		t.Errorf("sms: the more recent grant should stand, got %+v", sms)
	}
	merges, fromA := 0, 0
	for _, h := range r.History {
		if h.Source == "merge" {
			merges++
		}
		if h.Profile == "a" {
			fromA++
		}
	}
	if merges != 4 || fromA != 8 || len(r.History) != 3+4+4 {
		t.Fatalf("history: %d merge entries, %d from a, %d in all: %+v", merges, fromA, len(r.History), r.History)
	}
	if _, ok, _ := e.st.Get(ctx, "a"); ok {
		t.Fatal("the absorbed record is still there")
	}
	// A statement after the merge applies as usual.
	e.now = e.now.Add(time.Minute)
	r = e.set(t, "a", consent.Email, consent.Marketing, consent.Granted, time.Time{}).Record
	if r.ProfileID != "s" || status(r, consent.Email, consent.Marketing) != consent.Granted {
		t.Fatalf("grant through the absorbed id: %+v", r)
	}
}

// A split gives the split-off parts the refusals of the profile, never its grants.
func TestSplitInheritsRefusals(t *testing.T) {
	e := newEnv()
	ctx := context.Background()
	e.set(t, "f", consent.Email, consent.Marketing, consent.Granted, time.Time{})
	e.set(t, "f", consent.SMS, consent.Marketing, consent.Withdrawn, time.Time{})
	e.set(t, "f", consent.Push, consent.Transactional, consent.Complained, time.Time{})
	e.set(t, "x", consent.Push, consent.Transactional, consent.Bounced, time.Time{})
	for range 2 {
		if err := e.svc.FollowSplit(ctx, "f", []string{"f", "x", "y"}, "admin", e.now); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"x", "y"} {
		r, _ := e.svc.Get(ctx, id)
		if status(r, consent.Email, consent.Marketing) != "" || status(r, consent.SMS, consent.Marketing) != consent.Withdrawn ||
			status(r, consent.Push, consent.Transactional) != consent.Complained {
			t.Errorf("%s: %+v", id, r.States)
		}
	}
	f, _ := e.svc.Get(ctx, "f")
	if status(f, consent.Email, consent.Marketing) != consent.Granted || len(f.History) != 3 {
		t.Fatalf("the profile split from keeps its record: %+v", f)
	}
	y, _ := e.svc.Get(ctx, "y")
	if len(y.History) != 2 || y.History[0].Source != "split" || y.History[0].Profile != "f" {
		t.Fatalf("split entries: %+v", y.History)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	e := newEnv()
	for i := range consent.MaxHistory + 20 {
		e.now = e.now.Add(time.Minute)
		st := consent.Granted
		if i%2 == 1 {
			st = consent.Withdrawn
		}
		e.set(t, "p", consent.Email, consent.Marketing, st, time.Time{})
	}
	r, _ := e.svc.Get(context.Background(), "p")
	if len(r.History) != consent.MaxHistory || !r.History[len(r.History)-1].At.Equal(e.now) || status(r, consent.Email, consent.Marketing) != consent.Withdrawn {
		t.Fatalf("%d entries, last %+v, state %+v", len(r.History), r.History[len(r.History)-1], r.States)
	}
}

func TestAttributeStatements(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want consent.Status
	}{
		{true, consent.Granted}, {"yes", consent.Granted}, {"Y", consent.Granted}, {"TRUE", consent.Granted}, {int32(1), consent.Granted}, {1.0, consent.Granted},
		{false, consent.Withdrawn}, {"no", consent.Withdrawn}, {int64(0), consent.Withdrawn},
		{"maybe", ""}, {"yEs", ""}, {2, ""}, {nil, ""},
		{[]any{"no", "yes"}, consent.Granted}, {[]any{"no", "maybe"}, consent.Withdrawn}, {[]any{}, ""},
	} {
		got, ok := consent.AttributeStatus(tc.v)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%#v: %q %v, want %q", tc.v, got, ok, tc.want)
		}
	}
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	at := now.Add(-24 * time.Hour)
	es := consent.FromAttributes(map[string]any{"consent_email": "yes", "consent_sms": "maybe", "consent_phone": false, "consent_fax": true, "tier": "gold"},
		map[string]consent.AttributeOrigin{"consent_email": {Source: "shop", RecordID: "shop:1", At: at}}, now.Add(-time.Hour), now)
	if len(es) != 2 || es[0].Channel != consent.Email || es[0].Status != consent.Granted || !es[0].At.Equal(at) || es[0].ID != "migrated:consent_email" ||
		es[0].Purpose != consent.Marketing || es[1].Channel != consent.Phone || es[1].Status != consent.Withdrawn || !es[1].At.Equal(now.Add(-time.Hour)) {
		t.Fatalf("statements %+v", es)
	}
	// Recorded twice: once.
	var r consent.Record
	if !r.Record(es[0]) || r.Record(es[0]) || len(r.History) != 1 {
		t.Fatalf("record twice: %+v", r)
	}
}
