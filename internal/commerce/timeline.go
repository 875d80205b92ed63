package commerce

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Timeline item kinds.
const (
	ItemOrder       = "order"
	ItemInteraction = "interaction"
)

// Order item types on the timeline.
const (
	TypeOrder        = "order"
	TypeCancellation = "cancellation"
)

// TimelineItem is one entry of a profile's timeline.
type TimelineItem struct {
	Kind    string // ItemOrder, ItemInteraction, or an extension's kind ("ticket")
	ID      string
	At      time.Time
	Channel string
	Type    string
	// One of these is set, by kind.
	Order       *Order
	Interaction *Interaction
	Extra       any
}

// Position is a place in newest-first order: (At desc, Kind desc, ID desc).
type Position struct {
	At   time.Time
	Kind string
	ID   string
}

// Includes reports whether item x comes after position p in newest-first order (every
// item does after a nil position): for TimelineSource implementations.
func (p *Position) Includes(x TimelineItem) bool {
	if p == nil {
		return true
	}
	if !x.At.Equal(p.At) {
		return x.At.Before(p.At)
	}
	if x.Kind != p.Kind {
		return x.Kind < p.Kind
	}
	return x.ID < p.ID
}

// PageFor translates a position into a per-collection query for kind: the strict
// "after p" in the merged order is "at < p.At, or at == p.At and id < bound" per kind.
func (p *Position) PageFor(kind string, limit int) PageQuery {
	q := PageQuery{Limit: limit}
	if p == nil {
		return q
	}
	q.Before = p.At
	switch {
	case kind < p.Kind:
		q.Inclusive = true
	case kind == p.Kind:
		q.BeforeID = p.ID
	}
	return q
}

// TimelineFilter restricts items; empty lists mean any.
type TimelineFilter struct {
	Channels []string
	Types    []string
}

// Allows reports whether an item of this channel and type passes the filter.
func (f TimelineFilter) Allows(channel, typ string) bool {
	return (len(f.Channels) == 0 || slices.Contains(f.Channels, channel)) && (len(f.Types) == 0 || slices.Contains(f.Types, typ))
}

// TimelineSource is one kind of timeline items. Page returns up to limit items of a
// profile after position from (nil: newest), newest first, matching the filter.
type TimelineSource interface {
	Page(ctx context.Context, profileID string, from *Position, f TimelineFilter, limit int) ([]TimelineItem, error)
}

// TimelineQuery asks for one page.
type TimelineQuery struct {
	Limit  int    // 1..200, default 50
	Cursor string // Next of the previous page
	TimelineFilter
}

// TimelinePage is one page, newest first.
type TimelinePage struct {
	Items []TimelineItem
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// Timeline returns a profile's orders, interactions and extension items merged by time,
// newest first. Each source is asked for limit+1 items after the cursor; the merge takes
// limit and the extra one tells whether there is a next page.
func (s *Service) Timeline(ctx context.Context, profileID string, q TimelineQuery) (TimelinePage, error) {
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 200 {
		return TimelinePage{}, apperr.Invalidf("limit must be between 1 and 200")
	}
	from, err := DecodeCursor(q.Cursor)
	if err != nil {
		return TimelinePage{}, err
	}
	sources := append([]TimelineSource{orderSource{s.Store}, interactionSource{s.Store}}, s.TimelineSources...)
	var all []TimelineItem
	for _, src := range sources {
		items, err := src.Page(ctx, profileID, from, q.TimelineFilter, q.Limit+1)
		if err != nil {
			return TimelinePage{}, err
		}
		all = append(all, items...)
	}
	slices.SortFunc(all, func(a, b TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := strings.Compare(b.Kind, a.Kind); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	page := TimelinePage{Items: all}
	if len(all) > q.Limit {
		page.Items = all[:q.Limit]
		last := page.Items[q.Limit-1]
		page.Next = EncodeCursor(Position{At: last.At, Kind: last.Kind, ID: last.ID})
	}
	return page, nil
}

// EncodeCursor makes an opaque cursor of a position.
func EncodeCursor(p Position) string {
	raw := strconv.FormatInt(p.At.UnixNano(), 10) + "|" + p.Kind + "|" + p.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a cursor; "" is the start (nil).
func DecodeCursor(c string) (*Position, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.SplitN(string(b), "|", 3)
	if err != nil || len(parts) != 3 {
		return nil, apperr.Invalidf("invalid timeline cursor")
	}
	ns, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil, apperr.Invalidf("invalid timeline cursor")
	}
	return &Position{At: time.Unix(0, ns).UTC(), Kind: parts[1], ID: parts[2]}, nil
}

type orderSource struct{ st Store }

func (o orderSource) Page(ctx context.Context, profileID string, from *Position, f TimelineFilter, limit int) ([]TimelineItem, error) {
	q := from.PageFor(ItemOrder, limit)
	q.Channels = f.Channels
	for _, t := range f.Types {
		switch t {
		case TypeOrder:
			q.Statuses = append(q.Statuses, Placed, Paid, Shipped)
		case TypeCancellation:
			q.Statuses = append(q.Statuses, Cancelled, Refunded)
		}
	}
	if len(f.Types) > 0 && len(q.Statuses) == 0 {
		return nil, nil // only other types asked for
	}
	orders, err := o.st.OrderPage(ctx, profileID, q)
	if err != nil {
		return nil, err
	}
	var out []TimelineItem
	for i := range orders {
		x := &orders[i]
		typ := TypeOrder
		if x.IsCancellation() {
			typ = TypeCancellation
		}
		out = append(out, TimelineItem{Kind: ItemOrder, ID: x.ID, At: x.PlacedAt, Channel: x.Channel, Type: typ, Order: x})
	}
	return out, nil
}

type interactionSource struct{ st Store }

func (s interactionSource) Page(ctx context.Context, profileID string, from *Position, f TimelineFilter, limit int) ([]TimelineItem, error) {
	q := from.PageFor(ItemInteraction, limit)
	q.Channels, q.Types = f.Channels, f.Types
	is, err := s.st.InteractionPage(ctx, profileID, q)
	if err != nil {
		return nil, err
	}
	var out []TimelineItem
	for i := range is {
		x := &is[i]
		out = append(out, TimelineItem{Kind: ItemInteraction, ID: x.ID, At: x.At, Channel: x.Channel, Type: x.Type, Interaction: x})
	}
	return out, nil
}
