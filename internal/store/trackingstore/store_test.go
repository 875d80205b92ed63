package trackingstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/store/trackingstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/tracking"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The tracking store's contract on whichever backend the tests run, every command a
// bare _id operation or an insert.
func TestTrackingStore(t *testing.T) {
	ctx := context.Background()
	log := &testdb.CommandLog{}
	db := testdb.MonitoredClient(t, log).Database(fmt.Sprintf("trackingstore_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx) })
	s := trackingstore.New(db)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	log.Record(true)
	t.Cleanup(func() {
		for _, c := range log.Record(false) {
			for _, f := range c.Filters {
				if !testdb.BareID(f) {
					t.Errorf("not a bare _id operation: %s", c)
				}
			}
		}
	})

	t.Run("keys are listed per source in creation order and read by id", func(t *testing.T) {
		for i, src := range []string{"web", "web", "app"} {
			k := tracking.WriteKey{ID: fmt.Sprint("h", i), Source: src, Prefix: "wk_x", CreatedAt: at.Add(time.Duration(i) * time.Minute)}
			if err := s.InsertWriteKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.WriteKeysOf(ctx, "web")
		if err != nil || len(got) != 2 || got[0].ID != "h0" || got[1].ID != "h1" || got[0].Source != "web" || !got[1].CreatedAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("web keys: %+v %v", got, err)
		}
		if got, err := s.WriteKeysOf(ctx, "none"); err != nil || len(got) != 0 {
			t.Fatalf("a source without keys: %+v %v", got, err)
		}
		if k, err := s.WriteKey(ctx, "h2"); err != nil || k.Source != "app" {
			t.Fatalf("by id: %+v %v", k, err)
		}
		if _, err := s.WriteKey(ctx, "nope"); !apperr.IsNotFound(err) {
			t.Fatalf("unknown id: %v", err)
		}
	})

	t.Run("an id listed by a crashed insert is skipped", func(t *testing.T) {
		if _, err := db.Collection(trackingstore.SourcesCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: "app"}},
			bson.M{"$addToSet": bson.M{"keyIds": "h_lost"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.WriteKeysOf(ctx, "app"); err != nil || len(got) != 1 || got[0].ID != "h2" {
			t.Fatalf("%+v %v", got, err)
		}
	})

	t.Run("revocation is set once", func(t *testing.T) {
		r1, err := s.RevokeWriteKey(ctx, "h0", at.Add(time.Hour))
		if err != nil || r1.RevokedAt == nil || !r1.RevokedAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("%+v %v", r1, err)
		}
		r2, err := s.RevokeWriteKey(ctx, "h0", at.Add(2*time.Hour))
		if err != nil || !r2.RevokedAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("a second revocation changed the time: %+v %v", r2, err)
		}
		if k, _ := s.WriteKey(ctx, "h0"); k.RevokedAt == nil {
			t.Fatal("revocation not stored")
		}
		if _, err := s.RevokeWriteKey(ctx, "nope", at); !apperr.IsNotFound(err) {
			t.Fatalf("revoking a missing key: %v", err)
		}
	})

	t.Run("processed messages are recorded once", func(t *testing.T) {
		if err := s.MarkMessages(ctx, []string{"web:m1", "web:m2"}, at); err != nil {
			t.Fatal(err)
		}
		// Again, with one new: the recorded ones are no error.
		if err := s.MarkMessages(ctx, []string{"web:m2", "web:m3"}, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.SeenMessages(ctx, []string{"web:m3", "web:m1", "app:m1", "web:m9"})
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []string{"web:m1", "web:m3"}) {
			t.Fatalf("seen: %v %v", got, err)
		}
		var m struct {
			At time.Time `bson:"at"`
		}
		if err := db.Collection(trackingstore.MessagesCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "web:m2"}}).Decode(&m); err != nil || !m.At.Equal(at) {
			t.Fatalf("a second mark changed the first: %+v %v", m, err)
		}
	})
}
