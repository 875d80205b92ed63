package main

import "math"

// score accumulates top-k metrics over customers.
//
//   - hit rate@k: share of all customers scored whose top k holds at least one target;
//   - precision@k: mean over all customers scored of |top k ∩ target| / k (a shorter list
//     still divides by k);
//   - recall@k: mean of |top k ∩ target| / |target| over the customers with a target.
type score struct {
	k                int
	customers, withT int
	hits             int
	precSum, recSum  float64
	fromCoPurchase   int // list slots filled by co-purchase
	slots            int
}

func (s *score) add(top []string, coPurchase int, target map[string]bool) {
	s.customers++
	s.fromCoPurchase += coPurchase
	s.slots += len(top)
	if len(target) == 0 {
		return
	}
	s.withT++
	n := 0
	for _, p := range top[:min(len(top), s.k)] {
		if target[p] {
			n++
		}
	}
	if n > 0 {
		s.hits++
	}
	s.precSum += float64(n) / float64(s.k)
	s.recSum += float64(n) / float64(len(target))
}

func (s *score) hitRate() float64 { return ratio(float64(s.hits), s.customers) }

// halfWidth is the normal-approximation 95% interval half-width of the hit rate.
func (s *score) halfWidth() float64 {
	p := s.hitRate()
	return 1.96 * math.Sqrt(ratio(p*(1-p), s.customers))
}

func (s *score) precision() float64 { return ratio(s.precSum, s.customers) }
func (s *score) recall() float64    { return ratio(s.recSum, s.withT) }

func ratio(a float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return a / float64(n)
}
