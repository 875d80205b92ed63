package ingest

import (
	"fmt"
	"math/rand/v2"
)

// SynthRecord is one generated record for benchmarks and load tests.
type SynthRecord struct {
	Source string
	Input  Input
	Person int // the person it describes (ground truth)
}

// SynthSources are the three generated sources and their identifier fields.
var SynthSources = []Source{
	{Name: "webshop", Kind: "WEB_SHOP", Priority: 20, IdentifierFields: map[string]string{"email": "email", "customer_no": "customer_id", "phone": "phone"}},
	{Name: "newsletter", Kind: "NEWSLETTER", Priority: 10, IdentifierFields: map[string]string{"email": "email"}},
	{Name: "support", Kind: "SUPPORT_DESK", Priority: 15, IdentifierFields: map[string]string{"email": "email", "phone": "phone"}},
}

var firstNames = []string{"Ann", "Bob", "Cleo", "Dev", "Emma", "Finn", "Gita", "Hugo", "Ines", "Jon", "Kira", "Liam", "Mona", "Nils", "Olga", "Piet"}
var lastNames = []string{"Lee", "Smith", "Okafor", "Novak", "Garcia", "Müller", "Rossi", "Kowalski", "Haddad", "Tanaka", "Silva", "Brown"}

// Synthesize generates n records over the synthetic sources, deterministic for a seed.
// A fraction overlap of them describe a person already seen in another source, sharing
// an e-mail (newsletter, webshop) or e-mail and phone (support), so they must merge.
func Synthesize(n int, overlap float64, seed uint64) []SynthRecord {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]SynthRecord, 0, n)
	people := 0
	for i := range n {
		src := i % len(SynthSources)
		p := people
		if people > 0 && rng.Float64() < overlap {
			p = rng.IntN(people)
		} else {
			people++
		}
		email := fmt.Sprintf("person%d@example.org", p)
		payload := map[string]any{
			"firstName": firstNames[p%len(firstNames)], "lastName": lastNames[(p/16)%len(lastNames)],
			"email": email,
		}
		switch SynthSources[src].Name {
		case "webshop":
			payload["customer_no"] = fmt.Sprintf("W%07d", p)
			payload["city"] = "Leeds"
			payload["phone"] = fmt.Sprintf("+4479%08d", p)
		case "support":
			// Support desks often have a work address: e-mail alone would not link it;
			// the phone does once a webshop record carries both.
			payload["phone"] = fmt.Sprintf("+4479%08d", p)
			if p%3 == 0 {
				payload["email"] = fmt.Sprintf("person%d@work.example.org", p)
			}
		case "newsletter":
			payload["locale"] = "en-GB"
		}
		out = append(out, SynthRecord{Source: SynthSources[src].Name, Person: p,
			Input: Input{ExternalID: fmt.Sprintf("r%d", i), Payload: payload}})
	}
	return out
}
