package tracking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// fakes: a store in maps, an ingester that gives each distinct record a profile (and
// merges the profiles of records sharing an id), interactions kept by id.
type fakeStore struct {
	keys     map[string]WriteKey
	lists    map[string][]string
	seen     map[string]bool
	failMark error
}

func (f *fakeStore) InsertWriteKey(_ context.Context, k WriteKey) error {
	f.lists[k.Source] = append(f.lists[k.Source], k.ID)
	f.keys[k.ID] = k
	return nil
}
func (f *fakeStore) WriteKey(_ context.Context, id string) (WriteKey, error) {
	k, ok := f.keys[id]
	if !ok {
		return k, apperr.NotFoundf("no key")
	}
	return k, nil
}
func (f *fakeStore) WriteKeysOf(_ context.Context, source string) ([]WriteKey, error) {
	var out []WriteKey
	for _, id := range f.lists[source] {
		out = append(out, f.keys[id])
	}
	return out, nil
}
func (f *fakeStore) RevokeWriteKey(_ context.Context, id string, at time.Time) (WriteKey, error) {
	k := f.keys[id]
	k.RevokedAt = &at
	f.keys[id] = k
	return k, nil
}
func (f *fakeStore) SeenMessages(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if f.seen[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
func (f *fakeStore) MarkMessages(_ context.Context, ids []string, _ time.Time) error {
	if f.failMark != nil {
		return f.failMark
	}
	for _, id := range ids {
		f.seen[id] = true
	}
	return nil
}

type fakeIngest struct {
	records  map[string]map[string]any // external id -> payload
	profile  map[string]string         // identity ("userId:u1") -> profile
	redirect map[string]string         // absorbed profile -> survivor
	recordOf map[string]string         // external id -> profile as stored
	calls    int
}

func (f *fakeIngest) Source(_ context.Context, name string) (ingest.Source, error) {
	if name != "web" {
		return ingest.Source{}, apperr.NotFoundf("source %q not found", name)
	}
	return ingest.Source{Name: "web", IdentifierFields: map[string]string{UserIDField: "customer_id", AnonymousIDField: "anonymous_id"}}, nil
}

func (f *fakeIngest) live(p string) string {
	for f.redirect[p] != "" {
		p = f.redirect[p]
	}
	return p
}

func (f *fakeIngest) Ingest(_ context.Context, _ string, in []ingest.Input, _ string) (ingest.Result, error) {
	f.calls++
	res := ingest.Result{ProfileIDs: make([]string, len(in))}
	for i, x := range in {
		if _, bad := x.Payload["bad"]; bad {
			res.Rejects = append(res.Rejects, ingest.Reject{Index: i, ExternalID: x.ExternalID, Reason: "SUPPRESSED"})
			continue
		}
		if p, stored := f.recordOf[x.ExternalID]; stored {
			res.ProfileIDs[i] = p // as stored: not followed, like ingest's unchanged records
			continue
		}
		f.records[x.ExternalID] = x.Payload
		var target string
		for _, k := range []string{UserIDField, AnonymousIDField} {
			v, ok := x.Payload[k]
			if !ok {
				continue
			}
			key := fmt.Sprint(k, ":", v)
			p := f.live(f.profile[key])
			switch {
			case p == "":
			case target == "":
				target = p
			case p != target: // two profiles: the first survives
				f.redirect[p] = target
				res.Merges = append(res.Merges, identity.MergeEvent{Absorbed: p, Survivor: target})
			}
		}
		if target == "" {
			target = fmt.Sprint("p", len(f.records))
		}
		for _, k := range []string{UserIDField, AnonymousIDField} {
			if v, ok := x.Payload[k]; ok {
				f.profile[fmt.Sprint(k, ":", v)] = target
			}
		}
		f.recordOf[x.ExternalID] = target
		res.ProfileIDs[i] = target
	}
	return res, nil
}

type fakeInteractions struct {
	byID map[string]commerce.Interaction
}

func (f *fakeInteractions) AddInteractions(_ context.Context, is []commerce.Interaction) (int, error) {
	n := 0
	for _, it := range is {
		if _, ok := f.byID[it.ID]; !ok {
			f.byID[it.ID] = it
			n++
		}
	}
	return n, nil
}

func newFakeService() (*Service, *fakeStore, *fakeIngest, *fakeInteractions) {
	st := &fakeStore{keys: map[string]WriteKey{}, lists: map[string][]string{}, seen: map[string]bool{}}
	ing := &fakeIngest{records: map[string]map[string]any{}, profile: map[string]string{}, redirect: map[string]string{}, recordOf: map[string]string{}}
	its := &fakeInteractions{byID: map[string]commerce.Interaction{}}
	return &Service{Store: st, Sources: ing, Ingest: ing, Interactions: its, Now: func() time.Time { return received }}, st, ing, its
}

func batchOf(t *testing.T, lines ...string) Batch {
	t.Helper()
	b, err := Parse("batch", []byte(`{"batch":[`+strings.Join(lines, ",")+`]}`), received)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAnonymousEventsJoinTheIdentifiedProfile(t *testing.T) {
	s, _, ing, its := newFakeService()
	ctx, key := context.Background(), WriteKey{Source: "web"}
	res, err := s.Accept(ctx, key, batchOf(t,
		`{"type":"page","anonymousId":"a1","messageId":"m1"}`,
		`{"type":"track","anonymousId":"a1","event":"Product Viewed","messageId":"m2"}`))
	if err != nil || res.Accepted != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := s.Accept(ctx, key, batchOf(t, `{"type":"track","userId":"u1","event":"Signed In","messageId":"m3"}`)); err != nil {
		t.Fatal(err)
	}
	anon, user := its.byID["web:m1"].ProfileID, its.byID["web:m3"].ProfileID
	if anon == user || its.byID["web:m2"].ProfileID != anon {
		t.Fatalf("before identify: anonymous on %s, user on %s", anon, user)
	}
	// identify links a1 to u1 (the profiles merge); an event of a1 in the same request
	// goes to the survivor, though a1's record was stored before.
	res, err = s.Accept(ctx, key, batchOf(t,
		`{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"ann@example.com"},"messageId":"m4"}`,
		`{"type":"track","anonymousId":"a1","event":"Added to Cart","messageId":"m5"}`))
	if err != nil || res.Accepted != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	survivor := ing.live(anon)
	if survivor != ing.live(user) || survivor == "" {
		t.Fatalf("identify did not merge %s and %s", anon, user)
	}
	if got := its.byID["web:m5"].ProfileID; got != survivor {
		t.Fatalf("event after the merge on %s, want the survivor %s", got, survivor)
	}
	if _, ok := its.byID["web:m4"]; ok {
		t.Error("identify made an interaction")
	}
}

func TestResentMessagesHaveOneEffect(t *testing.T) {
	s, st, ing, its := newFakeService()
	ctx, key := context.Background(), WriteKey{Source: "web"}
	b := batchOf(t,
		`{"type":"track","userId":"u1","event":"A","messageId":"m1"}`,
		`{"type":"track","userId":"u1","event":"A","messageId":"m1"}`,
		`{"type":"track","userId":"u2","event":"B","messageId":"m2"}`)
	res, err := s.Accept(ctx, key, b)
	if err != nil || res.Accepted != 2 || res.Duplicates != 1 || len(its.byID) != 2 {
		t.Fatalf("first: %+v %v, %d interactions", res, err, len(its.byID))
	}
	calls := ing.calls
	res, err = s.Accept(ctx, key, b)
	if err != nil || res.Accepted != 0 || res.Duplicates != 3 || ing.calls != calls {
		t.Fatalf("a re-sent batch was processed again: %+v %v", res, err)
	}
	// Another source's messageIds are its own.
	if ids, _ := st.SeenMessages(ctx, []string{"app:m1"}); len(ids) != 0 {
		t.Fatal("dedupe is not per source")
	}

	// A crash after the effect, before the messages are recorded: the retry processes
	// them again, and the effect is the same as one delivery.
	st.failMark = errors.New("killed")
	b2 := batchOf(t, `{"type":"identify","userId":"u3","traits":{"name":"Cy"},"messageId":"m3"}`, `{"type":"page","userId":"u3","messageId":"m4"}`)
	if _, err := s.Accept(ctx, key, b2); err == nil {
		t.Fatal("want the store's error")
	}
	records, interactions := len(ing.records), len(its.byID)
	st.failMark = nil
	res, err = s.Accept(ctx, key, b2)
	if err != nil || res.Accepted != 2 || len(ing.records) != records || len(its.byID) != interactions {
		t.Fatalf("retry: %+v %v; records %d -> %d, interactions %d -> %d", res, err, records, len(ing.records), interactions, len(its.byID))
	}
	if res, _ := s.Accept(ctx, key, b2); res.Duplicates != 2 {
		t.Fatalf("now recorded: %+v", res)
	}
}

func TestRejectedRecordsRejectTheirMessages(t *testing.T) {
	s, st, _, its := newFakeService()
	res, err := s.Accept(context.Background(), WriteKey{Source: "web"}, batchOf(t,
		`{"type":"track","userId":"u1","event":"A","messageId":"m1"}`,
		`{"type":"wave"}`,
		`{"type":"identify","userId":"u9","traits":{"bad":1},"messageId":"m2"}`))
	if err != nil || res.Accepted != 1 || len(res.Rejects) != 2 || res.Rejects[0].Index != 1 || res.Rejects[1].Index != 2 ||
		res.Rejects[1].Reason != "SUPPRESSED" || res.Rejects[1].MessageID != "m2" {
		t.Fatalf("%+v %v", res, err)
	}
	if st.seen["web:m2"] || len(its.byID) != 1 {
		t.Fatal("a rejected message was recorded as processed")
	}
}

func TestWriteKeys(t *testing.T) {
	s, _, _, _ := newFakeService()
	ctx := context.Background()
	k, secret, err := s.CreateWriteKey(ctx, "web")
	if err != nil || !strings.HasPrefix(secret, "wk_") || k.ID == secret || k.Prefix != secret[:10] {
		t.Fatalf("%+v %q %v", k, secret, err)
	}
	if _, _, err := s.CreateWriteKey(ctx, "none"); !apperr.IsNotFound(err) {
		t.Fatalf("unknown source: %v", err)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.Source != "web" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "wk_unknown"} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, apperr.ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := s.RevokeWriteKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, apperr.ErrUnauthenticated) {
		t.Fatalf("a revoked key still works on the instance that revoked it: %v", err)
	}
	if ks, _ := s.WriteKeys(ctx, "web"); len(ks) != 1 || ks[0].RevokedAt == nil {
		t.Fatalf("%+v", ks)
	}
}

func TestRequiredFields(t *testing.T) {
	err := RequiredFields(ingest.Source{Name: "shop", IdentifierFields: map[string]string{"email": "email", "anonymousId": "anonymous_id"}})
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(err.Error(), "does not map userId as identifier") {
		t.Fatalf("%v", err)
	}
}
