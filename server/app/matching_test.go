package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// people builds n distinct generated people and, for the first twins, a copy that shares
// no identifier but has a typo in the first name.
func matchPeople(n int) []map[string]any {
	rng := rand.New(rand.NewPCG(1, 2))
	firsts := []string{"Amelia", "Benedict", "Clara", "Dominik", "Elena", "Florian", "Greta", "Henrik", "Isabel", "Jonas", "Katrin", "Lukas", "Marta", "Niklas", "Olivia", "Pavel", "Rosa", "Stefan", "Theresa", "Valerie"}
	lasts := []string{"Albrecht", "Brandt", "Castellano", "Dietrich", "Eriksen", "Fischbach", "Gallagher", "Hoffmann", "Iversen", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Oyelaran", "Petrakis", "Quintero", "Rasmussen", "Schuster", "Thorvald"}
	cities := []string{"Leeds", "York", "Bath", "Derby", "Exeter", "Lincoln", "Durham", "Chester"}
	var out []map[string]any
	for i := range n {
		c := rng.IntN(len(cities))
		out = append(out, map[string]any{
			"email": fmt.Sprintf("p%d@shop.example", i), "firstName": firsts[rng.IntN(len(firsts))], "lastName": lasts[rng.IntN(len(lasts))],
			"birthDate": fmt.Sprintf("%d-%02d-%02d", 1940+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28)),
			"address":   fmt.Sprintf("%d %s Road", 1+rng.IntN(180), lasts[rng.IntN(len(lasts))]), "city": cities[c],
			"postcode": fmt.Sprintf("%c%c%d %d%c%c", 'A'+c, 'B'+c, 1+rng.IntN(20), rng.IntN(10), 'A'+rng.IntN(26), 'A'+rng.IntN(26)),
		})
	}
	return out
}

func (s *srv) waitMatchJob(id string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := get(s.ok(adminKey, `query($id: ID!) { matchJob(id: $id) { id status phase processed total pairsCompared autoMerged suggested error } }`, map[string]any{"id": id}), "matchJob").(map[string]any)
		if j["status"] != "RUNNING" {
			return j
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("match job still running: %v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMatchJobReviewThroughGraphQL(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, `mutation { createSource(input: {name: "pos", kind: POINT_OF_SALE, identifierFields: [{field: "card", target: "loyalty_card"}]}) { name } }`, nil)
	people := matchPeople(120)
	var recs []any
	for i, p := range people {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint(i), "payload": p})
	}
	shop := get(s.ok(adminKey, ingestQ, map[string]any{"recs": recs}), "ingestRecords", "profileIds").([]any)
	// The point of sale knows three of them by a loyalty card only: same name, birth
	// date and address, a typo in one first name.
	var pos []any
	for i := range 3 {
		p := map[string]any{"card": fmt.Sprint("L-", i)}
		for _, k := range []string{"firstName", "lastName", "birthDate", "address", "city", "postcode"} {
			p[k] = people[i][k]
		}
		if i == 0 {
			f := p["firstName"].(string)
			p["firstName"] = f[:2] + f[3:]
		}
		pos = append(pos, map[string]any{"externalId": fmt.Sprint("pos-", i), "payload": p})
	}
	posIDs := get(s.ok(adminKey, `mutation($recs: [RecordInput!]!) { ingestRecords(source: "pos", records: $recs) { profileIds } }`, map[string]any{"recs": pos}), "ingestRecords", "profileIds").([]any)

	// A dry run suggests and merges nothing.
	j := get(s.ok(adminKey, `mutation { startMatchJob(input: {dryRun: true}) { id status } }`, nil), "startMatchJob").(map[string]any)
	job := s.waitMatchJob(j["id"].(string))
	if job["status"] != "SUCCEEDED" || job["autoMerged"] != 0.0 || job["processed"] != job["total"] {
		t.Fatalf("dry run: %v", job)
	}
	list := get(s.ok(adminKey, `query { matchSuggestions(first: 50) { id probability left { id } right { id } evidence { field left right level weight } } }`, nil), "matchSuggestions").([]any)
	pairs := map[string]map[string]any{}
	for _, x := range list {
		pairs[fmt.Sprint(get(x, "left", "id"), "|", get(x, "right", "id"))] = x.(map[string]any)
	}
	for i := range 3 {
		a, b := shop[i].(string), posIDs[i].(string)
		if pairs[a+"|"+b] == nil && pairs[b+"|"+a] == nil {
			t.Fatalf("pair %d (%s, %s) not suggested; got %d suggestions", i, a, b, len(list))
		}
	}
	if len(list) > 6 {
		t.Fatalf("%d suggestions for 3 true pairs", len(list))
	}
	ev := get(list[0], "evidence").([]any)
	if len(ev) < 4 || get(ev[0], "level") == nil {
		t.Fatalf("evidence: %v", ev)
	}

	// Accept one: the customers are merged, with the match recorded in merge history.
	first := list[0].(map[string]any)
	acc := get(s.ok(adminKey, `mutation($id: ID!) { acceptMatchSuggestion(id: $id) { status decidedBy } }`, map[string]any{"id": first["id"]}), "acceptMatchSuggestion")
	if get(acc, "status") != "ACCEPTED" {
		t.Fatalf("accept: %v", acc)
	}
	left, right := get(first, "left", "id").(string), get(first, "right", "id").(string)
	c := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id mergeHistory { kind rule } } }`, map[string]any{"id": right}), "customer")
	if get(c, "id") != min(left, right) || len(get(c, "mergeHistory").([]any)) == 0 {
		t.Fatalf("after accept: %v", c)
	}
	// Reject another: a second run does not suggest it again.
	second := list[1].(map[string]any)
	s.ok(adminKey, `mutation($id: ID!) { rejectMatchSuggestion(id: $id, reason: "different people") { status } }`, map[string]any{"id": second["id"]})
	s.code(adminKey, `mutation($id: ID!) { acceptMatchSuggestion(id: $id) { status } }`, map[string]any{"id": second["id"]}, "CONFLICT")
	j = get(s.ok(adminKey, `mutation { startMatchJob(input: {dryRun: true}) { id } }`, nil), "startMatchJob").(map[string]any)
	s.waitMatchJob(j["id"].(string))
	for _, x := range get(s.ok(adminKey, `query { matchSuggestions(first: 50) { id } }`, nil), "matchSuggestions").([]any) {
		if get(x, "id") == second["id"] || get(x, "id") == first["id"] {
			t.Fatalf("decided pair suggested again: %v", x)
		}
	}

	// A real run with a low upper threshold merges the remaining pair automatically.
	j = get(s.ok(adminKey, `mutation { startMatchJob(input: {upperThreshold: 0.5, lowerThreshold: 0.3}) { id } }`, nil), "startMatchJob").(map[string]any)
	job = s.waitMatchJob(j["id"].(string))
	if job["status"] != "SUCCEEDED" || job["autoMerged"].(float64) < 1 {
		t.Fatalf("auto run: %v", job)
	}
	s.code(adminKey, `mutation { startMatchJob(input: {upperThreshold: 0.2, lowerThreshold: 0.5}) { id } }`, nil, "BAD_USER_INPUT")
	s.code(adminKey, `mutation { startMatchJob(input: {source: "nope"}) { id } }`, nil, "NOT_FOUND")
	s.code(s.newKey("AGENT"), `query { matchSuggestions { id } }`, nil, "FORBIDDEN")
}

// With MatchEvery set, new customers are matched against the rest without anyone
// starting a job, once a full job has run.
func TestScheduledIncrementalMatching(t *testing.T) {
	db := testdb.DB(t)
	a, err := app.New(context.Background(), db, app.Options{Log: testLog(), MatchEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Start(ctx)
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return nil }))
	defer hs.Close()
	s := &srv{t, hs.URL, a}
	s.ok(adminKey, shopSource, nil)
	s.ok(adminKey, `mutation { createSource(input: {name: "pos", kind: POINT_OF_SALE, identifierFields: [{field: "card", target: "loyalty_card"}]}) { name } }`, nil)
	people := matchPeople(60)
	var recs []any
	for i, p := range people {
		recs = append(recs, map[string]any{"externalId": fmt.Sprint(i), "payload": p})
	}
	first := get(s.ok(adminKey, ingestQ, map[string]any{"recs": recs}), "ingestRecords", "profileIds", 0).(string)
	time.Sleep(time.Second)
	if n := len(get(s.ok(adminKey, `query { matchJobs { id } }`, nil), "matchJobs").([]any)); n != 0 {
		t.Fatalf("%d jobs before any full job", n)
	}
	full := get(s.ok(adminKey, `mutation { startMatchJob { id } }`, nil), "startMatchJob", "id").(string)
	s.waitMatchJob(full)
	// A point-of-sale record of the first person, sharing no identifier.
	p := map[string]any{"card": "L-1"}
	for _, k := range []string{"firstName", "lastName", "birthDate", "address", "city", "postcode"} {
		p[k] = people[0][k]
	}
	pos := get(s.ok(adminKey, `mutation($recs: [RecordInput!]!) { ingestRecords(source: "pos", records: $recs) { profileIds } }`,
		map[string]any{"recs": []any{map[string]any{"externalId": "pos-1", "payload": p}}}), "ingestRecords", "profileIds", 0).(string)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := get(s.ok(adminKey, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": pos}), "customer", "id")
		if c == first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new record was not matched by a scheduled job: %v", get(s.ok(adminKey, `query { matchJobs { id status autoMerged suggested pairsCompared } }`, nil), "matchJobs"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
