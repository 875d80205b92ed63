package authstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/store/authstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The auth store's contract, on whichever backend the tests run (SQLite by default,
// PostgreSQL with TESSERA_TEST_POSTGRESQL_URL, MongoDB with TESSERA_TEST_MONGODB_URI).
func TestAuthStore(t *testing.T) {
	ctx := context.Background()
	log := &testdb.CommandLog{}
	db := testdb.MonitoredClient(t, log).Database(fmt.Sprintf("authstore_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(ctx) })
	s := authstore.New(db, testdb.Backend(t))
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	k := auth.Key{ID: "key_1", Name: "admin", Role: auth.Role("ADMIN"), Prefix: "tk_ab", Hash: "h1", CreatedAt: at}
	if err := s.InsertKey(ctx, k); err != nil {
		t.Fatal(err)
	}

	t.Run("a key is found by its hash with bare _id reads only", func(t *testing.T) {
		log.Record(true)
		got, err := s.KeyByHash(ctx, "h1")
		cmds := log.Record(false)
		if err != nil || got.ID != "key_1" || got.Name != "admin" {
			t.Fatalf("KeyByHash = %+v, %v", got, err)
		}
		for _, c := range cmds {
			for _, f := range c.Filters {
				if !testdb.BareID(f) {
					t.Errorf("not a point read: %s", c)
				}
			}
		}
		if len(cmds) != 2 {
			t.Errorf("%d commands, want 2 (the hash pointer, the key)", len(cmds))
		}
		if _, err := s.KeyByHash(ctx, "nope"); !apperr.IsNotFound(err) {
			t.Errorf("unknown hash: %v", err)
		}
	})

	t.Run("the same secret twice is a conflict", func(t *testing.T) {
		err := s.InsertKey(ctx, auth.Key{ID: "key_2", Hash: "h1", CreatedAt: at})
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("InsertKey of a taken secret: %v", err)
		}
	})

	t.Run("a pointer left by a crash is taken over", func(t *testing.T) {
		// A crash between the pointer and the key leaves a pointer to no key.
		if _, err := db.Collection("api_key_hashes").InsertOne(ctx, bson.M{"_id": "h3", "keyId": "key_lost"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.KeyByHash(ctx, "h3"); !apperr.IsNotFound(err) {
			t.Fatalf("a dangling pointer authenticates: %v", err)
		}
		if err := s.InsertKey(ctx, auth.Key{ID: "key_3", Hash: "h3", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.KeyByHash(ctx, "h3"); err != nil || got.ID != "key_3" {
			t.Fatalf("after the retry: %+v %v", got, err)
		}
	})

	t.Run("keys written before the pointers get them", func(t *testing.T) {
		if _, err := db.Collection("api_keys").InsertOne(ctx, auth.Key{ID: "key_old", Hash: "h_old", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // idempotent
			if err := s.EnsureKeyHashes(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.KeyByHash(ctx, "h_old"); err != nil || got.ID != "key_old" {
			t.Fatalf("%+v %v", got, err)
		}
	})

	t.Run("revocation is set once and shared", func(t *testing.T) {
		r1, err := s.RevokeKey(ctx, "key_1", at.Add(time.Hour))
		if err != nil || r1.RevokedAt == nil || !r1.RevokedAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("%+v %v", r1, err)
		}
		r2, err := s.RevokeKey(ctx, "key_1", at.Add(2*time.Hour))
		if err != nil || !r2.RevokedAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("a second revocation changed the time: %+v %v", r2, err)
		}
		if _, err := s.RevokeKey(ctx, "key_none", at); !apperr.IsNotFound(err) {
			t.Fatalf("revoking a missing key: %v", err)
		}
		for i, id := range []string{"01A", "01B", "01C"} {
			if err := s.AddRevocation(ctx, auth.Revocation{ID: id, KeyID: fmt.Sprint("key_", i), At: at}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.RevocationsAfter(ctx, "01A", 10)
		if err != nil || len(got) != 2 || got[0].ID != "01B" || got[1].ID != "01C" {
			t.Fatalf("after 01A: %+v %v", got, err)
		}
		if err := s.PruneRevocations(ctx, "01C"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RevocationsAfter(ctx, "", 10); len(got) != 1 || got[0].ID != "01C" {
			t.Fatalf("after pruning: %+v", got)
		}
	})

	t.Run("list, count and touch", func(t *testing.T) {
		if err := s.TouchKey(ctx, "key_3", at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		k3, _ := s.KeyByID(ctx, "key_3")
		if k3.LastUsedAt == nil || !k3.LastUsedAt.Equal(at.Add(time.Minute)) {
			t.Errorf("touch: %+v", k3)
		}
		n, err := s.CountKeys(ctx)
		ks, err2 := s.ListKeys(ctx)
		if err != nil || err2 != nil || n != 3 || len(ks) != 3 {
			t.Errorf("count %d list %d (%v %v), want 3", n, len(ks), err, err2)
		}
	})
}
