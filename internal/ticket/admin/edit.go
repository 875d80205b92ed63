package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/listing"
)

// Editing and deleting the configuration. There are no transactions, so a change that
// spans documents is a sequence of idempotent steps whose last step is the write of the
// edited document itself (its commit point): until then a repeated call recomputes the
// same steps from the unchanged document and finishes the job.
//
// Agent.Groups is a copy of the groups' member lists (Group.AgentIDs, the round-robin
// order, is the truth). Whichever side is edited, the other side is written first.
// Configuration documents carry no revision: concurrent edits of one agent, group or
// macro are last-write-wins, field by field as given.

// EditStore is what editing needs from the store besides Store's creates and lists.
// Every method writes by bare _id; unknown ids give ticket.ErrNotFound.
type EditStore interface {
	GetAgent(ctx context.Context, id string) (ticket.Agent, error)
	GetAgents(ctx context.Context, ids []string) (map[string]ticket.Agent, error)
	GetGroup(ctx context.Context, id string) (ticket.Group, error)
	// PutAgent writes an agent's name, e-mail, availability and groups.
	PutAgent(ctx context.Context, a ticket.Agent) (ticket.Agent, error)
	DeleteAgent(ctx context.Context, id string) error
	// PutGroup writes a group's name and member list.
	PutGroup(ctx context.Context, g ticket.Group) (ticket.Group, error)
	// DeleteGroup deletes a group and its round-robin position.
	DeleteGroup(ctx context.Context, id string) error
	// JoinGroups appends the agent to the member lists of groups it is not in yet and
	// takes it out of those of leave (idempotent; unknown groups are skipped).
	JoinGroups(ctx context.Context, agentID string, join, leave []string) error
	// SetAgentsGroup adds groupID to the Groups of the agents of add and removes it from
	// those of remove (idempotent; unknown agents are skipped).
	SetAgentsGroup(ctx context.Context, groupID string, add, remove []string) error
	// DeleteSLAPolicy deletes and returns the policy of a priority.
	DeleteSLAPolicy(ctx context.Context, p ticket.Priority) (ticket.SLAPolicy, error)
	// ReplaceMacro replaces the macro of m.ID.
	ReplaceMacro(ctx context.Context, m ticket.Macro) error
	// DeleteMacro deletes and returns a macro.
	DeleteMacro(ctx context.Context, id string) (ticket.Macro, error)
	// ListTickets is the queue listing (the in-process queue index on the embedded
	// database, an indexed query on MongoDB).
	ListTickets(ctx context.Context, f listing.Filter, p listing.Page) (listing.TicketPage, error)
}

// Tickets changes tickets through the help desk's own logic (ticket.Service), so an
// unassignment has its audit event and its version check like one made by hand.
type Tickets interface {
	Assign(ctx context.Context, id, groupID, agentID string, by ticket.Actor) (ticket.Ticket, error)
}

// Mailboxes are the support mailboxes (help-desk e-mail), each routing to a group.
type Mailboxes interface {
	// MailboxesOfGroup returns the addresses of the mailboxes that route to the group.
	MailboxesOfGroup(ctx context.Context, groupID string) ([]string, error)
}

// AgentUpdate changes the fields given (nil: unchanged).
type AgentUpdate struct {
	Name, Email *string
	Available   *bool
	// Groups, if set, is the complete list of the agent's groups: it joins the end of
	// the round-robin order of new ones and leaves the others.
	Groups *[]string
}

// maxAgentGroups bounds the groups of one agent (each is a point read and a write).
const maxAgentGroups = 100

// UpdateAgent changes an agent. Its new groups must exist.
func (s *Service) UpdateAgent(ctx context.Context, id string, u AgentUpdate) (ticket.Agent, error) {
	a, err := s.Store.GetAgent(ctx, id)
	if err != nil {
		return ticket.Agent{}, err
	}
	name, email := a.Name, a.Email
	if u.Name != nil {
		name = *u.Name
	}
	if u.Email != nil {
		email = *u.Email
	}
	if a.Name, a.Email, err = agentContact(name, email); err != nil {
		return ticket.Agent{}, err
	}
	if u.Available != nil {
		a.Available = *u.Available
	}
	if u.Groups != nil {
		groups := slices.Compact(slices.Sorted(slices.Values(*u.Groups)))
		if len(groups) > maxAgentGroups {
			return ticket.Agent{}, invalid("groups", "at most %d groups", maxAgentGroups)
		}
		for _, g := range groups {
			if _, err := s.Store.GetGroup(ctx, g); errors.Is(err, ticket.ErrNotFound) {
				return ticket.Agent{}, invalid("groups", "group %s not found", g)
			} else if err != nil {
				return ticket.Agent{}, err
			}
		}
		// The groups' lists first; the agent document (the commit point) last.
		if err := s.Store.JoinGroups(ctx, id, minus(groups, a.Groups), minus(a.Groups, groups)); err != nil {
			return ticket.Agent{}, err
		}
		a.Groups = groups
	}
	return s.Store.PutAgent(ctx, a)
}

// AgentDeletion is what DeleteAgent did.
type AgentDeletion struct {
	Agent ticket.Agent
	// Unassigned counts the open tickets this call handed back to their group's queue.
	Unassigned int
}

// maxUnassignFailures stops a deletion whose tickets keep failing to unassign.
const maxUnassignFailures = 10

// DeleteAgent removes an agent from the help desk (its API key stays valid):
//  1. it is marked unavailable, so round robin and the chat widget stop counting it;
//  2. it leaves every group's round-robin order;
//  3. each of its open tickets is unassigned through ticket.Service.Assign, keeping its
//     group, so it goes back to that group's queue (and to the UNASSIGNED queue); a
//     ticket whose group no longer exists loses the group too;
//  4. the agent document is deleted.
//
// Solved and closed tickets keep the id as their assignee (history, CSAT per agent).
// Every step is idempotent and the agent exists until the last one, so a call that
// failed or crashed half-way is finished by calling again.
func (s *Service) DeleteAgent(ctx context.Context, id string, by ticket.Actor) (AgentDeletion, error) {
	a, err := s.Store.GetAgent(ctx, id)
	if err != nil {
		return AgentDeletion{}, err
	}
	if s.Tickets == nil {
		return AgentDeletion{}, errors.New("admin: Service.Tickets is not set")
	}
	if a.Available {
		off := a
		off.Available = false
		if _, err := s.Store.PutAgent(ctx, off); err != nil {
			return AgentDeletion{}, err
		}
	}
	if err := s.Store.JoinGroups(ctx, id, nil, a.Groups); err != nil {
		return AgentDeletion{}, err
	}
	n, err := s.unassignAll(ctx, id, by)
	if err != nil {
		return AgentDeletion{Agent: a, Unassigned: n}, err
	}
	if err := s.Store.DeleteAgent(ctx, id); err != nil {
		return AgentDeletion{Agent: a, Unassigned: n}, err
	}
	return AgentDeletion{Agent: a, Unassigned: n}, nil
}

// unassignAll unassigns the agent's open tickets a page at a time: each unassigned
// ticket leaves the listing, so the first page is read again until it is empty.
func (s *Service) unassignAll(ctx context.Context, agentID string, by ticket.Actor) (int, error) {
	f := listing.Filter{Statuses: slices.Clone(ticket.OpenStatuses), AssigneeID: &agentID}
	n, failures := 0, 0
	for {
		pg, err := s.Store.ListTickets(ctx, f, listing.Page{Order: listing.OrderCreatedAsc, Limit: 100})
		if err != nil {
			return n, err
		}
		if len(pg.Tickets) == 0 {
			return n, nil
		}
		for _, t := range pg.Tickets {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			err := s.unassign(ctx, t, by)
			switch {
			case err == nil:
				n++
			case errors.Is(err, ticket.ErrNotFound):
				// gone meanwhile (an undone insert): nothing to unassign
			default:
				if failures++; failures > maxUnassignFailures {
					return n, fmt.Errorf("unassign ticket %s: %w", t.ID, err)
				}
			}
		}
	}
}

// unassign clears a ticket's assignee and keeps its group, or clears both when the
// group is gone.
func (s *Service) unassign(ctx context.Context, t ticket.Ticket, by ticket.Actor) error {
	_, err := s.Tickets.Assign(ctx, t.ID, t.GroupID, "", by)
	if err != nil && t.GroupID != "" && errors.Is(err, ticket.ErrInvalidInput) {
		if _, gerr := s.Store.GetGroup(ctx, t.GroupID); errors.Is(gerr, ticket.ErrNotFound) {
			_, err = s.Tickets.Assign(ctx, t.ID, "", "", by)
		}
	}
	return err
}

// UpdateGroup renames a group and replaces its members; agentIDs is the new round-robin
// order, checked like CreateGroup's.
func (s *Service) UpdateGroup(ctx context.Context, id, name string, agentIDs []string) (ticket.Group, error) {
	g, err := groupOf(id, name, agentIDs)
	if err != nil {
		return ticket.Group{}, err
	}
	old, err := s.Store.GetGroup(ctx, id)
	if err != nil {
		return ticket.Group{}, err
	}
	found, err := s.Store.GetAgents(ctx, g.AgentIDs)
	if err != nil {
		return ticket.Group{}, err
	}
	for _, a := range g.AgentIDs {
		if _, ok := found[a]; !ok {
			return ticket.Group{}, invalid("agentIds", "agent %s not found", a)
		}
	}
	// The agents' copies first; the group document (the commit point) last.
	if err := s.Store.SetAgentsGroup(ctx, id, minus(g.AgentIDs, old.AgentIDs), minus(old.AgentIDs, g.AgentIDs)); err != nil {
		return ticket.Group{}, err
	}
	return s.Store.PutGroup(ctx, g)
}

// DeleteGroup deletes a group that routes no work: it refuses (an apperr.Conflict)
// while a support mailbox routes to it or an open ticket is in it, so that no ticket
// silently drops out of a team's queue and no mail opens tickets in a group that is
// gone; the admin re-points the mailbox and moves the tickets first. Solved and closed
// tickets keep the id. The members' copies are cleared before the group is deleted.
func (s *Service) DeleteGroup(ctx context.Context, id string) (ticket.Group, error) {
	g, err := s.Store.GetGroup(ctx, id)
	if err != nil {
		return ticket.Group{}, err
	}
	if s.Mailboxes != nil {
		addrs, err := s.Mailboxes.MailboxesOfGroup(ctx, id)
		if err != nil {
			return ticket.Group{}, err
		}
		if len(addrs) > 0 {
			return ticket.Group{}, apperr.Conflictf("group %s receives the mail of %s; point the mailbox at another group first", id, addrs[0])
		}
	}
	pg, err := s.Store.ListTickets(ctx, listing.Filter{Statuses: slices.Clone(ticket.OpenStatuses), GroupID: &id}, listing.Page{Limit: 1})
	if err != nil {
		return ticket.Group{}, err
	}
	if len(pg.Tickets) > 0 {
		return ticket.Group{}, apperr.Conflictf("group %s has open tickets (%s first); move them to another group first", id, pg.Tickets[0].ID)
	}
	if err := s.Store.SetAgentsGroup(ctx, id, nil, g.AgentIDs); err != nil {
		return ticket.Group{}, err
	}
	return g, s.Store.DeleteGroup(ctx, id)
}

// DeleteSLAPolicy deletes the policy of a priority. Tickets keep the due dates they
// have; tickets opened or re-prioritised afterwards get no targets for it.
func (s *Service) DeleteSLAPolicy(ctx context.Context, p ticket.Priority) (ticket.SLAPolicy, error) {
	if !p.Valid() {
		return ticket.SLAPolicy{}, invalid(ticket.FieldPriority, "unknown priority %q", p)
	}
	return s.Store.DeleteSLAPolicy(ctx, p)
}

// UpdateMacro replaces a macro, checked like CreateMacro.
func (s *Service) UpdateMacro(ctx context.Context, id string, m ticket.Macro) (ticket.Macro, error) {
	m.ID = id
	m, err := prepareMacro(m)
	if err != nil {
		return ticket.Macro{}, err
	}
	if err := s.Store.ReplaceMacro(ctx, m); err != nil {
		return ticket.Macro{}, err
	}
	return m, nil
}

// DeleteMacro deletes a macro; tickets it was applied to keep what it did.
func (s *Service) DeleteMacro(ctx context.Context, id string) (ticket.Macro, error) {
	return s.Store.DeleteMacro(ctx, id)
}

// minus is the elements of a not in b, in a's order.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
