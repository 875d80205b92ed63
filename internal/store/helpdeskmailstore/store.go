// Package helpdeskmailstore keeps the help desk's e-mail state, every read and write a
// bare _id operation:
//
//	helpdesk_mailboxes      _id = support address, its group
//	helpdesk_mailbox_list   _id = "all", the addresses (listed before a mailbox is
//	                        written; readers skip addresses whose mailbox is missing)
//	helpdesk_mail_refs      _id = Message-ID, the ticket and ticket message of an e-mail
//	helpdesk_mail_tokens    _id = subject token ("T-…"), its ticket
//	helpdesk_mail_threads   _id = ticket id, whom to write and the threading headers
//	helpdesk_mail_meta      _id = ticket message id, the e-mail behind it
//	helpdesk_mail_outbox    _id = Message-ID of an agent reply, its delivery state
//	helpdesk_mail_queue     _id = "queued", the outbox ids not finished yet
package helpdeskmailstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-cdp/tessera/internal/helpdeskmail"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var _ helpdeskmail.Store = (*Store)(nil)

// Collections.
const (
	MailboxesCollection   = "helpdesk_mailboxes"
	MailboxListCollection = "helpdesk_mailbox_list"
	RefsCollection        = "helpdesk_mail_refs"
	TokensCollection      = "helpdesk_mail_tokens"
	ThreadsCollection     = "helpdesk_mail_threads"
	MetaCollection        = "helpdesk_mail_meta"
	OutboxCollection      = "helpdesk_mail_outbox"
	QueueCollection       = "helpdesk_mail_queue"
)

const (
	listID  = "all"
	queueID = "queued"
)

// Store holds the collections.
type Store struct {
	b                                                    *dbkit.Backend
	mailboxes, list, refs, tokens, threads, meta, outbox *mongo.Collection
	queue                                                *mongo.Collection
}

// New wraps a database.
func New(db *mongo.Database, b *dbkit.Backend) *Store {
	c := db.Collection
	return &Store{b: b, mailboxes: c(MailboxesCollection), list: c(MailboxListCollection), refs: c(RefsCollection), tokens: c(TokensCollection),
		threads: c(ThreadsCollection), meta: c(MetaCollection), outbox: c(OutboxCollection), queue: c(QueueCollection)}
}

func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

func notFound(err error, what, id string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("%s %s: %w", what, id, helpdeskmail.ErrNotFound)
	}
	return err
}

var upsert = options.Replace().SetUpsert(true)

type mailboxDoc struct {
	Address   string    `bson:"_id"`
	GroupID   string    `bson:"groupId"`
	CreatedAt time.Time `bson:"createdAt"`
}

type idList struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

func (s *Store) PutMailbox(ctx context.Context, m helpdeskmail.Mailbox) error {
	if err := s.listChange(ctx, s.list, listID, bson.M{"$addToSet": bson.M{"ids": m.Address}}); err != nil {
		return err
	}
	_, err := s.mailboxes.ReplaceOne(ctx, byID(m.Address), mailboxDoc(m), upsert)
	return err
}

// DeleteMailbox removes the mailbox, then its listing (a crash in between leaves a
// listed address without a mailbox, which readers skip).
func (s *Store) DeleteMailbox(ctx context.Context, address string) (bool, error) {
	r, err := s.mailboxes.DeleteOne(ctx, byID(address))
	if err != nil {
		return false, err
	}
	if err := s.listChange(ctx, s.list, listID, bson.M{"$pull": bson.M{"ids": address}}); err != nil {
		return false, err
	}
	return r.DeletedCount > 0, nil
}

func (s *Store) Mailbox(ctx context.Context, address string) (helpdeskmail.Mailbox, error) {
	var d mailboxDoc
	err := s.mailboxes.FindOne(ctx, byID(address)).Decode(&d)
	return helpdeskmail.Mailbox(d), notFound(err, "mailbox", address)
}

func (s *Store) Mailboxes(ctx context.Context) ([]helpdeskmail.Mailbox, error) {
	ids, err := s.listed(ctx, s.list, listID)
	if err != nil {
		return nil, err
	}
	docs, err := dbkit.PointReads[mailboxDoc](ctx, s.mailboxes, ids)
	if err != nil {
		return nil, err
	}
	out := make([]helpdeskmail.Mailbox, len(docs))
	for i, d := range docs {
		out[i] = helpdeskmail.Mailbox(d)
	}
	return out, nil
}

func (s *Store) listed(ctx context.Context, c *mongo.Collection, id string) ([]string, error) {
	var l idList
	err := c.FindOne(ctx, byID(id)).Decode(&l)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	return l.IDs, err
}

type refDoc struct {
	MessageID       string    `bson:"_id"`
	Dir             string    `bson:"dir"`
	TicketID        string    `bson:"ticketId"`
	TicketMessageID string    `bson:"ticketMessageId"`
	NewTicket       bool      `bson:"newTicket,omitempty"`
	Pending         bool      `bson:"pending,omitempty"`
	At              time.Time `bson:"at"`
}

func (s *Store) Refs(ctx context.Context, ids []string) ([]helpdeskmail.Ref, error) {
	docs, err := dbkit.PointReads[refDoc](ctx, s.refs, ids)
	if err != nil {
		return nil, err
	}
	out := make([]helpdeskmail.Ref, len(docs))
	for i, d := range docs {
		out[i] = helpdeskmail.Ref{MessageID: d.MessageID, Dir: helpdeskmail.Direction(d.Dir), TicketID: d.TicketID, TicketMessageID: d.TicketMessageID,
			NewTicket: d.NewTicket, Pending: d.Pending, At: d.At}
	}
	return out, nil
}

func (s *Store) PutRef(ctx context.Context, r helpdeskmail.Ref) error {
	d := refDoc{MessageID: r.MessageID, Dir: string(r.Dir), TicketID: r.TicketID, TicketMessageID: r.TicketMessageID, NewTicket: r.NewTicket, Pending: r.Pending, At: r.At}
	_, err := s.refs.ReplaceOne(ctx, byID(r.MessageID), d, upsert)
	return err
}

type tokenDoc struct {
	Token    string `bson:"_id"`
	TicketID string `bson:"ticketId"`
}

// ClaimToken inserts; the unique _id decides between two tickets.
func (s *Store) ClaimToken(ctx context.Context, token, ticketID string) (string, error) {
	if _, err := s.tokens.InsertOne(ctx, tokenDoc{token, ticketID}); err == nil || !mongo.IsDuplicateKeyError(err) {
		return ticketID, err
	}
	return s.TokenTicket(ctx, token)
}

func (s *Store) TokenTicket(ctx context.Context, token string) (string, error) {
	var d tokenDoc
	err := s.tokens.FindOne(ctx, byID(token)).Decode(&d)
	return d.TicketID, notFound(err, "token", token)
}

type threadDoc struct {
	TicketID    string   `bson:"_id"`
	Token       string   `bson:"token"`
	Mailbox     string   `bson:"mailbox"`
	Customer    string   `bson:"customer"`
	LastInbound string   `bson:"lastInbound,omitempty"`
	References  []string `bson:"references,omitempty"`
}

func (s *Store) Thread(ctx context.Context, ticketID string) (helpdeskmail.Thread, error) {
	var d threadDoc
	err := s.threads.FindOne(ctx, byID(ticketID)).Decode(&d)
	return helpdeskmail.Thread(d), notFound(err, "thread", ticketID)
}

func (s *Store) PutThread(ctx context.Context, t helpdeskmail.Thread) error {
	_, err := s.threads.ReplaceOne(ctx, byID(t.TicketID), threadDoc(t), upsert)
	return err
}

type attachmentDoc struct {
	Name        string `bson:"name"`
	ContentType string `bson:"contentType"`
	Size        int64  `bson:"size"`
}

type metaDoc struct {
	TicketMessageID string          `bson:"_id"`
	MessageID       string          `bson:"messageId"`
	Dir             string          `bson:"dir"`
	From            string          `bson:"from"`
	To              string          `bson:"to"`
	Subject         string          `bson:"subject"`
	InReplyTo       string          `bson:"inReplyTo,omitempty"`
	References      []string        `bson:"references,omitempty"`
	Attachments     []attachmentDoc `bson:"attachments,omitempty"`
	QuotedHidden    bool            `bson:"quotedHidden,omitempty"`
}

func (s *Store) PutMeta(ctx context.Context, m helpdeskmail.Meta) error {
	d := metaDoc{TicketMessageID: m.TicketMessageID, MessageID: m.MessageID, Dir: string(m.Dir), From: m.From, To: m.To, Subject: m.Subject,
		InReplyTo: m.InReplyTo, References: m.References, QuotedHidden: m.QuotedHidden}
	for _, a := range m.Attachments {
		d.Attachments = append(d.Attachments, attachmentDoc(a))
	}
	_, err := s.meta.ReplaceOne(ctx, byID(m.TicketMessageID), d, upsert)
	return err
}

func (s *Store) Meta(ctx context.Context, ticketMessageID string) (helpdeskmail.Meta, error) {
	var d metaDoc
	if err := s.meta.FindOne(ctx, byID(ticketMessageID)).Decode(&d); err != nil {
		return helpdeskmail.Meta{}, notFound(err, "e-mail of message", ticketMessageID)
	}
	m := helpdeskmail.Meta{TicketMessageID: d.TicketMessageID, MessageID: d.MessageID, Dir: helpdeskmail.Direction(d.Dir), From: d.From, To: d.To,
		Subject: d.Subject, InReplyTo: d.InReplyTo, References: d.References, QuotedHidden: d.QuotedHidden}
	for _, a := range d.Attachments {
		m.Attachments = append(m.Attachments, helpdeskmail.AttachmentMeta(a))
	}
	return m, nil
}

type outDoc struct {
	MessageID       string    `bson:"_id"`
	TicketID        string    `bson:"ticketId"`
	TicketMessageID string    `bson:"ticketMessageId"`
	From            string    `bson:"from"`
	To              string    `bson:"to"`
	Subject         string    `bson:"subject"`
	Text            string    `bson:"text"`
	InReplyTo       string    `bson:"inReplyTo,omitempty"`
	References      []string  `bson:"references,omitempty"`
	State           string    `bson:"state"`
	Attempts        int       `bson:"attempts"`
	Error           string    `bson:"error,omitempty"`
	CreatedAt       time.Time `bson:"createdAt"`
	UpdatedAt       time.Time `bson:"updatedAt"`
}

func toOut(d outDoc) helpdeskmail.Outgoing {
	return helpdeskmail.Outgoing{MessageID: d.MessageID, TicketID: d.TicketID, TicketMessageID: d.TicketMessageID, From: d.From, To: d.To,
		Subject: d.Subject, Text: d.Text, InReplyTo: d.InReplyTo, References: d.References, State: helpdeskmail.Delivery(d.State),
		Attempts: d.Attempts, Error: d.Error, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// AddOutgoing lists the id first (a listed id without its document is skipped), then
// inserts the message unless it exists (a repeat keeps the state it has).
func (s *Store) AddOutgoing(ctx context.Context, o helpdeskmail.Outgoing) error {
	if err := s.listChange(ctx, s.queue, queueID, bson.M{"$addToSet": bson.M{"ids": o.MessageID}}); err != nil {
		return err
	}
	d := outDoc{MessageID: o.MessageID, TicketID: o.TicketID, TicketMessageID: o.TicketMessageID, From: o.From, To: o.To, Subject: o.Subject,
		Text: o.Text, InReplyTo: o.InReplyTo, References: o.References, State: string(o.State), Attempts: o.Attempts, Error: o.Error,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	_, err := dbkit.InsertNew(ctx, s.outbox, []outDoc{d})
	return err
}

func (s *Store) Outgoing(ctx context.Context, messageID string) (helpdeskmail.Outgoing, error) {
	var d outDoc
	err := s.outbox.FindOne(ctx, byID(messageID)).Decode(&d)
	return toOut(d), notFound(err, "outgoing e-mail", messageID)
}

func (s *Store) Queued(ctx context.Context) ([]helpdeskmail.Outgoing, error) {
	ids, err := s.listed(ctx, s.queue, queueID)
	if err != nil {
		return nil, err
	}
	docs, err := dbkit.PointReads[outDoc](ctx, s.outbox, ids)
	if err != nil {
		return nil, err
	}
	out := make([]helpdeskmail.Outgoing, 0, len(docs))
	for _, d := range docs {
		out = append(out, toOut(d))
	}
	return out, nil
}

// ClaimOutgoing is a conditional update where updates are atomic (MongoDB; several
// instances may send), else a guarded read-check-write by bare _id (FerretDB: one
// process).
func (s *Store) ClaimOutgoing(ctx context.Context, messageID string, at time.Time) error {
	set := bson.M{"$set": bson.M{"state": string(helpdeskmail.Sending), "updatedAt": at}}
	if s.b.AtomicUpdates {
		r, err := s.outbox.UpdateOne(ctx, bson.D{{Key: "_id", Value: messageID}, {Key: "state", Value: string(helpdeskmail.Queued)}}, set)
		if err == nil && r.MatchedCount == 0 {
			err = helpdeskmail.ErrNotQueued
		}
		return err
	}
	defer s.b.Guard(OutboxCollection)()
	o, err := s.Outgoing(ctx, messageID)
	if err != nil {
		return err
	}
	if o.State != helpdeskmail.Queued {
		return helpdeskmail.ErrNotQueued
	}
	_, err = s.outbox.UpdateOne(ctx, byID(messageID), set)
	return err
}

// FinishOutgoing records the state, then takes a finished message off the queue (a crash
// in between leaves it listed with its final state, which the sender skips past).
func (s *Store) FinishOutgoing(ctx context.Context, messageID string, state helpdeskmail.Delivery, attempts int, errText string, at time.Time) error {
	defer s.b.Guard(OutboxCollection)()
	if _, err := s.outbox.UpdateOne(ctx, byID(messageID), bson.M{"$set": bson.M{"state": string(state), "attempts": attempts, "error": errText, "updatedAt": at}}); err != nil {
		return err
	}
	if state == helpdeskmail.Queued || state == helpdeskmail.Sending {
		return nil
	}
	return s.listChange(ctx, s.queue, queueID, bson.M{"$pull": bson.M{"ids": messageID}})
}

// listChange updates a list document; guarded, since on FerretDB an $addToSet and a
// $pull at the same time would lose one of them.
func (s *Store) listChange(ctx context.Context, c *mongo.Collection, id string, update bson.M) error {
	defer s.b.Guard(c.Name())()
	_, err := c.UpdateOne(ctx, byID(id), update, options.UpdateOne().SetUpsert(true))
	return err
}
