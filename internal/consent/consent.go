// Package consent keeps consent as first-class data: per customer profile, channel
// (email, sms, push, phone) and purpose (marketing, transactional), the current status
// and a bounded history of the statements that led to it, each with its source, time
// and actor. It is domain code: no GraphQL and no driver types; the store keeps one
// document per profile (internal/store/consentstore).
//
// # Statuses and transitions
//
//	granted     the customer agreed (or confirmed a double opt-in)
//	pending     the customer agreed where double opt-in is configured and has not yet
//	            confirmed through the signed link: not granted
//	withdrawn   the customer said no, or took a grant back
//	bounced     a message on the channel could not be delivered (the address is dead):
//	            applies to every purpose of the channel
//	complained  the customer reported a message as spam
//
// Any statement may follow any other: an explicit statement of the customer supersedes
// the previous one (a new grant after a bounce is a new address). The latest statement
// wins: a statement whose time is before the current one's (an import of old data) goes
// into the history and leaves the status alone. Pending is never stated directly: a
// grant of a key with double opt-in becomes pending and yields a confirmation token,
// and only Confirm turns it into granted.
//
// # Who may be messaged (Allowed)
//
// Marketing needs granted. Transactional messages (receipts, delivery notices) need no
// opt-in, but are not sent where the customer withdrew, the address bounced or the
// customer complained.
//
// # Merges and splits
//
// A merge makes the survivor's status per channel and purpose the most restrictive of
// the merged profiles' current statements (complained, then bounced, then withdrawn,
// then granted, then pending; among equals the most recent). A merge is an inference
// that may be wrong and messaging someone who said no is the costly mistake, so a
// refusal on either side stands until the customer states otherwise. Pending ranks
// below granted: it is an unfinished request, not a refusal. The absorbed profiles'
// histories join the survivor's. A split gives every split-off part the refusals
// (withdrawn, bounced, complained) of the profile it came from, never its grants: which
// part gave them is unknown.
package consent

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Channel is a way of reaching a customer.
type Channel string

// Channels. Phone (calls) is kept from the consent_<channel> attributes it replaces.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
	Push  Channel = "push"
	Phone Channel = "phone"
)

// Channels lists every channel.
var Channels = []Channel{Email, SMS, Push, Phone}

// Purpose is why a message is sent.
type Purpose string

const (
	Marketing     Purpose = "marketing"
	Transactional Purpose = "transactional"
)

// Purposes lists every purpose.
var Purposes = []Purpose{Marketing, Transactional}

// Status is a customer's consent on one channel for one purpose.
type Status string

const (
	Granted    Status = "granted"
	Pending    Status = "pending"
	Withdrawn  Status = "withdrawn"
	Bounced    Status = "bounced"
	Complained Status = "complained"
)

// Statuses lists every status.
var Statuses = []Status{Granted, Pending, Withdrawn, Bounced, Complained}

// Valid reports a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Valid reports a known purpose.
func (p Purpose) Valid() bool { return slices.Contains(Purposes, p) }

// Valid reports a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Refusal reports the statuses that stop messages of every purpose.
func (s Status) Refusal() bool { return s == Withdrawn || s == Bounced || s == Complained }

// restriction orders statuses for merges: higher is more restrictive.
func (s Status) restriction() int {
	switch s {
	case Complained:
		return 4
	case Bounced:
		return 3
	case Withdrawn:
		return 2
	case Granted:
		return 1
	}
	return 0 // pending
}

// Key is a channel and a purpose.
type Key struct {
	Channel Channel
	Purpose Purpose
}

// String is "channel:purpose", the form segment facts and queries use.
func (k Key) String() string { return KeyString(string(k.Channel), string(k.Purpose)) }

// KeyString is the "channel:purpose" form of a key.
func KeyString(channel, purpose string) string { return channel + ":" + purpose }

// Keys lists every channel and purpose, in channel then purpose order.
func Keys() []Key {
	out := make([]Key, 0, len(Channels)*len(Purposes))
	for _, c := range Channels {
		for _, p := range Purposes {
			out = append(out, Key{c, p})
		}
	}
	return out
}

// ParseKeys reads "channel:purpose" keys (e.g. the configured double opt-in keys).
func ParseKeys(ss []string) (map[Key]bool, error) {
	out := map[Key]bool{}
	for _, s := range ss {
		if s = strings.ToLower(strings.TrimSpace(s)); s == "" {
			continue
		}
		k, err := parseKey(s)
		if err != nil {
			return nil, fmt.Errorf("consent key %q: %w (want channel:purpose, e.g. email:marketing)", s, err)
		}
		out[k] = true
	}
	return out, nil
}

func (k Key) check() error {
	if !k.Channel.Valid() {
		return apperr.Invalidf("unknown consent channel %q", k.Channel)
	}
	if !k.Purpose.Valid() {
		return apperr.Invalidf("unknown consent purpose %q", k.Purpose)
	}
	return nil
}

// State is the current status of one key and the statement that set it.
type State struct {
	Channel Channel   `bson:"channel"`
	Purpose Purpose   `bson:"purpose"`
	Status  Status    `bson:"status"`
	At      time.Time `bson:"at"` // when the customer stated it
	Source  string    `bson:"source"`
	Actor   string    `bson:"actor,omitempty"`
	Entry   string    `bson:"entry"` // the history entry
}

// Key is the state's channel and purpose.
func (s State) Key() Key { return Key{s.Channel, s.Purpose} }

// Entry is one statement in a profile's consent history.
type Entry struct {
	ID      string  `bson:"id"`
	Channel Channel `bson:"channel"`
	Purpose Purpose `bson:"purpose"`
	Status  Status  `bson:"status"`
	// At is when the customer stated it; RecordedAt when it was recorded here.
	At         time.Time `bson:"at"`
	RecordedAt time.Time `bson:"recordedAt"`
	// Source says where it was stated ("web form", "phone call", "esp bounce",
	// "merge", "split", "migration"...); Actor who recorded it (an API key).
	Source string `bson:"source"`
	Actor  string `bson:"actor,omitempty"`
	Note   string `bson:"note,omitempty"`
	// Profile is the profile the statement was made on when it came to this one by a
	// merge or a split.
	Profile string `bson:"profile,omitempty"`
}

// Key is the entry's channel and purpose.
func (e Entry) Key() Key { return Key{e.Channel, e.Purpose} }

// MaxHistory bounds the entries a record keeps (the oldest go first; the current states
// keep what they need of theirs).
const MaxHistory = 100

// Record is a profile's consent: the current state per key and the history.
type Record struct {
	ProfileID string
	States    []State // by key, only keys with a statement
	History   []Entry // oldest first, at most MaxHistory
	Rev       int64   // the store's revision, for compare-and-set
}

// State returns the current state of k.
func (r *Record) State(k Key) (State, bool) {
	for _, s := range r.States {
		if s.Key() == k {
			return s, true
		}
	}
	return State{}, false
}

// Allowed reports whether a message of the purpose may go to the customer on the
// channel: marketing needs granted; transactional anything but a refusal.
func (r *Record) Allowed(c Channel, p Purpose) bool {
	s, ok := r.State(Key{c, p})
	if p == Marketing {
		return ok && s.Status == Granted
	}
	return !ok || !s.Status.Refusal()
}

// Granted lists the keys whose status is granted, as "channel:purpose", sorted: the
// facts segment conditions read.
func (r *Record) Granted() []string {
	var out []string
	for _, s := range r.States {
		if s.Status == Granted {
			out = append(out, s.Key().String())
		}
	}
	slices.Sort(out)
	return out
}

// HasEntry reports whether the history holds an entry with this id.
func (r *Record) HasEntry(id string) bool {
	return slices.ContainsFunc(r.History, func(e Entry) bool { return e.ID == id })
}

func keyCmp(a, b Key) int {
	if c := cmp.Compare(slices.Index(Channels, a.Channel), slices.Index(Channels, b.Channel)); c != 0 {
		return c
	}
	return cmp.Compare(slices.Index(Purposes, a.Purpose), slices.Index(Purposes, b.Purpose))
}

// setState makes s the state of its key.
func (r *Record) setState(s State) {
	i, found := slices.BinarySearchFunc(r.States, s.Key(), func(x State, k Key) int { return keyCmp(x.Key(), k) })
	if found {
		r.States[i] = s
		return
	}
	r.States = slices.Insert(r.States, i, s)
}

// addEntry appends e to the history (by statement time, then recording time), dropping
// the oldest entries beyond MaxHistory; an entry already there is not added again.
func (r *Record) addEntry(e Entry) bool {
	if r.HasEntry(e.ID) {
		return false
	}
	i := len(r.History)
	for i > 0 && entryCmp(r.History[i-1], e) > 0 {
		i--
	}
	r.History = slices.Insert(r.History, i, e)
	if n := len(r.History) - MaxHistory; n > 0 {
		r.History = slices.Delete(r.History, 0, n)
	}
	return true
}

func entryCmp(a, b Entry) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	if c := a.RecordedAt.Compare(b.RecordedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Record adds a statement: it joins the history and becomes the current state of its
// key unless the current state was stated later. It reports whether the record changed
// (false for an entry already recorded).
func (r *Record) Record(e Entry) bool {
	if !r.addEntry(e) {
		return false
	}
	if cur, ok := r.State(e.Key()); ok && cur.At.After(e.At) {
		return true
	}
	r.setState(State{Channel: e.Channel, Purpose: e.Purpose, Status: e.Status, At: e.At, Source: e.Source, Actor: e.Actor, Entry: e.ID})
	return true
}

// Merge folds an absorbed profile's record into r, the survivor's (see the package
// doc): per key the more restrictive state, among equals the more recent; a "merge"
// entry per key records the outcome, and makes a repeat (a replayed merge) change
// nothing. The absorbed history joins r's. It reports whether r changed.
func (r *Record) Merge(absorbed Record, actor string, at time.Time) bool {
	changed := false
	for _, a := range absorbed.States {
		id := "merge:" + absorbed.ProfileID + ":" + a.Key().String()
		if r.HasEntry(id) {
			continue
		}
		s, ok := r.State(a.Key())
		win := s
		if !ok || a.Status.restriction() > s.Status.restriction() || a.Status == s.Status && a.At.After(s.At) {
			win = a
		}
		before := "no statement"
		if ok {
			before = string(s.Status)
		}
		r.addEntry(Entry{ID: id, Channel: a.Channel, Purpose: a.Purpose, Status: win.Status, At: at, RecordedAt: at, Source: "merge", Actor: actor,
			Note: fmt.Sprintf("merged customer %s (%s) into this one (%s)", absorbed.ProfileID, a.Status, before), Profile: absorbed.ProfileID})
		r.setState(win)
		changed = true
	}
	for _, e := range absorbed.History {
		if e.Profile == "" {
			e.Profile = absorbed.ProfileID
		}
		if r.addEntry(e) {
			changed = true
		}
	}
	return changed
}

// Inherit gives r, a part split off from's profile, from's refusals (see the package
// doc), each with a "split" entry; a repeat changes nothing. It reports whether r
// changed.
func (r *Record) Inherit(from Record, actor string, at time.Time) bool {
	changed := false
	for _, f := range from.States {
		if !f.Status.Refusal() {
			continue
		}
		id := "split:" + from.ProfileID + ":" + f.Key().String()
		if r.HasEntry(id) {
			continue
		}
		if s, ok := r.State(f.Key()); ok && s.Status.restriction() >= f.Status.restriction() {
			continue
		}
		r.addEntry(Entry{ID: id, Channel: f.Channel, Purpose: f.Purpose, Status: f.Status, At: at, RecordedAt: at, Source: "split", Actor: actor,
			Note: fmt.Sprintf("split off customer %s, which had %s", from.ProfileID, f.Status), Profile: from.ProfileID})
		f.Entry = id
		r.setState(f)
		changed = true
	}
	return changed
}
