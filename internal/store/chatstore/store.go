// Package chatstore keeps the live chat's conversations, token key and offline replies,
// every read and write a bare _id operation:
//
//	chat_visitors         _id = visitor id: their conversation (how a connection finds its ticket)
//	chat_conversations    _id = ticket id: the same, and when the visitor was last connected
//	chat_offline_replies  _id = message id: agent replies sent by e-mail (the insert claims one)
//	chat_settings         _id = "token-key": the key that signs visitor tokens
package chatstore

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var _ chat.Store = (*Store)(nil)

// Collections.
const (
	VisitorsCollection      = "chat_visitors"
	ConversationsCollection = "chat_conversations"
	OfflineCollection       = "chat_offline_replies"
	SettingsCollection      = "chat_settings"
	tokenKeyID              = "token-key"
)

// Store holds the chat collections.
type Store struct {
	visitors, conversations, offline, settings *mongo.Collection

	secret dbkit.Secret
}

// New wraps a database.
func New(db *mongo.Database) *Store {
	return &Store{visitors: db.Collection(VisitorsCollection), conversations: db.Collection(ConversationsCollection),
		offline: db.Collection(OfflineCollection), settings: db.Collection(SettingsCollection)}
}

type conversation struct {
	ID        string    `bson:"_id"`
	VisitorID string    `bson:"visitorId"`
	TicketID  string    `bson:"ticketId,omitempty"`
	Source    string    `bson:"source"`
	ProfileID string    `bson:"profileId,omitempty"`
	Email     string    `bson:"email,omitempty"`
	SeenAt    time.Time `bson:"seenAt"`
	CreatedAt time.Time `bson:"createdAt"`
}

func (d conversation) domain() chat.Conversation {
	return chat.Conversation{VisitorID: d.VisitorID, TicketID: d.TicketID, Source: d.Source, ProfileID: d.ProfileID, Email: d.Email, SeenAt: d.SeenAt, CreatedAt: d.CreatedAt}
}

func doc(id string, c chat.Conversation) conversation {
	return conversation{ID: id, VisitorID: c.VisitorID, TicketID: c.TicketID, Source: c.Source, ProfileID: c.ProfileID, Email: c.Email, SeenAt: c.SeenAt.UTC(), CreatedAt: c.CreatedAt.UTC()}
}

func read(ctx context.Context, c *mongo.Collection, id, what string) (chat.Conversation, error) {
	var d conversation
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return chat.Conversation{}, dbkit.NotFound(err, "no chat conversation of %s %s", what, id)
	}
	return d.domain(), nil
}

// VisitorConversation reads a visitor's conversation.
func (s *Store) VisitorConversation(ctx context.Context, visitorID string) (chat.Conversation, error) {
	return read(ctx, s.visitors, visitorID, "visitor")
}

// Conversation reads a ticket's conversation.
func (s *Store) Conversation(ctx context.Context, ticketID string) (chat.Conversation, error) {
	return read(ctx, s.conversations, ticketID, "ticket")
}

// PutConversation writes the ticket's document first: a crash before the visitor's
// leaves a ticket document that nothing leads to, never a visitor pointing at a ticket
// whose notifications find no conversation. The ticket's seenAt is left to SetSeen
// once it exists.
func (s *Store) PutConversation(ctx context.Context, c chat.Conversation) error {
	if c.TicketID != "" {
		d := doc(c.TicketID, c)
		set := bson.M{"visitorId": d.VisitorID, "ticketId": d.TicketID, "source": d.Source, "profileId": d.ProfileID, "email": d.Email}
		if _, err := s.conversations.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.TicketID}},
			bson.M{"$set": set, "$setOnInsert": bson.M{"seenAt": d.SeenAt, "createdAt": d.CreatedAt}}, options.UpdateOne().SetUpsert(true)); err != nil {
			return err
		}
	}
	_, err := s.visitors.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.VisitorID}}, doc(c.VisitorID, c), options.Replace().SetUpsert(true))
	return err
}

// SetSeen sets when the visitor of a ticket was last connected.
func (s *Store) SetSeen(ctx context.Context, ticketID string, at time.Time) error {
	_, err := s.conversations.UpdateOne(ctx, bson.D{{Key: "_id", Value: ticketID}}, bson.M{"$set": bson.M{"seenAt": at.UTC()}})
	return err
}

type offlineDoc struct {
	ID        string     `bson:"_id"`
	TicketID  string     `bson:"ticketId"`
	To        string     `bson:"to"`
	Subject   string     `bson:"subject"`
	Body      string     `bson:"body"`
	CreatedAt time.Time  `bson:"createdAt"`
	SentAt    *time.Time `bson:"sentAt,omitempty"`
	Error     string     `bson:"error,omitempty"`
}

// ClaimOfflineReply inserts the reply; the unique _id decides between instances.
func (s *Store) ClaimOfflineReply(ctx context.Context, r chat.OfflineReply) (bool, error) {
	_, err := s.offline.InsertOne(ctx, offlineDoc{ID: r.ID, TicketID: r.TicketID, To: r.To, Subject: r.Subject, Body: r.Body, CreatedAt: r.CreatedAt.UTC()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// FinishOfflineReply records the outcome of sending.
func (s *Store) FinishOfflineReply(ctx context.Context, id string, at time.Time, errText string) error {
	set := bson.M{"sentAt": at.UTC()}
	if errText != "" {
		set = bson.M{"error": errText, "triedAt": at.UTC()}
	}
	_, err := s.offline.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$set": set})
	return err
}

// OfflineReply reads a recorded reply and whether it was sent (tests, support).
func (s *Store) OfflineReply(ctx context.Context, id string) (chat.OfflineReply, bool, string, error) {
	var d offlineDoc
	if err := s.offline.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return chat.OfflineReply{}, false, "", dbkit.NotFound(err, "no offline reply %s", id)
	}
	return chat.OfflineReply{ID: d.ID, TicketID: d.TicketID, To: d.To, Subject: d.Subject, Body: d.Body, CreatedAt: d.CreatedAt}, d.SentAt != nil, d.Error, nil
}

// TokenKey returns the installation's token key, created on first use; every instance
// reads the same one (a concurrent first use loses the insert and reads the winner's).
func (s *Store) TokenKey(ctx context.Context) ([]byte, error) {
	return s.secret.Get(ctx, s.settings, tokenKeyID)
}
