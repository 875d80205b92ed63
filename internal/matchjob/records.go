package matchjob

import (
	"context"
	"strings"
	"unicode"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Record maps a profile to the matcher's person fields: names, birth date, the first
// address (a leading house number of line 1 becomes the street number; city is the
// suburb, region the state), the first phone and the first e-mail.
func Record(p profile.Profile) matching.Record {
	t := p.Traits
	f := map[string]string{
		matching.FFirstName: t.FirstName,
		matching.FLastName:  t.LastName,
		matching.FBirthDate: t.BirthDate,
	}
	if len(t.Addresses) > 0 {
		a := t.Addresses[0]
		f[matching.FStreetNumber], f[matching.FStreet] = splitHouseNumber(a.Line1)
		f[matching.FStreet2] = a.Line2
		f[matching.FSuburb] = a.City
		f[matching.FPostcode] = a.Postcode
		f[matching.FState] = a.Region
	}
	if len(t.Phones) > 0 {
		f[matching.FPhone] = t.Phones[0]
	}
	if len(t.Emails) > 0 {
		f[matching.FEmail] = t.Emails[0]
	}
	return matching.Record{ID: p.ID, Fields: f}
}

// splitHouseNumber splits "12a High Street" into "12a" and "High Street"; a line
// whose first word has no digit is all street.
func splitHouseNumber(line string) (number, street string) {
	line = strings.TrimSpace(line)
	first, rest, _ := strings.Cut(line, " ")
	first = strings.TrimRight(first, ",")
	if strings.IndexFunc(first, unicode.IsDigit) >= 0 && strings.TrimSpace(rest) != "" {
		return first, strings.TrimSpace(rest)
	}
	return "", line
}

// scored is a pair at or above the lower threshold, A and B being profile ids.
type scored struct {
	A, B     string
	Prob     float64
	Weight   float64
	Decision matching.Decision
	Evidence []matching.Evidence
}

// normalize is the matcher's per-kind normalisation (internal to package matching),
// needed here to compute the same blocking keys.
func normalize(k matching.Kind, s string) string {
	switch k {
	case matching.KindName:
		return matching.NormalizeName(s)
	case matching.KindDate:
		return matching.NormalizeDate(s)
	case matching.KindCode:
		return matching.NormalizeCode(s)
	case matching.KindEmail:
		return matching.NormalizeEmail(s)
	default:
		return matching.NormalizeText(s)
	}
}

func blockKey(rule matching.BlockingRule, vals map[string]string) string {
	var b strings.Builder
	for n, p := range rule.Parts {
		v := vals[p.Field]
		if p.Transform != nil && v != "" {
			v = p.Transform(v)
		}
		if v == "" {
			return ""
		}
		if n > 0 {
			b.WriteByte(0)
		}
		b.WriteString(v)
	}
	return b.String()
}

// focusedPairs compares every focus record with each record sharing a blocking key
// with it (the matcher's rules and block size limit), each pair once, scoring with the
// matcher's model. It returns the pairs at or above the lower threshold and the number
// of pairs compared.
func focusedPairs(ctx context.Context, m *matching.Matcher, cfg matching.Config, recs []matching.Record, focus map[string]bool, progress func(done, total int)) ([]scored, int, error) {
	maxBlock := cfg.MaxBlockSize
	if maxBlock == 0 {
		maxBlock = 1000
	}
	kinds := map[string]matching.Kind{}
	for _, f := range cfg.Fields {
		kinds[f.Name] = f.Kind
	}
	keys := make([][]string, len(recs)) // per record and rule
	blocks := make([]map[string][]int32, len(cfg.Blocking))
	for k := range blocks {
		blocks[k] = map[string][]int32{}
	}
	for i, r := range recs {
		vals := make(map[string]string, len(kinds))
		for name, kind := range kinds {
			vals[name] = normalize(kind, r.Fields[name])
		}
		keys[i] = make([]string, len(cfg.Blocking))
		for k, rule := range cfg.Blocking {
			key := blockKey(rule, vals)
			keys[i][k] = key
			if key != "" {
				blocks[k][key] = append(blocks[k][key], int32(i))
			}
		}
	}
	seen := map[[2]int32]bool{}
	var cands [][2]int32
	for i, r := range recs {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		if !focus[r.ID] {
			continue
		}
		for k, key := range keys[i] {
			members := blocks[k][key]
			if key == "" || len(members) > maxBlock {
				continue
			}
			for _, j := range members {
				if int(j) == i {
					continue
				}
				pr := [2]int32{min(int32(i), j), max(int32(i), j)}
				if !seen[pr] {
					seen[pr] = true
					cands = append(cands, pr)
				}
			}
		}
	}
	var out []scored
	for n, c := range cands {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			progress(n, len(cands))
		}
		p, ev, err := m.Compare(recs[c[0]], recs[c[1]])
		if err != nil {
			return nil, 0, err
		}
		if p.Decision != matching.None {
			out = append(out, scored{A: p.A, B: p.B, Prob: p.Prob, Weight: p.Weight, Decision: p.Decision, Evidence: ev})
		}
	}
	progress(len(cands), len(cands))
	return out, len(cands), nil
}

// evidence keeps the fields with a value on either side, oriented so that A is the
// profile a (the pair may have been scored the other way round).
func evidence(ev []matching.Evidence, swapped bool) []Evidence {
	out := make([]Evidence, 0, len(ev))
	for _, e := range ev {
		if e.A == "" && e.B == "" {
			continue
		}
		x := Evidence{Field: e.Field, A: e.A, B: e.B, Level: e.Level, Weight: e.Weight}
		if swapped {
			x.A, x.B = x.B, x.A
		}
		out = append(out, x)
	}
	return out
}
