package survey

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The NPS trend matches an independent computation over the final answers, whether an
// answer was read by the start-up build, heard during it (one the build also read, or
// one changed meanwhile) or heard after it.
func TestTrendMatchesIndependentComputation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	type ans struct {
		at    time.Time
		score int
	}
	final := map[string]ans{}
	a := newAggregate()
	var stored []Send
	var after []func()
	for i := range 3000 {
		id := fmt.Sprint("s", i)
		at := start.Add(time.Duration(r.IntN(400*24)) * time.Hour)
		score := r.IntN(11)
		switch r.IntN(4) {
		case 0: // stored before the build
			stored = append(stored, Send{ID: id, Kind: NPS, Answer: &Answer{Score: score, At: at}})
		case 1: // heard during the build, which reads it as well
			stored = append(stored, Send{ID: id, Kind: NPS, Answer: &Answer{Score: score, At: at}})
			a.answered(id, at, score)
		case 2: // heard during the build, then changed
			a.answered(id, at, score)
			score = r.IntN(11)
			a.answered(id, at, score)
		default: // stored and read by the build, heard after it, then changed
			stored = append(stored, Send{ID: id, Kind: NPS, Answer: &Answer{Score: score, At: at}})
			old, s2 := score, r.IntN(11)
			after = append(after, func() { a.answered(id, at, old); a.answered(id, at, s2) })
			score = s2
		}
		final[id] = ans{at, score}
	}
	a.load(stored)
	a.load(stored) // a second build adds nothing
	for _, f := range after {
		f()
	}
	tr := a.trend(Month, start, start.AddDate(0, 14, -1))
	if !tr.Ready || len(tr.Periods) != 14 {
		t.Fatalf("periods: %d ready %v", len(tr.Periods), tr.Ready)
	}
	total := 0
	for _, p := range tr.Periods {
		var pro, pas, det int
		for _, x := range final {
			if x.at.Year() == p.Start.Year() && x.at.Month() == p.Start.Month() {
				switch {
				case x.score >= 9:
					pro++
				case x.score >= 7:
					pas++
				default:
					det++
				}
			}
		}
		n := pro + pas + det
		total += n
		if p.Responses != n || p.Promoters != pro || p.Passives != pas || p.Detractors != det {
			t.Fatalf("%s: got %+v, want %d/%d/%d", p.Start.Format("2006-01"), p, pro, pas, det)
		}
		want := 100*float64(pro)/float64(n) - 100*float64(det)/float64(n)
		if n > 0 && (p.NPS == nil || math.Abs(*p.NPS-want) > 1e-9) {
			t.Fatalf("%s: nps %v, want %v", p.Start.Format("2006-01"), *p.NPS, want)
		}
	}
	if total != len(final) || tr.Total.Responses != total {
		t.Fatalf("total %d (%d), want %d", total, tr.Total.Responses, len(final))
	}
	// Weeks start on Monday.
	w := a.trend(Week, time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC))
	if w.Periods[0].Start != time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC) || len(w.Periods) != 3 {
		t.Fatalf("weeks: %+v", w.Periods)
	}
}

func TestTokens(t *testing.T) {
	s := signer{key: []byte("k")}
	tok := s.Token("nps|order_delivered|shop:1")
	if id, ok := s.Open(tok); !ok || id != "nps|order_delivered|shop:1" {
		t.Fatalf("open: %q %v", id, ok)
	}
	if _, ok := (signer{key: []byte("other")}).Open(tok); ok {
		t.Fatal("a token of another key opens")
	}
	if _, ok := s.Open(tok[:len(tok)-2] + "AA"); ok {
		t.Fatal("a changed token opens")
	}
	if Category(9) != Promoter || Category(8) != Passive || Category(6) != Detractor {
		t.Fatal("categories")
	}
}
