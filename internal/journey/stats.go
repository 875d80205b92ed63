package journey

import (
	"slices"
	"strings"
)

// StepStats counts one step of one version: visits that reached it, visits that left
// it, and customers waiting at it now; Outcomes counts the ways out (yes/no, arms, sent
// or why not).
type StepStats struct {
	Step      string
	Kind      StepKind
	Entered   int
	Completed int
	Waiting   int
	Outcomes  map[string]int
}

// VersionStats counts the runs of one version. Converted counts runs that reached the
// goal; HoldoutRuns and HoldoutConverted the same for the holdout arm of a split.
type VersionStats struct {
	Version          int
	Entered          int
	InProgress       int
	Done             int
	Exited           int
	Converted        int
	HoldoutRuns      int
	HoldoutConverted int
	Steps            []StepStats
}

// Stats counts a journey's versions from the positions in process (empty until they
// are loaded). vs are the versions to count, in the order given.
func (s *Service) Stats(journeyID string, vs []Version) []VersionStats {
	s.init()
	out := make([]VersionStats, len(vs))
	idx := map[int]int{}
	steps := make([]map[string]int, len(vs))
	for i, v := range vs {
		out[i].Version = v.N
		idx[v.N] = i
		steps[i] = map[string]int{}
		for k, st := range v.Def.Steps {
			out[i].Steps = append(out[i].Steps, StepStats{Step: st.ID, Kind: st.Kind, Outcomes: map[string]int{}})
			steps[i][st.ID] = k
		}
	}
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := range e.byJourney[journeyID] {
		p := e.pos[id]
		for _, r := range p.Runs {
			i, ok := idx[r.Version]
			if !ok {
				continue
			}
			c := &out[i]
			c.Entered++
			switch {
			case r.End == Done:
				c.Done++
			case r.End == Exited:
				c.Exited++
			default:
				c.InProgress++
			}
			conv := !r.ConvertedAt.IsZero()
			if r.Holdout {
				c.HoldoutRuns++
				if conv {
					c.HoldoutConverted++
				}
			} else if conv {
				c.Converted++
			}
		}
		for _, v := range p.Visits {
			i, ok := idx[v.Version]
			if !ok {
				continue
			}
			k, ok := steps[i][v.Step]
			if !ok {
				continue
			}
			st := &out[i].Steps[k]
			st.Entered++
			if !v.LeftAt.IsZero() {
				st.Completed++
				st.Outcomes[outcomeKey(v.Outcome)]++
			}
		}
		if p.Status == Waiting {
			if i, ok := idx[p.Version]; ok {
				if k, ok := steps[i][p.Step]; ok {
					out[i].Steps[k].Waiting++
				}
			}
		}
	}
	return out
}

// outcomeKey groups outcomes that carry an identifier ("event <id>", "ticket <id>").
func outcomeKey(o string) string {
	for _, p := range []string{"event ", "ticket ", "failed after", "not sent: rejected"} {
		if strings.HasPrefix(o, p) {
			return strings.TrimSpace(p)
		}
	}
	return o
}

// Enrollments pages a journey's positions in customer id order after the customer id
// after (from the positions in process).
func (s *Service) Enrollments(journeyID string, first int, after string) (page []Position, total int) {
	s.init()
	e := &s.eng
	e.mu.Lock()
	var all []*Position
	for id := range e.byJourney[journeyID] {
		all = append(all, e.pos[id])
	}
	e.mu.Unlock()
	slices.SortFunc(all, func(a, b *Position) int { return strings.Compare(a.ProfileID, b.ProfileID) })
	for _, p := range all {
		if p.ProfileID > after && len(page) < first {
			page = append(page, p.Clone())
		}
	}
	return page, len(all)
}

// CustomerPositions returns a customer's positions in every journey, journey ids in
// order.
func (s *Service) CustomerPositions(profileID string) []Position {
	s.init()
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Position
	for _, id := range e.byProfile[profileID] {
		out = append(out, e.pos[id].Clone())
	}
	slices.SortFunc(out, func(a, b Position) int { return strings.Compare(a.JourneyID, b.JourneyID) })
	return out
}
