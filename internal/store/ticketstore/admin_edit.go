package ticketstore

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/admin"
)

// The edits and deletions of the help-desk configuration (admin.EditStore). Every write
// is by bare _id, so none scans a collection on FerretDB; the member lists are changed
// with $addToSet and $pull, which are idempotent, under one guard where updates are not
// atomic (a read-modify-write there would lose a concurrent change of the same list).

var _ admin.EditStore = (*Store)(nil)

// configGuard serialises this process's writes of agents and groups where updates are
// not atomic.
const configGuard = "ticket_config"

func (s *Store) PutAgent(ctx context.Context, a ticket.Agent) (ticket.Agent, error) {
	defer s.b.Guard(configGuard)()
	groups := a.Groups
	if groups == nil {
		groups = []string{}
	}
	var d ticketdoc.Agent
	err := s.agents.FindOneAndUpdate(ctx, bson.M{"_id": a.ID},
		bson.M{"$set": bson.M{"name": a.Name, "email": a.Email, "available": a.Available, "groups": groups}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Agent{}, ticketNotFound("agent", a.ID)
	}
	return d.Agent(), err
}

func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	r, err := s.agents.DeleteOne(ctx, bson.M{"_id": id})
	if err == nil && r.DeletedCount == 0 {
		return ticketNotFound("agent", id)
	}
	return err
}

func (s *Store) PutGroup(ctx context.Context, g ticket.Group) (ticket.Group, error) {
	defer s.b.Guard(configGuard)()
	ids := g.AgentIDs
	if ids == nil {
		ids = []string{}
	}
	var d ticketdoc.Group
	err := s.groups.FindOneAndUpdate(ctx, bson.M{"_id": g.ID}, bson.M{"$set": bson.M{"name": g.Name, "agentIds": ids}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Group{}, ticketNotFound("group", g.ID)
	}
	return d.Group(), err
}

// DeleteGroup deletes the round-robin position first: a crash in between leaves a
// group whose rotation restarts at its first member.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	if _, err := s.rr.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return err
	}
	r, err := s.groups.DeleteOne(ctx, bson.M{"_id": id})
	if err == nil && r.DeletedCount == 0 {
		return ticketNotFound("group", id)
	}
	return err
}

func (s *Store) JoinGroups(ctx context.Context, agentID string, join, leave []string) error {
	return s.editLists(ctx, s.groups, "agentIds", agentID, join, leave)
}

func (s *Store) SetAgentsGroup(ctx context.Context, groupID string, add, remove []string) error {
	return s.editLists(ctx, s.agents, "groups", groupID, add, remove)
}

// editLists adds value to the list field of the documents of add and removes it from
// those of remove, one bare-_id update each.
func (s *Store) editLists(ctx context.Context, c *mongo.Collection, field, value string, add, remove []string) error {
	var ms []mongo.WriteModel
	for _, id := range add {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$addToSet": bson.M{field: value}}))
	}
	for _, id := range remove {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$pull": bson.M{field: value}}))
	}
	defer s.b.Guard(configGuard)()
	return dbkit.Bulk(ctx, s.b, c, ms)
}

func (s *Store) DeleteSLAPolicy(ctx context.Context, p ticket.Priority) (ticket.SLAPolicy, error) {
	var d ticketdoc.SLA
	err := s.sla.FindOneAndDelete(ctx, bson.M{"_id": string(p)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.SLAPolicy{}, ticketNotFound("SLA policy", string(p))
	}
	if err != nil {
		return ticket.SLAPolicy{}, err
	}
	return d.Policy()
}

func (s *Store) ReplaceMacro(ctx context.Context, m ticket.Macro) error {
	r, err := s.macros.ReplaceOne(ctx, bson.M{"_id": m.ID}, ticketdoc.FromMacro(m))
	if err == nil && r.MatchedCount == 0 {
		return ticketNotFound("macro", m.ID)
	}
	return err
}

func (s *Store) DeleteMacro(ctx context.Context, id string) (ticket.Macro, error) {
	var d ticketdoc.Macro
	err := s.macros.FindOneAndDelete(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ticket.Macro{}, ticketNotFound("macro", id)
	}
	return d.Macro(), err
}
