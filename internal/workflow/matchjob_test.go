package workflow_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/store/matchstore"
	"github.com/tessera-cdp/tessera/internal/store/privacystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

var (
	firstNames = []string{"Amelia", "Benedict", "Clara", "Dominik", "Elena", "Florian", "Greta", "Henrik", "Isabel", "Jonas", "Katrin", "Lukas",
		"Marta", "Niklas", "Olivia", "Pavel", "Quentin", "Rosa", "Stefan", "Theresa", "Ulrich", "Valerie", "Wilhelm", "Xenia", "Yusuf", "Zora"}
	lastNames = []string{"Albrecht", "Brandt", "Castellano", "Dietrich", "Eriksen", "Fischbach", "Gallagher", "Hoffmann", "Iversen", "Jablonski",
		"Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Oyelaran", "Petrakis", "Quintero", "Rasmussen", "Schuster", "Thorvald"}
	towns = []string{"Leeds", "York", "Bath", "Derby", "Exeter", "Lincoln", "Durham", "Chester", "Norwich", "Oxford"}
)

func person(rng *rand.Rand, id, email string) map[string]any {
	town := towns[rng.IntN(len(towns))]
	return map[string]any{"id": id, "email": email, "firstName": firstNames[rng.IntN(len(firstNames))],
		"lastName":  []string{"", "Mc", "Van ", "O'", "De "}[rng.IntN(5)] + lastNames[rng.IntN(len(lastNames))],
		"birthDate": fmt.Sprintf("%d-%02d-%02d", 1940+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28)),
		"address":   fmt.Sprintf("%d %s Road", 1+rng.IntN(180), lastNames[rng.IntN(len(lastNames))]),
		"city":      town, "postcode": fmt.Sprintf("%c%c%d %d%c%c", town[0], 'A'+rng.IntN(26), 1+rng.IntN(20), rng.IntN(10), 'A'+rng.IntN(26), 'A'+rng.IntN(26))}
}

// TestMatchJobAutoMergeMovesOrders: a match job merges near-copies (a typo in the first
// name, another e-mail) through the workflow's merge function, and the orders placed on
// the copy move to the surviving profile at once.
func TestMatchJobAutoMergeMovesOrders(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(42, 7))
	var shop []map[string]any
	for i := range 80 {
		shop = append(shop, person(rng, fmt.Sprint(i), fmt.Sprintf("p%d@shop.example", i)))
	}
	originals := e.ingest("shop", shop...).ProfileIDs
	const nCopies = 4
	var crm []map[string]any
	for i := range nCopies {
		c := map[string]any{}
		for k, v := range shop[i] {
			c[k] = v
		}
		first := c["firstName"].(string)
		c["id"], c["email"], c["firstName"] = fmt.Sprint("copy", i), fmt.Sprintf("copy%d@crm.example", i), first[:2]+first[3:]
		crm = append(crm, c)
	}
	for i := range 20 {
		crm = append(crm, person(rng, fmt.Sprint("stranger", i), fmt.Sprintf("s%d@crm.example", i)))
	}
	copies := e.ingest("crm", crm...).ProfileIDs[:nCopies]
	var orders []commerce.Order
	for i, c := range copies {
		orders = append(orders, order(fmt.Sprint("c", i), c, fmt.Sprint("crm:copy", i), i, 1000+int64(i), commerce.Paid))
	}
	_, err := e.com.PutOrders(e.ctx, orders)
	e.must(err)

	b := testdb.Backend(t)
	jobs := matchjob.New(matchstore.New(e.db, b, e.ids, privacystore.New(e.db, b, e.ids)), e.wf)
	job, err := jobs.Run(e.ctx, matchjob.Options{})
	e.must(err)
	if job.AutoMerged == 0 {
		t.Fatalf("the job merged nothing: %+v", job)
	}
	merged := 0
	for i, c := range copies {
		survivor, err := e.wf.Final(e.ctx, c)
		e.must(err)
		if survivor == c {
			continue
		}
		merged++
		if survivor != originals[i] {
			t.Fatalf("copy %d merged into %s, want its original %s", i, survivor, originals[i])
		}
		want := fmt.Sprintf("orders/shop:c%d", i)
		if left := e.orderIDsOf(c); len(left) != 0 {
			t.Fatalf("copy %d: %v left on the absorbed profile", i, left)
		}
		if got := e.orderIDsOf(survivor); len(got) != 1 || got[0] != want {
			t.Fatalf("copy %d: the survivor holds %v, want %s", i, got, want)
		}
		if m := e.metrics(survivor); m.Orders != 1 || m.NetMinor != 1000+int64(i) {
			t.Fatalf("copy %d: survivor metrics %+v", i, m)
		}
	}
	if merged == 0 {
		t.Fatalf("no copy merged (job %+v)", job)
	}
	t.Logf("job merged %d pairs, %d of them copies with orders", job.AutoMerged, merged)
}
