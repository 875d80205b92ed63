// Package admin is the help desk's configuration: the agents (API keys registered as
// agents), the groups they are assigned in, the SLA policy of each priority and the
// macros, each checked before it is stored.
package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// Store keeps the configuration; the ticket store implements it.
type Store interface {
	CreateAgent(ctx context.Context, a ticket.Agent) (ticket.Agent, error)
	SetAgentAvailable(ctx context.Context, id string, available bool) (ticket.Agent, error)
	ListAgents(ctx context.Context) ([]ticket.Agent, error)
	CreateGroup(ctx context.Context, g ticket.Group) (ticket.Group, error)
	ListGroups(ctx context.Context) ([]ticket.Group, error)
	PutSLAPolicy(ctx context.Context, p ticket.SLAPolicy) error
	ListSLAPolicies(ctx context.Context) ([]ticket.SLAPolicy, error)
	CreateMacro(ctx context.Context, m ticket.Macro) error
	ListMacros(ctx context.Context) ([]ticket.Macro, error)
	EditStore
}

// Service changes and lists the configuration.
type Service struct {
	Store Store
	// Keys shows the API keys agents are registered with (CreateAgent).
	Keys  Keys
	NewID func() string // default random 26-char base32
	// Tickets unassigns the tickets of a deleted agent (DeleteAgent).
	Tickets Tickets
	// Mailboxes tells which support mailboxes route to a group (DeleteGroup); nil: none.
	Mailboxes Mailboxes
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return rand.Text()
}

// invalid is a ticket.ValidationError (an ErrInvalidInput) on field.
func invalid(field, format string, args ...any) error {
	return &ticket.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// invalidf is a ticket.ErrInvalidInput whose message (after "invalid input: ") is the
// formatted text.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ticket.ErrInvalidInput}, args...)...)
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

// AgentDraft registers an API key as an agent.
type AgentDraft struct {
	KeyID     string
	Name      string
	Email     string
	Available bool
}

// CreateAgent registers an agent: its key must exist, be an AGENT or ADMIN key and
// not be revoked.
func (s *Service) CreateAgent(ctx context.Context, d AgentDraft) (ticket.Agent, error) {
	name, email, err := agentContact(d.Name, d.Email)
	if err != nil {
		return ticket.Agent{}, err
	}
	if s.Keys == nil {
		return ticket.Agent{}, errors.New("admin: Service.Keys is not set")
	}
	k, found, err := s.Keys.APIKey(ctx, d.KeyID)
	switch {
	case err != nil:
		return ticket.Agent{}, err
	case !found:
		return ticket.Agent{}, invalidf("API key %q not found", d.KeyID)
	case k.Role != "agent" && k.Role != "admin":
		return ticket.Agent{}, invalidf("an agent needs an AGENT or ADMIN key, not %s", strings.ToUpper(k.Role))
	case k.Revoked:
		return ticket.Agent{}, invalidf("API key %q is revoked", d.KeyID)
	}
	return s.Store.CreateAgent(ctx, ticket.Agent{ID: d.KeyID, Name: name, Email: email, Available: d.Available})
}

// agentContact trims and checks an agent's name and e-mail (create and update).
func agentContact(name, email string) (string, string, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if name == "" || len(name) > 100 || email == "" || len(email) > 254 {
		return "", "", invalidf("an agent needs a name (1-100 characters) and an e-mail")
	}
	return name, email, nil
}

// SetAgentAvailable takes an agent in or out of round-robin assignment.
func (s *Service) SetAgentAvailable(ctx context.Context, id string, available bool) (ticket.Agent, error) {
	return s.Store.SetAgentAvailable(ctx, id, available)
}

// Agents lists the agents.
func (s *Service) Agents(ctx context.Context) ([]ticket.Agent, error) { return s.Store.ListAgents(ctx) }

// CreateGroup creates a group; agentIDs is its round-robin order.
func (s *Service) CreateGroup(ctx context.Context, name string, agentIDs []string) (ticket.Group, error) {
	g, err := groupOf(s.newID(), name, agentIDs)
	if err != nil {
		return ticket.Group{}, err
	}
	return s.Store.CreateGroup(ctx, g)
}

// groupOf checks a group's name and agent list (create and update).
func groupOf(id, name string, agentIDs []string) (ticket.Group, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || len(agentIDs) > 500 {
		return ticket.Group{}, invalidf("a group needs a name of 1 to 100 characters and at most 500 agents")
	}
	return ticket.Group{ID: id, Name: name, AgentIDs: slices.Compact(agentIDs)}, nil
}

// Groups lists the groups.
func (s *Service) Groups(ctx context.Context) ([]ticket.Group, error) { return s.Store.ListGroups(ctx) }

// SetSLAPolicy validates a policy and creates or replaces the policy of its priority.
func (s *Service) SetSLAPolicy(ctx context.Context, in SLAPolicyInput) (ticket.SLAPolicy, error) {
	p, err := ParseSLAPolicy(in)
	if err != nil {
		return ticket.SLAPolicy{}, err
	}
	if err := s.Store.PutSLAPolicy(ctx, p); err != nil {
		return ticket.SLAPolicy{}, err
	}
	return p, nil
}

// SLAPolicies lists the policies.
func (s *Service) SLAPolicies(ctx context.Context) ([]ticket.SLAPolicy, error) {
	return s.Store.ListSLAPolicies(ctx)
}

// CreateMacro saves a new macro (its ID is assigned here) after normalising its tags
// and checking it could apply cleanly (ValidateMacro).
func (s *Service) CreateMacro(ctx context.Context, m ticket.Macro) (ticket.Macro, error) {
	m.ID = s.newID()
	m, err := prepareMacro(m)
	if err != nil {
		return ticket.Macro{}, err
	}
	if err := s.Store.CreateMacro(ctx, m); err != nil {
		return ticket.Macro{}, err
	}
	return m, nil
}

// prepareMacro trims the name, normalises the tags and validates (create and update).
func prepareMacro(m ticket.Macro) (ticket.Macro, error) {
	m.Name = strings.TrimSpace(m.Name)
	if len(m.AddTags) > 0 {
		tags, err := ticket.NormalizeTags(m.AddTags)
		if err != nil {
			return ticket.Macro{}, err
		}
		m.AddTags = tags
	}
	return m, ValidateMacro(m)
}

// Macros lists the macros.
func (s *Service) Macros(ctx context.Context) ([]ticket.Macro, error) { return s.Store.ListMacros(ctx) }

// ValidateMacro rejects macros that could never apply cleanly: unknown
// placeholders, invalid status/priority or tags. Run it when a macro is saved
// so agents find out before a customer sees "{{custmer.name}}".
func ValidateMacro(m ticket.Macro) error {
	if strings.TrimSpace(m.Name) == "" {
		return invalid("name", "required")
	}
	for _, k := range macro.Placeholders(m.Body) {
		if !slices.Contains(macro.KnownPlaceholders, k) {
			return invalid("body", "unknown placeholder {{%s}}", k)
		}
	}
	if len(m.Body) > ticket.MaxBodyBytes {
		return invalid("body", "larger than %d bytes", ticket.MaxBodyBytes)
	}
	if m.SetStatus != nil && (!m.SetStatus.Valid() || *m.SetStatus == ticket.StatusNew) {
		return invalid(ticket.FieldStatus, "macro cannot set status %q", *m.SetStatus)
	}
	if m.SetPriority != nil && !m.SetPriority.Valid() {
		return invalid(ticket.FieldPriority, "unknown priority %q", *m.SetPriority)
	}
	_, err := ticket.NormalizeTags(m.AddTags)
	return err
}
