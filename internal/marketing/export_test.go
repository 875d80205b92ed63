package marketing

import "time"

// Pause is pause, for the tests of the loop's policy.
func (s *Service) Pause(took time.Duration, requested, periodic bool) time.Duration {
	return s.pause(took, requested, periodic)
}
