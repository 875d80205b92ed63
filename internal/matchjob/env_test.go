package matchjob_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/store/matchstore"
	"github.com/tessera-cdp/tessera/internal/store/privacystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

type env struct {
	st  *identitystore.Store
	eng *identity.Engine
	in  *ingest.Service
	svc *matchjob.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := identitystore.New(testdb.DB(t), testdb.Backend(t))
	eng := identity.NewEngine(st)
	in := ingest.NewService(st, eng, normalize.Default())
	for i, name := range []string{"shop", "crm", "news"} {
		if _, err := in.CreateSource(context.Background(), ingest.Source{Name: name, Kind: "OTHER", Priority: i * 10,
			IdentifierFields: map[string]string{"email": "email", "phone": "phone", "cid": "customer_id"}}); err != nil {
			t.Fatal(err)
		}
	}
	svc := matchjob.New(matchstore.New(st.DB, testdb.Backend(t), st, privacystore.New(st.DB, testdb.Backend(t), st)), eng)
	svc.ProgressInterval = 20 * time.Millisecond
	return &env{st, eng, in, svc}
}

func (e *env) ingest(t *testing.T, src string, recs ...map[string]any) ingest.Result {
	t.Helper()
	var in []ingest.Input
	for _, r := range recs {
		in = append(in, ingest.Input{ExternalID: fmt.Sprint(r["id"]), Payload: r})
	}
	res, err := e.in.Ingest(context.Background(), src, in, "")
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

var (
	firsts = []string{"Amelia", "Benedict", "Clara", "Dominik", "Elena", "Florian", "Greta", "Henrik", "Isabel", "Jonas", "Katrin", "Lukas", "Marta", "Niklas", "Olivia", "Pavel", "Quentin", "Rosa", "Stefan", "Theresa", "Ulrich", "Valerie", "Wilhelm", "Xenia", "Yusuf", "Zora", "Anton", "Bettina", "Carsten", "Doris",
		"Edgar", "Fatima", "Gunnar", "Hannah", "Igor", "Jasmin", "Konrad", "Leonie", "Malte", "Nadia", "Oskar", "Petra", "Rafael", "Sabine", "Tobias", "Ursula",
		"Viktor", "Wanda", "Yvonne", "Zacharias", "Agnes", "Bruno", "Cecilia", "Dario", "Emil", "Frieda"}
	lasts   = []string{"Albrecht", "Brandt", "Castellano", "Dietrich", "Eriksen", "Fischbach", "Gallagher", "Hoffmann", "Iversen", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Oyelaran", "Petrakis", "Quintero", "Rasmussen", "Schuster", "Thorvald", "Underwood", "Vasquez", "Wojcik", "Yamamoto", "Zimmermann", "Abernathy", "Bergstrom", "Chakraborty", "Delacroix", "Ellingsen"}
	streets = []string{"Acacia Avenue", "Birch Road", "Canal Street", "Dover Lane", "Elm Grove", "Fairfax Road", "Glebe Street", "Harbour View", "Ivy Close", "Juniper Way", "Kings Road", "Larch Drive", "Mill Lane", "Newton Street", "Orchard Rise", "Priory Road", "Queens Walk", "Rectory Lane", "Station Road", "Tannery Row"}
	cities  = []struct{ city, postcode, region string }{
		{"Leeds", "LS1 4AP", "West Yorkshire"}, {"York", "YO1 7HH", "North Yorkshire"}, {"Bath", "BA1 1SU", "Somerset"},
		{"Derby", "DE1 2FS", "Derbyshire"}, {"Exeter", "EX1 1HS", "Devon"}, {"Lincoln", "LN1 3AA", "Lincolnshire"},
		{"Durham", "DH1 3HP", "County Durham"}, {"Chester", "CH1 2HU", "Cheshire"}, {"Norwich", "NR2 1NH", "Norfolk"},
		{"Oxford", "OX1 3BG", "Oxfordshire"}, {"Carlisle", "CA3 8JE", "Cumbria"}, {"Truro", "TR1 2LL", "Cornwall"},
	}
)

// prefixes make last names as diverse as real ones: two strangers rarely share one.
var prefixes = []string{"", "Mc", "Van ", "O'", "De ", "Al-", "Ben", "Fitz", "St ", "La ", "Di ", "Von "}

type person struct {
	first, last, birth, line1, city, postcode, region string
}

func (p person) payload(id, email string) map[string]any {
	m := map[string]any{"id": id, "email": email}
	for k, v := range map[string]string{"firstName": p.first, "lastName": p.last, "birthDate": p.birth, "address": p.line1,
		"city": p.city, "postcode": p.postcode, "region": p.region} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

type population struct {
	people  []person
	shop    []string          // profile of shop record i
	label   map[string]string // profile id -> what it is (tests' messages)
	typo    map[string]string // profile of a crm near-copy -> profile of its original (auto merge)
	weak    map[string]string // crm record with name and city only -> original (review)
	strange []string          // profiles of crm strangers (nothing)
	// conflict: shop profile with customer id C-12 and its crm near-copy with C-999.
	conflict [2]string
	// shopDup: shop profile 13 and a near-copy also from shop (another e-mail).
	shopDup [2]string
	// z: an older profile known by a phone only, which a later record can bridge to a
	// crm profile.
	z string
}

func randomPerson(rng *rand.Rand) person {
	c := cities[rng.IntN(len(cities))]
	// Postcodes as diverse as real ones: the city's district, a random sector and unit.
	pc := fmt.Sprintf("%s%d %d%c%c", c.postcode[:2], 1+rng.IntN(20), rng.IntN(10), 'A'+rng.IntN(26), 'A'+rng.IntN(26))
	return person{first: firsts[rng.IntN(len(firsts))], last: prefixes[rng.IntN(len(prefixes))] + lasts[rng.IntN(len(lasts))],
		birth: fmt.Sprintf("%d-%02d-%02d", 1940+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28)),
		line1: fmt.Sprintf("%d %s %s", 1+rng.IntN(180), lasts[rng.IntN(len(lasts))], streets[rng.IntN(len(streets))]), city: c.city, postcode: pc, region: c.region}
}

// zPhone is the phone of population.z.
const zPhone = "+447911123456"

// Sizes of the generated population's groups.
const (
	nTypo     = 6  // crm copies with a typo in the first name: auto merge
	nWeak     = 6  // crm records with the same name and city only: suggestion
	nStranger = 20 // crm records of other people: nothing
)

// population ingests n people from "shop", each with an own e-mail, then from "crm"
// records that share no identifier with them: near-copies, weak look-alikes and
// strangers.
func (e *env) population(t *testing.T, n int) *population {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 7))
	pop := &population{label: map[string]string{}, typo: map[string]string{}, weak: map[string]string{}}
	var recs []map[string]any
	const conflictIdx, dupIdx = nTypo + nWeak, nTypo + nWeak + 1
	for i := range n {
		p := randomPerson(rng)
		pop.people = append(pop.people, p)
		recs = append(recs, p.payload(fmt.Sprint(i), fmt.Sprintf("p%d@shop.example", i)))
	}
	recs[conflictIdx]["cid"] = "C-12"
	pop.shop = e.ingest(t, "shop", recs...).ProfileIDs
	for i, id := range pop.shop {
		pop.label[id] = fmt.Sprint("shop:", i)
	}
	dup := pop.people[dupIdx]
	dup.first = dup.first[:2] + dup.first[3:]
	pop.shopDup = [2]string{pop.shop[dupIdx], e.ingest(t, "shop", dup.payload("dup", "dup@shop.example")).ProfileIDs[0]}
	pop.label[pop.shopDup[1]] = "shop:dup"
	pop.z = e.ingest(t, "news", map[string]any{"id": "z", "phone": zPhone}).ProfileIDs[0]
	pop.label[pop.z] = "news:z"
	var vs []map[string]any
	var of []int
	for i := range nTypo {
		p := pop.people[i]
		p.first = p.first[:2] + p.first[3:]
		vs, of = append(vs, p.payload(fmt.Sprint("typo", i), fmt.Sprintf("typo%d@crm.example", i))), append(of, i)
	}
	for i := nTypo; i < nTypo+nWeak; i++ {
		p := pop.people[i]
		p.birth, p.line1, p.postcode, p.region = "", "", "", ""
		vs, of = append(vs, p.payload(fmt.Sprint("weak", i), fmt.Sprintf("weak%d@crm.example", i))), append(of, i)
	}
	for i := range nStranger {
		vs, of = append(vs, randomPerson(rng).payload(fmt.Sprint("stranger", i), fmt.Sprintf("stranger%d@crm.example", i))), append(of, -1)
	}
	c := pop.people[conflictIdx]
	c.first = c.first[:2] + c.first[3:]
	cp := c.payload("conflict", "conflict@crm.example")
	cp["cid"] = "C-999"
	vs, of = append(vs, cp), append(of, -2)
	res := e.ingest(t, "crm", vs...)
	for k, id := range res.ProfileIDs {
		pop.label[id] = fmt.Sprint("crm:", vs[k]["id"])
		switch i := of[k]; {
		case i == -2:
			pop.conflict = [2]string{pop.shop[conflictIdx], id}
		case i < 0:
			pop.strange = append(pop.strange, id)
		case i < nTypo:
			pop.typo[id] = pop.shop[i]
		default:
			pop.weak[id] = pop.shop[i]
		}
	}
	return pop
}
