package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/export"
)

func (s *srv) download(key, path string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, b
}

// TestFullExports: profiles, orders and interactions exported over HTTP as CSV and
// Parquet hold every live profile (not the merged ones), order and interaction; only
// ADMIN keys may export, and each export is in the audit trail.
func TestFullExports(t *testing.T) {
	s := newServer(t)
	s.ok(adminKey, shopSource, nil)
	pids := seedPeople(t, s, 30, 2, "o")
	var is []commerce.Interaction
	for i, p := range pids {
		is = append(is, commerce.Interaction{ID: fmt.Sprint("web:i", i), ProfileID: p, Channel: "web", Type: "visit",
			At: time.Date(2025, 5, 1, 0, 0, i, 0, time.UTC)})
	}
	if _, err := s.a.Commerce.AddInteractions(context.Background(), is); err != nil {
		t.Fatal(err)
	}
	s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same") { id } }`, map[string]any{"a": pids[0], "b": pids[1]})
	live := slices.Concat(pids[:1], pids[2:])

	code, b := s.download(adminKey, "/export/profiles.csv")
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if code != 200 || err != nil || len(recs) != len(live)+1 || !slices.Equal(recs[0], export.ProfileColumns) {
		t.Fatalf("profiles CSV: %d %v %d lines: %s", code, err, len(recs), b)
	}
	var got []string
	for _, r := range recs[1:] {
		got = append(got, r[0])
	}
	slices.Sort(got)
	if !slices.Equal(got, live) {
		t.Errorf("profiles %v, want %v", got, live)
	}

	code, b = s.download(adminKey, "/export/orders.parquet")
	orders, err := parquet.Read[export.OrderRow](bytes.NewReader(b), int64(len(b)))
	if code != 200 || err != nil || len(orders) != 2*len(pids) {
		t.Fatalf("orders Parquet: %d %v %d rows", code, err, len(orders))
	}
	for _, o := range orders {
		if o.ProfileID == pids[1] || o.TotalMinor != 1250 || len(o.Lines) != 1 || o.Lines[0].UnitPriceMinor != 1250 {
			t.Errorf("order %+v (the merged profile's orders follow the survivor)", o)
		}
	}
	code, b = s.download(adminKey, "/export/interactions.parquet")
	its, err := parquet.Read[export.InteractionRow](bytes.NewReader(b), int64(len(b)))
	if code != 200 || err != nil || len(its) != len(pids) {
		t.Fatalf("interactions Parquet: %d %v %d rows", code, err, len(its))
	}

	if code, _ := s.download(s.newKey("AGENT"), "/export/profiles.csv"); code != http.StatusForbidden {
		t.Errorf("agent export: %d", code)
	}
	if code, _ := s.download("nope", "/export/profiles.csv"); code != http.StatusUnauthorized {
		t.Errorf("export without a valid key: %d", code)
	}
	if code, _ := s.download(adminKey, "/export/secrets.csv"); code != http.StatusNotFound {
		t.Errorf("unknown export: %d", code)
	}
	es := auditEntries(s, map[string]any{"action": "export"})
	if len(es) != 4 || es[0]["result"] != "FORBIDDEN" || es[1]["result"] != "ok" || get(es[1], "change", "kind") != "interactions" ||
		get(es[1], "change", "rows") != float64(len(pids)) {
		t.Errorf("export entries: %v", es)
	}
}
