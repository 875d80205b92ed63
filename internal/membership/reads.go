package membership

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// Reader is what the segment reads need besides Store: member pages, the change log,
// a profile's segments, export tokens, and the profiles they show.
type Reader interface {
	// MembersPage returns current members in profile id order after after.
	MembersPage(ctx context.Context, seg, after string, limit int) ([]Member, error)
	// Changes returns entries and exits since since, newest first.
	Changes(ctx context.Context, seg string, since time.Time, limit int) ([]Change, error)
	ProfileSegments(ctx context.Context, profileID string) ([]Segment, error)
	SaveExportToken(ctx context.Context, token, seg string, expires time.Time) error
	// GetProfiles returns the stored profiles among ids (erased ones are absent).
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
}

// Get returns a segment.
func (s *Service) Get(ctx context.Context, id string) (Segment, error) {
	return s.Store.GetSegment(ctx, id)
}

// List returns every segment.
func (s *Service) List(ctx context.Context) ([]Segment, error) { return s.Store.ListSegments(ctx) }

// Reevaluate refreshes a segment now (Refresh) and returns it as it is afterwards.
func (s *Service) Reevaluate(ctx context.Context, id string) (Segment, error) {
	if err := s.Refresh(ctx, id); err != nil {
		return Segment{}, err
	}
	return s.Store.GetSegment(ctx, id)
}

// Preview is what a rule selects now, without saving anything.
type Preview struct {
	Count  int64
	Sample []profile.Profile
	// Took is how long the count took.
	Took time.Duration
}

// Preview counts the customers a rule selects and samples up to sample of them
// (0 to 100).
func (s *Service) Preview(ctx context.Context, rule segment.Rule, sample int) (Preview, error) {
	if sample < 0 || sample > 100 {
		return Preview{}, apperr.Invalidf("sample must be between 0 and 100")
	}
	now := s.now()
	start := time.Now()
	if pv, ok := s.Eval.(segment.Previewer); ok {
		count, sampled, err := pv.SegmentPreview(ctx, rule, now, sample)
		if err != nil {
			return Preview{}, err
		}
		if sampled == nil {
			sampled = []profile.Profile{}
		}
		return Preview{Count: count, Sample: sampled, Took: time.Since(start)}, nil
	}
	count, err := s.Eval.SegmentCount(ctx, rule, now)
	if err != nil {
		return Preview{}, err
	}
	out := Preview{Count: count, Sample: []profile.Profile{}, Took: time.Since(start)}
	if sample > 0 && count > 0 {
		if out.Sample, err = s.Eval.SegmentSample(ctx, rule, now, sample); err != nil {
			return Preview{}, err
		}
	}
	return out, nil
}

// MemberProfile is a current member with its profile.
type MemberProfile struct {
	Profile   profile.Profile
	EnteredAt time.Time
}

// MemberPage is one page of a segment's current members.
type MemberPage struct {
	Members []MemberProfile
	HasNext bool
}

// Members pages through a segment's current members (1 to 500 a page), oldest
// customers first (profile ids are time-ordered); after is a profile id. A member
// erased meanwhile is left out.
func (s *Service) Members(ctx context.Context, segID string, first int, after string) (MemberPage, error) {
	if first < 1 || first > 500 {
		return MemberPage{}, apperr.Invalidf("first must be between 1 and 500")
	}
	ms, err := s.Reads.MembersPage(ctx, segID, after, first+1)
	if err != nil {
		return MemberPage{}, err
	}
	out := MemberPage{Members: []MemberProfile{}, HasNext: len(ms) > first}
	if out.HasNext {
		ms = ms[:first]
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ProfileID
	}
	ps, err := s.Reads.GetProfiles(ctx, ids)
	if err != nil {
		return MemberPage{}, err
	}
	byID := make(map[string]profile.Profile, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	for _, m := range ms {
		if p, ok := byID[m.ProfileID]; ok {
			out.Members = append(out.Members, MemberProfile{Profile: p, EnteredAt: m.EnteredAt})
		}
	}
	return out, nil
}

// ChangeOf is an entry or exit with the customer as stored (nil once erased).
type ChangeOf struct {
	Change
	Profile *profile.Profile
}

// DefaultChangesSince is how far back ChangeLog looks without a since.
const DefaultChangesSince = 7 * 24 * time.Hour

// ChangeLog returns who entered or exited a segment since since (zero: the last
// DefaultChangesSince), newest first, at most first (1 to 1000), with their profiles
// read in one batch.
func (s *Service) ChangeLog(ctx context.Context, segID string, since time.Time, first int) ([]ChangeOf, error) {
	if since.IsZero() {
		since = s.now().Add(-DefaultChangesSince)
	}
	if first < 1 || first > 1000 {
		return nil, apperr.Invalidf("first must be between 1 and 1000")
	}
	cs, err := s.Reads.Changes(ctx, segID, since, first)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ProfileID
	}
	ps, err := s.Reads.GetProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*profile.Profile, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	out := make([]ChangeOf, len(cs))
	for i, c := range cs {
		out[i] = ChangeOf{Change: c, Profile: byID[c.ProfileID]}
	}
	return out, nil
}

// ProfileSegments returns the segments a customer is a member of now, by name.
func (s *Service) ProfileSegments(ctx context.Context, profileID string) ([]Segment, error) {
	segs, err := s.Reads.ProfileSegments(ctx, profileID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(segs, func(a, b Segment) int { return strings.Compare(a.Name, b.Name) })
	return segs, nil
}

// ExportTTL is how long a segment export link works.
const ExportTTL = 15 * time.Minute

// Export is a short-lived credential to download a segment's members.
type Export struct {
	Token     string
	ExpiresAt time.Time
}

// Export issues an export token for a segment on behalf of an API key. The token
// names the key ("keyID.random"): the link stops working when that key is revoked.
func (s *Service) Export(ctx context.Context, segID, keyID string) (Export, error) {
	if _, err := s.Store.GetSegment(ctx, segID); err != nil {
		return Export{}, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Export{}, err
	}
	e := Export{Token: keyID + "." + hex.EncodeToString(b), ExpiresAt: time.Now().UTC().Add(ExportTTL)}
	if err := s.Reads.SaveExportToken(ctx, e.Token, segID, e.ExpiresAt); err != nil {
		return Export{}, err
	}
	return e, nil
}
