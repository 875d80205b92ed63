package workflow_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// commerceColls are the collections commerce follows a merge in.
var commerceColls = []string{"orders", "interactions", "customer_metrics"}

// statement is one statement of a command: a filter of a find, update, delete or
// findAndModify, or a command without one (an insert).
type statement struct {
	name, coll string
	filter     bson.Raw
}

func (s statement) String() string { return fmt.Sprintf("%s %s %s", s.name, s.coll, s.filter) }

func statements(cmds []testdb.Command) []statement {
	var out []statement
	for _, c := range cmds {
		if len(c.Filters) == 0 {
			out = append(out, statement{c.Name, c.Coll, nil})
		}
		for _, f := range c.Filters {
			out = append(out, statement{c.Name, c.Coll, f})
		}
	}
	return out
}

// byID reports a filter that selects by _id: equality (maybe with a revision check) or
// $in over ids.
func byID(f bson.Raw) bool {
	v, err := f.LookupErr("_id")
	if err != nil {
		return false
	}
	if v.Type == bson.TypeString {
		return true
	}
	in, ok := v.DocumentOK()
	if !ok {
		return false
	}
	_, isArr := in.Lookup("$in").ArrayOK()
	return isArr
}

// TestFollowingAMergeReadsByID: commerce follows a merge made by ingest with reads and
// writes keyed by _id only, and with as many statements whatever the size of the
// database (checked at two sizes, as DESIGN.md asks).
func TestFollowingAMergeReadsByID(t *testing.T) {
	counts := map[int]int{}
	for _, others := range []int{5, 60} {
		rec := &testdb.CommandLog{Only: commerceColls}
		db := testdb.MonitoredClient(t, rec).Database(fmt.Sprintf("wf_bounded_%d_%d", others, time.Now().UnixNano()))
		t.Cleanup(func() { _ = db.Drop(context.Background()) })
		e := newEnvOn(t, db)
		// Other customers with orders and interactions: what a search by profile would
		// have to look through.
		var people []map[string]any
		for i := range others {
			people = append(people, map[string]any{"id": fmt.Sprint("o", i), "email": fmt.Sprintf("o%d@example.com", i)})
		}
		pids := e.ingest("shop", people...).ProfileIDs
		var orders []commerce.Order
		var inters []commerce.Interaction
		for i, p := range pids {
			orders = append(orders, order(fmt.Sprint("o", i), p, fmt.Sprint("shop:o", i), i%30, 500, commerce.Paid))
			inters = append(inters, commerce.Interaction{ID: fmt.Sprint("news:o", i), ProfileID: p, RecordID: fmt.Sprint("shop:o", i), Channel: "web", Type: "visit", At: day(i % 30)})
		}
		_, err := e.com.PutOrders(e.ctx, orders)
		e.must(err)
		_, err = e.com.AddInteractions(e.ctx, inters)
		e.must(err)
		pa, pb := e.twoCustomers()

		rec.Record(true)
		res := e.bridge()
		cmds := statements(rec.Record(false))
		if res.Merged != 1 || len(e.orderIDsOf(pb)) != 0 || len(e.orderIDsOf(pa)) != 5 {
			t.Fatalf("%d others: merge not followed: %+v", others, res.Counts)
		}
		if len(cmds) == 0 {
			t.Fatal("no commerce statements seen: the monitor sees nothing")
		}
		pointReads := !testdb.Backend(t).IndexedFilters
		for _, c := range cmds {
			switch {
			case c.name == "insert":
			case c.name == "find" && pointReads && !testdb.BareID(c.filter):
				t.Errorf("%d others: a read that is not a point read by _id: %s", others, c)
			case !byID(c.filter):
				t.Errorf("%d others: a statement not keyed by _id: %s", others, c)
			case pointReads && !testdb.BareID(c.filter):
				// Writes of the commerce store with a revision check or an $in of ids
				// (metrics compare-and-set, DeleteMetrics): keyed by _id, but FerretDB
				// only serves a bare {_id} without a scan. Left to the commerce store.
				t.Logf("%d others: keyed by _id, not bare: %s", others, c)
			}
		}
		counts[others] = len(cmds)
	}
	if counts[5] != counts[60] {
		t.Fatalf("statements to follow one merge grow with the database: %v", counts)
	}
	t.Logf("statements to follow one merge: %v", counts)
}
