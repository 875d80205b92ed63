package auditstore_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/store/auditstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func seed(t *testing.T, s *auditstore.Store, base time.Time, n int) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for i := range n {
		at := base.Add(time.Duration(i) * time.Second)
		e := audit.Entry{ID: audit.IDAt(at)[:10] + fmt.Sprintf("%016d", i), At: at,
			Actor:  audit.Actor{KeyID: fmt.Sprint("key", i%3), Name: "k", Role: "admin"},
			Action: []string{"mergeCustomers", "createSegment"}[i%2], Targets: []string{fmt.Sprint("cus_", i%5)}, Change: "{}", Result: audit.OK}
		if err := s.Insert(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// want filters entries as the store should, newest first.
func want(es []audit.Entry, f audit.Filter, before string, limit int) []string {
	out := []string{}
	for i := len(es) - 1; i >= 0 && len(out) < limit; i-- {
		e := es[i]
		if (f.Actor == "" || e.Actor.KeyID == f.Actor) && (f.Action == "" || e.Action == f.Action) &&
			(f.Target == "" || strings.Join(e.Targets, ",") == f.Target) && (before == "" || e.ID < before) &&
			(f.From.IsZero() || !e.At.Before(f.From)) && (f.To.IsZero() || e.At.Before(f.To)) {
			out = append(out, e.ID)
		}
	}
	return out
}

func ids(es []audit.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// TestPagesFilterNewestFirst: filtered pages, before the in-process index is built and
// after, give the same answers; a repeated insert changes nothing.
func TestPagesFilterNewestFirst(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := auditstore.New(db, testdb.Backend(t))
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	es := seed(t, s, base, 30)
	if err := s.Insert(ctx, es[4]); err != nil { // insert-if-absent
		t.Fatal(err)
	}
	cases := []struct {
		f      audit.Filter
		before string
		limit  int
	}{
		{audit.Filter{}, "", 10},
		{audit.Filter{Actor: "key1"}, "", 100},
		{audit.Filter{Action: "createSegment", Actor: "key0"}, "", 100},
		{audit.Filter{Target: "cus_3"}, es[20].ID, 3},
		{audit.Filter{From: base.Add(5 * time.Second), To: base.Add(12 * time.Second)}, "", 100},
		{audit.Filter{Action: "mergeCustomers", From: base.Add(10 * time.Second)}, es[25].ID, 100},
	}
	check := func(when string) {
		for _, c := range cases {
			got, err := s.Page(ctx, c.f, c.before, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if w := want(es, c.f, c.before, c.limit); !reflect.DeepEqual(ids(got), w) {
				t.Errorf("%s: %+v before %q: got %v, want %v", when, c.f, c.before, ids(got), w)
			}
		}
	}
	check("not indexed")
	if err := s.BuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	es = append(es, seed(t, s, base.Add(time.Minute), 4)...) // written through after the build
	check("indexed")
	got, _ := s.Page(ctx, audit.Filter{}, "", 1)
	if len(got) != 1 || got[0].Actor.KeyID == "" || got[0].Action == "" || !got[0].At.Equal(es[len(es)-1].At) {
		t.Errorf("newest entry read back as %+v", got)
	}
}

// TestAppendOnly: the store offers no way to change or remove an entry.
func TestAppendOnly(t *testing.T) {
	typ := reflect.TypeOf(&auditstore.Store{})
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		for _, verb := range []string{"Update", "Delete", "Replace", "Remove", "Drop", "Set", "Prune"} {
			if strings.HasPrefix(name, verb) {
				t.Errorf("audit store has a method %s", name)
			}
		}
	}
}

// TestIndexedPageNoScan: on the embedded database a filtered page, once the index is
// built, reads entries by bare _id only.
func TestIndexedPageNoScan(t *testing.T) {
	if testdb.Backend(t).IndexedFilters {
		t.Skip("MongoDB serves the filters from its indexes")
	}
	ctx := context.Background()
	log := &testdb.CommandLog{}
	c := testdb.MonitoredClient(t, log)
	db := c.Database(testdb.DB(t).Name())
	s := auditstore.New(db, testdb.Backend(t))
	es := seed(t, s, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 40)
	if err := s.BuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	log.Record(true)
	got, err := s.Page(ctx, audit.Filter{Actor: "key2", Target: "cus_1"}, "", 5)
	cmds := log.Record(false)
	if err != nil {
		t.Fatal(err)
	}
	if w := want(es, audit.Filter{Actor: "key2", Target: "cus_1"}, "", 5); !reflect.DeepEqual(ids(got), w) {
		t.Errorf("got %v, want %v", ids(got), w)
	}
	for _, cmd := range cmds {
		for _, f := range cmd.Filters {
			if !testdb.BareID(f) {
				t.Errorf("a filter that is not a bare _id: %s", cmd)
			}
		}
	}
	if len(cmds) != len(got) {
		t.Errorf("%d commands for %d entries: %v", len(cmds), len(got), cmds)
	}
}
