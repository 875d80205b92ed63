package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/store/authstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// Two services on one database behave like two instances: a key revoked through one is
// evicted from the other's cache by the shared notice, and its watchers there are told.
func TestRevocationReachesTheOtherInstance(t *testing.T) {
	db := testdb.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := auth.NewService(authstore.New(db, testdb.Backend(t))), auth.NewService(authstore.New(db, testdb.Backend(t)))
	b.CacheTTL = time.Hour // only the notice can evict it in this test
	go b.Run(ctx)

	k, secret, err := a.Create(ctx, "analyst", auth.Analyst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, secret); err != nil { // cached on b
		t.Fatal(err)
	}
	gone := b.WatchKey(ctx, k.ID)
	first, err := a.Revoke(ctx, k.ID)
	if err != nil || first.RevokedAt == nil {
		t.Fatalf("revoke: %v %v", first, err)
	}
	select {
	case <-gone:
	case <-ctx.Done():
		t.Fatal("the other instance never learnt of the revocation")
	}
	if _, err := b.Authenticate(ctx, secret); !isUnauthenticated(err) {
		t.Fatalf("revoked key on the other instance: %v", err)
	}
	if _, err := b.Active(ctx, k.ID); !isUnauthenticated(err) {
		t.Fatalf("Active on a revoked key: %v", err)
	}
	// A second revocation, from either instance, keeps the first revokedAt.
	a.Now = func() time.Time { return first.RevokedAt.Add(time.Hour) }
	second, err := a.Revoke(ctx, k.ID)
	if err != nil || second.RevokedAt == nil || !second.RevokedAt.Equal(*first.RevokedAt) {
		t.Fatalf("second revocation: %v %v, first revokedAt %v", second.RevokedAt, err, first.RevokedAt)
	}
	// Watching a key revoked lately fires at once.
	select {
	case <-b.WatchKey(ctx, k.ID):
	default:
		t.Fatal("watch of a revoked key did not fire")
	}
}

func isUnauthenticated(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.Unauthenticated
}

// A bootstrap interrupted between the key's hash pointer and the key itself is finished
// by the next start with the same bootstrap key, not refused as a duplicate.
func TestBootstrapAfterACrashBetweenPointerAndKey(t *testing.T) {
	db := testdb.DB(t)
	ctx := context.Background()
	const secret = "bootstrap-secret-0123456789"
	if _, err := db.Collection("api_key_hashes").InsertOne(ctx, map[string]any{"_id": auth.Hash(secret), "keyId": "key_lost"}); err != nil {
		t.Fatal(err)
	}
	s := auth.NewService(authstore.New(db, testdb.Backend(t)))
	if _, err := s.Bootstrap(ctx, secret); err != nil {
		t.Fatalf("bootstrap over a dangling pointer: %v", err)
	}
	if k, err := s.Authenticate(ctx, secret); err != nil || k.Role != auth.Admin {
		t.Fatalf("bootstrap key: %v %v", k, err)
	}
	// A live key's secret cannot be inserted twice.
	k, _ := s.Authenticate(ctx, secret)
	if err := s.Store.InsertKey(ctx, auth.Key{ID: "key_twin", Name: "twin", Role: auth.Admin, Hash: k.Hash}); err == nil {
		t.Fatal("second key with the same secret accepted")
	}
	if got, err := s.Authenticate(ctx, secret); err != nil || got.ID != k.ID {
		t.Fatalf("after a refused twin: %v %v", got.ID, err)
	}
}
