package main

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	s := score{k: 4}
	s.add([]string{"a", "b", "c", "d"}, 4, map[string]bool{"b": true, "d": true, "z": true}) // 2 of 3
	s.add([]string{"a", "b"}, 1, map[string]bool{"x": true})                                 // miss
	s.add([]string{"a"}, 0, map[string]bool{})                                               // no target
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if !near(s.hitRate(), 1.0/3) || !near(s.precision(), (2.0/4)/3) || !near(s.recall(), (2.0/3)/2) {
		t.Fatalf("hr %v p %v r %v", s.hitRate(), s.precision(), s.recall())
	}
	if s.customers != 3 || s.withT != 2 || s.fromCoPurchase != 5 || s.slots != 7 {
		t.Fatalf("%+v", s)
	}
}
