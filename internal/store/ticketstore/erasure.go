package ticketstore

import (
	"context"
	"fmt"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// RedactRequesters applies redact (which replaces an erased person's values, see
// privacy.Redactor) to the tickets the profiles opened: subject, rating comment, every
// message body and attachment name, and the old and new values of their audit events.
// The tickets keep their conversation and their requester id, which resolves to nothing
// once the profiles are deleted, but the profiles' requester index documents go, last
// (the tickets are found by requesterId, so a repeat still finds them all). It returns
// the number of tickets; repeating it is harmless.
func (s *Store) RedactRequesters(ctx context.Context, ids []string, redact func(string) string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	docs, err := dbkit.FindAll[ticketdoc.Ticket](ctx, s.tickets, bson.M{"requesterId": bson.M{"$in": ids}})
	if err != nil {
		return 0, err
	}
	tids := make([]string, len(docs))
	for i, d := range docs {
		tids[i] = d.ID
		// A change of the ticket that crashed before writing its messages would write
		// them later, unredacted: finish it first.
		if d.LastCS != "" {
			if err := s.finishByID(ctx, d.LastCS); err != nil {
				return 0, err
			}
		}
		if err := s.redactTicket(ctx, d.ID, redact); err != nil {
			return 0, err
		}
	}
	if len(tids) == 0 {
		return 0, s.index.ForgetRequesters(ctx, ids)
	}
	in := bson.M{"ticketId": bson.M{"$in": tids}}
	msgs, err := dbkit.FindAll[ticketdoc.Message](ctx, s.messages, in)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		set := bson.M{}
		if b := redact(m.Body); b != m.Body {
			set["body"] = b
		}
		atts, changed := append([]ticketdoc.Attachment(nil), m.Attachments...), false
		for i := range atts {
			if n := redact(atts[i].Name); n != atts[i].Name {
				atts[i].Name, changed = n, true
			}
		}
		if changed {
			set["attachments"] = atts
		}
		if err := setFields(ctx, s.messages, m.ID, set); err != nil {
			return 0, err
		}
	}
	evs, err := dbkit.FindAll[ticketdoc.Event](ctx, s.events, in)
	if err != nil {
		return 0, err
	}
	for _, e := range evs {
		set := bson.M{}
		if v := redact(e.Old); v != e.Old {
			set["old"] = v
		}
		if v := redact(e.New); v != e.New {
			set["new"] = v
		}
		if err := setFields(ctx, s.events, e.ID, set); err != nil {
			return 0, err
		}
	}
	return int64(len(docs)), s.index.ForgetRequesters(ctx, ids)
}

// redactTicket rewrites a ticket's free text with the version check of Save, bumping
// the version so that a concurrent save conflicts and retries on the redacted ticket.
func (s *Store) redactTicket(ctx context.Context, id string, redact func(string) string) error {
	defer s.b.Guard("tickets")()
	for range 5 {
		var d ticketdoc.Ticket
		if err := s.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
			return err
		}
		set := bson.M{}
		if v := redact(d.Subject); v != d.Subject {
			set["subject"] = v
		}
		if d.CSAT != nil {
			if v := redact(d.CSAT.Comment); v != d.CSAT.Comment {
				set["csat.comment"] = v
			}
		}
		if len(set) == 0 {
			return nil
		}
		r, err := s.tickets.UpdateOne(ctx, bson.M{"_id": id, "version": d.Version}, bson.M{"$set": set, "$inc": bson.M{"version": 1}})
		if err != nil {
			return err
		}
		if r.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("ticket %s kept changing while being redacted", id)
}

func setFields(ctx context.Context, c *mongo.Collection, id string, set bson.M) error {
	if len(set) == 0 {
		return nil
	}
	_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.M{"$set": set})
	return err
}
