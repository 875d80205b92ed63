package ticketstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tessera-cdp/tessera/internal/store/ticketstore/ticketdoc"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// The store's side of its indexes (package ticketindex): the reads of the requester
// index, the migrations that build both at start, and the moves of older journals.

// TicketsOfRequesters lists the newest tickets of each profile (at most perProfile):
// one point read of each profile's index document, then one of each ticket listed.
func (s *Store) TicketsOfRequesters(ctx context.Context, ids []string, perProfile int) ([]ticket.Ticket, error) {
	return s.index.TicketsOfRequesters(ctx, ids, perProfile)
}

// CountTicketsOfRequesters counts tickets opened by any of the profiles: one point read
// of each profile's index document.
func (s *Store) CountTicketsOfRequesters(ctx context.Context, ids []string) (int64, error) {
	return s.index.CountTicketsOfRequesters(ctx, ids)
}

// EnsureRequesterIndex builds the requester index of a database written before it,
// once (see ticketindex.Index.EnsureRequesterIndex). Call it at start, before serving.
func (s *Store) EnsureRequesterIndex(ctx context.Context) error {
	return s.index.EnsureRequesterIndex(ctx)
}

// EnsureThreadIndex builds the thread lists of a database written before them, once
// (see ticketindex.Index.EnsureThreadIndex); until then the conversations are read by
// query. Call it at start, before serving.
func (s *Store) EnsureThreadIndex(ctx context.Context) error {
	return s.index.EnsureThreadIndex(ctx)
}

// keepMoves computes, for a journal written by a version without the index, where the
// messages it moves come from, before they move, and keeps that in the journal.
func (s *Store) keepMoves(ctx context.Context, j *ticketdoc.Journal) error {
	if j.IndexV != 0 {
		return nil
	}
	moves, err := s.index.MovesOf(ctx, j.Messages, s.index.Owners(ctx, j))
	if err != nil {
		return err
	}
	if len(moves) > 0 {
		if _, err := s.journal.UpdateOne(ctx, bson.D{{Key: "_id", Value: j.ID}}, bson.M{"$set": bson.M{"moves": moves, "indexV": 1}}); err != nil {
			return err
		}
	}
	j.Moves, j.IndexV = moves, 1
	return nil
}
