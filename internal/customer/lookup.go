package customer

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/profile"
)

// SearchIDs pages the ids of the profiles text matches (as Search does), for callers
// that rank or filter them elsewhere: the ids, the number of all matches, and the
// cursor of the next page ("" on the last).
func (s *Service) SearchIDs(ctx context.Context, text string, limit int, after string) ([]string, int64, string, error) {
	pg, err := s.Search(ctx, text, limit, after)
	if err != nil {
		return nil, 0, "", err
	}
	ids := make([]string, len(pg.Profiles))
	for i, p := range pg.Profiles {
		ids[i] = p.ID
	}
	next := ""
	if pg.HasNext && len(ids) > 0 {
		next = Cursor(ids[len(ids)-1])
	}
	return ids, pg.Total, next, nil
}

// Stored returns the stored profiles among ids as they are: no merge redirects (an
// absorbed profile comes back with MergedInto set), unknown ids left out.
func (s *Service) Stored(ctx context.Context, ids []string) ([]profile.Profile, error) {
	return s.Store.GetProfiles(ctx, ids)
}
