// Package channelstore keeps the connectors of other platforms and what they carried,
// every request-path read and write a bare _id operation:
//
//	channels               _id = name: the connector (kind, outbound URL, secret)
//	channel_index          _id = "names": the connectors' names (the list without a scan)
//	channel_refs           _id = channel|messageId: what an inbound message became
//	channel_conversations  _id = channel|conversationId, and _id = ticket id in
//	channel_tickets:       a conversation's ticket, and a ticket's conversation
//	channel_outbox         _id = ticket message id: replies to POST to the connector
//
// The one scan, of the outbox for undelivered replies, runs at start.
package channelstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Collections.
const (
	ChannelsCollection      = "channels"
	IndexCollection         = "channel_index"
	RefsCollection          = "channel_refs"
	ConversationsCollection = "channel_conversations"
	TicketsCollection       = "channel_tickets"
	OutboxCollection        = "channel_outbox"
	namesID                 = "names"
)

var _ channels.Store = (*Store)(nil)

// Store holds the channel collections.
type Store struct {
	channels, index, refs, convs, tickets, outbox *mongo.Collection
}

// New wraps a database.
func New(db *mongo.Database) *Store {
	return &Store{channels: db.Collection(ChannelsCollection), index: db.Collection(IndexCollection), refs: db.Collection(RefsCollection),
		convs: db.Collection(ConversationsCollection), tickets: db.Collection(TicketsCollection), outbox: db.Collection(OutboxCollection)}
}

func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return channels.ErrNotFound
	}
	return err
}

type channelDoc struct {
	Name        string    `bson:"_id"`
	Kind        string    `bson:"kind"`
	OutboundURL string    `bson:"outboundUrl,omitempty"`
	Secret      string    `bson:"secret"`
	CreatedAt   time.Time `bson:"createdAt"`
	CreatedBy   string    `bson:"createdBy,omitempty"`
}

func (d channelDoc) domain() channels.Channel {
	return channels.Channel{Name: d.Name, Kind: channels.Kind(d.Kind), OutboundURL: d.OutboundURL, Secret: d.Secret, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy}
}

// Channel reads a connector.
func (s *Store) Channel(ctx context.Context, name string) (channels.Channel, error) {
	var d channelDoc
	if err := s.channels.FindOne(ctx, byID(name)).Decode(&d); err != nil {
		return channels.Channel{}, notFound(err)
	}
	return d.domain(), nil
}

// AddChannel inserts a connector (the unique _id decides a race) and lists its name.
func (s *Store) AddChannel(ctx context.Context, c channels.Channel) (bool, error) {
	d := channelDoc{Name: c.Name, Kind: string(c.Kind), OutboundURL: c.OutboundURL, Secret: c.Secret, CreatedAt: c.CreatedAt.UTC(), CreatedBy: c.CreatedBy}
	if _, err := s.channels.InsertOne(ctx, d); mongo.IsDuplicateKeyError(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err := s.index.UpdateOne(ctx, byID(namesID), bson.M{"$addToSet": bson.M{"names": c.Name}}, options.UpdateOne().SetUpsert(true))
	return true, err
}

// RemoveChannel deletes a connector.
func (s *Store) RemoveChannel(ctx context.Context, name string) (bool, error) {
	res, err := s.channels.DeleteOne(ctx, byID(name))
	if err != nil {
		return false, err
	}
	_, err = s.index.UpdateOne(ctx, byID(namesID), bson.M{"$pull": bson.M{"names": name}})
	return res.DeletedCount > 0, err
}

// Channels lists the connectors by name: the index, then a point read each.
func (s *Store) Channels(ctx context.Context) ([]channels.Channel, error) {
	var idx struct {
		Names []string `bson:"names"`
	}
	if err := s.index.FindOne(ctx, byID(namesID)).Decode(&idx); errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	docs, err := dbkit.PointReads[channelDoc](ctx, s.channels, idx.Names)
	out := make([]channels.Channel, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.domain())
	}
	slices.SortFunc(out, func(a, b channels.Channel) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, err
}

type refDoc struct {
	ID              string    `bson:"_id"`
	TicketID        string    `bson:"ticketId"`
	TicketMessageID string    `bson:"ticketMessageId"`
	NewTicket       bool      `bson:"newTicket,omitempty"`
	Pending         bool      `bson:"pending,omitempty"`
	ProfileID       string    `bson:"profileId,omitempty"`
	At              time.Time `bson:"at"`
}

// Ref reads what an inbound message became.
func (s *Store) Ref(ctx context.Context, id string) (channels.Ref, error) {
	var d refDoc
	if err := s.refs.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return channels.Ref{}, notFound(err)
	}
	return channels.Ref(d), nil
}

// PutRef writes a message ref.
func (s *Store) PutRef(ctx context.Context, r channels.Ref) error {
	r.At = r.At.UTC()
	_, err := s.refs.ReplaceOne(ctx, byID(r.ID), refDoc(r), options.Replace().SetUpsert(true))
	return err
}

type convDoc struct {
	ID             string `bson:"_id"`
	Channel        string `bson:"channel"`
	ConversationID string `bson:"conversationId"`
	TicketID       string `bson:"ticketId"`
	SenderID       string `bson:"senderId"`
	ProfileID      string `bson:"profileId,omitempty"`
}

func (d convDoc) domain() channels.Conversation {
	return channels.Conversation{Channel: d.Channel, ConversationID: d.ConversationID, TicketID: d.TicketID, SenderID: d.SenderID, ProfileID: d.ProfileID}
}

func convOf(id string, c channels.Conversation) convDoc {
	return convDoc{ID: id, Channel: c.Channel, ConversationID: c.ConversationID, TicketID: c.TicketID, SenderID: c.SenderID, ProfileID: c.ProfileID}
}

// Conversation reads a conversation's current ticket.
func (s *Store) Conversation(ctx context.Context, channel, conversationID string) (channels.Conversation, error) {
	var d convDoc
	if err := s.convs.FindOne(ctx, byID(channels.Key(channel, conversationID))).Decode(&d); err != nil {
		return channels.Conversation{}, notFound(err)
	}
	return d.domain(), nil
}

// TicketConversation reads the conversation a ticket carries.
func (s *Store) TicketConversation(ctx context.Context, ticketID string) (channels.Conversation, error) {
	var d convDoc
	if err := s.tickets.FindOne(ctx, byID(ticketID)).Decode(&d); err != nil {
		return channels.Conversation{}, notFound(err)
	}
	return d.domain(), nil
}

// PutConversation writes the ticket's side first, then the conversation's: a crash in
// between leaves a ticket whose replies find their way, and the retry writes the rest.
func (s *Store) PutConversation(ctx context.Context, c channels.Conversation) error {
	if _, err := s.tickets.ReplaceOne(ctx, byID(c.TicketID), convOf(c.TicketID, c), options.Replace().SetUpsert(true)); err != nil {
		return err
	}
	id := channels.Key(c.Channel, c.ConversationID)
	_, err := s.convs.ReplaceOne(ctx, byID(id), convOf(id, c), options.Replace().SetUpsert(true))
	return err
}

type outDoc struct {
	ID          string     `bson:"_id"`
	Channel     string     `bson:"channel"`
	TicketID    string     `bson:"ticketId"`
	Body        []byte     `bson:"body"`
	State       string     `bson:"state"`
	Attempts    int        `bson:"attempts"`
	NextAt      time.Time  `bson:"nextAt"`
	LastError   string     `bson:"lastError,omitempty"`
	CreatedAt   time.Time  `bson:"createdAt"`
	DeliveredAt *time.Time `bson:"deliveredAt,omitempty"`
}

func outOf(o channels.Outgoing) outDoc {
	d := outDoc{ID: o.ID, Channel: o.Channel, TicketID: o.TicketID, Body: o.Body, State: o.State, Attempts: o.Attempts, NextAt: o.NextAt.UTC(),
		LastError: o.LastError, CreatedAt: o.CreatedAt.UTC()}
	if !o.DeliveredAt.IsZero() {
		t := o.DeliveredAt.UTC()
		d.DeliveredAt = &t
	}
	return d
}

func (d outDoc) domain() channels.Outgoing {
	o := channels.Outgoing{ID: d.ID, Channel: d.Channel, TicketID: d.TicketID, Body: d.Body, State: d.State, Attempts: d.Attempts, NextAt: d.NextAt,
		LastError: d.LastError, CreatedAt: d.CreatedAt}
	if d.DeliveredAt != nil {
		o.DeliveredAt = *d.DeliveredAt
	}
	return o
}

// Enqueue inserts a reply (the unique _id makes a repeat a no-op).
func (s *Store) Enqueue(ctx context.Context, o channels.Outgoing) (bool, error) {
	_, err := s.outbox.InsertOne(ctx, outOf(o))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// Outgoing reads an outbox entry.
func (s *Store) Outgoing(ctx context.Context, id string) (channels.Outgoing, error) {
	var d outDoc
	if err := s.outbox.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return channels.Outgoing{}, notFound(err)
	}
	return d.domain(), nil
}

// PutOutgoing replaces an outbox entry.
func (s *Store) PutOutgoing(ctx context.Context, o channels.Outgoing) error {
	_, err := s.outbox.ReplaceOne(ctx, byID(o.ID), outOf(o), options.Replace().SetUpsert(true))
	return err
}

// PendingOutgoing lists the undelivered replies (a scan, at start).
func (s *Store) PendingOutgoing(ctx context.Context) ([]channels.Outgoing, error) {
	docs, err := dbkit.FindAll[outDoc](ctx, s.outbox, bson.D{{Key: "state", Value: channels.Pending}},
		options.Find().SetProjection(bson.D{{Key: "body", Value: 0}}))
	out := make([]channels.Outgoing, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.domain())
	}
	return out, err
}
