package ticketdoc

import "time"

// JournalTicket is a ticket of a Journal.
type JournalTicket struct {
	Expect int64  `bson:"expect"` // version before the change; 0 = insert
	Doc    Ticket `bson:"doc"`
}

// Journal is a ticket changeset being saved (collection ticket_changesets; see
// ticketstore.Store.Save).
type Journal struct {
	ID        string          `bson:"_id"`
	CreatedAt time.Time       `bson:"createdAt"`
	Tickets   []JournalTicket `bson:"tickets"`
	Messages  []Message       `bson:"messages"` // new and re-pointed: both are upserts by id
	Events    []Event         `bson:"events"`
	// Moves are the agent replies a merge moves off another requester's ticket, and
	// IndexV is 1 where they were computed (a journal of an older version has 0).
	Moves  []Move `bson:"moves,omitempty"`
	IndexV int    `bson:"indexV,omitempty"`
}

// Move is a message a merge moves to another ticket: its reply entry leaves the
// requester of the ticket it came from (the journal keeps where from, as the message
// itself is rewritten).
type Move struct {
	Msg       string    `bson:"msg"`
	From      string    `bson:"from"`
	Requester string    `bson:"requester"`
	At        time.Time `bson:"at"`
}
