package ticket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AdminStore is what the Service needs besides Store for the help desk's configuration
// (agents, groups, SLA policies, macros), its listings and its reports.
type AdminStore interface {
	CreateAgent(ctx context.Context, a Agent) (Agent, error)
	SetAgentAvailable(ctx context.Context, id string, available bool) (Agent, error)
	ListAgents(ctx context.Context) ([]Agent, error)
	CreateGroup(ctx context.Context, g Group) (Group, error)
	ListGroups(ctx context.Context) ([]Group, error)
	PutSLAPolicy(ctx context.Context, p SLAPolicy) error
	ListSLAPolicies(ctx context.Context) ([]SLAPolicy, error)
	CreateMacro(ctx context.Context, m Macro) error
	ListMacros(ctx context.Context) ([]Macro, error)
	// TicketsForAttainment returns the tickets whose SLA targets may have settled in
	// [from, to); TicketsRatedBetween those rated in [from, to).
	TicketsForAttainment(ctx context.Context, from, to time.Time) ([]Ticket, error)
	TicketsRatedBetween(ctx context.Context, from, to time.Time) ([]Ticket, error)
	// TicketCursor is the cursor after t in a listing of order o.
	TicketCursor(t Ticket, o Order) string
}

// RequesterTickets reads the tickets of a batch of requesters at once, at most
// perProfile each (the per-customer ticket lists of a request share one read).
type RequesterTickets interface {
	TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]Ticket, error)
}

// Requesters turns the requester of a new ticket into a profile id; the customer
// domain implements it.
type Requesters interface {
	// RequesterByID checks the profile exists and returns its current (surviving) id.
	RequesterByID(ctx context.Context, id string) (string, error)
	// RequesterByEmail returns the profile that owns the e-mail, or creates one.
	RequesterByEmail(ctx context.Context, email string) (string, error)
}

// APIKey is what the help desk needs to know of the API key an agent is registered
// with: an agent's id is its key's id.
type APIKey struct {
	ID      string
	Role    string // lower case: admin, agent, analyst, ingest
	Revoked bool
}

// Keys looks up API keys; the auth domain implements it.
type Keys interface {
	// APIKey returns the key with this id; found is false if there is none.
	APIKey(ctx context.Context, id string) (k APIKey, found bool, err error)
}

// invalidf is an ErrInvalidInput whose message (after "invalid input: ") is the
// formatted text.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}

// AgentDraft registers an API key as an agent.
type AgentDraft struct {
	KeyID     string
	Name      string
	Email     string
	Available bool
}

// CreateAgent registers an agent: its key must exist, be an AGENT or ADMIN key and
// not be revoked.
func (s *Service) CreateAgent(ctx context.Context, d AgentDraft) (Agent, error) {
	name, email := strings.TrimSpace(d.Name), strings.TrimSpace(d.Email)
	if name == "" || len(name) > 100 || email == "" || len(email) > 254 {
		return Agent{}, invalidf("an agent needs a name (1-100 characters) and an e-mail")
	}
	if s.Keys == nil {
		return Agent{}, errors.New("ticket: Service.Keys is not set")
	}
	k, found, err := s.Keys.APIKey(ctx, d.KeyID)
	switch {
	case err != nil:
		return Agent{}, err
	case !found:
		return Agent{}, invalidf("API key %q not found", d.KeyID)
	case k.Role != "agent" && k.Role != "admin":
		return Agent{}, invalidf("an agent needs an AGENT or ADMIN key, not %s", strings.ToUpper(k.Role))
	case k.Revoked:
		return Agent{}, invalidf("API key %q is revoked", d.KeyID)
	}
	return s.Admin.CreateAgent(ctx, Agent{ID: d.KeyID, Name: name, Email: email, Available: d.Available})
}

// SetAgentAvailable takes an agent in or out of round-robin assignment.
func (s *Service) SetAgentAvailable(ctx context.Context, id string, available bool) (Agent, error) {
	return s.Admin.SetAgentAvailable(ctx, id, available)
}

// Agents lists the agents.
func (s *Service) Agents(ctx context.Context) ([]Agent, error) { return s.Admin.ListAgents(ctx) }

// CreateGroup creates a group; agentIDs is its round-robin order.
func (s *Service) CreateGroup(ctx context.Context, name string, agentIDs []string) (Group, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || len(agentIDs) > 500 {
		return Group{}, invalidf("a group needs a name of 1 to 100 characters and at most 500 agents")
	}
	return s.Admin.CreateGroup(ctx, Group{ID: s.newID(), Name: name, AgentIDs: slices.Compact(agentIDs)})
}

// Groups lists the groups.
func (s *Service) Groups(ctx context.Context) ([]Group, error) { return s.Admin.ListGroups(ctx) }

// SetSLAPolicy validates a policy and creates or replaces the policy of its priority.
func (s *Service) SetSLAPolicy(ctx context.Context, in SLAPolicyInput) (SLAPolicy, error) {
	p, err := ParseSLAPolicy(in)
	if err != nil {
		return SLAPolicy{}, err
	}
	if err := s.Admin.PutSLAPolicy(ctx, p); err != nil {
		return SLAPolicy{}, err
	}
	return p, nil
}

// SLAPolicies lists the policies.
func (s *Service) SLAPolicies(ctx context.Context) ([]SLAPolicy, error) {
	return s.Admin.ListSLAPolicies(ctx)
}

// CreateMacro saves a new macro (its ID is assigned here) after normalising its tags
// and checking it could apply cleanly (ValidateMacro).
func (s *Service) CreateMacro(ctx context.Context, m Macro) (Macro, error) {
	m.ID, m.Name = s.newID(), strings.TrimSpace(m.Name)
	if len(m.AddTags) > 0 {
		tags, err := NormalizeTags(m.AddTags)
		if err != nil {
			return Macro{}, err
		}
		m.AddTags = tags
	}
	if err := ValidateMacro(m); err != nil {
		return Macro{}, err
	}
	if err := s.Admin.CreateMacro(ctx, m); err != nil {
		return Macro{}, err
	}
	return m, nil
}

// Macros lists the macros.
func (s *Service) Macros(ctx context.Context) ([]Macro, error) { return s.Admin.ListMacros(ctx) }
