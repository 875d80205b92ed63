package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/export"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// fake serves generated data in batches and notes how much the writer had written
// when each batch was asked for.
type fake struct {
	ps      []profile.Profile
	os      []commerce.Order
	is      []commerce.Interaction
	out     *bytes.Buffer
	written []int // output size at each batch
}

func each[T any](f *fake, all []T, batch int, fn func([]T) error) error {
	for i := 0; i < len(all); i += batch {
		f.written = append(f.written, f.out.Len())
		if err := fn(all[i:min(i+batch, len(all))]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) EachProfiles(_ context.Context, b int, fn func([]profile.Profile) error) error {
	return each(f, f.ps, b, fn)
}
func (f *fake) EachOrders(_ context.Context, b int, fn func([]commerce.Order) error) error {
	return each(f, f.os, b, fn)
}
func (f *fake) EachInteractions(_ context.Context, b int, fn func([]commerce.Interaction) error) error {
	return each(f, f.is, b, fn)
}

func generate(n int) *fake {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	f := &fake{out: &bytes.Buffer{}}
	for i := range n {
		p := profile.Profile{ID: fmt.Sprintf("cus_%04d", i), CreatedAt: at, UpdatedAt: at.Add(time.Hour), RecordCount: i % 3}
		p.Traits = profile.Traits{FirstName: fmt.Sprint("Ann", i), LastName: "=SUM(A1)", Emails: []string{fmt.Sprintf("a%d@example.com", i)},
			Addresses: []profile.Address{{City: "Leeds", Country: "GB"}}, Attributes: map[string]any{"tier": "gold"}}
		if i%2 == 0 {
			p.Traits.Phones = []string{"+441234567890", "+441234567891"}
		}
		f.ps = append(f.ps, p)
		f.os = append(f.os, commerce.Order{ID: fmt.Sprint("shop:o", i), Source: "shop", ExternalID: fmt.Sprint("o", i), ProfileID: p.ID,
			Channel: "web", Status: "paid", TotalMinor: int64(1000 + i), Currency: "GBP", PlacedAt: at, UpdatedAt: at,
			Lines: []commerce.Line{{SKU: "sku1", Quantity: 2, UnitPriceMinor: 500}, {SKU: "sku2", Description: "Tea", Quantity: -1, UnitPriceMinor: 12}}})
		f.is = append(f.is, commerce.Interaction{ID: fmt.Sprint("web:i", i), ProfileID: p.ID, Channel: "email", Type: "opened", At: at,
			Attributes: map[string]string{"campaign": "c1"}})
	}
	return f
}

func readParquet[T any](t *testing.T, b []byte) []T {
	t.Helper()
	rows, err := parquet.Read[T](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRoundTrip: each kind exported as Parquet reads back (with the same library) as
// the rows it was made from, and as CSV gives the header and one defused row each.
func TestRoundTrip(t *testing.T) {
	const n = 1234
	ctx := context.Background()
	for _, kind := range export.Kinds {
		f := generate(n)
		rows, err := export.Write(ctx, f, kind, export.Parquet, f.out, export.Options{Batch: 100, RowGroup: 300})
		if err != nil || rows != n {
			t.Fatalf("%s: %d rows, %v", kind, rows, err)
		}
		b := f.out.Bytes()
		switch kind {
		case export.Profiles:
			got := readParquet[export.ProfileRow](t, b)
			for i := range got {
				if w := export.ProfileRowOf(f.ps[i]); !reflect.DeepEqual(got[i], w) {
					t.Fatalf("profile %d: got %+v, want %+v", i, got[i], w)
				}
			}
		case export.Orders:
			got := readParquet[export.OrderRow](t, b)
			for i := range got {
				if w := export.OrderRowOf(f.os[i]); !reflect.DeepEqual(got[i], w) {
					t.Fatalf("order %d: got %+v, want %+v", i, got[i], w)
				}
			}
		case export.Interactions:
			got := readParquet[export.InteractionRow](t, b)
			for i := range got {
				if w := export.InteractionRowOf(f.is[i]); !reflect.DeepEqual(got[i], w) {
					t.Fatalf("interaction %d: got %+v, want %+v", i, got[i], w)
				}
			}
		}
		pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if g := len(pf.RowGroups()); g < n/300 {
			t.Errorf("%s: %d row groups, want at least %d", kind, g, n/300)
		}

		f = generate(n)
		if _, err := export.Write(ctx, f, kind, export.CSV, f.out, export.Options{Batch: 100}); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f.out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != n+1 {
			t.Fatalf("%s: %d CSV lines", kind, len(recs))
		}
		switch kind {
		case export.Profiles:
			want := []string{"cus_0002", "2026-02-03T04:05:06.789Z", "2026-02-03T05:05:06.789Z", "Ann2", "'=SUM(A1)", "a2@example.com",
				"+441234567890;+441234567891", "", "", `[{"Line1":"","Line2":"","City":"Leeds","Postcode":"","Region":"","Country":"GB"}]`, `{"tier":"gold"}`, "2"}
			want[6] = "'" + want[6] // a leading + is defused too
			if !reflect.DeepEqual(recs[0], export.ProfileColumns) || !reflect.DeepEqual(recs[3], want) {
				t.Errorf("profiles CSV: %q / %q", recs[0], recs[3])
			}
		case export.Orders:
			if recs[1][6] != "1000" || recs[1][10] != `[{"sku":"sku1","quantity":2,"unitPriceMinor":500},{"sku":"sku2","description":"Tea","quantity":-1,"unitPriceMinor":12}]` {
				t.Errorf("orders CSV: %q", recs[1])
			}
		case export.Interactions:
			if !reflect.DeepEqual(recs[1], []string{"web:i0", "cus_0000", "email", "opened", "2026-02-03T04:05:06.789Z", `{"campaign":"c1"}`}) {
				t.Errorf("interactions CSV: %q", recs[1])
			}
		}
	}
}

// TestStreams: the writer hands each batch to the output before the next is read (the
// output grows between batches, and is flushed after each), for CSV and, per row group
// through a bounded buffer, for Parquet.
func TestStreams(t *testing.T) {
	for _, format := range []string{export.CSV, export.Parquet} {
		f := generate(20000)
		flushes := 0
		if _, err := export.Write(context.Background(), f, export.Orders, format, f.out, export.Options{Batch: 2000, RowGroup: 4000,
			Flush: func() { flushes++ }}); err != nil {
			t.Fatal(err)
		}
		grew := 0
		for i := 1; i < len(f.written); i++ {
			if f.written[i] > f.written[i-1] {
				grew++
			}
		}
		min := 9 // every batch
		if format == export.Parquet {
			// Row groups go out through the library's 32 KiB write buffer: the output grows
			// as they fill it, long before the last batch.
			min = 2
		}
		if grew < min || flushes < min {
			t.Errorf("%s: output grew between %d of 10 batches, %d flushes (sizes %v)", format, grew, flushes, f.written)
		}
	}
}
