package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/internal/workflow"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// env is the identity engine, ingest and commerce on one embedded test database, with
// the workflows attached to the engine as the app wires them.
type env struct {
	t   *testing.T
	ctx context.Context
	db  *mongo.Database
	ids *identitystore.Store
	eng *identity.Engine
	ing *ingest.Service
	com *commerce.Service
	wf  *workflow.Service
}

func newEnv(t *testing.T) *env {
	return newEnvOn(t, testdb.DB(t))
}

func newEnvOn(t *testing.T, db *mongo.Database) *env {
	t.Helper()
	b := testdb.Backend(t)
	e := &env{t: t, ctx: context.Background(), db: db, ids: identitystore.New(db, b)}
	e.start()
	for i, name := range []string{"shop", "crm"} {
		if _, err := e.ing.CreateSource(e.ctx, ingest.Source{Name: name, Kind: "OTHER", Priority: i * 10,
			IdentifierFields: map[string]string{"email": "email", "phone": "phone", "cid": "customer_id"}}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// start builds the services, as a (re)started process does.
func (e *env) start() {
	b := testdb.Backend(e.t)
	e.eng = identity.NewEngine(e.ids)
	e.eng.Exclusive = !b.AtomicUpdates // as the app runs it
	e.must(e.ids.BuildExistenceHints(e.ctx))
	e.ing = ingest.NewService(e.ids, e.eng, normalize.Default())
	e.com = commerce.NewService(commercestore.New(e.db, b, e.ids))
	e.wf = (&workflow.Service{Engine: e.eng, Ingester: e.ing, Commerce: e.com}).Attach()
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) ingest(src string, recs ...map[string]any) ingest.Result {
	e.t.Helper()
	res, err := e.wf.Ingest(e.ctx, src, inputs(recs), "")
	e.must(err)
	return res
}

func inputs(recs []map[string]any) []ingest.Input {
	var in []ingest.Input
	for _, r := range recs {
		in = append(in, ingest.Input{ExternalID: fmt.Sprint(r["id"]), Payload: r})
	}
	return in
}

func day(d int) time.Time { return time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

func order(id, pid, rec string, d int, pence int64, status string) commerce.Order {
	return commerce.Order{ID: "shop:" + id, ProfileID: pid, CustomerRecordID: rec, Status: status, Currency: "GBP", PlacedAt: day(d),
		Lines: []commerce.Line{{SKU: "SKU-" + id, Quantity: 1, UnitPriceMinor: pence}}}
}

// orderIDsOf lists the orders stored on a profile, by asking the collection (the test's
// view, not the code under test's).
func (e *env) orderIDsOf(pid string) []string {
	e.t.Helper()
	var out []string
	for _, c := range []string{"orders", "interactions"} {
		cur, err := e.db.Collection(c).Find(e.ctx, bson.M{"profileId": pid})
		e.must(err)
		var docs []struct {
			ID string `bson:"_id"`
		}
		e.must(cur.All(e.ctx, &docs))
		for _, d := range docs {
			out = append(out, c+"/"+d.ID)
		}
	}
	slices.Sort(out)
	return out
}

func (e *env) metrics(pid string) ledger.Metrics {
	e.t.Helper()
	m, err := e.com.Metrics(e.ctx, pid)
	e.must(err)
	return m
}

// twoCustomers ingests Ann (older, e-mail and customer id) and Bob (e-mail and phone),
// each with orders, and an interaction of Bob's. It returns their profiles.
func (e *env) twoCustomers() (pa, pb string) {
	e.t.Helper()
	pa = e.ingest("shop", map[string]any{"id": "a", "email": "ann@example.com", "cid": "1"}).ProfileIDs[0]
	pb = e.ingest("shop", map[string]any{"id": "b", "email": "bob@example.com", "phone": "07911 111111"}).ProfileIDs[0]
	_, err := e.com.PutOrders(e.ctx, []commerce.Order{
		order("1", pa, "shop:a", 0, 1000, commerce.Paid), order("2", pa, "shop:a", 30, 2000, commerce.Shipped),
		order("3", pb, "shop:b", 10, 5000, commerce.Paid), order("4", pb, "shop:b", 11, -1500, commerce.Refunded),
	})
	e.must(err)
	_, err = e.com.AddInteractions(e.ctx, []commerce.Interaction{
		{ID: "news:b-1", ProfileID: pb, RecordID: "shop:b", Channel: "email", Type: "opened", At: day(40)},
	})
	e.must(err)
	return pa, pb
}

// bridge ingests a CRM record with Ann's e-mail and Bob's phone: resolution merges Bob
// into Ann (the older profile survives).
func (e *env) bridge() ingest.Result {
	e.t.Helper()
	return e.ingest("crm", map[string]any{"id": "x", "email": "ann@example.com", "phone": "07911 111111"})
}

func TestIngestMergeMovesOrdersAtOnce(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	res := e.bridge()
	if res.Merged != 1 || len(res.Merges) != 1 {
		t.Fatalf("bridge: merged %d, merges %+v", res.Merged, res.Merges)
	}
	if m := res.Merges[0]; m.Absorbed != pb || m.Survivor != pa || !slices.Equal(m.Records, []string{"shop:b"}) || m.Rule == "" {
		t.Fatalf("merge event %+v, want %s absorbed into %s with shop:b", m, pb, pa)
	}
	// Without any sweep: everything of Bob's is on Ann's profile now.
	if left := e.orderIDsOf(pb); len(left) != 0 {
		t.Fatalf("left on the absorbed profile: %v", left)
	}
	want := []string{"interactions/news:b-1", "orders/shop:1", "orders/shop:2", "orders/shop:3", "orders/shop:4"}
	if got := e.orderIDsOf(pa); !slices.Equal(got, want) {
		t.Fatalf("on the survivor: %v, want %v", got, want)
	}
	m := e.metrics(pa)
	if m.Orders != 3 || m.NetMinor != 6500 || m.Cancellations != 1 || m.Interactions != 1 || !m.FirstOrderAt.Equal(day(0)) || !m.LastInteractionAt.Equal(day(40)) {
		t.Fatalf("survivor metrics %+v", m)
	}
	if gone := e.metrics(pb); gone.Rev != 0 || gone.Orders != 0 {
		t.Fatalf("absorbed profile keeps metrics: %+v", gone)
	}
	// The sweep is a safety net only: it finds nothing left to do.
	if n, err := e.com.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("reconcile after the merge: %d, %v", n, err)
	}
}

func TestUnmergeMovesOrdersBack(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	e.bridge()
	if len(e.orderIDsOf(pb)) != 0 || len(e.orderIDsOf(pa)) != 5 {
		t.Fatalf("after the merge: Ann %v, Bob %v", e.orderIDsOf(pa), e.orderIDsOf(pb))
	}
	split, remaining, err := e.wf.Unmerge(e.ctx, pb, []string{"shop:b"}, "tester")
	e.must(err)
	if !slices.Equal(split, []string{pb}) || !slices.Contains(remaining, pa) {
		t.Fatalf("split %v remaining %v", split, remaining)
	}
	if got, want := e.orderIDsOf(pb), []string{"interactions/news:b-1", "orders/shop:3", "orders/shop:4"}; !slices.Equal(got, want) {
		t.Fatalf("back on Bob's profile: %v, want %v", got, want)
	}
	if got, want := e.orderIDsOf(pa), []string{"orders/shop:1", "orders/shop:2"}; !slices.Equal(got, want) {
		t.Fatalf("left on Ann's profile: %v, want %v", got, want)
	}
	if m := e.metrics(pa); m.Orders != 2 || m.NetMinor != 3000 || m.Interactions != 0 {
		t.Errorf("Ann after unmerge: %+v", m)
	}
	if m := e.metrics(pb); m.Orders != 1 || m.NetMinor != 3500 || m.ReturnsMinor != 1500 || m.Interactions != 1 {
		t.Errorf("Bob after unmerge: %+v", m)
	}
}

func TestManualMergeMovesOrdersAtOnce(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	got, err := e.wf.Merge(e.ctx, []string{pb, pa}, "same person, confirmed by phone", "tester")
	e.must(err)
	if got != pa || len(e.orderIDsOf(pb)) != 0 || len(e.orderIDsOf(pa)) != 5 {
		t.Fatalf("manual merge -> %s: Ann %v, Bob %v", got, e.orderIDsOf(pa), e.orderIDsOf(pb))
	}
	if m := e.metrics(pa); m.Orders != 3 || m.NetMinor != 6500 || m.Interactions != 1 {
		t.Fatalf("survivor metrics %+v", m)
	}
	if _, err := e.wf.Merge(e.ctx, make([]string, workflow.MaxMerge+1), "too many", "tester"); err == nil {
		t.Fatal("a merge of more than MaxMerge customers must be refused")
	}
}

// failingFollower stands for a process that dies after identity wrote a change and
// before commerce followed it.
type failingFollower struct{ calls int }

var errDied = errors.New("process died")

func (f *failingFollower) FollowMerges(context.Context, []identity.MergeEvent) error {
	f.calls++
	return errDied
}
func (f *failingFollower) FollowSplit(context.Context, identity.SplitEvent) error {
	f.calls++
	return errDied
}

func TestFollowersRunAfterACrash(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	dead := &failingFollower{}
	e.eng.Follower = dead
	if _, err := e.ing.Ingest(e.ctx, "crm", inputs([]map[string]any{{"id": "x", "email": "ann@example.com", "phone": "07911 111111"}}), ""); !errors.Is(err, errDied) {
		t.Fatalf("ingest with a dying follower: %v", err)
	}
	if dead.calls != 1 || len(e.orderIDsOf(pb)) != 3 {
		t.Fatalf("follower calls %d, on the absorbed profile %v", dead.calls, e.orderIDsOf(pb))
	}
	// Restart: the new process recovers the journal, and its follower moves the orders.
	e.start()
	n, err := e.eng.Recover(e.ctx, time.Now().Add(time.Hour))
	e.must(err)
	if n != 1 || len(e.orderIDsOf(pb)) != 0 || len(e.orderIDsOf(pa)) != 5 {
		t.Fatalf("recovered %d: Ann %v, Bob %v", n, e.orderIDsOf(pa), e.orderIDsOf(pb))
	}
	if m := e.metrics(pa); m.Orders != 3 || m.NetMinor != 6500 || m.Interactions != 1 {
		t.Fatalf("survivor metrics after recovery %+v", m)
	}
	if j, err := e.db.Collection("identity_journal").CountDocuments(e.ctx, bson.M{}); err != nil || j != 0 {
		t.Fatalf("journals left: %d %v", j, err)
	}

	// The same for an unmerge: its split is journaled and followed on recovery.
	e.eng.Follower = dead
	if _, _, err := e.eng.Unmerge(e.ctx, pa, []string{"shop:b"}, "tester"); !errors.Is(err, errDied) {
		t.Fatalf("unmerge with a dying follower: %v", err)
	}
	e.start()
	if n, err := e.eng.Recover(e.ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("recover the unmerge: %d %v", n, err)
	}
	if got := e.orderIDsOf(pb); len(got) != 3 {
		t.Fatalf("after the recovered unmerge Bob holds %v", got)
	}
}

func TestResolveRefsFollowsMerges(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	e.bridge()
	got, err := workflow.ResolveRefs(e.ctx, e.ids, keyNorm{}, []workflow.CustomerRef{
		{RecordID: "shop:b"}, {Type: "email", Value: "bob@example.com"}, {RecordID: "shop:nope"}})
	e.must(err)
	if got[0].ProfileID != pa || got[0].RecordID != "shop:b" || got[1].ProfileID != pa || got[1].RecordID != "shop:b" || got[2].Reason == "" {
		t.Fatalf("refs after %s merged into %s: %+v", pb, pa, got)
	}
}

// keyNorm normalises as the tests' sources do (lower-case e-mails).
type keyNorm struct{}

func (keyNorm) IdentityKey(typ, value string) (string, error) {
	v, err := normalize.Default().Email(value)
	return typ + ":" + v, err
}

// failOnce fails the first metrics write after the orders moved: a follow interrupted
// between moving the items and rebuilding the survivor's metrics.
type failOnce struct {
	commerce.Store
	failed bool
}

func (f *failOnce) SaveMetrics(ctx context.Context, ws []commerce.MetricsWrite) (bool, error) {
	if !f.failed {
		f.failed = true
		return false, errDied
	}
	return f.Store.SaveMetrics(ctx, ws)
}

func TestInterruptedFollowIsFinishedByARepeat(t *testing.T) {
	e := newEnv(t)
	pa, pb := e.twoCustomers()
	e.eng.Follower = nil // the merge alone, followed by hand below
	e.bridge()
	fs := &failOnce{Store: e.com.Store}
	e.com.Store = fs
	if err := e.com.FollowMerge(e.ctx, []string{pb}, pa); !errors.Is(err, errDied) {
		t.Fatalf("interrupted follow: %v", err)
	}
	if len(e.orderIDsOf(pb)) != 0 || e.metrics(pa).Orders != 2 {
		t.Fatalf("after the interruption: Bob %v, Ann's metrics %+v", e.orderIDsOf(pb), e.metrics(pa))
	}
	for range 2 { // the repeat finishes it; a further one changes nothing
		e.must(e.com.FollowMerge(e.ctx, []string{pb}, pa))
		if m := e.metrics(pa); m.Orders != 3 || m.NetMinor != 6500 || m.Interactions != 1 || len(m.Ledger) != 4 {
			t.Fatalf("after the repeat: %+v", m)
		}
		if gone := e.metrics(pb); gone.Rev != 0 {
			t.Fatalf("absorbed metrics left: %+v", gone)
		}
	}
}
