package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store"
	"github.com/tessera-cdp/tessera/resolvers"
)

// CustomerRefs resolves the customer of an order or interaction: a source record
// ("webshop:17850") or an identifier (email, customer_id...) normalised the way
// ingestion does. A batch costs at most four lookups whatever its size.
type CustomerRefs struct {
	Store    *store.Store
	Profiles *customer.Service
}

var _ resolvers.CustomerRefs = (*CustomerRefs)(nil)

func (c *CustomerRefs) Resolve(ctx context.Context, refs []resolvers.CustomerRef) ([]resolvers.ResolvedRef, error) {
	out := make([]resolvers.ResolvedRef, len(refs))
	keys := make([]string, len(refs))
	var recIDs, idKeys []string
	for i, r := range refs {
		if r.RecordID != "" {
			recIDs = append(recIDs, r.RecordID)
			continue
		}
		k, err := c.Profiles.IdentityKey(r.Type, r.Value)
		if err != nil {
			out[i].Reason = "customer: " + err.Error()
			continue
		}
		keys[i] = k
		idKeys = append(idKeys, k)
	}
	recs, err := c.Store.GetRecords(ctx, recIDs)
	if err != nil {
		return nil, err
	}
	recProfile := map[string]string{}
	for _, r := range recs {
		recProfile[r.ID] = r.ProfileID
	}
	ids, err := c.Store.GetIdentities(ctx, idKeys)
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
	owned, err := c.Store.RecordsOfProfiles(ctx, pids)
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
				out[i] = resolvers.ResolvedRef{ProfileID: p, RecordID: r.RecordID}
			} else {
				out[i].Reason = fmt.Sprintf("customer record %q not found", r.RecordID)
			}
		default:
			if p := idProfile[keys[i]]; p != "" {
				out[i] = resolvers.ResolvedRef{ProfileID: p, RecordID: recordOf[keys[i]]}
			} else {
				out[i].Reason = fmt.Sprintf("no customer with %s", keys[i])
			}
		}
	}
	return out, c.finals(ctx, out)
}

// finals follows merge redirects (records and identities normally point at live
// profiles already; this covers a merge made in between).
func (c *CustomerRefs) finals(ctx context.Context, rs []resolvers.ResolvedRef) error {
	for range 64 {
		var ids []string
		for _, r := range rs {
			if r.ProfileID != "" {
				ids = append(ids, r.ProfileID)
			}
		}
		into, err := c.Store.MergedInto(ctx, slices.Compact(slices.Sorted(slices.Values(ids))))
		if err != nil || len(into) == 0 {
			return err
		}
		for i := range rs {
			if p, ok := into[rs[i].ProfileID]; ok {
				rs[i].ProfileID = p
			}
		}
	}
	return fmt.Errorf("merge redirect chain too long")
}

// ticketAliases gives the profiles whose tickets a profile shows: itself and those it
// absorbed (tickets keep the requester id they were opened with).
func ticketAliases(profiles *customer.Service) func(ctx context.Context, id string) ([]string, error) {
	return func(ctx context.Context, id string) ([]string, error) {
		ps, err := profiles.Store.GetProfiles(ctx, []string{id})
		if err != nil || len(ps) == 0 {
			return nil, err
		}
		var out []string
		for _, ev := range ps[0].History {
			if ev.Kind == profile.EventMerge {
				out = append(out, ev.ProfileIDs...)
			}
		}
		return out, nil
	}
}
