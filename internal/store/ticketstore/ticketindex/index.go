// Package ticketindex keeps the help desk's index collections, written along the
// changeset journal of ticketstore.Store.Save so that the reads they serve are bare-_id
// point reads whatever the size of the database: the requester index of the Customer
// 360 (ticket_requesters, requesters.go) and the thread lists of the conversations
// (ticket_threads, threads.go).
package ticketindex

import (
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Index is the requester index and the thread lists of one database.
type Index struct {
	db                        *mongo.Database
	b                         *dbkit.Backend
	tickets, messages, events *mongo.Collection
	// threadsReady caches that ticket_threads is built (threads.go).
	threadsReady atomic.Bool
}

// New wraps a database; tickets, messages and events are the collections of the
// documents indexed.
func New(db *mongo.Database, b *dbkit.Backend, tickets, messages, events *mongo.Collection) *Index {
	return &Index{db: db, b: b, tickets: tickets, messages: messages, events: events}
}
