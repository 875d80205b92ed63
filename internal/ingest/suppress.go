package ingest

import (
	"context"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// ReasonSuppressed starts the reason of a record rejected because one of its
// identifiers belongs to an erased person (see privacy and eraseCustomer).
const ReasonSuppressed = "SUPPRESSED"

// RejectError is the error of a call that ingests one record for a person (customer
// edits, ticket requesters): CONFLICT for a suppressed identifier, BAD_USER_INPUT
// otherwise.
func RejectError(r Reject) error {
	if strings.HasPrefix(r.Reason, ReasonSuppressed) {
		return apperr.Conflictf("%s", r.Reason)
	}
	return apperr.Invalidf("%s", r.Reason)
}

// dropSuppressed rejects the prepared records that carry an identifier on the
// suppression list, before anything of them is stored or resolved, and returns the
// record ids still to process. One batched lookup (point reads) for the whole batch.
func (s *Service) dropSuppressed(ctx context.Context, in []Input, prepared []*profile.Record, ids []string, res *Result) ([]string, error) {
	var keys []string
	for _, r := range prepared {
		if r != nil {
			for _, idf := range r.Identifiers {
				keys = append(keys, idf.Key())
			}
		}
	}
	if len(keys) == 0 || s.Suppressions == nil {
		return ids, nil
	}
	slices.Sort(keys)
	hit, err := s.Suppressions.Suppressed(ctx, slices.Compact(keys))
	if err != nil || len(hit) == 0 {
		return ids, err
	}
	bad := map[string]bool{}
	for _, k := range hit {
		bad[k] = true
	}
	dropped := map[string]bool{} // record id -> some input of it was suppressed
	for i, r := range prepared {
		if r == nil {
			continue
		}
		for _, idf := range r.Identifiers {
			if bad[idf.Key()] {
				res.Rejects = append(res.Rejects, Reject{Index: i, ExternalID: in[i].ExternalID,
					Reason: ReasonSuppressed + ": the record carries an identifier (" + idf.Type + ") of an erased person; an admin can lift the suppression"})
				res.Rejected++
				dropped[r.ID] = true
				prepared[i] = nil
				break
			}
		}
	}
	// A record id sent twice in the batch is dropped whole when any copy is suppressed.
	for i, r := range prepared {
		if r != nil && dropped[r.ID] {
			res.Rejects = append(res.Rejects, Reject{Index: i, ExternalID: in[i].ExternalID,
				Reason: ReasonSuppressed + ": another copy of the record in the batch carries an identifier of an erased person"})
			res.Rejected++
			prepared[i] = nil
		}
	}
	slices.SortStableFunc(res.Rejects, func(a, b Reject) int { return a.Index - b.Index })
	return slices.DeleteFunc(ids, func(id string) bool { return dropped[id] }), nil
}
