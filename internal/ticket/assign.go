package ticket

import "fmt"

// NextAgent picks the next available agent of group after lastAssigned, in
// group.AgentIDs order, wrapping around. The only state is lastAssigned — a
// plain agent id the Store persists per group — so rotation survives
// restarts. Skipping unavailable agents without moving the cursor past them
// permanently keeps the rotation fair: every available agent gets one ticket
// per round. If lastAssigned is no longer in the group the rotation restarts
// at the first member. Agents missing from agents count as unavailable.
func NextAgent(group Group, agents map[string]Agent, lastAssigned string) (string, error) {
	n := len(group.AgentIDs)
	last := -1
	for i, id := range group.AgentIDs {
		if id == lastAssigned {
			last = i
			break
		}
	}
	for step := 1; step <= n; step++ {
		id := group.AgentIDs[(last+step+n)%n]
		if a, ok := agents[id]; ok && a.Available {
			return id, nil
		}
	}
	return "", fmt.Errorf("group %q: %w", group.ID, ErrNoAgentAvailable)
}
