package matching

import (
	"context"
	"math"
	"testing"
)

func TestThresholdClassification(t *testing.T) {
	th := Thresholds{Upper: 0.9, Lower: 0.5}
	for p, want := range map[float64]Decision{0.95: Auto, 0.9: Auto, 0.7: Review, 0.5: Review, 0.2: None} {
		if got := th.Classify(p); got != want {
			t.Errorf("Classify(%v) = %v, want %v", p, got, want)
		}
	}
	// A trained model on synthetic data: an obvious duplicate is auto-merged,
	// a stranger is none, with per-field evidence.
	recs, _ := synthPeople(3000, 0.2, 7)
	m, err := New(PersonConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Match(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	a := Person{ID: "a", FirstName: "Marnor", LastName: "Holberdi", BirthDate: "1970-03-04", Street: "kelin street", Suburb: "hacal", Postcode: "2000", State: "nsw", Phone: "0412345678"}
	b := a
	b.ID, b.FirstName, b.Phone = "b", "Marnro", "" // typo, missing phone
	d := Person{ID: "d", FirstName: "Zelny", LastName: "Quinrosgu", BirthDate: "1990-01-01", Postcode: "2000", State: "nsw"}
	for _, tc := range []struct {
		x, y Person
		want Decision
	}{{a, b, Auto}, {a, d, None}} {
		p, ev, err := m.Compare(tc.x.Record(), tc.y.Record())
		if err != nil {
			t.Fatal(err)
		}
		if p.Decision != tc.want {
			t.Errorf("%s~%s: decision %v (p=%.4f), want %v; evidence %+v", p.A, p.B, p.Decision, p.Prob, tc.want, ev)
		}
		if len(ev) != len(PersonConfig().Fields) {
			t.Fatalf("evidence has %d fields", len(ev))
		}
	}
	if len(res.Pairs) == 0 {
		t.Fatal("no pairs above the review threshold")
	}
	n := map[Decision]int{}
	for _, p := range res.Pairs {
		n[p.Decision]++
		if p.Decision != m.cfg.Classify(p.Prob) || p.Decision == None {
			t.Fatalf("pair %s~%s p=%v classified %v", p.A, p.B, p.Prob, p.Decision)
		}
	}
	t.Logf("auto %d, review %d of %d compared", n[Auto], n[Review], res.PairsCompared)
	ev := m.Explain(res.Pairs[0])
	sum := math.Log2(m.Model().Lambda / (1 - m.Model().Lambda))
	for _, e := range ev {
		sum += e.Weight
		if e.Level == "missing" && e.Weight != 0 {
			t.Errorf("missing field %s has weight %v", e.Field, e.Weight)
		}
	}
	if math.Abs(sum-res.Pairs[0].Weight) > 1e-9 {
		t.Errorf("evidence weights sum to %v, pair weight %v", sum, res.Pairs[0].Weight)
	}
	t.Logf("top pair %s~%s p=%.4f evidence %+v", res.Pairs[0].A, res.Pairs[0].B, res.Pairs[0].Prob, ev)
}
