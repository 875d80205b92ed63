package consentstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/consentstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

var t0 = time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)

func entry(id string, c consent.Channel, st consent.Status, at time.Time) consent.Entry {
	return consent.Entry{ID: id, Channel: c, Purpose: consent.Marketing, Status: st, At: at, RecordedAt: at, Source: "web form", Actor: "admin (key_1)"}
}

func record(es ...consent.Entry) func(*consent.Record) (bool, error) {
	return func(r *consent.Record) (bool, error) {
		ch := false
		for _, e := range es {
			if r.Record(e) {
				ch = true
			}
		}
		return ch, nil
	}
}

// A record round-trips by bare _id with its states, history and times; the granted
// keys are stored for the segment queries; deletes remove it.
func TestRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := consentstore.New(db, testdb.Backend(t))
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if r, ok, err := s.Get(ctx, "p1"); err != nil || ok || r.ProfileID != "p1" || len(r.States) != 0 {
		t.Fatalf("missing record: %+v %v %v", r, ok, err)
	}
	w, err := s.Update(ctx, "p1", record(entry("e1", consent.Email, consent.Granted, t0), entry("e2", consent.SMS, consent.Withdrawn, t0.Add(time.Minute))))
	if err != nil || w.Rev != 1 {
		t.Fatalf("update: %+v %v", w, err)
	}
	r, ok, err := s.Get(ctx, "p1")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r.Rev != 1 || len(r.States) != 2 || len(r.History) != 2 || !r.History[1].At.Equal(t0.Add(time.Minute)) || r.History[0].Actor != "admin (key_1)" ||
		!r.Allowed(consent.Email, consent.Marketing) || r.Allowed(consent.SMS, consent.Marketing) {
		t.Fatalf("read back %+v", r)
	}
	var raw bson.M
	if err := db.Collection(consentstore.Collection).FindOne(ctx, bson.M{"_id": "p1"}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if g, _ := raw[consentstore.GrantedField].(bson.A); len(g) != 1 || g[0] != "email:marketing" {
		t.Fatalf("granted field %v", raw[consentstore.GrantedField])
	}
	// No change: no write.
	if w, err := s.Update(ctx, "p1", record(entry("e1", consent.Email, consent.Granted, t0))); err != nil || w.Rev != 1 {
		t.Fatalf("no-op update: %+v %v", w, err)
	}
	recs, err := s.GetMany(ctx, []string{"p1", "p2", "p1"})
	if err != nil || len(recs) != 1 || recs[0].ProfileID != "p1" {
		t.Fatalf("get many: %+v %v", recs, err)
	}
	if err := s.Delete(ctx, []string{"p1", "p2"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, "p1"); ok {
		t.Fatal("deleted record still there")
	}
}

// Concurrent writers of one record lose nothing (a guard on the embedded database,
// compare-and-set on MongoDB).
func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	s := consentstore.New(testdb.DB(t), testdb.Backend(t))
	var wg sync.WaitGroup
	const n = 12
	for i := range n {
		wg.Go(func() {
			if _, err := s.Update(ctx, "p", record(entry(fmt.Sprint("e", i), consent.Email, consent.Granted, t0.Add(time.Duration(i)*time.Second)))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, _, err := s.Get(ctx, "p")
	if err != nil || len(r.History) != n || r.Rev != n {
		t.Fatalf("%d entries, rev %d, %v", len(r.History), r.Rev, err)
	}
}

func TestTokenKeySharedByInstances(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	a, b := consentstore.New(db, testdb.Backend(t)), consentstore.New(db, testdb.Backend(t))
	ka, err := a.TokenKey(ctx)
	if err != nil || len(ka) != 32 {
		t.Fatal(len(ka), err)
	}
	kb, err := b.TokenKey(ctx)
	if err != nil || !slices.Equal(ka, kb) {
		t.Fatalf("keys differ: %v", err)
	}
}

// The migration turns consent_<channel> attributes of live profiles into marketing
// statements with the attribute's provenance, once; it goes on from its saved place,
// and a run after it is reset adds nothing.
func TestMigrateAttributes(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := consentstore.New(db, testdb.Backend(t))
	prof := func(id string, attrs map[string]any, merged string) profile.Profile {
		p := profile.Profile{ID: id, UpdatedAt: t0, Traits: profile.Traits{FirstName: "X", Attributes: attrs}, MergedInto: merged}
		for k, v := range attrs {
			p.Provenance = append(p.Provenance, profile.Provenance{Field: "attributes." + k, Value: v, Source: "news", RecordID: "news:" + id, ReceivedAt: t0.Add(-time.Hour)})
		}
		return p
	}
	docs := []any{
		prof("p1", map[string]any{"consent_email": "yes", "consent_sms": false, "tier": "gold"}, ""),
		prof("p2", map[string]any{"consent_push": 1, "consent_fax": true}, ""),
		prof("p3", map[string]any{"consent_email": true}, "p1"), // merged: skipped
		prof("p4", map[string]any{"consent_email": "maybe", "consent_phone": []string{"no", "Y"}}, ""),
		prof("p5", map[string]any{"tier": "silver"}, ""),
		prof("p6", nil, ""),
	}
	if _, err := db.Collection("profiles").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	// p4 stated something since, in Tessera: the later statement stands.
	if _, err := s.Update(ctx, "p4", record(entry("later", consent.Phone, consent.Withdrawn, t0))); err != nil {
		t.Fatal(err)
	}
	// A crash after p1 was migrated: the saved place says so.
	if _, err := db.Collection("schema_migrations").InsertOne(ctx, bson.M{"_id": "consent_attributes_v1", "after": "p1", "done": false, "profiles": 1, "statements": 2}); err != nil {
		t.Fatal(err)
	}
	var heard []string
	m, err := s.MigrateAttributes(ctx, func(ids []string) { heard = append(heard, ids...) })
	if err != nil || m.Already || m.Profiles != 3 || m.Statements != 4 {
		t.Fatalf("migration %+v %v", m, err)
	}
	if !slices.Equal(heard, []string{"p2", "p4"}) {
		t.Fatalf("announced %v", heard)
	}
	if _, ok, _ := s.Get(ctx, "p1"); ok {
		t.Fatal("p1 was before the saved place: not migrated again")
	}
	p2, _, _ := s.Get(ctx, "p2")
	if st, _ := p2.State(consent.Key{Channel: consent.Push, Purpose: consent.Marketing}); st.Status != consent.Granted || !st.At.Equal(t0.Add(-time.Hour)) ||
		st.Source != consent.MigrationSource || len(p2.History) != 1 || p2.History[0].ID != "migrated:consent_push" {
		t.Fatalf("p2 %+v", p2)
	}
	p4, _, _ := s.Get(ctx, "p4")
	if st, _ := p4.State(consent.Key{Channel: consent.Phone, Purpose: consent.Marketing}); st.Status != consent.Withdrawn || len(p4.History) != 2 {
		t.Fatalf("p4: the later statement should stand, the attribute join the history: %+v", p4)
	}
	if _, ok, _ := s.Get(ctx, "p3"); ok {
		t.Fatal("merged profile migrated")
	}
	// Done: nothing more.
	if m, err := s.MigrateAttributes(ctx, nil); err != nil || !m.Already {
		t.Fatalf("second run %+v %v", m, err)
	}
	// Reset completely: every profile again, p2 and p4 unchanged.
	if _, err := db.Collection("schema_migrations").DeleteOne(ctx, bson.M{"_id": "consent_attributes_v1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MigrateAttributes(ctx, nil); err != nil {
		t.Fatal(err)
	}
	again, _, _ := s.Get(ctx, "p2")
	p1, _, _ := s.Get(ctx, "p1")
	if again.Rev != p2.Rev || len(again.History) != 1 || len(p1.History) != 2 || !p1.Allowed(consent.Email, consent.Marketing) || p1.Allowed(consent.SMS, consent.Marketing) {
		t.Fatalf("after a reset: p2 %+v, p1 %+v", again, p1)
	}
}

// The timeline shows the history newest first, pages by position and filters by
// channel and status.
func TestTimeline(t *testing.T) {
	ctx := context.Background()
	s := consentstore.New(testdb.DB(t), testdb.Backend(t))
	if _, err := s.Update(ctx, "p", record(entry("a", consent.Email, consent.Granted, t0), entry("b", consent.SMS, consent.Granted, t0.Add(time.Hour)),
		entry("c", consent.Email, consent.Withdrawn, t0.Add(2*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	tl := consentstore.Timeline{Store: s}
	items, err := tl.Page(ctx, "p", nil, c360.TimelineFilter{}, 2)
	if err != nil || len(items) != 2 || items[0].ID != "c" || items[1].ID != "b" || items[0].Kind != "consent" || items[0].Type != "withdrawn" || items[0].Channel != "email" {
		t.Fatalf("page 1 %+v %v", items, err)
	}
	if e, ok := items[0].Extra.(consent.Entry); !ok || e.Source != "web form" {
		t.Fatalf("extra %+v", items[0].Extra)
	}
	last := items[1]
	items, err = tl.Page(ctx, "p", &c360.Position{At: last.At, Kind: last.Kind, ID: last.ID}, c360.TimelineFilter{}, 2)
	if err != nil || len(items) != 1 || items[0].ID != "a" {
		t.Fatalf("page 2 %+v %v", items, err)
	}
	items, _ = tl.Page(ctx, "p", nil, c360.TimelineFilter{Channels: []string{"email"}, Types: []string{"granted"}}, 10)
	if len(items) != 1 || items[0].ID != "a" {
		t.Fatalf("filtered %+v", items)
	}
	if items, err := tl.Page(ctx, "nobody", nil, c360.TimelineFilter{}, 10); err != nil || len(items) != 0 {
		t.Fatalf("no record: %v %v", items, err)
	}
}
