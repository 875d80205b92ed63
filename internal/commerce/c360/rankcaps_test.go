package c360_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
)

// pagedSearch serves matches in pages of the asked size, counting the calls.
func pagedSearch(matches []string, calls *int) c360.ProfileSearch {
	return func(_ context.Context, query string, limit int, after string) ([]string, int64, string, error) {
		*calls++
		start := 0
		if after != "" {
			start = slices.Index(matches, after) + 1
		}
		end := min(len(matches), start+limit)
		next := ""
		if end < len(matches) {
			next = matches[end-1]
		}
		return matches[start:end], int64(len(matches)), next, nil
	}
}

func attrs(byCountry map[string][]string) c360.AttributeLookup {
	return func(_ context.Context, key, value string, limit int) ([]string, error) {
		if key != "country" {
			return nil, fmt.Errorf("key %q", key)
		}
		out := byCountry[value]
		return out[:min(len(out), limit)], nil
	}
}

func profileIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%05d", i)
	}
	return out
}

func TestRankCandidates(t *testing.T) {
	ctx := context.Background()
	calls := 0
	matches := profileIDs(250)
	countries := map[string][]string{"DE": {"p00001", "p00200", "x"}, "FR": nil}
	search, byCountry := pagedSearch(matches, &calls), attrs(countries)

	ids, restrict, err := c360.RankCandidates(ctx, search, byCountry, "  ", nil)
	if err != nil || restrict || ids != nil {
		t.Fatalf("no query, no country: %v %v %v", ids, restrict, err)
	}
	ids, restrict, err = c360.RankCandidates(ctx, search, byCountry, "ann", nil)
	if err != nil || !restrict || !slices.Equal(ids, matches) || calls != 3 {
		t.Fatalf("query: %d ids, restrict %v, %d calls, err %v", len(ids), restrict, calls, err)
	}
	ids, restrict, _ = c360.RankCandidates(ctx, search, byCountry, "", new("DE"))
	if !restrict || !slices.Equal(ids, countries["DE"]) {
		t.Errorf("country: %v %v", ids, restrict)
	}
	ids, restrict, _ = c360.RankCandidates(ctx, search, byCountry, "ann", new("DE"))
	if !restrict || !slices.Equal(ids, []string{"p00001", "p00200"}) {
		t.Errorf("query and country intersect: %v %v", ids, restrict)
	}
	ids, restrict, _ = c360.RankCandidates(ctx, search, byCountry, "", new("FR"))
	if !restrict || len(ids) != 0 {
		t.Errorf("empty country restricts to nobody: %v %v", ids, restrict)
	}
}

func TestRankCandidatesCaps(t *testing.T) {
	ctx := context.Background()
	calls := 0
	search := pagedSearch(profileIDs(c360.MaxSearchMatches+1), &calls)
	_, _, err := c360.RankCandidates(ctx, search, nil, "a", nil)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(e.Msg, "matches 1001 customers") || calls != 1 {
		t.Errorf("too many matches: %v after %d calls", err, calls)
	}
	big := attrs(map[string][]string{"GB": profileIDs(c360.MaxCountryMatches + 5)})
	_, _, err = c360.RankCandidates(ctx, search, big, "", new("GB"))
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(e.Msg, `more than 20000 customers in "GB"`) {
		t.Errorf("too many in a country: %v", err)
	}
}

// rankStore ranks fixed metrics by net revenue.
type rankStore struct {
	fakeOrders
	ms []ledger.Metrics
}

func (s *rankStore) RankMetrics(_ context.Context, q c360.RankQuery) ([]ledger.Metrics, error) {
	var out []ledger.Metrics
	for _, m := range s.ms {
		if !q.Filter.Restrict || slices.Contains(q.Filter.ProfileIDs, m.ProfileID) {
			out = append(out, m)
		}
	}
	return out[:min(len(out), q.Limit)], nil
}

func (s *rankStore) CountRanked(_ context.Context, f c360.RankFilter) (int64, error) {
	ms, _ := s.RankMetrics(context.Background(), c360.RankQuery{Filter: f, Limit: len(s.ms)})
	return int64(len(ms)), nil
}

func (s *rankStore) GetMetrics(_ context.Context, ids []string) ([]ledger.Metrics, error) {
	var out []ledger.Metrics
	for _, m := range s.ms {
		if slices.Contains(ids, m.ProfileID) {
			out = append(out, m)
		}
	}
	return out, nil
}

func TestCustomer360(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := commerce.NewService(nil)
	svc.Now = func() time.Time { return now }
	st := &rankStore{ms: []ledger.Metrics{
		{ProfileID: "p3", Orders: 1, NetMinor: 300, LastOrderAt: now.Add(-45 * 24 * time.Hour)},
		{ProfileID: "p1", Orders: 2, NetMinor: 200},
		{ProfileID: "p2", Orders: 1, NetMinor: 100},
	}}
	calls := 0
	c := &c360.Customer360{Service: svc, Store: st, Search: pagedSearch([]string{"p1", "p2"}, &calls),
		WithAttribute: attrs(map[string][]string{"DE": {"p2", "p3"}})}

	pg, err := c.Rank(ctx, c360.RankRequest{Order: c360.RankRevenue, Query: "x", Country: new("DE"), Limit: 10})
	if err != nil || pg.Total != 1 || len(pg.Metrics) != 1 || pg.Metrics[0].ProfileID != "p2" {
		t.Fatalf("rank: %+v %v", pg, err)
	}
	pg, err = c.Rank(ctx, c360.RankRequest{Order: c360.RankRevenue, Limit: 2})
	if err != nil || pg.Total != 3 || !pg.HasNext || len(pg.Cursors) != 2 {
		t.Fatalf("unrestricted: %+v %v", pg, err)
	}

	ms, err := c.Metrics(ctx, []string{"p3", "nobody"})
	if err != nil || len(ms) != 2 || ms[0].ProfileID != "p3" || ms[1].ProfileID != "nobody" || ms[1].Orders != 0 {
		t.Fatalf("metrics: %+v %v", ms, err)
	}
	if ms[0].Churn.Basis != "prior" || ms[0].Churn.Score <= 0 || !ms[0].Churn.Asof.Equal(now) || ms[1].Churn.Basis != "none" {
		t.Errorf("churn: %+v / %+v", ms[0].Churn, ms[1].Churn)
	}
}
