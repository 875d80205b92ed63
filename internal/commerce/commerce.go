// Package commerce is the Customer 360 commerce domain: orders, interactions and value
// metrics maintained on write. The metrics' model is package ledger, the Customer 360
// reads (timeline, order pages, value rankings) are package c360, and amounts are exact
// minor units (package money).
//
// Orders and interactions live in their own collections and point at a profile. They also
// carry the source record of the customer who made them ("webshop:17850"), so after an
// unmerge they follow that record to its new profile (FollowUnmerge); after a merge they
// move from the absorbed profiles to the survivor (FollowMerges). internal/workflow calls
// both for every merge and split identity makes; both read by _id (a profile's ledger
// buckets list its orders and interactions). Reconcile is only a safety-net sweep.
//
// # Metrics
//
// Each profile has one metrics document, updated when orders and interactions are written,
// never by scanning orders on read. Behind it is a ledger: per order id, what that order
// contributed (kind, net amount, currency, time; EntryOf), and per interaction id its time,
// kept in buckets of one profile, kind and year (package ledger), not in the metrics
// document. A write sets the order's entry, so re-ingesting the same order changes
// nothing, and a status change replaces the old contribution instead of adding a second
// one. The metrics document keeps a summary per bucket and the aggregates derived from the
// summaries in Go; it is written compare-and-set on its rev on MongoDB (no transactions
// needed; a lost race re-reads and re-applies, which is idempotent) and under the store's
// guard on FerretDB.
//
// RFM scores 1-5 are refreshed by RefreshRFM: it pages through all metrics documents,
// computes quintile cut points of recency (last order time), frequency (orders) and
// monetary (net) over customers with orders (ledger.QuintileCuts), and bulk-writes the
// scores.
package commerce

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/money"
)

// Order statuses.
const (
	Placed    = "placed"
	Paid      = "paid"
	Shipped   = "shipped"
	Cancelled = "cancelled"
	Refunded  = "refunded"
	// Delivered: the shop reports the order arrived (surveys ask after it).
	Delivered = "delivered"
)

// Statuses lists the valid order statuses.
var Statuses = []string{Placed, Paid, Shipped, Cancelled, Refunded, Delivered}

// Channels of interactions (and of orders: "web" unless set).
var Channels = []string{"email", "chat", "social", "web", "support"}

// Order is one order (or a credit note) of a source.
type Order struct {
	ID         string `bson:"_id"` // source:externalId
	Source     string `bson:"source"`
	ExternalID string `bson:"externalId"`
	// ProfileID is empty for guest orders: they are kept but belong to no profile.
	ProfileID string `bson:"profileId"`
	// CustomerRecordID is the source record of the customer who placed the order; after an
	// unmerge the order follows that record's profile.
	CustomerRecordID string    `bson:"customerRecordId,omitempty"`
	Channel          string    `bson:"channel"`
	Status           string    `bson:"status"`
	Lines            []Line    `bson:"lines"`
	TotalMinor       int64     `bson:"totalMinor"`
	Currency         string    `bson:"currency"`
	PlacedAt         time.Time `bson:"placedAt"`
	UpdatedAt        time.Time `bson:"updatedAt"`
}

// Line is one order line; a credit note has negative quantities.
type Line struct {
	SKU            string `bson:"sku"`
	Description    string `bson:"description,omitempty"`
	Quantity       int64  `bson:"quantity"`
	UnitPriceMinor int64  `bson:"unitPriceMinor"`
	// Category is the shop's category of the line ("" none: the product catalogue's).
	Category string `bson:"category,omitempty"`
}

// MaxCategoryBytes bounds a line's category.
const MaxCategoryBytes = 200

// AmountMinor is quantity × unit price, saturated at the int64 bounds (an order that
// passed CheckAmounts never gets near them).
func (l Line) AmountMinor() int64 {
	if v, ok := money.MulMinor(l.Quantity, l.UnitPriceMinor); ok {
		return v
	}
	if (l.Quantity < 0) != (l.UnitPriceMinor < 0) {
		return math.MinInt64
	}
	return math.MaxInt64
}

// Amount is quantity × unit price, with quantity, price and amount within their bounds
// (MaxQuantity, MaxAmountMinor).
func (l Line) Amount() (int64, error) {
	if !inBounds(l.Quantity, MaxQuantity) {
		return 0, fmt.Errorf("%w: quantity %d is beyond ±%d", ErrAmountBounds, l.Quantity, MaxQuantity)
	}
	if !inBounds(l.UnitPriceMinor, MaxAmountMinor) {
		return 0, fmt.Errorf("%w: unit price of %d minor units is beyond ±%d", ErrAmountBounds, l.UnitPriceMinor, int64(MaxAmountMinor))
	}
	v, ok := money.MulMinor(l.Quantity, l.UnitPriceMinor)
	if !ok || !inBounds(v, MaxAmountMinor) {
		return 0, fmt.Errorf("%w: quantity × unit price is beyond ±%d minor units", ErrAmountBounds, int64(MaxAmountMinor))
	}
	return v, nil
}

// LinesTotal sums the lines' amounts, every line and the sum within the bounds.
func (o *Order) LinesTotal() (int64, error) {
	if len(o.Lines) > MaxLines {
		return 0, fmt.Errorf("%w: %d lines, at most %d", ErrAmountBounds, len(o.Lines), MaxLines)
	}
	var t int64
	for i, l := range o.Lines {
		a, err := l.Amount()
		if err != nil {
			return 0, fmt.Errorf("line %d: %w", i+1, err)
		}
		// Each term is within ±10^15 and so is the running total: no overflow possible,
		// but the bound is checked at every step.
		t += a
		if !inBounds(t, MaxAmountMinor) {
			return 0, fmt.Errorf("%w: the lines add up to more than ±%d minor units", ErrAmountBounds, int64(MaxAmountMinor))
		}
	}
	return t, nil
}

// CheckAmounts checks the order's lines and total against the bounds and fills a
// missing (zero) total from the lines. Its error says which line or amount is wrong.
func (o *Order) CheckAmounts() error {
	lt, err := o.LinesTotal()
	if err != nil {
		return err
	}
	if o.TotalMinor == 0 {
		o.TotalMinor = lt
	}
	if !inBounds(o.TotalMinor, MaxAmountMinor) {
		return fmt.Errorf("%w: total of %d minor units is beyond ±%d", ErrAmountBounds, o.TotalMinor, int64(MaxAmountMinor))
	}
	return nil
}

// Total is the order's amount as Money.
func (o *Order) Total() money.Money { return money.Money{Minor: o.TotalMinor, Currency: o.Currency} }

// IsCancellation reports a cancelled or refunded order (or credit note).
func (o *Order) IsCancellation() bool { return o.Status == Cancelled || o.Status == Refunded }

// EntryOf classifies an order (see package ledger).
func EntryOf(o *Order) ledger.Entry {
	e := ledger.Entry{Kind: ledger.KindOrder, NetMinor: o.TotalMinor, Currency: o.Currency, At: o.PlacedAt.UTC()}
	if o.IsCancellation() {
		e.Kind = ledger.KindCredit
		if o.TotalMinor >= 0 {
			e.Kind, e.NetMinor = ledger.KindVoid, 0
		}
	}
	return e
}

// Interaction is one event of a person with the business: an e-mail sent or opened, a
// chat message, a support contact, a web visit. Interactions are immutable: writing the
// same id again is a no-op.
type Interaction struct {
	ID        string `bson:"_id"` // source:externalId
	ProfileID string `bson:"profileId"`
	// RecordID is the source record of the person, followed after an unmerge.
	RecordID   string            `bson:"recordId,omitempty"`
	Channel    string            `bson:"channel"`
	Type       string            `bson:"type"` // sent, opened, clicked, message, visit, contact...
	At         time.Time         `bson:"at"`
	Attributes map[string]string `bson:"attributes,omitempty"`
}

func validID(id string) bool {
	return id != "" && len(id) <= 400 && utf8.ValidString(id) && strings.Contains(id, ":")
}

// normalize fills defaults and checks an order.
func (o *Order) normalize(now time.Time) error {
	if o.ID == "" && o.Source != "" && o.ExternalID != "" {
		o.ID = o.Source + ":" + o.ExternalID
	}
	if !validID(o.ID) {
		return apperr.Invalidf("order id %q must be source:externalId", o.ID)
	}
	if o.Source == "" {
		o.Source, o.ExternalID, _ = strings.Cut(o.ID, ":")
	}
	if o.Channel == "" {
		o.Channel = "web"
	}
	if !slices.Contains(Statuses, o.Status) {
		return apperr.Invalidf("order %s: unknown status %q", o.ID, o.Status)
	}
	if _, ok := money.Exponent(o.Currency); !ok {
		return apperr.Invalidf("order %s: unknown currency %q", o.ID, o.Currency)
	}
	if o.PlacedAt.IsZero() {
		return apperr.Invalidf("order %s: placed time missing", o.ID)
	}
	if err := o.CheckAmounts(); err != nil {
		return apperr.Invalidf("order %s: %v", o.ID, err)
	}
	for i := range o.Lines {
		c := strings.TrimSpace(o.Lines[i].Category)
		if len(c) > MaxCategoryBytes || !utf8.ValidString(c) {
			return apperr.Invalidf("order %s: line %d: category longer than %d bytes or not UTF-8", o.ID, i+1, MaxCategoryBytes)
		}
		o.Lines[i].Category = c
	}
	// Stored times have millisecond precision; truncating here keeps a re-sent order
	// equal to its ledger entry.
	o.PlacedAt = o.PlacedAt.UTC().Truncate(time.Millisecond)
	o.UpdatedAt = now
	return nil
}

func (it *Interaction) normalize() error {
	if !validID(it.ID) {
		return apperr.Invalidf("interaction id %q must be source:externalId", it.ID)
	}
	if !slices.Contains(Channels, it.Channel) {
		return apperr.Invalidf("interaction %s: unknown channel %q", it.ID, it.Channel)
	}
	if it.Type == "" || it.At.IsZero() {
		return apperr.Invalidf("interaction %s: type and time are required", it.ID)
	}
	it.At = it.At.UTC().Truncate(time.Millisecond)
	return nil
}
