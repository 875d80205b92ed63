package c360

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
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
	Order       *commerce.Order
	Interaction *commerce.Interaction
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

// Timeline returns a profile's orders, interactions and extension items (TimelineSources)
// merged by time, newest first. Each source is asked for limit+1 items after the cursor;
// the merge takes limit and the extra one tells whether there is a next page.
func (c *Customer360) Timeline(ctx context.Context, profileID string, q TimelineQuery) (TimelinePage, error) {
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
	st := c.Service.Store
	sources := append([]TimelineSource{orderSource{st}, interactionSource{st}}, c.TimelineSources...)
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

// The order and interaction sources page through the profile's ledger buckets (newest
// period first, only as many as the page needs) and read the items on the page by id:
// bare-_id point reads whatever the size of the database.
type orderSource struct{ st commerce.Store }

func (o orderSource) Page(ctx context.Context, profileID string, from *Position, f TimelineFilter, limit int) ([]TimelineItem, error) {
	if len(f.Types) > 0 && !slices.Contains(f.Types, TypeOrder) && !slices.Contains(f.Types, TypeCancellation) {
		return nil, nil // only other types asked for
	}
	return pageLedger(ctx, o.st, profileID, ItemOrder, from, limit, func(ids []string) ([]TimelineItem, error) {
		orders, err := getOrders(ctx, o.st, ids)
		out := make([]TimelineItem, len(orders))
		for i := range orders {
			x := &orders[i]
			typ := TypeOrder
			if x.IsCancellation() {
				typ = TypeCancellation
			}
			out[i] = TimelineItem{Kind: ItemOrder, ID: x.ID, At: x.PlacedAt, Channel: x.Channel, Type: typ, Order: x}
		}
		return filtered(out, f), err
	})
}

type interactionSource struct{ st commerce.Store }

func (s interactionSource) Page(ctx context.Context, profileID string, from *Position, f TimelineFilter, limit int) ([]TimelineItem, error) {
	return pageLedger(ctx, s.st, profileID, ItemInteraction, from, limit, func(ids []string) ([]TimelineItem, error) {
		is, err := s.st.GetInteractions(ctx, ids)
		out := make([]TimelineItem, len(is))
		for i := range is {
			x := &is[i]
			out[i] = TimelineItem{Kind: ItemInteraction, ID: x.ID, At: x.At, Channel: x.Channel, Type: x.Type, Interaction: x}
		}
		return filtered(out, f), err
	})
}

func filtered(items []TimelineItem, f TimelineFilter) []TimelineItem {
	return slices.DeleteFunc(items, func(it TimelineItem) bool { return !f.Allows(it.Channel, it.Type) })
}

// pageLedger returns up to limit items of one kind of a profile after from, newest
// first: it lists the kind's ids from the ledger buckets, newest period first, and
// asks load for them a page at a time (load reads them, leaving out missing ones and
// those the filter drops) until it has limit items or the ledger ends.
func pageLedger(ctx context.Context, st commerce.Store, profileID, kind string, from *Position, limit int,
	load func(ids []string) ([]TimelineItem, error)) ([]TimelineItem, error) {
	ms, err := getMetrics(ctx, st, []string{profileID})
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	prefix, period := ledger.OrderPrefix, ledger.OrderPeriod
	if kind == ItemInteraction {
		prefix, period = ledger.InteractionPrefix, ledger.InteractionPeriod
	}
	var periods []string
	for p, sum := range ms[0].Periods {
		if strings.HasPrefix(p, prefix) && (sum.Entries() > 0 || sum.Interactions > 0) &&
			(from == nil || p <= period(from.At)) { // later years hold only newer items
			periods = append(periods, p)
		}
	}
	slices.Sort(periods)
	var out []TimelineItem
	for i := len(periods) - 1; i >= 0 && len(out) < limit; i-- {
		bs, err := getBuckets(ctx, st, []ledger.BucketKey{{ProfileID: profileID, Period: periods[i]}})
		if err != nil || len(bs) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		var refs []TimelineItem
		for id, e := range bs[0].Orders {
			refs = append(refs, TimelineItem{Kind: kind, ID: id, At: e.At})
		}
		for id, at := range bs[0].Interactions {
			refs = append(refs, TimelineItem{Kind: kind, ID: id, At: at})
		}
		refs = slices.DeleteFunc(refs, func(it TimelineItem) bool { return !from.Includes(it) })
		slices.SortFunc(refs, newestFirst)
		for len(refs) > 0 && len(out) < limit {
			n := min(len(refs), limit-len(out))
			ids := make([]string, n)
			for j := range n {
				ids[j] = refs[j].ID
			}
			refs = refs[n:]
			got, err := load(ids)
			if err != nil {
				return nil, err
			}
			slices.SortFunc(got, newestFirst)
			out = append(out, got...)
		}
	}
	return out, nil
}

// newestFirst orders items of one kind by time, then id, descending.
func newestFirst(a, b TimelineItem) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}
