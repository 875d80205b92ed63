package workflow

import (
	"context"
	"fmt"
	"slices"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// CustomerRef names the customer of an order or interaction: a source record id
// ("webshop:17850"), or an identifier (type and value, normalised as ingestion does).
type CustomerRef struct{ RecordID, Type, Value string }

// ResolvedRef is the live profile (and the customer's source record) a ref resolved
// to, or why it did not.
type ResolvedRef struct {
	ProfileID, RecordID string
	Reason              string
}

// RefStore is what resolving references reads (identity.Store has it all).
type RefStore interface {
	GetRecords(ctx context.Context, ids []string) ([]profile.Record, error)
	GetIdentities(ctx context.Context, keys []string) ([]profile.Identity, error)
	RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error)
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
}

// KeyNormalizer turns an identifier into its identity key as ingestion does
// (customer.Service).
type KeyNormalizer interface {
	IdentityKey(typ, value string) (string, error)
}

// ResolveRefs resolves customer references with the service's engine store and
// normaliser (see ResolveRefs).
func (s *Service) ResolveRefs(ctx context.Context, refs []CustomerRef) ([]ResolvedRef, error) {
	return ResolveRefs(ctx, s.Engine.Store, s.Profiles, refs)
}

// ResolveRefs resolves the customers of orders or interactions: a source record to its
// profile, an identifier to the profile that owns it and that profile's oldest record
// carrying it (the record an order follows after an unmerge). A batch costs three
// batched reads whatever its size, plus one per merge redirect hop.
func ResolveRefs(ctx context.Context, st RefStore, norm KeyNormalizer, refs []CustomerRef) ([]ResolvedRef, error) {
	out := make([]ResolvedRef, len(refs))
	keys := make([]string, len(refs))
	var recIDs, idKeys []string
	for i, r := range refs {
		if r.RecordID != "" {
			recIDs = append(recIDs, r.RecordID)
			continue
		}
		k, err := norm.IdentityKey(r.Type, r.Value)
		if err != nil {
			out[i].Reason = "customer: " + err.Error()
			continue
		}
		keys[i] = k
		idKeys = append(idKeys, k)
	}
	recs, err := st.GetRecords(ctx, recIDs)
	if err != nil {
		return nil, err
	}
	recProfile := map[string]string{}
	for _, r := range recs {
		recProfile[r.ID] = r.ProfileID
	}
	ids, err := st.GetIdentities(ctx, idKeys)
	if err != nil {
		return nil, err
	}
	idProfile := map[string]string{}
	for _, x := range ids {
		idProfile[x.ID] = x.ProfileID
	}
	// An identifier names a person, but an order must also name the source record it
	// follows after an unmerge: the oldest record of the profile with that identifier.
	var pids []string
	for _, p := range idProfile {
		pids = append(pids, p)
	}
	owned, err := st.RecordsOfProfiles(ctx, pids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(owned, func(a, b profile.Record) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	recordOf := map[string]string{}
	for _, r := range owned {
		for _, idf := range r.Identifiers {
			if k := idf.Key(); recordOf[k] == "" {
				recordOf[k] = r.ID
			}
		}
	}
	for i, r := range refs {
		switch {
		case out[i].Reason != "":
		case r.RecordID != "":
			if p := recProfile[r.RecordID]; p != "" {
				out[i] = ResolvedRef{ProfileID: p, RecordID: r.RecordID}
			} else {
				out[i].Reason = fmt.Sprintf("customer record %q not found", r.RecordID)
			}
		default:
			if p := idProfile[keys[i]]; p != "" {
				out[i] = ResolvedRef{ProfileID: p, RecordID: recordOf[keys[i]]}
			} else {
				out[i].Reason = fmt.Sprintf("no customer with %s", keys[i])
			}
		}
	}
	// Records and identities point at live profiles already but for a merge made in
	// between: follow redirects.
	var found []string
	for _, r := range out {
		if r.ProfileID != "" {
			found = append(found, r.ProfileID)
		}
	}
	live, err := identity.Follow(ctx, identity.ProfileRedirects(st.GetProfiles), found)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if f := live[out[i].ProfileID]; f != "" {
			out[i].ProfileID = f
		}
	}
	return out, nil
}
