package identitystore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// pointReadsOnly returns the commands that are not finds by a bare _id.
func pointReadsOnly(cmds []testdb.Command) (bad []string) {
	for _, c := range cmds {
		if c.Name != "find" {
			bad = append(bad, c.String())
			continue
		}
		for _, f := range c.Filters {
			if !testdb.BareID(f) {
				bad = append(bad, c.String())
			}
		}
	}
	return bad
}

// Searches and the customer list send a bounded number of bare-_id reads on FerretDB,
// the same number at 100 and at 3,000 profiles (the query they replaced scanned every
// profile). Counted with a driver command monitor; results checked at both sizes.
func TestSearchIsPointReadsAtAnySize(t *testing.T) {
	b := testdb.Backend(t)
	if b.IndexedFilters {
		t.Skip("MongoDB serves search from the searchTokens index")
	}
	ctx := context.Background()
	m := &testdb.CommandLog{}
	client := testdb.MonitoredClient(t, m)
	var counts [][]int
	for _, n := range []int{100, 3000} {
		name := testdb.DB(t).Name()
		st := identitystore.New(client.Database(name), b)
		now := time.Now().UTC()
		var ps []profile.Profile
		for i := range n {
			tr := profile.Traits{FirstName: fmt.Sprint("Ann", i%7), LastName: fmt.Sprint("Smith", i), Emails: []string{fmt.Sprintf("p%d@example.com", i)}}
			id := fmt.Sprintf("cus_%026d", i)
			ps = append(ps, profile.Profile{ID: id, CreatedAt: now, UpdatedAt: now, Traits: tr, SearchTokens: profile.SearchTokens(id, tr)})
		}
		if err := st.InsertProfiles(ctx, ps); err != nil {
			t.Fatal(err)
		}
		// A second store on the same database, as a restarted process: it builds its
		// index from one read, before the counting starts.
		fresh := identitystore.New(client.Database(name), b)
		if err := fresh.EnsureSearchIndex(ctx); err != nil {
			t.Fatal(err)
		}
		var per []int
		for _, q := range []customer.Query{
			{Terms: []string{"p42@example.com"}, Limit: 21},
			{Terms: []string{"ann0", "p7@example.com"}, Limit: 21},
			{Terms: []string{"ann"}, Limit: 21},
			{Limit: 21},
		} {
			m.Record(true)
			got, err := fresh.SearchProfiles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			total, err := fresh.CountProfiles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cmds := m.Record(false)
			bad := pointReadsOnly(cmds)
			if len(bad) > 0 {
				t.Fatalf("%d profiles, query %v: commands other than bare-_id reads: %v", n, q.Terms, bad)
			}
			per = append(per, len(cmds))
			switch {
			case len(q.Terms) == 1 && q.Terms[0] == "p42@example.com" && (len(got) != 1 || got[0].ID != fmt.Sprintf("cus_%026d", 42) || total != 1):
				t.Fatalf("exact e-mail: got %d profiles (total %d)", len(got), total)
			case len(q.Terms) == 0 && (len(got) != 21 || got[0].ID != fmt.Sprintf("cus_%026d", n-1) || total != int64(n)):
				t.Fatalf("list: %d profiles, first %s, total %d", len(got), got[0].ID, total)
			case len(q.Terms) == 2 && (len(got) != 1 || got[0].Traits.FirstName != "Ann0"):
				t.Fatalf("ann0 p7@example.com: %v", got)
			case q.Terms != nil && q.Terms[0] == "ann" && (len(got) != 21 || total != int64(n)):
				t.Fatalf("ann: %d profiles, total %d", len(got), total)
			}
			if len(cmds) > q.Limit {
				t.Fatalf("%d profiles, query %v: %d commands for a page of %d", n, q.Terms, len(cmds), q.Limit)
			}
		}
		counts = append(counts, per)
	}
	for i := range counts[0] {
		if counts[1][i] > counts[0][i] {
			t.Errorf("query %d sends %d commands at 3,000 profiles, %d at 100", i, counts[1][i], counts[0][i])
		}
	}
	t.Logf("commands per query at 100 / 3,000 profiles: %v / %v", counts[0], counts[1])
}

// Writes go through: a merged profile leaves the results, a recomputed one is found by
// its new name, an erased one (deleted behind the store's back) is dropped.
func TestSearchFollowsWrites(t *testing.T) {
	b := testdb.Backend(t)
	ctx := context.Background()
	db := testdb.DB(t)
	st := identitystore.New(db, b)
	now := time.Now().UTC()
	mk := func(id, first string) profile.Profile {
		tr := profile.Traits{FirstName: first}
		return profile.Profile{ID: id, CreatedAt: now, UpdatedAt: now, Rev: 1, Traits: tr, SearchTokens: profile.SearchTokens(id, tr)}
	}
	a, c, d := mk("cus_0000000000000000000000000a", "Zelda"), mk("cus_0000000000000000000000000c", "Zora"), mk("cus_0000000000000000000000000d", "Zeno")
	if err := st.InsertProfiles(ctx, []profile.Profile{a, c, d}); err != nil {
		t.Fatal(err)
	}
	search := func(term string) []string {
		got, err := st.SearchProfiles(ctx, customer.Query{Terms: []string{term}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		return ids
	}
	if got := search("z"); len(got) != 3 {
		t.Fatalf("z: %v", got)
	}
	if _, err := st.MarkMerged(ctx, c.ID, a.ID, now); err != nil {
		t.Fatal(err)
	}
	a2 := mk(a.ID, "Yvonne")
	if _, err := st.SaveComputed(ctx, []profile.Profile{a2}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("profiles").DeleteOne(ctx, bson.M{"_id": d.ID}); err != nil {
		t.Fatal(err)
	}
	if got := search("z"); len(got) != 0 {
		t.Fatalf("after merge, rename and erasure, z finds %v", got)
	}
	if got := search("yv"); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("yv: %v", got)
	}
}

// A customer's identities (the 360 view) are read through its identifier list by _id on
// FerretDB: the same few commands at 100 and at 3,000 profiles, no profileId scan.
func TestIdentitiesOfAProfileArePointReads(t *testing.T) {
	b := testdb.Backend(t)
	if b.IndexedFilters {
		t.Skip("MongoDB serves it from the profileId index")
	}
	ctx := context.Background()
	m := &testdb.CommandLog{}
	client := testdb.MonitoredClient(t, m)
	var counts []int
	for _, n := range []int{100, 3000} {
		st := identitystore.New(client.Database(testdb.DB(t).Name()), b)
		now := time.Now().UTC()
		var ps []profile.Profile
		var ids []profile.Identity
		for i := range n {
			id := fmt.Sprintf("cus_%026d", i)
			keys := []string{fmt.Sprintf("email:p%d@example.com", i), fmt.Sprintf("phone:+4479111%05d", i)}
			ps = append(ps, profile.Profile{ID: id, CreatedAt: now, UpdatedAt: now, Identifiers: keys})
			for _, k := range keys {
				ids = append(ids, profile.Identity{ID: k, ProfileID: id, FirstSeen: now})
			}
		}
		// One identity listed on the profile points elsewhere (moved by a merge): left out.
		ids[1].ProfileID = "cus_elsewhere"
		if err := st.InsertProfiles(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimIdentities(ctx, ids); err != nil {
			t.Fatal(err)
		}
		m.Record(true)
		got, err := st.IdentitiesOfProfiles(ctx, []string{ps[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		cmds := m.Record(false)
		bad := pointReadsOnly(cmds)
		if len(bad) > 0 {
			t.Fatalf("%d profiles: commands other than bare-_id reads: %v", n, bad)
		}
		if len(got) != 1 || got[0].ID != "email:p0@example.com" {
			t.Fatalf("%d profiles: identities %v", n, got)
		}
		counts = append(counts, len(cmds))
	}
	if counts[1] > counts[0] {
		t.Fatalf("commands grew from %d to %d", counts[0], counts[1])
	}
}
