package convert

import (
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
)

// FromAgentUpdate keeps nil for what is not given; an empty list of groups is no group.
func FromAgentUpdate(in model.AgentUpdateInput) admin.AgentUpdate {
	u := admin.AgentUpdate{Name: in.Name, Email: in.Email, Available: in.Available}
	if in.Groups != nil {
		u.Groups = &in.Groups
	}
	return u
}

// FromSourceUpdate checks the mappings given exactly as FromSourceInput does.
func FromSourceUpdate(in model.SourceUpdateInput) (ingest.SourceUpdate, error) {
	u := ingest.SourceUpdate{Priority: in.Priority}
	if in.Kind != nil {
		k := string(*in.Kind)
		u.Kind = &k
	}
	if in.IdentifierFields != nil {
		ids, err := ingest.IdentifierMappings("input.identifierFields", fromMappings(in.IdentifierFields))
		if err != nil {
			return u, err
		}
		u.IdentifierFields = ids
	}
	if in.TraitFields != nil {
		traits, err := ingest.TraitMappings("input.traitFields", fromMappings(in.TraitFields))
		if err != nil {
			return u, err
		}
		u.TraitFields, u.SetTraitFields = traits, true
	}
	if in.ExpectedRevision != nil {
		r := int64(*in.ExpectedRevision)
		u.ExpectedRevision = &r
	}
	return u, nil
}

// ToAgentDeletion is what deleteAgent returns.
func ToAgentDeletion(d admin.AgentDeletion) *model.AgentDeletion {
	return &model.AgentDeletion{Agent: ToAgent(d.Agent), UnassignedTickets: d.Unassigned}
}

// FromPriority is the domain priority of an API one.
func FromPriority(p model.TicketPriority) ticket.Priority {
	return ticket.Priority(strings.ToLower(string(p)))
}
