package workflow_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestIngestCommandsPerRecord (issue 14): what one ingest batch of 1,000 records sends,
// reads and writes counted, on FerretDB (one writer, existence hints built):
//   - a batch of new people reads nothing by id and writes in bulk: well under 0.1
//     commands per record;
//   - a batch where 600 records are new records of people already known reads, for
//     those people only, their identity, profile and earlier record (and the profile
//     again to recompute it), by bare _id: about 2.5 per record;
//
// and both cost the same on a database of 1,000 other people as on one of 4,000.
func TestIngestCommandsPerRecord(t *testing.T) {
	if testdb.Backend(t).IndexedFilters {
		t.Skip("existence hints and the exclusive writer are the embedded backend's")
	}
	// people(from, n, known): records r<from>.. of n people; the first known of them are
	// people 0.. (seen in the first batch), the others new.
	people := func(from, n, known int) []map[string]any {
		var out []map[string]any
		for i := range n {
			p := from + i
			if i < known {
				p = i
			}
			out = append(out, map[string]any{"id": fmt.Sprint("r", from+i), "email": fmt.Sprintf("p%d@example.com", p), "firstName": fmt.Sprint("F", p)})
		}
		return out
	}
	type cost struct{ fresh, known int }
	got := map[int]cost{}
	for _, others := range []int{1000, 4000} {
		rec := &testdb.CommandLog{}
		db := testdb.MonitoredClient(t, rec).Database(fmt.Sprintf("wf_cost_%d_%d", others, time.Now().UnixNano()))
		t.Cleanup(func() { _ = db.Drop(context.Background()) })
		e := newEnvOn(t, db)
		for from := 0; from < others; from += 1000 {
			e.ingest("shop", people(from, 1000, 0)...)
		}
		count := func(what string, cmds []testdb.Command) map[string]int {
			by := map[string]int{}
			for _, c := range cmds {
				by[c.Name+" "+c.Coll]++
				for _, f := range c.Filters {
					if !testdb.BareID(f) && c.Name != "insert" {
						t.Errorf("%d others, %s: not a bare _id: %s", others, what, c)
					}
				}
			}
			var ks []string
			for k, n := range by {
				ks = append(ks, fmt.Sprintf("%s %d", k, n))
			}
			sort.Strings(ks)
			t.Logf("%d others, %s: %d commands (%s)", others, what, len(cmds), strings.Join(ks, ", "))
			return by
		}
		// New people only.
		rec.Record(true)
		e.ingest("shop", people(100000, 1000, 0)...)
		fresh := rec.Record(false)
		by := count("new people", fresh)
		if len(fresh) > 100 || by["find identities"]+by["find source_records"]+by["find profiles"] > 0 {
			t.Errorf("%d others: a batch of new people sends %d commands, %d reads", others, len(fresh),
				by["find identities"]+by["find source_records"]+by["find profiles"])
		}
		// 400 new people, 600 new records of people of the first batch.
		rec.Record(true)
		res := e.ingest("shop", people(200000, 1000, 600)...)
		mixed := rec.Record(false)
		by = count("600 known people", mixed)
		if res.Created != 1000 || res.Merged != 0 {
			t.Fatalf("%d others: %+v", others, res.Counts)
		}
		if by["find identities"] > 600 || by["find source_records"] > 600 || by["find profiles"] > 1200 || len(mixed) > 2600 {
			t.Errorf("%d others: the mixed batch reads more than its known people need: %v", others, by)
		}
		got[others] = cost{len(fresh), len(mixed)}
	}
	if got[1000] != got[4000] {
		t.Errorf("commands grow with the database: %+v", got)
	}
	t.Logf("commands of a 1,000-record batch (new people, 600 known people): %+v", got)
}
