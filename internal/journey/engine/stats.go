package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/journey"
)

// Stats counts a journey's versions from the positions in process (empty until they
// are loaded). vs are the versions to count, in the order given.
func (s *Service) Stats(journeyID string, vs []journey.Version) []journey.VersionStats {
	return s.StatsIn(journeyID, vs, time.Time{}, time.Time{})
}

// StatsIn is Stats counting only the runs entered in [from, to] (a zero time: no
// bound) and the visits of those runs.
func (s *Service) StatsIn(journeyID string, vs []journey.Version, from, to time.Time) []journey.VersionStats {
	s.init()
	out := make([]journey.VersionStats, len(vs))
	idx := map[int]int{}
	steps := make([]map[string]int, len(vs))
	for i, v := range vs {
		out[i].Version = v.N
		idx[v.N] = i
		steps[i] = map[string]int{}
		for k, st := range v.Def.Steps {
			out[i].Steps = append(out[i].Steps, journey.StepStats{Step: st.ID, Kind: st.Kind, Outcomes: map[string]int{}})
			steps[i][st.ID] = k
		}
	}
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := range e.byJourney[journeyID] {
		p := e.pos[id]
		counted := map[int]bool{} // runs entered in the period
		for _, r := range p.Runs {
			i, ok := idx[r.Version]
			if !ok || !from.IsZero() && r.EnteredAt.Before(from) || !to.IsZero() && r.EnteredAt.After(to) {
				continue
			}
			counted[r.N] = true
			c := &out[i]
			c.Entered++
			switch {
			case r.End == journey.Done:
				c.Done++
			case r.End == journey.Exited:
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
			if !ok || !counted[v.Run] {
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
		if p.Status == journey.Waiting && counted[p.Run] {
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
func (s *Service) Enrollments(journeyID string, first int, after string) (page []journey.Position, total int) {
	s.init()
	e := &s.eng
	e.mu.Lock()
	var all []*journey.Position
	for id := range e.byJourney[journeyID] {
		all = append(all, e.pos[id])
	}
	e.mu.Unlock()
	slices.SortFunc(all, func(a, b *journey.Position) int { return strings.Compare(a.ProfileID, b.ProfileID) })
	for _, p := range all {
		if p.ProfileID > after && len(page) < first {
			page = append(page, p.Clone())
		}
	}
	return page, len(all)
}

// CustomerPositions returns a customer's positions in every journey, journey ids in
// order.
func (s *Service) CustomerPositions(profileID string) []journey.Position {
	s.init()
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []journey.Position
	for _, id := range e.byProfile[profileID] {
		out = append(out, e.pos[id].Clone())
	}
	slices.SortFunc(out, func(a, b journey.Position) int { return strings.Compare(a.JourneyID, b.JourneyID) })
	return out
}

// KnownJourneys returns the journeys in process, newest first: no database read.
func (s *Service) KnownJourneys() []journey.Known {
	s.init()
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]journey.Known, 0, len(e.journeys))
	for _, st := range e.journeys {
		k := journey.Known{Journey: st.j}
		for _, v := range st.versions {
			k.Versions = append(k.Versions, *v)
		}
		slices.SortFunc(k.Versions, func(a, b journey.Version) int { return b.N - a.N })
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b journey.Known) int {
		if c := b.Journey.CreatedAt.Compare(a.Journey.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Journey.ID, b.Journey.ID)
	})
	return out
}

// renamed brings the in-process copy of a journey up to date after a change that
// moves no one (its name, a new draft).
func (s *Service) renamed(j journey.Journey) {
	s.init()
	e := &s.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.journeys[j.ID]; st != nil {
		st.j = j
	}
}
