package gdpr

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/privacy"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/store/matchstore"
	"github.com/tessera-cdp/tessera/internal/store/privacystore"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/store/ticketstore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/resolvers"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Eraser performs GDPR erasure. Without transactions it is a journal and a list of
// idempotent steps: the journal (profile ids, no personal data) is written first, the
// profiles go in the fourth step, and everything keyed by profile id is swept after
// them, so a crash anywhere is finished by erasing the same id again (even once the
// profile is gone).
type Eraser struct {
	Store        *identitystore.Store
	Privacy      *privacystore.Store
	Matches      *matchstore.Store
	Tickets      *ticketstore.Store
	Segments     *membership.Service
	SegmentStore *segmentstore.Store
	Engine       *identity.Engine
	Normalizer   *normalize.Normalizer
	Log          *slog.Logger
	// AfterStep, if set, runs after each step with its name ("suppress", "tickets",
	// "matches", "profiles", "segments"); an error stops the erasure there. Tests
	// simulate a crash with it.
	AfterStep func(step string) error
	// Also erase, in the last step ("also"), what other domains keep by profile id
	// (consent records, in-process order books); each must be idempotent.
	Also []func(ctx context.Context, profileIDs []string) error
}

var _ resolvers.Eraser = (*Eraser)(nil)

// Erase erases a live customer: see eraseCustomer in the schema.
func (e *Eraser) Erase(ctx context.Context, id string) (resolvers.Erasure, error) {
	id = strings.TrimSpace(id)
	var ids []string
	pid, err := e.Engine.Final(ctx, id)
	switch {
	case apperr.IsNotFound(err):
		// The profiles are gone: an erasure that stopped after deleting them is
		// finished from its journal.
		j, jerr := e.Privacy.GetErasure(ctx, id)
		if jerr != nil || j == nil {
			return resolvers.Erasure{}, cmpErr(jerr, err)
		}
		pid, ids = id, j.ProfileIDs
	case err != nil:
		return resolvers.Erasure{}, err
	case pid != id:
		return resolvers.Erasure{}, apperr.Invalidf("customer %s was merged into %s: erase that one", id, pid)
	default:
		if ids, err = e.Privacy.ErasureScope(ctx, pid); err != nil {
			return resolvers.Erasure{}, err
		}
	}
	actor := auth.Actor(ctx)
	j, err := e.Privacy.BeginErasure(ctx, privacystore.Erasure{ID: pid, ProfileIDs: ids, Actor: actor, StartedAt: time.Now().UTC()})
	if err != nil {
		return resolvers.Erasure{}, err
	}
	ids = j.ProfileIDs
	ps, rs, is, err := e.Privacy.PersonDocs(ctx, ids)
	if err != nil {
		return resolvers.Erasure{}, err
	}
	keys, values := e.person(ps, rs, is)
	out := resolvers.Erasure{ProfileIDs: ids}
	steps := []struct {
		name string
		run  func() error
	}{
		// First, so that nothing of the person gets back in while the rest is deleted.
		{"suppress", func() error { return e.Privacy.Suppress(ctx, keys, actor, time.Now().UTC()) }},
		// Before the profiles: the values to redact are read from them.
		{"tickets", func() (err error) {
			out.Tickets, err = e.Tickets.RedactRequesters(ctx, ids, privacy.Redactor(values))
			return err
		}},
		{"matches", func() error { _, err := e.Matches.ForgetMatches(ctx, ids); return err }},
		{"profiles", func() error {
			defer e.Store.Backend().Guard("profiles")() // not while identity resolution writes profiles
			got, err := e.Privacy.EraseProfiles(ctx, ids)
			out.SourceRecords, out.Identities, out.Interactions, out.OrdersAnonymised = got.SourceRecords, got.Identities, got.Interactions, got.OrdersAnonymised
			if err != nil {
				return err
			}
			// The sources' record counts equal what is stored (a recount, so a retry
			// cannot subtract twice).
			var sources []string
			for _, r := range rs {
				if !slices.Contains(sources, r.Source) {
					sources = append(sources, r.Source)
				}
			}
			return e.Store.RecountSourceRecords(ctx, sources)
		}},
		// After the profiles, so no evaluation or match job can bring them back: a
		// segment evaluation or a match job that read the profiles before they went may
		// have written their ids since.
		{"segments", func() error {
			if err := e.Segments.Forget(ctx, e.SegmentStore, ids); err != nil {
				return err
			}
			_, err := e.Matches.ForgetMatches(ctx, ids)
			return err
		}},
		{"also", func() error {
			for _, f := range e.Also {
				if err := f(ctx, ids); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return resolvers.Erasure{}, err
		}
		if e.AfterStep != nil {
			if err := e.AfterStep(st.name); err != nil {
				return resolvers.Erasure{}, err
			}
		}
	}
	if err := e.Privacy.FinishErasure(ctx, pid, time.Now().UTC()); err != nil {
		return resolvers.Erasure{}, err
	}
	if e.Log != nil {
		e.Log.Info("customer erased", "customer", pid, "profiles", len(ids), "suppressed", len(keys), "actor", actor)
	}
	return out, nil
}

func cmpErr(first, second error) error {
	if first != nil {
		return first
	}
	return second
}

// person collects what the erasure suppresses and redacts: the identity keys the
// profiles used (owned identities, record identifiers that resolution did not drop;
// values a record only carried as traits may be someone else's, such as a household
// phone, and are not suppressed), and the values to redact in free text (names,
// e-mails, phones, address lines, postcode, birth date, also as the sources spelled
// them).
func (e *Eraser) person(ps []profile.Profile, rs []profile.Record, is []profile.Identity) (keys, values []string) {
	for _, p := range ps {
		keys = append(keys, p.Identifiers...)
	}
	for _, x := range is {
		keys = append(keys, x.ID)
	}
	traits := make([]profile.Traits, 0, len(ps)+len(rs))
	for _, p := range ps {
		traits = append(traits, p.Traits)
	}
	for _, r := range rs {
		dropped := map[string]bool{}
		for _, d := range r.Dropped {
			dropped[d.Key()] = true
		}
		for _, idf := range r.Identifiers {
			if !dropped[idf.Key()] {
				keys = append(keys, idf.Key())
			}
		}
		traits = append(traits, r.Traits)
	}
	names, emails, phones := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, t := range traits {
		for _, n := range append(strings.Fields(t.FirstName+" "+t.LastName), t.FirstName, t.LastName, strings.TrimSpace(t.FirstName+" "+t.LastName)) {
			if n != "" {
				names[normalize.Fold(n)] = true
				values = append(values, n)
			}
		}
		for _, m := range t.Emails {
			emails[m] = true
			values = append(values, m)
		}
		for _, ph := range t.Phones {
			phones[ph] = true
			values = append(values, ph)
		}
		for _, a := range t.Addresses {
			values = append(values, a.Line1, a.Line2, a.Postcode)
		}
		values = append(values, t.BirthDate)
	}
	// The values as the sources sent them ("07700 900123", "ANN@Example.com").
	for _, r := range rs {
		for _, v := range r.Payload {
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				continue
			}
			if m, err := e.Normalizer.Email(s); err == nil && emails[m] {
				values = append(values, s)
			} else if ph, err := e.Normalizer.Phone(s); err == nil && phones[ph] {
				values = append(values, s)
			} else if names[normalize.Fold(s)] {
				values = append(values, s)
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), values
}

// Privacy serves GDPR access requests and the suppression list.
type Privacy struct {
	Store    *identitystore.Store
	List     *privacystore.Store // the suppression list
	Commerce *commercestore.Store
	Tickets  *ticketstore.Store
	Segments *segmentstore.Store
	Profiles *customer.Service
	Log      *slog.Logger
}

var _ resolvers.Privacy = (*Privacy)(nil)

// Suppressions pages the suppression list (limit 1..500, default 50).
func (p *Privacy) Suppressions(ctx context.Context, after string, limit int) ([]privacy.Suppression, error) {
	if limit <= 0 {
		limit = 50
	}
	return p.List.Suppressions(ctx, after, min(limit, 500))
}

// LiftSuppression takes an identifier off the list, normalised as ingestion does, so
// records carrying it are accepted again.
func (p *Privacy) LiftSuppression(ctx context.Context, typ, value string) (privacy.Suppression, error) {
	key, err := p.Profiles.IdentityKey(typ, value)
	if err != nil {
		return privacy.Suppression{}, err
	}
	s, err := p.List.LiftSuppression(ctx, key)
	if err != nil {
		return privacy.Suppression{}, err
	}
	if p.Log != nil {
		p.Log.Info("suppression lifted", "hash", s.Hash, "type", s.Type, "actor", auth.Actor(ctx))
	}
	return s, nil
}

// ExportCustomerData gathers everything held about a customer (GDPR access request):
// the profile with traits, provenance and merge history, the profiles merged into it,
// identities, source records as received, orders, interactions, value metrics, tickets
// with their messages, segment memberships and consent-like attributes with their
// sources. Documents keep their stored field names.
func (p *Privacy) ExportCustomerData(ctx context.Context, id string) (map[string]any, error) {
	prof, err := p.Profiles.Get(ctx, strings.TrimSpace(id))
	if err != nil {
		return nil, err
	}
	absorbed, err := p.absorbed(ctx, prof)
	if err != nil {
		return nil, err
	}
	ids := append([]string{prof.ID}, absorbed...)
	idents, err := p.Store.IdentitiesOfProfiles(ctx, []string{prof.ID})
	if err != nil {
		return nil, err
	}
	recs, err := p.Store.RecordsOfProfiles(ctx, []string{prof.ID})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b profile.Record) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	orders, err := p.Commerce.OrdersOfProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	inters, err := p.Commerce.InteractionsOfProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	metrics, err := p.Commerce.GetMetrics(ctx, []string{prof.ID})
	if err != nil {
		return nil, err
	}
	tickets, err := p.tickets(ctx, ids)
	if err != nil {
		return nil, err
	}
	segs, err := p.segments(ctx, prof.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"exportedAt":       time.Now().UTC().Format(time.RFC3339),
		"customerId":       prof.ID,
		"mergedProfileIds": nonNilStrings(absorbed),
		"tickets":          tickets,
		"segments":         segs,
		"consent":          consent(prof, recs),
	}
	for k, v := range map[string]any{"profile": prof, "identities": idents, "sourceRecords": recs, "orders": orders,
		"interactions": inters, "metrics": metrics} {
		if out[k], err = asJSON(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// absorbed follows the merge history: the profiles merged into prof, directly or
// through a chain, that are still merged (one read per level).
func (p *Privacy) absorbed(ctx context.Context, prof profile.Profile) ([]string, error) {
	seen := map[string]bool{prof.ID: true}
	var out []string
	for level := []profile.Profile{prof}; len(level) > 0; {
		var next []string
		for _, q := range level {
			for _, ev := range q.History {
				if ev.Kind != profile.EventMerge {
					continue
				}
				for _, a := range ev.ProfileIDs {
					if !seen[a] {
						seen[a] = true
						next = append(next, a)
					}
				}
			}
		}
		ps, err := p.Store.GetProfiles(ctx, next)
		if err != nil {
			return nil, err
		}
		level = level[:0]
		for _, q := range ps {
			if q.MergedInto != "" { // unmerged since: someone else's profile again
				out = append(out, q.ID)
				level = append(level, q)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func (p *Privacy) tickets(ctx context.Context, ids []string) ([]any, error) {
	ts, err := p.Tickets.TicketsOfRequesters(ctx, ids, 1<<30)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ts, func(a, b ticket.Ticket) int { return strings.Compare(a.ID, b.ID) })
	out := make([]any, 0, len(ts))
	for _, t := range ts {
		msgs, err := p.Tickets.ListMessages(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		ms := make([]any, 0, len(msgs))
		for _, m := range msgs {
			atts := make([]any, 0, len(m.Attachments))
			for _, a := range m.Attachments {
				atts = append(atts, map[string]any{"name": a.Name, "contentType": a.ContentType, "size": a.Size, "url": a.URL})
			}
			ms = append(ms, map[string]any{"id": m.ID, "kind": m.Kind, "authorKind": m.AuthorKind, "authorId": m.AuthorID,
				"body": m.Body, "attachments": atts, "createdAt": m.CreatedAt})
		}
		x := map[string]any{"id": t.ID, "subject": t.Subject, "requesterId": t.RequesterID, "channel": t.Channel, "status": t.Status,
			"priority": t.Priority, "tags": nonNilStrings(t.Tags), "createdAt": t.CreatedAt, "updatedAt": t.UpdatedAt,
			"solvedAt": t.SolvedAt, "closedAt": t.ClosedAt, "messages": ms}
		if t.CSAT != nil {
			x["csat"] = map[string]any{"score": t.CSAT.Score, "comment": t.CSAT.Comment, "at": t.CSAT.At}
		}
		out = append(out, x)
	}
	return out, nil
}

func (p *Privacy) segments(ctx context.Context, pid string) ([]any, error) {
	segs, err := p.Segments.ProfileSegments(ctx, pid)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(segs))
	for _, s := range segs {
		m, err := p.Segments.Members(ctx, s.ID, []string{pid})
		if err != nil {
			return nil, err
		}
		x := map[string]any{"id": s.ID, "name": s.Name, "kind": s.Kind}
		if at, ok := m[pid]; ok {
			x["enteredAt"] = at
		}
		out = append(out, x)
	}
	return out, nil
}

// consent lists consent-like attributes (marketing opt-ins, newsletter, do-not-call...):
// the profile's current value, and each source record's value with its source and time.
func consent(prof profile.Profile, recs []profile.Record) []any {
	out := []any{}
	for _, k := range sortedKeys(prof.Traits.Attributes) {
		if privacy.ConsentLike(k) {
			out = append(out, map[string]any{"attribute": k, "value": prof.Traits.Attributes[k], "current": true})
		}
	}
	for _, r := range recs {
		for _, k := range sortedKeys(r.Traits.Attributes) {
			if privacy.ConsentLike(k) {
				out = append(out, map[string]any{"attribute": k, "value": r.Traits.Attributes[k], "source": r.Source,
					"recordId": r.ID, "observedAt": r.ObservedAt, "receivedAt": r.ReceivedAt})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// asJSON renders stored documents (a struct or a slice of them) as plain JSON values
// with their stored field names: relaxed extended JSON, with dates as RFC 3339 strings.
func asJSON(v any) (any, error) {
	raw, err := bson.MarshalExtJSON(bson.M{"v": v}, false, false)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return plainDates(doc["v"]), nil
}

func plainDates(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if d, ok := x["$date"]; ok && len(x) == 1 {
			switch dv := d.(type) {
			case string:
				return dv
			case map[string]any:
				if n, err := strconv.ParseInt(fmt.Sprint(dv["$numberLong"]), 10, 64); err == nil {
					return time.UnixMilli(n).UTC().Format(time.RFC3339)
				}
			}
		}
		for k, e := range x {
			x[k] = plainDates(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plainDates(e)
		}
		return x
	}
	return v
}
