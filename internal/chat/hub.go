package chat

import (
	"sync"
	"time"
)

// hub is the in-process state: open visitor connections by ticket and by visitor, the
// agents watching chat activity, the visitors' ephemeral typing and read state, and
// agent names.
type hub struct {
	mu        sync.Mutex
	byTicket  map[string]map[*Conn]struct{}
	byVisitor map[string]map[*Conn]struct{}
	watchers  map[*watcher]struct{}
	state     map[string]Activity // by ticket, while a connection is open
	names     map[string]string
}

type watcher struct {
	ticketID string
	ch       chan Activity
}

func add[K comparable, V comparable](m map[K]map[V]struct{}, k K, v V) {
	if m[k] == nil {
		m[k] = map[V]struct{}{}
	}
	m[k][v] = struct{}{}
}

func del[K comparable, V comparable](m map[K]map[V]struct{}, k K, v V) {
	delete(m[k], v)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

func (h *hub) init() {
	if h.byTicket == nil {
		h.byTicket, h.byVisitor, h.watchers = map[string]map[*Conn]struct{}{}, map[string]map[*Conn]struct{}{}, map[*watcher]struct{}{}
		h.state, h.names = map[string]Activity{}, map[string]string{}
	}
}

// join registers a connection (under its ticket if it has one).
func (h *hub) join(c *Conn, ticketID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	add(h.byVisitor, c.visitor.ID, c)
	c.ticket = ticketID
	if ticketID != "" {
		add(h.byTicket, ticketID, c)
		h.changeLocked(ticketID, func(a *Activity) { a.VisitorOnline = true })
	}
}

// attach moves every connection of a visitor to a ticket (the first message opened it,
// or another tab's did).
func (h *hub) attach(visitorID, ticketID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	for c := range h.byVisitor[visitorID] {
		if c.ticket != ticketID {
			if c.ticket != "" {
				del(h.byTicket, c.ticket, c)
			}
			c.ticket = ticketID
			add(h.byTicket, ticketID, c)
		}
	}
	h.changeLocked(ticketID, func(a *Activity) { a.VisitorOnline = true })
}

// leave removes a connection; it returns the ticket if that was its last connection.
func (h *hub) leave(c *Conn) (lastOf string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	del(h.byVisitor, c.visitor.ID, c)
	if c.ticket == "" {
		return ""
	}
	del(h.byTicket, c.ticket, c)
	if len(h.byTicket[c.ticket]) > 0 {
		return ""
	}
	h.changeLocked(c.ticket, func(a *Activity) { *a = Activity{TicketID: a.TicketID} })
	delete(h.state, c.ticket)
	return c.ticket
}

func (h *hub) conns(ticketID string) []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Conn, 0, len(h.byTicket[ticketID]))
	for c := range h.byTicket[ticketID] {
		out = append(out, c)
	}
	return out
}

func (h *hub) visitorConns(visitorID string) []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Conn, 0, len(h.byVisitor[visitorID]))
	for c := range h.byVisitor[visitorID] {
		out = append(out, c)
	}
	return out
}

func (h *hub) tickets() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.byTicket))
	for id := range h.byTicket {
		out = append(out, id)
	}
	return out
}

// change updates a ticket's visitor state and tells the agents watching it.
func (h *hub) change(ticketID string, f func(a *Activity)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	h.changeLocked(ticketID, f)
}

func (h *hub) changeLocked(ticketID string, f func(a *Activity)) {
	a := h.state[ticketID]
	before := a
	a.TicketID = ticketID
	f(&a)
	if a == before && before.TicketID != "" {
		return
	}
	a.At = time.Now().UTC()
	h.state[ticketID] = a
	for w := range h.watchers {
		if w.ticketID == ticketID {
			select {
			case w.ch <- a:
			default: // a slow watcher misses a snapshot; the next one carries the state
			}
		}
	}
}

func (h *hub) activity(ticketID string) Activity {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.state[ticketID]
	a.TicketID = ticketID
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	return a
}

func (h *hub) watch(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	h.watchers[w] = struct{}{}
}

func (h *hub) unwatch(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

func (h *hub) name(id string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.names[id]
	return n, ok
}

func (h *hub) setName(id, n string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	h.names[id] = n
}
