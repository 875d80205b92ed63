package workflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-cdp/tessera/internal/analytics"
	"github.com/tessera-cdp/tessera/internal/membership"
)

// CellSegments is what saving a report's cell needs: the reports and the segments.
type CellSegments struct {
	Reports  *analytics.Service
	Segments *membership.Service
}

// SaveRFMCell saves the customers of an RFM cell, as the reports see them for the scope
// (as-of date, country, source, currency), as a LIST segment: the cell means "as of" a
// date, which a rule over today's data cannot say, so the customers themselves are
// kept. Saving the same cell under the same name again returns the same segment.
func (c CellSegments) SaveRFMCell(ctx context.Context, q analytics.CellQuery, name, description string) (membership.Segment, error) {
	ids, res, err := c.Reports.RFMCellIDs(ctx, q)
	if err != nil {
		return membership.Segment{}, err
	}
	if strings.TrimSpace(description) == "" {
		description = cellDescription(q, res)
	}
	return c.Segments.SaveList(ctx, membership.Input{Name: name, Description: description}, ids)
}

// cellDescription says what the cell was, in the report's own words.
func cellDescription(q analytics.CellQuery, res analytics.Resolved) string {
	band := func(bs []analytics.Band, score int, unit string) string {
		for _, b := range bs {
			switch {
			case b.Score != score:
			case b.Max == 0:
				return fmt.Sprintf("%d or more %s", b.Min, unit)
			case b.Min == b.Max:
				return fmt.Sprintf("%d %s", b.Min, unit)
			default:
				return fmt.Sprintf("%d-%d %s", b.Min, b.Max, unit)
			}
		}
		return ""
	}
	d := fmt.Sprintf("RFM cell R%d F%d as of %s: last order %s before, %s", q.R, q.F, res.AsOf.Format("2006-01-02"),
		band(analytics.RecencyBands, q.R, "days"), band(analytics.FrequencyBands, q.F, "orders"))
	var scope []string
	for _, s := range []string{res.Country, res.Source, res.Currency} {
		if s != "" {
			scope = append(scope, s)
		}
	}
	if len(scope) > 0 {
		d += " (" + strings.Join(scope, ", ") + ")"
	}
	return d
}
