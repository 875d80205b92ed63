// Package export writes full exports of profiles, orders and interactions as CSV or
// Parquet (github.com/parquet-go/parquet-go), streamed: the reader hands over batches
// from a database cursor, each batch is written and flushed to the client before the
// next is read, and Parquet goes out in row groups, so memory does not grow with the
// size of the export.
package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Kinds and formats.
const (
	Profiles     = "profiles"
	Orders       = "orders"
	Interactions = "interactions"
	CSV          = "csv"
	Parquet      = "parquet"
)

// Kinds lists what can be exported.
var Kinds = []string{Profiles, Orders, Interactions}

// Reader streams whole collections in batches (a full export reads everything once).
// Profiles are the live ones only (not those merged into others).
type Reader interface {
	EachProfiles(ctx context.Context, batch int, fn func([]profile.Profile) error) error
	EachOrders(ctx context.Context, batch int, fn func([]commerce.Order) error) error
	EachInteractions(ctx context.Context, batch int, fn func([]commerce.Interaction) error) error
}

// Options tune an export.
type Options struct {
	// Batch is the rows read and written at a time (default 500).
	Batch int
	// RowGroup is the rows of one Parquet row group (default 10,000).
	RowGroup int
	// Flush, if set, is called after each batch (the HTTP handler flushes the response).
	Flush func()
}

// Check validates a kind and a format.
func Check(kind, format string) error {
	if !slices.Contains(Kinds, kind) {
		return apperr.Invalidf("unknown export %q: profiles, orders or interactions", kind)
	}
	if format != CSV && format != Parquet {
		return apperr.Invalidf("unknown format %q: csv or parquet", format)
	}
	return nil
}

// ContentType of a format.
func ContentType(format string) string {
	if format == Parquet {
		return "application/vnd.apache.parquet"
	}
	return "text/csv; charset=utf-8"
}

// Write exports kind as format to w and returns the rows written.
func Write(ctx context.Context, r Reader, kind, format string, w io.Writer, o Options) (int, error) {
	if err := Check(kind, format); err != nil {
		return 0, err
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.RowGroup <= 0 {
		o.RowGroup = 10000
	}
	switch kind {
	case Profiles:
		return run(ctx, format, w, o, ProfileColumns, func(fn func([]ProfileRow) error) error {
			return r.EachProfiles(ctx, o.Batch, func(ps []profile.Profile) error { return fn(mapRows(ps, ProfileRowOf)) })
		})
	case Orders:
		return run(ctx, format, w, o, OrderColumns, func(fn func([]OrderRow) error) error {
			return r.EachOrders(ctx, o.Batch, func(os []commerce.Order) error { return fn(mapRows(os, OrderRowOf)) })
		})
	default:
		return run(ctx, format, w, o, InteractionColumns, func(fn func([]InteractionRow) error) error {
			return r.EachInteractions(ctx, o.Batch, func(is []commerce.Interaction) error { return fn(mapRows(is, InteractionRowOf)) })
		})
	}
}

func mapRows[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

// csvRow is a row that also writes itself as CSV cells.
type csvRow interface{ cells() []string }

func run[T csvRow](ctx context.Context, format string, w io.Writer, o Options, header []string, each func(func([]T) error) error) (int, error) {
	n := 0
	flush := func() {
		if o.Flush != nil {
			o.Flush()
		}
	}
	if format == CSV {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return 0, err
		}
		err := each(func(rows []T) error {
			for _, r := range rows {
				if err := cw.Write(r.cells()); err != nil {
					return err
				}
			}
			n += len(rows)
			cw.Flush()
			flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return ctx.Err()
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return n, err
	}
	pw := parquet.NewGenericWriter[T](w, parquet.Compression(&zstd.Codec{}), parquet.MaxRowsPerRowGroup(int64(o.RowGroup)))
	inGroup := 0
	err := each(func(rows []T) error {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		n += len(rows)
		if inGroup += len(rows); inGroup >= o.RowGroup {
			if err := pw.Flush(); err != nil {
				return err
			}
			inGroup = 0
			flush()
		}
		return ctx.Err()
	})
	if err != nil {
		return n, err
	}
	if err := pw.Close(); err != nil {
		return n, err
	}
	flush()
	return n, nil
}

// ProfileRow is one live profile.
type ProfileRow struct {
	ID          string    `parquet:"id"`
	CreatedAt   time.Time `parquet:"created_at,timestamp(millisecond)"`
	UpdatedAt   time.Time `parquet:"updated_at,timestamp(millisecond)"`
	FirstName   string    `parquet:"first_name"`
	LastName    string    `parquet:"last_name"`
	Emails      []string  `parquet:"emails,list"`
	Phones      []string  `parquet:"phones,list"`
	BirthDate   string    `parquet:"birth_date"`
	Locale      string    `parquet:"locale"`
	Addresses   string    `parquet:"addresses,json"`
	Attributes  string    `parquet:"attributes,json"`
	RecordCount int64     `parquet:"record_count"`
}

// ProfileColumns is the CSV header of profiles.
var ProfileColumns = []string{"id", "created_at", "updated_at", "first_name", "last_name", "emails", "phones", "birth_date", "locale",
	"addresses", "attributes", "record_count"}

// ProfileRowOf flattens a profile: lists joined by ";" in CSV, addresses and attributes
// as JSON.
func ProfileRowOf(p profile.Profile) ProfileRow {
	return ProfileRow{ID: p.ID, CreatedAt: ms(p.CreatedAt), UpdatedAt: ms(p.UpdatedAt), FirstName: p.Traits.FirstName, LastName: p.Traits.LastName,
		Emails: nonNil(p.Traits.Emails), Phones: nonNil(p.Traits.Phones), BirthDate: p.Traits.BirthDate, Locale: p.Traits.Locale,
		Addresses: jsonOf(p.Traits.Addresses), Attributes: jsonOf(p.Traits.Attributes), RecordCount: int64(p.RecordCount)}
}

func (r ProfileRow) cells() []string {
	return safe(r.ID, stamp(r.CreatedAt), stamp(r.UpdatedAt), r.FirstName, r.LastName, strings.Join(r.Emails, ";"), strings.Join(r.Phones, ";"),
		r.BirthDate, r.Locale, r.Addresses, r.Attributes, strconv.FormatInt(r.RecordCount, 10))
}

// OrderRow is one order with its lines.
type OrderRow struct {
	ID         string      `parquet:"id"`
	Source     string      `parquet:"source"`
	ExternalID string      `parquet:"external_id"`
	ProfileID  string      `parquet:"profile_id"`
	Channel    string      `parquet:"channel"`
	Status     string      `parquet:"status"`
	TotalMinor int64       `parquet:"total_minor"`
	Currency   string      `parquet:"currency"`
	PlacedAt   time.Time   `parquet:"placed_at,timestamp(millisecond)"`
	UpdatedAt  time.Time   `parquet:"updated_at,timestamp(millisecond)"`
	Lines      []OrderLine `parquet:"lines,list"`
}

// OrderLine is one line of an order (a list in Parquet, JSON in CSV).
type OrderLine struct {
	SKU            string `parquet:"sku" json:"sku"`
	Description    string `parquet:"description" json:"description,omitempty"`
	Quantity       int64  `parquet:"quantity" json:"quantity"`
	UnitPriceMinor int64  `parquet:"unit_price_minor" json:"unitPriceMinor"`
}

// OrderColumns is the CSV header of orders.
var OrderColumns = []string{"id", "source", "external_id", "profile_id", "channel", "status", "total_minor", "currency", "placed_at",
	"updated_at", "lines"}

// OrderRowOf flattens an order; amounts are in minor units of the currency.
func OrderRowOf(o commerce.Order) OrderRow {
	lines := make([]OrderLine, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = OrderLine{SKU: l.SKU, Description: l.Description, Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor}
	}
	return OrderRow{ID: o.ID, Source: o.Source, ExternalID: o.ExternalID, ProfileID: o.ProfileID, Channel: o.Channel, Status: o.Status,
		TotalMinor: o.TotalMinor, Currency: o.Currency, PlacedAt: ms(o.PlacedAt), UpdatedAt: ms(o.UpdatedAt), Lines: lines}
}

func (r OrderRow) cells() []string {
	return safe(r.ID, r.Source, r.ExternalID, r.ProfileID, r.Channel, r.Status, strconv.FormatInt(r.TotalMinor, 10), r.Currency,
		stamp(r.PlacedAt), stamp(r.UpdatedAt), jsonOf(r.Lines))
}

// InteractionRow is one interaction.
type InteractionRow struct {
	ID         string    `parquet:"id"`
	ProfileID  string    `parquet:"profile_id"`
	Channel    string    `parquet:"channel"`
	Type       string    `parquet:"type"`
	At         time.Time `parquet:"at,timestamp(millisecond)"`
	Attributes string    `parquet:"attributes,json"`
}

// InteractionColumns is the CSV header of interactions.
var InteractionColumns = []string{"id", "profile_id", "channel", "type", "at", "attributes"}

// InteractionRowOf flattens an interaction; attributes as JSON.
func InteractionRowOf(i commerce.Interaction) InteractionRow {
	return InteractionRow{ID: i.ID, ProfileID: i.ProfileID, Channel: i.Channel, Type: i.Type, At: ms(i.At), Attributes: jsonOf(i.Attributes)}
}

func (r InteractionRow) cells() []string {
	return safe(r.ID, r.ProfileID, r.Channel, r.Type, stamp(r.At), r.Attributes)
}

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// jsonOf is v as JSON, "" for nothing.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return ""
	}
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// safe defuses cells a spreadsheet would run as a formula (CSV injection), as the
// segment export does: a leading = + - @ tab or CR gets a quote in front.
func safe(cells ...string) []string {
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			cells[i] = "'" + s
		}
	}
	return cells
}

// FileName is the download name of an export.
func FileName(kind, format string, at time.Time) string {
	return fmt.Sprintf("tessera-%s-%s.%s", kind, at.UTC().Format("20060102-150405"), format)
}
