package analytics

import (
	"context"
	"slices"

	"github.com/tessera-cdp/tessera/internal/analytics/orderbook"
	"github.com/tessera-cdp/tessera/internal/apperr"
)

// RFMCellIDs lists every customer of an RFM cell (the whole cell, not a page), sorted by
// id, with the scope it resolved to: saving a cell as a segment starts from it. While the
// book loads it answers CONFLICT rather than an empty cell.
func (s *Service) RFMCellIDs(ctx context.Context, q CellQuery) ([]string, Resolved, error) {
	if q.R < 1 || q.R > 5 || q.F < 1 || q.F > 5 {
		return nil, Resolved{}, apperr.Invalidf("r and f must be scores from 1 to 5")
	}
	var ids []string
	res, err := s.report(q.Scope, func(st *orderbook.State, v view, _ Resolved) error {
		rfmRows(st, v, func(r rfmRow) {
			if score(RecencyBands, r.recency) == q.R && score(FrequencyBands, r.frequency) == q.F {
				ids = append(ids, r.c.ID)
			}
		})
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	if !res.Ready {
		return nil, res, apperr.Conflictf("the report book is still loading; try again in a moment")
	}
	slices.Sort(ids)
	return ids, res, nil
}
