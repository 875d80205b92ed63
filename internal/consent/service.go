package consent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Store is what the consent domain needs from the database: one record per profile,
// read and written by profile id.
type Store interface {
	// Get reads a profile's record (an empty record with ok false when there is none).
	Get(ctx context.Context, profileID string) (rec Record, ok bool, err error)
	// GetMany reads the records of profiles; profiles without one are left out.
	GetMany(ctx context.Context, profileIDs []string) ([]Record, error)
	// Update applies change to a profile's record (an empty one when there is none) and
	// writes it if change reports a change, atomically with respect to other Updates of
	// the record; change may run more than once (a lost race) and must be pure.
	Update(ctx context.Context, profileID string, change func(r *Record) (bool, error)) (Record, error)
	// Delete deletes the records of profiles (erasure, or absorbed by a merge).
	Delete(ctx context.Context, profileIDs []string) error
	// TokenKey is the installation's secret for confirmation tokens (created once).
	TokenKey(ctx context.Context) ([]byte, error)
}

// Service records and answers consent.
type Service struct {
	Store Store
	// Final follows merges from a profile id to the live profile (NOT_FOUND when there
	// is none: erased or unknown).
	Final func(ctx context.Context, id string) (string, error)
	// DoubleOptIn lists the keys whose grants stay pending until confirmed.
	DoubleOptIn map[Key]bool
	// TokenTTL is how long a confirmation token is valid (default 7 days).
	TokenTTL time.Duration
	// Changed, if set, hears the profiles whose consent changed (segment membership);
	// it must not block.
	Changed func(ids []string)
	Now     func() time.Time
	NewID   func() string
}

const (
	maxSource = 200
	maxNote   = 1000
	// clockSkew is how far in the future a statement's time may be.
	clockSkew = 5 * time.Minute
	// DefaultTokenTTL is the validity of a confirmation token.
	DefaultTokenTTL = 7 * 24 * time.Hour
)

// now is the clock at the precision of stored times.
func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) changed(ids ...string) {
	if s.Changed != nil && len(ids) > 0 {
		s.Changed(ids)
	}
}

// Statement is what a customer said, as recorded by an actor.
type Statement struct {
	Channel Channel
	Purpose Purpose
	Status  Status
	Source  string
	Actor   string
	Note    string
	// At is when the customer said it (zero: now).
	At time.Time
}

// Result is a recorded statement: the record after it, and for a grant that awaits a
// double opt-in the confirmation token to send to the customer.
type Result struct {
	Record     Record
	Token      string
	TokenUntil time.Time
}

// Get returns a live profile's consent (merged ids are followed).
func (s *Service) Get(ctx context.Context, profileID string) (Record, error) {
	pid, err := s.Final(ctx, profileID)
	if err != nil {
		return Record{}, err
	}
	r, _, err := s.Store.Get(ctx, pid)
	r.ProfileID = pid
	return r, err
}

// Current returns the consent of a profile id known to be live (a Customer being
// shown): one point read, no redirect.
func (s *Service) Current(ctx context.Context, profileID string) (Record, error) {
	r, _, err := s.Store.Get(ctx, profileID)
	r.ProfileID = profileID
	return r, err
}

// Allowed reports whether a message of the purpose may go to the profile on the channel
// (see Record.Allowed): one point read. Senders call it before every message.
func (s *Service) Allowed(ctx context.Context, profileID string, c Channel, p Purpose) (bool, error) {
	if err := (Key{c, p}).check(); err != nil {
		return false, err
	}
	r, err := s.Get(ctx, profileID)
	if err != nil {
		return false, err
	}
	return r.Allowed(c, p), nil
}

// Set records a statement for a live profile (merged ids are followed). A grant of a
// key with double opt-in is recorded as pending and the result carries the token that
// confirms it. A bounce applies to every purpose of the channel.
func (s *Service) Set(ctx context.Context, profileID string, st Statement) (Result, error) {
	k := Key{st.Channel, st.Purpose}
	if err := k.check(); err != nil {
		return Result{}, err
	}
	switch {
	case !st.Status.Valid():
		return Result{}, apperr.Invalidf("unknown consent status %q", st.Status)
	case st.Status == Pending:
		return Result{}, apperr.Invalidf("pending is not stated: a grant becomes pending where double opt-in is configured")
	}
	st.Source = strings.TrimSpace(st.Source)
	if st.Source == "" || utf8.RuneCountInString(st.Source) > maxSource {
		return Result{}, apperr.Invalidf("source must have 1 to %d characters", maxSource)
	}
	if utf8.RuneCountInString(st.Note) > maxNote {
		return Result{}, apperr.Invalidf("note must have at most %d characters", maxNote)
	}
	now := s.now()
	if st.At.IsZero() {
		st.At = now
	}
	st.At = st.At.UTC().Truncate(time.Millisecond)
	if st.At.After(now.Add(clockSkew)) {
		return Result{}, apperr.Invalidf("the time of a statement cannot be in the future")
	}
	pid, err := s.Final(ctx, profileID)
	if err != nil {
		return Result{}, err
	}
	status := st.Status
	doi := status == Granted && s.DoubleOptIn[k]
	if doi {
		status = Pending
	}
	purposes := []Purpose{st.Purpose}
	if status == Bounced { // the address is dead for every purpose
		purposes = Purposes
	}
	id := s.newID()
	var entries []Entry
	for _, p := range purposes {
		e := Entry{ID: id, Channel: st.Channel, Purpose: p, Status: status, At: st.At, RecordedAt: now, Source: st.Source, Actor: st.Actor, Note: st.Note}
		if p != st.Purpose {
			e.ID = id + ":" + string(p)
		}
		entries = append(entries, e)
	}
	rec, err := s.Store.Update(ctx, pid, func(r *Record) (bool, error) {
		changed := false
		for _, e := range entries {
			if r.Record(e) {
				changed = true
			}
		}
		return changed, nil
	})
	if err != nil {
		return Result{}, err
	}
	rec.ProfileID = pid
	s.changed(pid)
	// A merge that absorbed the profile while this was written found no record to move:
	// move it now.
	if live, err := s.Final(ctx, pid); err == nil && live != pid {
		if err := s.FollowMerge(ctx, live, []string{pid}, st.Actor, now); err != nil {
			return Result{}, err
		}
		if rec, err = s.Get(ctx, live); err != nil {
			return Result{}, err
		}
	}
	res := Result{Record: rec}
	if doi {
		ttl := s.TokenTTL
		if ttl <= 0 {
			ttl = DefaultTokenTTL
		}
		key, err := s.Store.TokenKey(ctx)
		if err != nil {
			return Result{}, err
		}
		res.TokenUntil = now.Add(ttl).Truncate(time.Second)
		res.Token = signToken(key, token{Profile: pid, Key: k.String(), Entry: id, Until: res.TokenUntil.Unix()})
	}
	return res, nil
}

// Confirm turns a pending grant into granted with the token Set handed out (double
// opt-in). Confirming again is harmless; a token whose grant was withdrawn (or
// otherwise superseded) since is a CONFLICT, an expired or forged one BAD_USER_INPUT.
func (s *Service) Confirm(ctx context.Context, tok, actor string) (Record, Key, error) {
	key, err := s.Store.TokenKey(ctx)
	if err != nil {
		return Record{}, Key{}, err
	}
	t, err := parseToken(key, tok)
	if err != nil {
		return Record{}, Key{}, err
	}
	now := s.now()
	if now.Unix() > t.Until {
		return Record{}, Key{}, apperr.Invalidf("the confirmation token has expired: record the grant again for a new one")
	}
	k, err := parseKey(t.Key)
	if err != nil {
		return Record{}, Key{}, err
	}
	pid, err := s.Final(ctx, t.Profile)
	if err != nil {
		return Record{}, Key{}, err
	}
	id := "confirm:" + t.Entry
	rec, err := s.Store.Update(ctx, pid, func(r *Record) (bool, error) {
		cur, ok := r.State(k)
		switch {
		case r.HasEntry(id), ok && cur.Status == Granted:
			return false, nil // confirmed already, or granted since
		case !ok || cur.Status != Pending:
			return false, apperr.Conflictf("consent for %s %s is no longer pending (%s since %s)", k.Channel, k.Purpose, stateName(cur, ok), cur.At.Format(time.RFC3339))
		}
		// Confirmed now, so the confirmation supersedes the pending request.
		return r.Record(Entry{ID: id, Channel: k.Channel, Purpose: k.Purpose, Status: Granted, At: now, RecordedAt: now,
			Source: "double opt-in confirmation", Actor: actor, Note: "confirms " + t.Entry}), nil
	})
	if err != nil {
		return Record{}, Key{}, err
	}
	rec.ProfileID = pid
	s.changed(pid)
	return rec, k, nil
}

func stateName(s State, ok bool) string {
	if !ok {
		return "no statement"
	}
	return string(s.Status)
}

func parseKey(s string) (Key, error) {
	c, p, _ := strings.Cut(s, ":")
	k := Key{Channel(c), Purpose(p)}
	return k, k.check()
}

// FollowMerge folds the records of absorbed profiles into the survivor's (see
// Record.Merge) and deletes them. It is idempotent: a repeat after a crash between the
// write and the delete merges nothing twice.
func (s *Service) FollowMerge(ctx context.Context, survivor string, absorbed []string, actor string, at time.Time) error {
	var ids []string
	for _, a := range absorbed {
		if a != "" && a != survivor {
			ids = append(ids, a)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	recs, err := s.Store.GetMany(ctx, ids)
	if err != nil || len(recs) == 0 {
		return err
	}
	at = at.UTC().Truncate(time.Millisecond)
	if _, err := s.Store.Update(ctx, survivor, func(r *Record) (bool, error) {
		changed := false
		for _, a := range recs {
			if r.Merge(a, actor, at) {
				changed = true
			}
		}
		return changed, nil
	}); err != nil {
		return err
	}
	gone := make([]string, len(recs))
	for i, r := range recs {
		gone[i] = r.ProfileID
	}
	if err := s.Store.Delete(ctx, gone); err != nil {
		return err
	}
	s.changed(survivor)
	return nil
}

// FollowSplit gives the parts split off a profile its refusals (see Record.Inherit).
// It is idempotent.
func (s *Service) FollowSplit(ctx context.Context, from string, parts []string, actor string, at time.Time) error {
	src, ok, err := s.Store.Get(ctx, from)
	if err != nil || !ok {
		return err
	}
	src.ProfileID = from
	at = at.UTC().Truncate(time.Millisecond)
	var touched []string
	for _, p := range parts {
		if p == "" || p == from {
			continue
		}
		if _, err := s.Store.Update(ctx, p, func(r *Record) (bool, error) { return r.Inherit(src, actor, at), nil }); err != nil {
			return err
		}
		touched = append(touched, p)
	}
	s.changed(touched...)
	return nil
}

// Forget deletes the consent of erased profiles.
func (s *Service) Forget(ctx context.Context, profileIDs []string) error {
	return s.Store.Delete(ctx, profileIDs)
}
