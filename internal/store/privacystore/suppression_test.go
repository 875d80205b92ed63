package privacystore

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/privacy"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The suppression list keeps keyed hashes under one installation key: two stores on
// one database (two instances) agree, the documents hold no value, and a check is a
// lookup by the hash.
func TestSuppressionListKeepsHashesOnly(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	a, b := New(db, testdb.Backend(t), nil), New(db, testdb.Backend(t), nil)
	if err := a.EnsureSuppressionKey(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	keys := []string{"email:ann@example.com", "phone:+447911123456"}
	if err := a.Suppress(ctx, keys, "admin (key_1)", at); err != nil {
		t.Fatal(err)
	}
	// Again by another actor: the first entry stands.
	if err := b.Suppress(ctx, keys[:1], "other (key_2)", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := b.Suppressed(ctx, []string{"email:ann@example.com", "email:bob@example.com", "phone:+447911123456"})
	if err != nil || len(got) != 2 {
		t.Fatalf("suppressed = %v, %v", got, err)
	}
	filter, err := b.SuppressionFilter(ctx)
	if err != nil || !filter("phone:+447911123456") || filter("email:bob@example.com") {
		t.Fatalf("filter: %v", err)
	}
	var installs []bson.M
	cur, err := db.Collection(InstallationCollection).Find(ctx, bson.M{})
	if err != nil || cur.All(ctx, &installs) != nil || len(installs) != 1 {
		t.Fatalf("installation documents: %v %v", installs, err)
	}
	key := a.suppression.key
	list, err := b.Suppressions(ctx, "", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %v, %v", list, err)
	}
	for _, e := range list {
		if e.Hash != privacy.Hash(key, "email:ann@example.com") && e.Hash != privacy.Hash(key, "phone:+447911123456") ||
			e.Actor != "admin (key_1)" || !e.CreatedAt.Equal(at) {
			t.Fatalf("entry %+v", e)
		}
	}
	raw, err := db.Collection(SuppressionsCollection).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := raw.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		j, _ := bson.MarshalExtJSON(d, false, false)
		if strings.Contains(string(j), "ann@") || strings.Contains(string(j), "7911") {
			t.Fatalf("value stored: %s", j)
		}
	}
	if _, err := a.LiftSuppression(ctx, "email:ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LiftSuppression(ctx, "email:ann@example.com"); !apperr.IsNotFound(err) {
		t.Fatalf("second lift: %v", err)
	}
	if got, _ := b.Suppressed(ctx, keys); len(got) != 1 || got[0] != keys[1] {
		t.Fatalf("after lift: %v", got)
	}
}
