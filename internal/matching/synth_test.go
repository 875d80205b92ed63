package matching

import (
	"fmt"
	"math/rand/v2"
)

// synthPeople generates n person records, a share dupRate of which are
// corrupted copies (typos, swapped or missing values) of earlier ones.
// truth maps record ID to the ID of its original. Deterministic per seed.
func synthPeople(n int, dupRate float64, seed uint64) (recs []Record, truth map[string]string) {
	rng := rand.New(rand.NewPCG(seed, 42))
	syl := []string{"an", "ber", "cal", "dor", "el", "fin", "gar", "hol", "is", "jen", "kar", "lin", "mar", "nor", "ol", "per",
		"quin", "ros", "sam", "tor", "ul", "ver", "wil", "xan", "yor", "zel", "ba", "ce", "di", "fo", "gu", "ha", "ke", "lo", "mu", "ny"}
	word := func(k int) string {
		s := ""
		for i := 0; i < k; i++ {
			s += syl[rng.IntN(len(syl))]
		}
		return s
	}
	states := []string{"nsw", "vic", "qld", "wa", "sa", "tas", "act", "nt"}
	typo := func(s string) string {
		if len(s) < 2 {
			return s
		}
		b := []byte(s)
		i := rng.IntN(len(b) - 1)
		switch rng.IntN(3) {
		case 0: // substitute
			b[i] = byte('a' + rng.IntN(26))
		case 1: // transpose
			b[i], b[i+1] = b[i+1], b[i]
		default: // delete
			b = append(b[:i], b[i+1:]...)
		}
		return string(b)
	}
	truth = map[string]string{}
	var people []Person
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("p%d", i)
		if len(people) > 0 && rng.Float64() < dupRate {
			o := people[rng.IntN(len(people))]
			p := o
			p.ID = id
			for k := 0; k < 1+rng.IntN(3); k++ { // 1-3 corruptions
				switch rng.IntN(7) {
				case 0:
					p.FirstName = typo(p.FirstName)
				case 1:
					p.LastName = typo(p.LastName)
				case 2:
					p.BirthDate = typo(p.BirthDate[:4] + p.BirthDate[5:]) // digit slip, loses the dashes
				case 3:
					p.Street = typo(p.Street)
				case 4:
					p.Postcode = ""
				case 5:
					p.Phone = ""
				default:
					p.FirstName, p.LastName = p.LastName, p.FirstName
				}
			}
			truth[id] = truth[o.ID]
			people = append(people, p)
			continue
		}
		p := Person{
			ID: id, FirstName: word(1 + rng.IntN(2)), LastName: word(2 + rng.IntN(2)),
			BirthDate:    fmt.Sprintf("%04d-%02d-%02d", 1930+rng.IntN(75), 1+rng.IntN(12), 1+rng.IntN(28)),
			StreetNumber: fmt.Sprint(1 + rng.IntN(300)), Street: word(2) + " street", Suburb: word(2),
			Postcode: fmt.Sprint(1000 + rng.IntN(9000)), State: states[rng.IntN(len(states))],
			Phone: fmt.Sprintf("04%08d", rng.IntN(100000000)),
		}
		truth[id] = id
		people = append(people, p)
	}
	for _, p := range people {
		recs = append(recs, p.Record())
	}
	return recs, truth
}
