package c360

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// RankOrder is an order of customers on their metrics.
type RankOrder string

// Rank orders. RankNewest is by profile id, descending: ids are time-ordered ULIDs.
const (
	RankNewest    RankOrder = "newest"
	RankRevenue   RankOrder = "revenue"
	RankLastOrder RankOrder = "last_order"
	RankChurn     RankOrder = "churn_risk"
	// RankPredicted is served by Customer360.Predicted (predicted.go).
	RankPredicted RankOrder = "predicted_value"
)

// RankFilter narrows ranked customers; zero fields mean any.
type RankFilter struct {
	MinNetMinor *int64
	MinOrders   int
	Currency    string
	// ProfileIDs, when Restrict is set, limits the ranking to these profiles (the
	// result of a text search or a profile attribute filter).
	ProfileIDs []string
	Restrict   bool
}

// RankKey is a keyset position: the sort value (net minor units, or the last order
// time in Unix milliseconds) and the profile id.
type RankKey struct {
	Value int64   `json:"v"`
	Score float64 `json:"s,omitempty"` // churn risk
	ID    string  `json:"id"`
}

// RankQuery asks the store for one page of metrics (without ledgers) in Order after
// After; Limit 0 means all (used by the churn ranking, computed in Go).
type RankQuery struct {
	Order  RankOrder
	Filter RankFilter
	After  *RankKey
	Limit  int
}

// RankStore is what ranking needs from the database.
type RankStore interface {
	RankMetrics(ctx context.Context, q RankQuery) ([]ledger.Metrics, error)
	CountRanked(ctx context.Context, f RankFilter) (int64, error)
}

// RankPage is one page of ranked customers' metrics (churn filled in).
type RankPage struct {
	Metrics []ledger.Metrics
	Cursors []string
	HasNext bool
	Total   int64
	// Predicted is the ranking's state for RankPredicted (whose Metrics hold only the
	// profile ids: no metrics are read).
	Predicted *valuemodel.ValueRankPage
}

// maxChurnScan bounds the metrics read to rank by churn risk: the score depends on
// "now", so it cannot be a stored sort key and is computed over the filtered customers.
const maxChurnScan = 200_000

// rank pages through customers with commerce data in a value order, with the clock and
// churn prior of s. Revenue and last order sort in the database on the metrics
// documents; churn risk is computed now for every filtered customer and sorted in Go
// (bounded by maxChurnScan).
func rank(ctx context.Context, s *commerce.Service, st RankStore, order RankOrder, f RankFilter, cursor string, limit int) (RankPage, error) {
	if limit < 0 || limit > 100 {
		return RankPage{}, apperr.Invalidf("first must be between 0 and 100")
	}
	var after *RankKey
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		var k RankKey
		if err != nil || json.Unmarshal(b, &k) != nil || k.ID == "" {
			return RankPage{}, apperr.Invalidf("invalid cursor")
		}
		after = &k
	}
	if f.Restrict && len(f.ProfileIDs) == 0 {
		return RankPage{Metrics: []ledger.Metrics{}}, nil
	}
	total, err := st.CountRanked(ctx, f)
	if err != nil {
		return RankPage{}, err
	}
	now := s.MetricsAsOf()
	var ms []ledger.Metrics
	if order == RankChurn {
		all, err := st.RankMetrics(ctx, RankQuery{Order: RankNewest, Filter: f, Limit: maxChurnScan + 1})
		if err != nil {
			return RankPage{}, err
		}
		if len(all) > maxChurnScan {
			return RankPage{}, apperr.Invalidf("too many customers to rank by churn risk; narrow the filter")
		}
		for i := range all {
			all[i].Churn = ledger.ChurnRisk(&all[i], now, s.PriorIntervalDays)
		}
		slices.SortFunc(all, func(a, b ledger.Metrics) int {
			if a.Churn.Score != b.Churn.Score {
				if a.Churn.Score > b.Churn.Score {
					return -1
				}
				return 1
			}
			return strings.Compare(b.ProfileID, a.ProfileID)
		})
		start := 0
		if after != nil {
			start = len(all)
			for i, m := range all {
				if m.Churn.Score < after.Score || m.Churn.Score == after.Score && m.ProfileID < after.ID {
					start = i
					break
				}
			}
		}
		ms = all[start:min(len(all), start+limit+1)]
	} else {
		ms, err = st.RankMetrics(ctx, RankQuery{Order: order, Filter: f, After: after, Limit: limit + 1})
		if err != nil {
			return RankPage{}, err
		}
		for i := range ms {
			ms[i].Churn = ledger.ChurnRisk(&ms[i], now, s.PriorIntervalDays)
		}
	}
	pg := RankPage{Metrics: ms, Total: total}
	if len(ms) > limit {
		pg.Metrics, pg.HasNext = ms[:limit], true
	}
	for _, m := range pg.Metrics {
		k := RankKey{ID: m.ProfileID, Score: m.Churn.Score}
		switch order {
		case RankRevenue:
			k.Value = m.NetMinor
		case RankLastOrder:
			k.Value = RankTime(m.LastOrderAt)
		}
		b, _ := json.Marshal(k)
		pg.Cursors = append(pg.Cursors, base64.RawURLEncoding.EncodeToString(b))
	}
	return pg, nil
}

// RankTime is the sort value of a time: Unix milliseconds, 0 for none.
func RankTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
