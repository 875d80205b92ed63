// Package customer is the read and edit side of profiles: lookups that follow merges,
// search on stored tokens, and edits written as records of the manual source so that
// they take part in survivorship with visible provenance.
package customer

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Query selects profiles for search: every term must match a stored token by prefix.
type Query struct {
	Terms []string
	// IDs, when set, restricts to these profile ids (a pasted id or identifier lookup).
	IDs   []string
	After string // profile id cursor: results are newest first
	Limit int
}

// Store reads profiles.
type Store interface {
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
	GetIdentities(ctx context.Context, keys []string) ([]profile.Identity, error)
	IdentitiesOfProfiles(ctx context.Context, ids []string) ([]profile.Identity, error)
	RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error)
	SearchProfiles(ctx context.Context, q Query) ([]profile.Profile, error)
	CountProfiles(ctx context.Context, q Query) (int64, error)
}

// Service serves profiles.
type Service struct {
	Store      Store
	Engine     *identity.Engine
	Ingest     *ingest.Service
	Normalizer *normalize.Normalizer
}

// Get returns a profile, following merge redirects from absorbed ids. Its reads are
// shared with the other fields of a query (profile.ReadShared): a profile that was not
// merged is one point read for the whole Customer 360 view.
func (s *Service) Get(ctx context.Context, id string) (profile.Profile, error) {
	view := func(ctx context.Context, ids []string) ([]profile.Profile, error) {
		return profile.ReadShared(ctx, ids, s.Store.GetProfiles)
	}
	f, err := identity.FollowOne(ctx, identity.ProfileRedirects(view), id)
	if err != nil {
		return profile.Profile{}, err
	}
	ps, err := view(ctx, []string{f})
	if err != nil {
		return profile.Profile{}, err
	}
	if len(ps) == 0 {
		return profile.Profile{}, apperr.NotFoundf("customer %q not found", id)
	}
	return ps[0], nil
}

// IdentityKey normalises an identifier the way ingestion does.
func (s *Service) IdentityKey(typ, value string) (string, error) {
	typ = strings.ToLower(strings.TrimSpace(typ))
	var err error
	v := strings.TrimSpace(value)
	switch typ {
	case "email":
		v, err = s.Normalizer.Email(value)
	case "phone":
		v, err = s.Normalizer.Phone(value)
	case "":
		return "", apperr.Invalidf("identifier type is required")
	}
	if err != nil {
		return "", apperr.Invalidf("%s", strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "))
	}
	if v == "" {
		return "", apperr.Invalidf("identifier value is required")
	}
	return profile.Identifier{Type: typ, Value: v}.Key(), nil
}

// ByIdentifier finds the profile that owns an identifier.
func (s *Service) ByIdentifier(ctx context.Context, typ, value string) (profile.Profile, error) {
	key, err := s.IdentityKey(typ, value)
	if err != nil {
		return profile.Profile{}, err
	}
	ids, err := s.Store.GetIdentities(ctx, []string{key})
	if err != nil {
		return profile.Profile{}, err
	}
	if len(ids) == 0 {
		return profile.Profile{}, apperr.NotFoundf("no customer with %s", key)
	}
	return s.Get(ctx, ids[0].ProfileID)
}

// Page is one page of search results.
type Page struct {
	Profiles []profile.Profile
	HasNext  bool
	Total    int64
}

var idLike = regexp.MustCompile(`^cus_[0-9a-z]{26}$`)

// Cursor encodes a profile id as an opaque cursor.
func Cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// Search finds profiles by name, e-mail, phone or id prefix, newest first.
func (s *Service) Search(ctx context.Context, text string, first int, after string) (Page, error) {
	if first < 0 || first > 100 {
		return Page{}, apperr.Invalidf("first must be between 0 and 100")
	}
	q := Query{Limit: first + 1}
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !idLike.MatchString(string(b)) {
			return Page{}, apperr.Invalidf("invalid cursor")
		}
		q.After = string(b)
	}
	text = strings.TrimSpace(text)
	if len(text) > 200 {
		return Page{}, apperr.Invalidf("search text longer than 200 characters")
	}
	switch {
	case text == "":
	case idLike.MatchString(strings.ToLower(text)):
		f, err := s.Engine.Final(ctx, strings.ToLower(text))
		if err != nil {
			return Page{}, nil
		}
		q.IDs = []string{f}
	case strings.Contains(text, "@"):
		if e, err := s.Normalizer.Email(text); err == nil {
			q.Terms = []string{e}
		} else {
			q.Terms = normalize.Tokens(text)
		}
	case looksLikePhone(text):
		if p, err := s.Normalizer.Phone(text); err == nil {
			q.Terms = []string{strings.TrimPrefix(p, "+")}
		} else {
			q.Terms = []string{digits(text)}
		}
	default:
		q.Terms = normalize.Tokens(text)
	}
	if text != "" && len(q.Terms) == 0 && len(q.IDs) == 0 {
		return Page{}, nil
	}
	if len(q.Terms) > 5 {
		q.Terms = q.Terms[:5]
	}
	ps, err := s.Store.SearchProfiles(ctx, q)
	if err != nil {
		return Page{}, err
	}
	total, err := s.Store.CountProfiles(ctx, Query{Terms: q.Terms, IDs: q.IDs})
	if err != nil {
		return Page{}, err
	}
	pg := Page{Profiles: ps, Total: total}
	if len(ps) > first {
		pg.Profiles, pg.HasNext = ps[:first], true
	}
	return pg, nil
}

func looksLikePhone(s string) bool {
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			n++
		case strings.ContainsRune("+-() ./", r):
		default:
			return false
		}
	}
	return n >= 6
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// Edit is a change of traits typed by a person.
type Edit struct {
	FirstName, LastName, BirthDate, Locale *string
	Emails, Phones                         []string
	Addresses                              []profile.Address
	Attributes                             map[string]any
}

func (e Edit) payload() map[string]any {
	p := map[string]any{}
	set := func(k string, v *string) {
		if v != nil {
			p[k] = *v
		}
	}
	set("firstName", e.FirstName)
	set("lastName", e.LastName)
	set("birthDate", e.BirthDate)
	set("locale", e.Locale)
	// The manual source maps one e-mail and one phone per record; extra values become
	// further records so each is an identifier with its own provenance.
	if len(e.Attributes) > 0 {
		p["attributes"] = e.Attributes
	}
	if len(e.Addresses) > 0 {
		a := e.Addresses[0]
		for k, v := range map[string]string{"address1": a.Line1, "address2": a.Line2, "city": a.City, "postcode": a.Postcode, "region": a.Region, "country": a.Country} {
			if v != "" {
				p[k] = v
			}
		}
	}
	return p
}

func (e Edit) validate(n *normalize.Normalizer) error {
	for _, m := range e.Emails {
		if _, err := n.Email(m); err != nil {
			return apperr.Invalidf("%s", strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "))
		}
	}
	for _, ph := range e.Phones {
		if _, err := n.Phone(ph); err != nil {
			return apperr.Invalidf("%s", strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "))
		}
	}
	if e.BirthDate != nil && *e.BirthDate != "" {
		if _, err := normalize.Date(*e.BirthDate, time.Now()); err != nil {
			return apperr.Invalidf("%s", strings.TrimPrefix(err.Error(), normalize.ErrInvalid.Error()+": "))
		}
	}
	if len(e.Emails) > 20 || len(e.Phones) > 20 || len(e.Addresses) > 1 {
		return apperr.Invalidf("at most 20 e-mails, 20 phones and 1 address per edit")
	}
	return nil
}

// inputs turns an edit into manual-source records: the traits, then one record per
// extra e-mail or phone.
func (e Edit) inputs(prefix string, pinned string) []ingest.Input {
	p := e.payload()
	n := max(len(e.Emails), len(e.Phones), 1)
	var in []ingest.Input
	for i := range n {
		q := map[string]any{}
		if i == 0 {
			q = p
		}
		if i < len(e.Emails) {
			q["email"] = e.Emails[i]
		}
		if i < len(e.Phones) {
			q["phone"] = e.Phones[i]
		}
		if len(q) == 0 {
			continue
		}
		id := prefix
		if i > 0 {
			id = prefix + "-" + string(rune('a'+i-1))
		}
		in = append(in, ingest.Input{ExternalID: id, Payload: q, Pinned: pinned})
	}
	return in
}

// Create makes a profile from traits typed by a person. Its identifiers resolve like any
// record's, so creating a customer whose e-mail is known returns the existing profile.
func (s *Service) Create(ctx context.Context, e Edit) (profile.Profile, error) {
	if err := e.validate(s.Normalizer); err != nil {
		return profile.Profile{}, err
	}
	in := e.inputs("new-"+s.Engine.NewProfileID()[4:], "")
	if len(in) == 0 {
		return profile.Profile{}, apperr.Invalidf("give at least one trait")
	}
	if err := s.checkMerge(ctx, "", e); err != nil {
		return profile.Profile{}, err
	}
	// The first record decides the profile; the rest are pinned to it.
	res, err := s.Ingest.Ingest(ctx, ingest.ManualSource, in[:1], "")
	if err != nil {
		return profile.Profile{}, err
	}
	if len(res.Rejects) > 0 {
		return profile.Profile{}, ingest.RejectError(res.Rejects[0])
	}
	id := res.ProfileIDs[0]
	if len(in) > 1 {
		for i := range in[1:] {
			in[1+i].Pinned = id
		}
		if _, err := s.Ingest.Ingest(ctx, ingest.ManualSource, in[1:], ""); err != nil {
			return profile.Profile{}, err
		}
	}
	return s.Get(ctx, id)
}

// Update records an edit of a profile as new manual records pinned to it; the newest
// manual value wins survivorship, and provenance shows who typed it.
func (s *Service) Update(ctx context.Context, id string, e Edit) (profile.Profile, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return profile.Profile{}, err
	}
	if err := e.validate(s.Normalizer); err != nil {
		return profile.Profile{}, err
	}
	in := e.inputs("edit-"+s.Engine.NewProfileID()[4:], p.ID)
	if len(in) == 0 {
		return profile.Profile{}, apperr.Invalidf("give at least one trait to change")
	}
	if err := s.checkMerge(ctx, p.ID, e); err != nil {
		return profile.Profile{}, err
	}
	res, err := s.Ingest.Ingest(ctx, ingest.ManualSource, in, "")
	if err != nil {
		return profile.Profile{}, err
	}
	if len(res.Rejects) > 0 {
		return profile.Profile{}, ingest.RejectError(res.Rejects[0])
	}
	return s.Get(ctx, res.ProfileIDs[0])
}

// checkMerge refuses, before anything is stored, an edit that would merge profiles when
// the caller may not merge (identity.WithoutMerges): an e-mail or phone of the edit that
// belongs to another profile than target, or, for a new customer (target ""), identifiers
// of two different profiles. Blocked values never merge and are skipped. The identity
// engine checks again when it resolves the edit, for identifiers claimed meanwhile.
func (s *Service) checkMerge(ctx context.Context, target string, e Edit) error {
	if identity.MayMerge(ctx) {
		return nil
	}
	var keys []string
	add := func(typ string, norm func(string) (string, error), vals []string) {
		for _, v := range vals {
			n, err := norm(v)
			if err != nil || s.Engine.Rules.Blocked(typ, n) {
				continue
			}
			keys = append(keys, profile.Identifier{Type: typ, Value: n}.Key())
		}
	}
	add("email", s.Normalizer.Email, e.Emails)
	add("phone", s.Normalizer.Phone, e.Phones)
	if len(keys) == 0 {
		return nil
	}
	ids, err := s.Store.GetIdentities(ctx, keys)
	if err != nil {
		return err
	}
	final := map[string]string{} // owner -> live profile
	for _, it := range ids {
		if it.ProfileID == "" || it.ProfileID == target {
			continue
		}
		if _, done := final[it.ProfileID]; done {
			continue
		}
		f, err := s.Engine.Final(ctx, it.ProfileID)
		if err != nil {
			if apperr.IsNotFound(err) {
				continue // a shell another writer has not created yet: nothing to merge with
			}
			return err
		}
		final[it.ProfileID] = f
	}
	into := target
	for _, it := range ids {
		f, ok := final[it.ProfileID]
		if !ok || f == into {
			continue
		}
		if into == "" {
			into = f
			continue
		}
		return apperr.Forbiddenf("this edit would merge customers %s and %s (%s belongs to %s): merging customers needs an admin key", into, f, it.ID, f)
	}
	return nil
}
