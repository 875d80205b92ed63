package segmentquery_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/consentstore"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestSegmentFerretDBOperators pins down how the database evaluates the operators the
// segment compiler relies on, negations in particular (missing fields, arrays, dot
// paths through arrays of subdocuments). On FerretDB v1.24 $nor, $and, $or and $exists
// behave as on MongoDB everywhere, and $ne, $nin and $not on plain fields and arrays of
// scalars; but $ne, $nin and $not on a path through an array of subdocuments
// (ad.city) select documents where some element does not match rather than none
// matches, so the compiler negates address fields with $nor. Empty $and/$or/$nor
// arrays and a null $in are errors, which the compiler avoids by folding constants.
func TestSegmentFerretDBOperators(t *testing.T) {
	ctx := context.Background()
	c := testdb.DB(t).Collection("ops")
	docs := []any{
		bson.M{"_id": "a", "n": 5, "s": "Apple", "arr": bson.A{"x", "y"}, "ad": bson.A{bson.M{"city": "Oslo"}, bson.M{"city": "Rome"}}},
		bson.M{"_id": "b", "n": 7.5, "s": "banana", "arr": bson.A{"y"}, "ad": bson.A{bson.M{"city": "Paris"}}},
		bson.M{"_id": "c", "n": "9", "s": "cherry", "ad": bson.A{bson.M{"zip": "1"}}},
		bson.M{"_id": "d", "arr": bson.A{}},
		bson.M{"_id": "e", "n": int64(3), "s": bson.A{"apple pie", "Zed"}, "b": true, "ad": bson.M{"city": "Oslo"}},
		bson.M{"_id": "f", "n": 10, "b": "true", "mergedInto": "a"},
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	gt4 := bson.M{"n": bson.M{"$gt": 4}}
	ferret := os.Getenv("TESSERA_TEST_MONGODB_URI") == ""
	for _, tc := range []struct {
		name   string
		filter any
		want   string
		// ferretDB is FerretDB v1.24's different answer, if any.
		ferretDB string
	}{
		{"$gt across int, double, string", gt4, "abf", ""},
		{"$not $gt includes missing and strings", bson.M{"n": bson.M{"$not": bson.M{"$gt": 4}}}, "cde", ""},
		{"$nor", bson.M{"$nor": bson.A{gt4}}, "cde", ""},
		{"$nor of $and", bson.M{"$nor": bson.A{bson.M{"$and": bson.A{gt4, bson.M{"arr": "y"}}}}}, "cdef", ""},
		{"$nor of $nor", bson.M{"$nor": bson.A{bson.M{"$nor": bson.A{gt4}}}}, "abf", ""},
		{"$and of $or", bson.M{"$and": bson.A{bson.M{"$or": bson.A{bson.M{"n": 5}, bson.M{"n": 10}}}, bson.M{"$or": bson.A{bson.M{"arr": "x"}, bson.M{"b": "true"}}}}}, "af", ""},
		{"$ne on array = no element", bson.M{"s": bson.M{"$ne": "apple pie"}}, "abcdf", ""},
		{"$nin on array", bson.M{"arr": bson.M{"$nin": bson.A{"x"}}}, "bcdef", ""},
		{"$exists matches empty array", bson.M{"arr": bson.M{"$exists": true}}, "abd", ""},
		{"dot path through array", bson.M{"ad.city": "Oslo"}, "ae", ""},
		{"$exists through array", bson.M{"ad.city": bson.M{"$exists": true}}, "abe", ""},
		{"$ne through array", bson.M{"ad.city": bson.M{"$ne": "Oslo"}}, "bcdf", "abcdf"},
		{"$nin through array", bson.M{"ad.city": bson.M{"$nin": bson.A{"Paris", "Rome"}}}, "cdef", "acdef"},
		{"$not regex through array", bson.M{"ad.city": bson.M{"$not": bson.Regex{Pattern: "^o", Options: "i"}}}, "bcdf", "abcdf"},
		{"$not $gt string through array", bson.M{"ad.city": bson.M{"$not": bson.M{"$gt": "P"}}}, "cdef", "acdef"},
		{"$nor eq through array", bson.M{"$nor": bson.A{bson.M{"ad.city": "Oslo"}}}, "bcdf", ""},
		{"$nor $in through array", bson.M{"$nor": bson.A{bson.M{"ad.city": bson.M{"$in": bson.A{"Paris", "Rome"}}}}}, "cdef", ""},
		{"$nor regex through array", bson.M{"$nor": bson.A{bson.M{"ad.city": bson.Regex{Pattern: "^o", Options: "i"}}}}, "bcdf", ""},
		{"$nor $gt through array", bson.M{"$nor": bson.A{bson.M{"ad.city": bson.M{"$gt": "P"}}}}, "cdef", ""},
		{"$nor $exists through array", bson.M{"$nor": bson.A{bson.M{"ad.city": bson.M{"$exists": true}}}}, "cdf", ""},
		{"$exists false through array", bson.M{"ad.city": bson.M{"$exists": false}}, "cdf", ""},
		{"regex on array elements", bson.M{"s": bson.Regex{Pattern: "apple", Options: "i"}}, "ae", ""},
		{"string range is byte order", bson.M{"s": bson.M{"$lt": "b"}}, "ae", ""},
		{"bool is not a string", bson.M{"b": true}, "e", ""},
		{"$in mixes types", bson.M{"b": bson.M{"$in": bson.A{true, "true"}}}, "ef", ""},
		{"mergedInto missing", bson.M{"mergedInto": bson.M{"$exists": false}}, "abcde", ""},
		{"$in empty array", bson.M{"_id": bson.M{"$in": bson.A{}}}, "", ""},
		{"two operators on one field", bson.M{"n": bson.M{"$exists": true, "$ne": 5}}, "bcef", ""},
	} {
		got, err := segFindIDs(ctx, c, tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		g := strings.Join(got, "")
		switch {
		case g == tc.want:
		case ferret && tc.ferretDB != "" && g == tc.ferretDB:
			t.Logf("known FerretDB deviation, %s: %q instead of %q", tc.name, g, tc.want)
		default:
			t.Errorf("%s: got %q, want %q", tc.name, g, tc.want)
		}
	}
	for _, f := range []bson.M{{"$and": bson.A{}}, {"$or": bson.A{}}, {"$nor": bson.A{}}, {"_id": bson.M{"$in": nil}}} {
		if _, err := segFindIDs(ctx, c, f); err == nil {
			t.Errorf("%v: accepted", f)
		}
	}
}

func segFindIDs(ctx context.Context, c *mongo.Collection, f any) ([]string, error) {
	cur, err := c.Find(ctx, f, options.Find().SetProjection(bson.M{"_id": 1}).SetSort(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	var out []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, o := range out {
		ids[i] = o.ID
	}
	return ids, nil
}

// ---- a random population and an independent in-memory evaluator ----

type segMetric struct {
	ID           string
	Orders       *int
	Net          *int64
	Currency     *string
	LastOrderAt  *time.Time
	Interactions *int
	RFM          *[3]int
}

func (m *segMetric) doc() bson.M {
	d := bson.M{"_id": m.ID, "rev": 1}
	if m.Orders != nil {
		d["orders"] = *m.Orders
	}
	if m.Net != nil {
		d["netMinor"] = *m.Net
	}
	if m.Currency != nil {
		d["currency"] = *m.Currency
	}
	if m.LastOrderAt != nil {
		d["lastOrderAt"] = *m.LastOrderAt
	}
	if m.Interactions != nil {
		d["interactions"] = *m.Interactions
	}
	if m.RFM != nil {
		d["rfm"] = bson.M{"r": m.RFM[0], "f": m.RFM[1], "m": m.RFM[2]}
	}
	return d
}

type segTicket struct {
	ID, RequesterID, Status, Channel string
	CreatedAt                        time.Time
	MergedInto                       *string
}

type segPop struct {
	now      time.Time
	profiles []profile.Profile
	metrics  map[string]*segMetric
	orders   []commerce.Order
	inters   []commerce.Interaction
	tickets  []segTicket
	// consent holds the granted keys of each consent record ("email:marketing"); a
	// record may exist without a grant, and for ids that are no live profile.
	consent map[string][]string
	ids     []string // every profile id plus ids that exist only in other collections
}

var (
	segFirst     = []string{"Ann", "anna", "ANNE", "Bob", "Zoë", "José", "O'Brien", "a.b*c", "(x)", "Émile", ".*"}
	segLast      = []string{"Smith", "smithson", "Ng", "Müller", "van der Berg", "[lit]", "Doe", `{"$gt":""}`}
	segEmails    = []string{"ann@example.com", "bob@shop.co.uk", "zoe+tag@example.org", "x.y@z.io", "a*b@q.com", "ann@example.org"}
	segPhones    = []string{"+447700900123", "+14155550101", "+33123456789"}
	segCities    = []string{"London", "london", "Leeds", "Paris", "München", "St. Albans", "New York"}
	segPostcodes = []string{"SW1A 1AA", "LS1 4AP", "75001", "10115", "N1"}
	segCountries = []string{"United Kingdom", "France", "Germany", "united kingdom", "US"}
	segBirth     = []string{"1970-01-31", "1985-06-15", "1990-01-01", "2001-12-24", "1999-02-28"}
	segLocales   = []string{"en-GB", "en", "fr-FR", "de"}
	segTiers     = []string{"gold", "silver", "Gold", "bronze", "$gt"}
	segTags      = []string{"a", "b", "sale", "VIP"}
	segConsent   = []any{true, false, "true", "yes", "no", "Y", "1", "0", 1, 0, "TRUE", "maybe", 1.0}
	segGrants    = []string{"email:marketing", "email:transactional", "sms:marketing", "push:marketing", "phone:transactional"}
	segIDTypes   = []string{"email", "crm", "phone", "loyalty"}
	segCurrency  = []string{"GBP", "GBP", "GBP", "EUR", "JPY", "KWD", "", "XXX"}
	segNets      = []int64{0, 1, 10, 1250, 10000, 250075, -500, 99999, 12345}
	segOrderChan = []string{"web", "pos", "app"}
	segIChannels = commerce.Channels
	segTChannels = []string{"email", "chat", "social", "web_form", "phone"}
	segTStatuses = []string{"new", "open", "pending", "on_hold", "solved", "closed"}
	segAttrKeys  = []string{"tier", "score", "vip", "tags", "age", "consent_email", "consent_sms", "consent_phone", "consent_push"}
	segDays      = []int{1, 7, 30, 90, 365, 3650}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func some[T any](r *rand.Rand, xs []T, max int) []T {
	n := r.IntN(max + 1)
	var out []T
	for range n {
		x := pick(r, xs)
		if !slices.ContainsFunc(out, func(y T) bool { return any(y) == any(x) }) {
			out = append(out, x)
		}
	}
	return out
}

func ptr[T any](x T) *T { return &x }

// randTime is now minus a random number of days (some in the future, some exactly on
// a day boundary), at millisecond precision.
func randTime(r *rand.Rand, now time.Time) time.Time {
	if r.IntN(5) == 0 {
		return now.Add(-time.Duration(pick(r, segDays)+r.IntN(2)) * 24 * time.Hour)
	}
	ms := r.Int64N(800*24*3600*1000) - 10*24*3600*1000
	return now.Add(-time.Duration(ms) * time.Millisecond)
}

func genPopulation(r *rand.Rand, n int, now time.Time) *segPop {
	p := &segPop{now: now, metrics: map[string]*segMetric{}, consent: map[string][]string{}}
	for i := range n {
		id := fmt.Sprintf("p%04d", i)
		pr := profile.Profile{ID: id, CreatedAt: now, UpdatedAt: now}
		tr := &pr.Traits
		if r.IntN(5) > 0 {
			tr.FirstName = pick(r, segFirst)
		}
		if r.IntN(4) > 0 {
			tr.LastName = pick(r, segLast)
		}
		tr.Emails = some(r, segEmails, 3)
		tr.Phones = some(r, segPhones, 2)
		for range r.IntN(3) {
			a := profile.Address{Line1: "1 High St"}
			if r.IntN(4) > 0 {
				a.City = pick(r, segCities)
			}
			if r.IntN(3) > 0 {
				a.Postcode = pick(r, segPostcodes)
			}
			if r.IntN(3) > 0 {
				a.Country = pick(r, segCountries)
			}
			tr.Addresses = append(tr.Addresses, a)
		}
		if r.IntN(2) == 0 {
			tr.BirthDate = pick(r, segBirth)
		}
		if r.IntN(2) == 0 {
			tr.Locale = pick(r, segLocales)
		}
		for _, k := range some(r, segAttrKeys, 6) {
			if tr.Attributes == nil {
				tr.Attributes = map[string]any{}
			}
			switch {
			case k == "tier":
				tr.Attributes[k] = pick(r, segTiers)
			case k == "score":
				tr.Attributes[k] = pick(r, []any{r.IntN(11), float64(r.IntN(21)) / 2, "7", int64(5)})
			case k == "vip":
				tr.Attributes[k] = pick(r, []any{true, false, "true"})
			case k == "tags":
				tr.Attributes[k] = append([]string{}, some(r, segTags, 3)...)
			case k == "age":
				tr.Attributes[k] = pick(r, []any{18 + r.IntN(60), "40", 40})
			default:
				tr.Attributes[k] = pick(r, segConsent)
			}
		}
		for _, e := range tr.Emails {
			pr.Identifiers = append(pr.Identifiers, "email:"+e)
		}
		for _, t := range some(r, []string{"crm", "loyalty", "phone"}, 2) {
			pr.Identifiers = append(pr.Identifiers, t+":"+strconv.Itoa(r.IntN(20)))
		}
		p.profiles = append(p.profiles, pr)
		p.ids = append(p.ids, id)
	}
	// Some profiles are merged into others; they keep their data but are never members.
	for i := range p.profiles {
		if r.IntN(10) == 0 {
			p.profiles[i].MergedInto = pick(r, p.ids)
		}
	}
	// Ids that exist only in the other collections (deleted or never-created profiles).
	owners := append(slices.Clone(p.ids), "ghost1", "ghost2", "")
	for _, id := range owners {
		if id == "" || r.IntN(10) < 4 {
			continue
		}
		m := &segMetric{ID: id}
		if r.IntN(4) == 0 { // an interaction-only document, as AddInteractionStats upserts it
			m.Interactions = ptr(r.IntN(6))
		} else {
			m.Orders = ptr(r.IntN(6))
			m.Net = ptr(pick(r, segNets) * int64(pick(r, []int{1, 1, 3, -1})))
			m.Currency = ptr(pick(r, segCurrency))
			if *m.Orders > 0 {
				m.LastOrderAt = ptr(randTime(r, now))
			} else {
				m.LastOrderAt = ptr(time.Time{})
			}
			m.Interactions = ptr(r.IntN(10))
			if r.IntN(3) > 0 {
				m.RFM = &[3]int{r.IntN(6), r.IntN(6), r.IntN(6)}
			}
		}
		p.metrics[id] = m
	}
	for _, id := range owners {
		for k := range r.IntN(6) * r.IntN(2) {
			o := commerce.Order{ID: fmt.Sprintf("shop:%s-%d", id, k), Source: "shop", ProfileID: id, Channel: pick(r, segOrderChan),
				Status: pick(r, commerce.Statuses), TotalMinor: 100, Currency: "GBP", PlacedAt: randTime(r, now)}
			p.orders = append(p.orders, o)
		}
		for k := range r.IntN(5) * r.IntN(2) {
			p.inters = append(p.inters, commerce.Interaction{ID: fmt.Sprintf("esp:%s-%d", id, k), ProfileID: id,
				Channel: pick(r, segIChannels), Type: "sent", At: randTime(r, now)})
		}
		for k := range r.IntN(4) * r.IntN(2) {
			tk := segTicket{ID: fmt.Sprintf("T%s-%d", id, k), RequesterID: id, Status: pick(r, segTStatuses),
				Channel: pick(r, segTChannels), CreatedAt: randTime(r, now)}
			switch r.IntN(8) {
			case 0:
				tk.MergedInto = ptr("T-other")
			case 1: // no mergedInto field at all
			default:
				tk.MergedInto = ptr("")
			}
			p.tickets = append(p.tickets, tk)
		}
	}
	// Consent records, also of merged and never-created profiles (consent_<channel>
	// attributes above are plain attributes: conditions no longer read them).
	for _, id := range owners {
		if id != "" && r.IntN(3) > 0 {
			p.consent[id] = some(r, segGrants, 3)
		}
	}
	p.ids = append(p.ids, "ghost1", "ghost2")
	return p
}

// consentDoc is a consent record as consentstore writes it, reduced to what segment
// conditions read.
func consentDoc(id string, granted []string) bson.M {
	if granted == nil {
		granted = []string{}
	}
	return bson.M{"_id": id, "granted": granted, "states": bson.A{}, "history": bson.A{}}
}

func (p *segPop) insert(t *testing.T, db *mongo.Database) {
	ctx := context.Background()
	ins := func(coll string, docs []any) {
		if len(docs) == 0 {
			return
		}
		if _, err := db.Collection(coll).InsertMany(ctx, docs); err != nil {
			t.Fatalf("insert %s: %v", coll, err)
		}
	}
	var docs []any
	for _, pr := range p.profiles {
		docs = append(docs, pr)
	}
	ins("profiles", docs)
	docs = nil
	for _, m := range p.metrics {
		docs = append(docs, m.doc())
	}
	ins(commercestore.MetricsCollection, docs)
	docs = nil
	for _, o := range p.orders {
		docs = append(docs, o)
	}
	ins(commercestore.OrdersCollection, docs)
	docs = nil
	for _, it := range p.inters {
		docs = append(docs, it)
	}
	ins(commercestore.InteractionsCollection, docs)
	docs = nil
	for _, tk := range p.tickets {
		d := bson.M{"_id": tk.ID, "requesterId": tk.RequesterID, "status": tk.Status, "channel": tk.Channel, "createdAt": tk.CreatedAt}
		if tk.MergedInto != nil {
			d["mergedInto"] = *tk.MergedInto
		}
		docs = append(docs, d)
	}
	ins(segmentquery.TicketsCollection, docs)
	docs = nil
	for id, g := range p.consent {
		docs = append(docs, consentDoc(id, g))
	}
	ins(consentstore.Collection, docs)
}

// expected evaluates r over the generated structs: the sorted ids of live members.
func (p *segPop) expected(r segment.Rule) []string {
	var out []string
	for i := range p.profiles {
		pr := &p.profiles[i]
		if pr.MergedInto == "" && p.eval(r, pr) {
			out = append(out, pr.ID)
		}
	}
	slices.Sort(out)
	return out
}

func (p *segPop) eval(r segment.Rule, pr *profile.Profile) bool {
	switch {
	case r.And != nil:
		for _, k := range r.And {
			if !p.eval(k, pr) {
				return false
			}
		}
		return true
	case r.Or != nil:
		for _, k := range r.Or {
			if p.eval(k, pr) {
				return true
			}
		}
		return false
	case r.Not != nil:
		return !p.eval(*r.Not, pr)
	case r.Trait != nil:
		return evalTrait(*r.Trait, pr)
	case r.Identifier != nil:
		for _, id := range pr.Identifiers {
			typ, val, _ := strings.Cut(id, ":")
			if typ == r.Identifier.Type && (r.Identifier.Value == "" || val == r.Identifier.Value) {
				return true
			}
		}
		return false
	case r.Consent != nil:
		purpose := strings.ToLower(r.Consent.Purpose)
		if purpose == "" {
			purpose = "marketing"
		}
		return slices.Contains(p.consent[pr.ID], r.Consent.Channel+":"+purpose) == r.Consent.Granted
	case r.Metric != nil:
		return p.evalMetric(*r.Metric, pr.ID)
	case r.Orders != nil:
		n := 0
		for _, o := range p.orders {
			st := r.Orders.Statuses
			if st == nil {
				st = []string{"placed", "paid", "shipped", "delivered"}
			}
			if o.ProfileID == pr.ID && slices.Contains(st, o.Status) && (r.Orders.Channel == "" || o.Channel == r.Orders.Channel) && p.within(r.Orders, o.PlacedAt) {
				n++
			}
		}
		return countHolds(*r.Orders, n)
	case r.Interactions != nil:
		n := 0
		for _, it := range p.inters {
			if it.ProfileID == pr.ID && (r.Interactions.Channel == "" || it.Channel == r.Interactions.Channel) && p.within(r.Interactions, it.At) {
				n++
			}
		}
		return countHolds(*r.Interactions, n)
	case r.Tickets != nil:
		n := 0
		for _, tk := range p.tickets {
			if tk.RequesterID == pr.ID && (tk.MergedInto == nil || *tk.MergedInto == "") &&
				(r.Tickets.Statuses == nil || slices.Contains(r.Tickets.Statuses, tk.Status)) &&
				(r.Tickets.Channel == "" || tk.Channel == r.Tickets.Channel) && p.within(r.Tickets, tk.CreatedAt) {
				n++
			}
		}
		return countHolds(*r.Tickets, n)
	}
	panic("empty rule")
}

func (p *segPop) within(c *segment.CountCond, at time.Time) bool {
	if c.WithinDays == nil {
		return true
	}
	from := p.now.AddDate(0, 0, -*c.WithinDays) // p.now is UTC: calendar days are 24h
	return !at.Before(from) && !at.After(p.now)
}

func countHolds(c segment.CountCond, n int) bool {
	switch {
	case c.AtLeast != nil && n < *c.AtLeast:
		return false
	case c.AtMost != nil && n > *c.AtMost:
		return false
	case c.AtLeast == nil && c.AtMost == nil:
		return n >= 1
	}
	return true
}

func toNum(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// fieldValues lists the values of a trait field and whether the field is present.
func fieldValues(pr *profile.Profile, field string) ([]any, bool) {
	t := &pr.Traits
	str := func(s string) ([]any, bool) {
		if s == "" {
			return nil, false
		}
		return []any{s}, true
	}
	list := func(ss []string) ([]any, bool) {
		var out []any
		for _, s := range ss {
			out = append(out, s)
		}
		return out, len(out) > 0
	}
	addr := func(get func(profile.Address) string) ([]any, bool) {
		var ss []string
		for _, a := range t.Addresses {
			if v := get(a); v != "" {
				ss = append(ss, v)
			}
		}
		return list(ss)
	}
	switch field {
	case "firstName":
		return str(t.FirstName)
	case "lastName":
		return str(t.LastName)
	case "birthDate":
		return str(t.BirthDate)
	case "locale":
		return str(t.Locale)
	case "email":
		return list(t.Emails)
	case "phone":
		return list(t.Phones)
	case "city":
		return addr(func(a profile.Address) string { return a.City })
	case "postcode":
		return addr(func(a profile.Address) string { return a.Postcode })
	case "country":
		return addr(func(a profile.Address) string { return a.Country })
	}
	v, ok := t.Attributes[strings.TrimPrefix(field, "attributes.")]
	if !ok {
		return nil, false
	}
	if ss, isList := v.([]string); isList {
		vals, _ := list(ss)
		return vals, true // an empty array is present
	}
	return []any{v}, true
}

func evalTrait(c segment.TraitCond, pr *profile.Profile) bool {
	vals, present := fieldValues(pr, c.Field)
	var operand any = c.Value
	if c.Number != nil {
		operand = *c.Number
	} else if c.Bool != nil {
		operand = *c.Bool
	}
	equal := func(v any) bool {
		if a, ok := toNum(v); ok {
			b, ok := toNum(operand)
			return ok && a == b
		}
		return v == operand
	}
	anyOf := func(f func(any) bool) bool { return slices.ContainsFunc(vals, f) }
	re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(c.Value))
	if c.Op == segment.StartsWith {
		re = regexp.MustCompile("(?i)^" + regexp.QuoteMeta(c.Value))
	}
	cmp := func(v any) (int, bool) {
		if a, ok := toNum(v); ok {
			b, ok := toNum(operand)
			if !ok {
				return 0, false
			}
			switch {
			case a < b:
				return -1, true
			case a > b:
				return 1, true
			}
			return 0, true
		}
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return 0, false
		}
		return strings.Compare(a, b), true
	}
	ranged := func(ok func(int) bool) bool {
		return anyOf(func(v any) bool { k, comparable := cmp(v); return comparable && ok(k) })
	}
	switch c.Op {
	case segment.EQ:
		return anyOf(equal)
	case segment.NE:
		return !anyOf(equal)
	case segment.IN:
		return anyOf(func(v any) bool { s, ok := v.(string); return ok && slices.Contains(c.Values, s) })
	case segment.NotIn:
		return !anyOf(func(v any) bool { s, ok := v.(string); return ok && slices.Contains(c.Values, s) })
	case segment.Exists:
		return present
	case segment.NotExists:
		return !present
	case segment.Contains, segment.StartsWith:
		return anyOf(func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) })
	case segment.GT:
		return ranged(func(k int) bool { return k > 0 })
	case segment.GTE:
		return ranged(func(k int) bool { return k >= 0 })
	case segment.LT:
		return ranged(func(k int) bool { return k < 0 })
	case segment.LTE:
		return ranged(func(k int) bool { return k <= 0 })
	}
	panic("op " + c.Op)
}

func compareOp(op segment.Op, x, v float64) bool {
	switch op {
	case segment.EQ:
		return x == v
	case segment.NE:
		return x != v
	case segment.GT:
		return x > v
	case segment.GTE:
		return x >= v
	case segment.LT:
		return x < v
	case segment.LTE:
		return x <= v
	}
	panic(op)
}

func (p *segPop) evalMetric(c segment.MetricCond, id string) bool {
	m := p.metrics[id]
	if m == nil {
		m = &segMetric{}
	}
	val := func(x *int) float64 {
		if x == nil {
			return 0
		}
		return float64(*x)
	}
	orders, net, cur := 0, int64(0), ""
	if m.Orders != nil {
		orders = *m.Orders
	}
	if m.Net != nil {
		net = *m.Net
	}
	if m.Currency != nil {
		cur = *m.Currency
	}
	exp, ok := money.Exponent(cur)
	if !ok {
		exp = 2
	}
	scale := math.Pow10(exp)
	var rfm [3]int
	if m.RFM != nil {
		rfm = *m.RFM
	}
	var x float64
	switch c.Metric {
	case segment.MetricOrders:
		x = float64(orders)
	case segment.MetricInteractions:
		x = val(m.Interactions)
	case segment.MetricNetRevenue:
		x = float64(net) / scale
	case segment.MetricAOV:
		if orders > 0 {
			x = math.Round(float64(net)/float64(orders)) / scale
		}
	case segment.MetricRFMRecency, segment.MetricRFMFrequency, segment.MetricRFMMonetary:
		x = float64(rfm[slices.Index([]segment.Metric{segment.MetricRFMRecency, segment.MetricRFMFrequency, segment.MetricRFMMonetary}, c.Metric)])
	case segment.MetricDaysSinceLastOrder:
		if orders == 0 || m.LastOrderAt == nil {
			return false
		}
		x = math.Floor(float64(p.now.Sub(*m.LastOrderAt)) / float64(24*time.Hour))
	}
	return compareOp(c.Op, x, c.Value)
}

// ---- random rules ----

type segGen struct {
	r   *rand.Rand
	pop *segPop
}

func (g *segGen) rule(depth int) segment.Rule {
	r := g.r
	if depth < 4 && r.IntN(100) < 55 {
		switch r.IntN(5) {
		case 0, 1:
			return segment.And(g.kids(depth)...)
		case 2, 3:
			return segment.Or(g.kids(depth)...)
		default:
			return segment.Not(g.rule(depth + 1))
		}
	}
	for {
		l := g.leaf()
		if l.Validate() == nil {
			return l
		}
	}
}

func (g *segGen) kids(depth int) []segment.Rule {
	out := make([]segment.Rule, 2+g.r.IntN(2))
	for i := range out {
		out[i] = g.rule(depth + 1)
	}
	return out
}

func (g *segGen) stringsFor(field string) []string {
	switch field {
	case "firstName":
		return segFirst
	case "lastName":
		return segLast
	case "email":
		return segEmails
	case "phone":
		return segPhones
	case "city":
		return segCities
	case "postcode":
		return segPostcodes
	case "country":
		return segCountries
	case "birthDate":
		return append(slices.Clone(segBirth), "1980", "2000-01-01")
	case "locale":
		return segLocales
	case "attributes.tier":
		return segTiers
	case "attributes.tags":
		return segTags
	case "attributes.consent_email", "attributes.consent_sms":
		return []string{"true", "yes", "Y", "no"}
	}
	return []string{"7", "40", "true", "x"}
}

// mangle returns a substring of s with random case changes, for CONTAINS/STARTS_WITH.
func (g *segGen) mangle(s string, prefix bool) string {
	rs := []rune(s)
	i := 0
	if !prefix {
		i = g.r.IntN(len(rs))
	}
	j := i + 1 + g.r.IntN(len(rs)-i)
	out := string(rs[i:j])
	switch g.r.IntN(3) {
	case 0:
		out = strings.ToUpper(out)
	case 1:
		out = strings.ToLower(out)
	}
	return out
}

var segNumbers = []float64{-1, 0, 1, 3, 5, 5.5, 7, 10, 40, 50}

func (g *segGen) leaf() segment.Rule {
	r := g.r
	switch r.IntN(10) {
	case 0, 1, 2, 3:
		fields := append(slices.Clone(segment.Fields), "attributes.tier", "attributes.score", "attributes.vip", "attributes.tags",
			"attributes.age", "attributes.consent_email", "attributes.nothere")
		c := segment.TraitCond{Field: pick(r, fields), Op: pick(r, segment.Ops)}
		pool := g.stringsFor(c.Field)
		attr := strings.HasPrefix(c.Field, "attributes.")
		switch c.Op {
		case segment.IN, segment.NotIn:
			c.Values = append(some(r, pool, 3), pick(r, pool))
		case segment.Exists, segment.NotExists:
		case segment.Contains, segment.StartsWith:
			c.Value = g.mangle(pick(r, pool), c.Op == segment.StartsWith)
		case segment.EQ, segment.NE:
			switch {
			case attr && r.IntN(3) == 0:
				c.Number = ptr(pick(r, segNumbers))
			case attr && r.IntN(4) == 0:
				c.Bool = ptr(r.IntN(2) == 0)
			default:
				c.Value = pick(r, pool)
			}
		default:
			if attr && r.IntN(2) == 0 {
				c.Number = ptr(pick(r, segNumbers))
			} else {
				c.Value = pick(r, pool)
			}
		}
		return segment.Rule{Trait: &c}
	case 4:
		c := segment.IdentifierCond{Type: pick(r, segIDTypes)}
		if r.IntN(2) == 0 {
			if c.Type == "email" {
				c.Value = pick(r, segEmails)
			} else {
				c.Value = strconv.Itoa(r.IntN(20))
			}
		}
		return segment.Rule{Identifier: &c}
	case 5, 6:
		c := segment.MetricCond{Metric: pick(r, segment.Metrics), Op: pick(r, []segment.Op{segment.EQ, segment.NE, segment.GT, segment.GTE, segment.LT, segment.LTE})}
		switch c.Metric {
		case segment.MetricOrders, segment.MetricInteractions:
			c.Value = float64(r.IntN(7))
		case segment.MetricRFMRecency, segment.MetricRFMFrequency, segment.MetricRFMMonetary:
			c.Value = float64(r.IntN(6))
		case segment.MetricDaysSinceLastOrder:
			c.Value = pick(r, []float64{0, 1, 7, 29.5, 30, 90, 91, 365, 800})
		default:
			n := pick(r, segNets)
			c.Value = pick(r, []float64{float64(n) / 100, float64(n), float64(n) / 1000, 12.5, 0.01, -0.5, 2500.75, float64(n) / 300})
			c.Value = math.Round(c.Value*100) / 100
		}
		return segment.Rule{Metric: &c}
	case 7, 8:
		c := segment.CountCond{}
		if r.IntN(3) > 0 {
			c.AtLeast = pick(r, []*int{nil, ptr(0), ptr(1), ptr(2), ptr(3)})
		}
		if r.IntN(2) == 0 {
			c.AtMost = pick(r, []*int{ptr(0), ptr(1), ptr(2), ptr(5)})
		}
		if c.AtLeast != nil && c.AtMost != nil && *c.AtLeast > *c.AtMost {
			c.AtLeast, c.AtMost = c.AtMost, c.AtLeast
		}
		if r.IntN(2) == 0 {
			c.WithinDays = ptr(pick(r, segDays))
		}
		switch r.IntN(3) {
		case 0:
			if r.IntN(3) == 0 {
				c.Channel = pick(r, segOrderChan)
			}
			if r.IntN(3) == 0 {
				c.Statuses = some(r, commerce.Statuses, 2)
				if len(c.Statuses) == 0 {
					c.Statuses = nil
				}
			}
			return segment.Rule{Orders: &c}
		case 1:
			if r.IntN(3) == 0 {
				c.Channel = pick(r, segIChannels)
			}
			return segment.Rule{Interactions: &c}
		default:
			if r.IntN(3) == 0 {
				c.Channel = pick(r, segTChannels)
			}
			if r.IntN(2) == 0 {
				c.Statuses = append(some(r, segTStatuses, 2), pick(r, segTStatuses))
			}
			return segment.Rule{Tickets: &c}
		}
	}
	return segment.Rule{Consent: &segment.ConsentCond{Channel: pick(r, segment.ConsentChannels), Purpose: pick(r, []string{"", "marketing", "transactional", "MARKETING"}),
		Granted: r.IntN(2) == 0}}
}

// ---- the property test ----

func members(t *testing.T, c *segmentquery.CompiledSegment) []string {
	t.Helper()
	var ids []string
	err := c.Members(context.Background(), func(b []string) error {
		if len(b) == 0 || len(b) > 1000 {
			t.Errorf("batch of %d", len(b))
		}
		ids = append(ids, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func diff(want, got []string) string {
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return fmt.Sprintf("want %d, got %d; missing %v; extra %v", len(want), len(got), head(missing), head(extra))
}

func head(s []string) []string { return s[:min(len(s), 8)] }

func segSeeds(t *testing.T) []uint64 {
	seeds := []uint64{1}
	if s := os.Getenv("TESSERA_SEGMENT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TESSERA_SEGMENT_SEED: %v", err)
		}
		seeds = append(seeds, n)
	}
	return seeds
}

// TestSegmentRulesMatchEvaluator compiles random rules over a random population and
// checks every strategy against an independent in-memory evaluator.
// TESSERA_SEGMENT_SEED adds a run with that seed; TESSERA_SEGMENT_RULES sets the number
// of rules per seed (default 200).
func TestSegmentRulesMatchEvaluator(t *testing.T) {
	nRules := 200
	if s := os.Getenv("TESSERA_SEGMENT_RULES"); s != "" {
		nRules, _ = strconv.Atoi(s)
	}
	for _, seed := range segSeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(seed, seed^0x5e6))
			now := time.Date(2026, 3, 15, 12, 30, 0, 123_000_000, time.UTC)
			pop := genPopulation(r, 300, now)
			db := testdb.DB(t)
			pop.insert(t, db)
			s := segmentquery.New(db, testdb.Backend(t))
			g := &segGen{r: r, pop: pop}
			var empty, full, interesting int
			live := len(pop.expected(segment.Rule{Trait: &segment.TraitCond{Field: "firstName", Op: segment.Exists}})) +
				len(pop.expected(segment.Rule{Trait: &segment.TraitCond{Field: "firstName", Op: segment.NotExists}}))
			for i := 0; i < nRules; i++ {
				rule := g.rule(1)
				if err := rule.Validate(); err != nil {
					t.Fatalf("generated invalid rule %s: %v", rule, err)
				}
				want := pop.expected(rule)
				switch len(want) {
				case 0:
					empty++
				case live:
					full++
				default:
					interesting++
				}
				runs := []segmentquery.SegmentOptions{{Strategy: segmentquery.SegmentFilter}, {Strategy: segmentquery.SegmentIDs}}
				if i%4 == 0 {
					runs = append(runs, segmentquery.SegmentOptions{Strategy: segmentquery.SegmentFilter, MaxIDsPerQuery: 7, ServerGroup: true})
				}
				for _, opt := range runs {
					c, err := s.CompileSegment(ctx, rule, now, opt)
					if err != nil {
						t.Fatalf("seed %d rule %d %s: %v", seed, i, rule, err)
					}
					got := members(t, c)
					if !slices.Equal(got, want) {
						t.Errorf("seed %d rule %d, strategy %v (max ids %d, server group %v):\n%s\n%s", seed, i, c.Strategy, opt.MaxIDsPerQuery, opt.ServerGroup, rule, diff(want, got))
						continue
					}
					if n, err := c.Count(ctx); err != nil || n != int64(len(want)) {
						t.Errorf("seed %d rule %d %v: count %d, %v, want %d", seed, i, c.Strategy, n, err, len(want))
					}
				}
				if i%5 == 0 { // a restriction with merged, unknown and duplicate ids
					restrict := append(some(r, pop.ids, 40), "nobody", pick(r, pop.ids))
					var wantR []string
					for _, id := range want {
						if slices.Contains(restrict, id) {
							wantR = append(wantR, id)
						}
					}
					for _, st := range []segmentquery.SegmentStrategy{segmentquery.SegmentFilter, segmentquery.SegmentIDs} {
						c, err := s.CompileSegment(ctx, rule, now, segmentquery.SegmentOptions{Strategy: st, Restrict: restrict})
						if err != nil {
							t.Fatal(err)
						}
						if got := members(t, c); !slices.Equal(got, wantR) {
							t.Errorf("seed %d rule %d restricted, %v:\n%s\n%s", seed, i, st, rule, diff(wantR, got))
						}
					}
				}
				if i%10 == 0 {
					sample, err := s.SegmentSample(ctx, rule, now, 5)
					if err != nil {
						t.Fatal(err)
					}
					var ids []string
					for _, p := range sample {
						ids = append(ids, p.ID)
						if p.MergedInto != "" || p.Provenance != nil {
							t.Errorf("sample profile %s: merged %q, provenance %v", p.ID, p.MergedInto, p.Provenance)
						}
					}
					if !slices.Equal(ids, want[:min(5, len(want))]) {
						t.Errorf("seed %d rule %d sample %v, want %v", seed, i, ids, want[:min(5, len(want))])
					}
				}
			}
			t.Logf("seed %d: %d rules: %d empty, %d all %d live profiles, %d in between", seed, nRules, empty, full, live, interesting)
			if interesting < nRules/3 {
				t.Errorf("only %d of %d rules select a proper subset: the generator needs tuning", interesting, nRules)
			}
		})
	}
}

// TestSegmentLeafSemantics checks hand-written cases of each kind of condition.
func TestSegmentLeafSemantics(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	ins := func(coll string, docs ...any) {
		if _, err := db.Collection(coll).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	ins("profiles",
		profile.Profile{ID: "a", Traits: profile.Traits{FirstName: "Ann", Emails: []string{"ann@example.com"},
			Addresses:  []profile.Address{{City: "London", Country: "United Kingdom"}},
			Attributes: map[string]any{"score": 7, "consent_email": "yes", "tier": ".*"}}, Identifiers: []string{"email:ann@example.com", "crm:1"}},
		profile.Profile{ID: "b", Traits: profile.Traits{FirstName: ".*", LastName: `{"$gt":""}`,
			Addresses:  []profile.Address{{City: "Paris"}, {City: "St. Albans", Country: "United Kingdom"}},
			Attributes: map[string]any{"score": "9", "consent_email": false}}},
		profile.Profile{ID: "c", Traits: profile.Traits{FirstName: "Bob"}},
		profile.Profile{ID: "m", MergedInto: "a", Traits: profile.Traits{FirstName: "Ann"}},
	)
	// Consent is read from the consent records, not from consent_<channel> attributes.
	ins(consentstore.Collection, consentDoc("a", []string{"sms:marketing"}), consentDoc("b", []string{"email:marketing", "email:transactional"}),
		consentDoc("c", nil), consentDoc("m", []string{"push:marketing"}))
	ins(commercestore.MetricsCollection,
		bson.M{"_id": "a", "orders": 2, "netMinor": 2501, "currency": "GBP", "lastOrderAt": now.Add(-30 * 24 * time.Hour)},
		bson.M{"_id": "b", "orders": 1, "netMinor": 13, "currency": "JPY", "lastOrderAt": now.Add(-30*24*time.Hour + time.Millisecond)},
		bson.M{"_id": "m", "orders": 9, "netMinor": 999999},
	)
	day := 24 * time.Hour
	ins(commercestore.OrdersCollection,
		commerce.Order{ID: "s:1", ProfileID: "a", Status: "paid", PlacedAt: now.Add(-10 * day)},
		commerce.Order{ID: "s:2", ProfileID: "a", Status: "shipped", PlacedAt: now.Add(-90 * day)},
		commerce.Order{ID: "s:3", ProfileID: "a", Status: "cancelled", PlacedAt: now.Add(-5 * day)},
		commerce.Order{ID: "s:4", ProfileID: "b", Status: "placed", PlacedAt: now.Add(-90*day - time.Millisecond)},
		commerce.Order{ID: "s:5", ProfileID: "", Status: "placed", PlacedAt: now},
	)
	s := segmentquery.New(db, testdb.Backend(t))
	for _, tc := range []struct {
		r    segment.Rule
		want string
	}{
		{segment.Trait("firstName", segment.EQ, ".*"), "b"},
		{segment.Trait("firstName", segment.Contains, ".*"), "b"},
		{segment.Trait("firstName", segment.Contains, "."), "b"},
		{segment.Trait("firstName", segment.StartsWith, "an"), "a"},
		{segment.Trait("lastName", segment.EQ, `{"$gt":""}`), "b"},
		{segment.Trait("attributes.tier", segment.EQ, ".*"), "a"},
		{segment.Trait("attributes.tier", segment.NE, ".*"), "bc"},
		{segment.Trait("city", segment.EQ, "Paris"), "b"},
		{segment.Trait("city", segment.StartsWith, "st. a"), "b"},
		{segment.Trait("country", segment.NE, "United Kingdom"), "c"},
		{segment.TraitNumber("attributes.score", segment.GT, 5), "a"},
		{segment.Not(segment.TraitNumber("attributes.score", segment.GT, 5)), "bc"},
		{segment.Trait("attributes.score", segment.GT, "5"), "b"},
		{segment.Rule{Identifier: &segment.IdentifierCond{Type: "crm"}}, "a"},
		{segment.Rule{Identifier: &segment.IdentifierCond{Type: "email", Value: "ann@example.com"}}, "a"},
		{segment.Rule{Consent: &segment.ConsentCond{Channel: "email", Granted: true}}, "b"},
		{segment.Rule{Consent: &segment.ConsentCond{Channel: "email"}}, "ac"},
		{segment.Rule{Consent: &segment.ConsentCond{Channel: "sms", Purpose: "marketing", Granted: true}}, "a"},
		{segment.Rule{Consent: &segment.ConsentCond{Channel: "email", Purpose: "TRANSACTIONAL", Granted: true}}, "b"},
		{segment.Rule{Consent: &segment.ConsentCond{Channel: "push", Granted: true}}, ""}, // m is merged
		{segment.Not(segment.Rule{Consent: &segment.ConsentCond{Channel: "sms", Granted: true}}), "bc"},
		{segment.MetricIs(segment.MetricNetRevenue, segment.GT, 25), "a"},
		{segment.MetricIs(segment.MetricNetRevenue, segment.EQ, 13), "b"},           // 13 yen
		{segment.MetricIs(segment.MetricNetRevenue, segment.EQ, 0), "c"},            // no metrics = 0
		{segment.MetricIs(segment.MetricAOV, segment.EQ, 12.51), "a"},               // round(2501/2) = 1251 pence
		{segment.MetricIs(segment.MetricOrders, segment.LT, 1), "c"},                // merged m never counts
		{segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.EQ, 30), "a"},   // exactly 30 days
		{segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.EQ, 29), "b"},   // 1 ms short of 30
		{segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.GT, 29.5), "a"}, // whole days
		{segment.Not(segment.MetricIs(segment.MetricDaysSinceLastOrder, segment.GTE, 0)), "c"},
		{segment.Rule{Orders: &segment.CountCond{AtLeast: segment.Int(2)}}, "a"},
		{segment.Rule{Orders: &segment.CountCond{AtLeast: segment.Int(2), WithinDays: segment.Int(90)}}, "a"},
		{segment.Rule{Orders: &segment.CountCond{WithinDays: segment.Int(90)}}, "a"}, // b's order is 1 ms too old
		{segment.Rule{Orders: &segment.CountCond{AtMost: segment.Int(0)}}, "c"},
		{segment.Rule{Orders: &segment.CountCond{AtMost: segment.Int(0), WithinDays: segment.Int(30)}}, "bc"},
		{segment.Rule{Orders: &segment.CountCond{Statuses: []string{"cancelled"}}}, "a"},
		{segment.Rule{Orders: &segment.CountCond{Statuses: []string{"CANCELLED"}}}, "a"},
		{segment.Rule{Tickets: &segment.CountCond{AtMost: segment.Int(0)}}, "abc"}, // no tickets collection
		{segment.Rule{Interactions: &segment.CountCond{AtLeast: segment.Int(1)}}, ""},
		{segment.And(segment.Rule{Orders: &segment.CountCond{}}, segment.Rule{Orders: &segment.CountCond{}},
			segment.Not(segment.Rule{Orders: &segment.CountCond{}})), ""},
	} {
		for _, opt := range []segmentquery.SegmentOptions{{Strategy: segmentquery.SegmentFilter}, {Strategy: segmentquery.SegmentIDs}, {ServerGroup: true}} {
			c, err := s.CompileSegment(ctx, tc.r, now, opt)
			if err != nil {
				t.Fatalf("%s: %v", tc.r, err)
			}
			if got := strings.Join(members(t, c), ""); got != tc.want {
				t.Errorf("%+v %s: got %q, want %q", opt, tc.r, got, tc.want)
			}
		}
	}
	// A leaf used three times is evaluated once.
	c, err := s.CompileSegment(ctx, segment.And(segment.Rule{Orders: &segment.CountCond{}}, segment.Or(segment.Rule{Orders: &segment.CountCond{}},
		segment.Not(segment.Rule{Orders: &segment.CountCond{}}))), now, segmentquery.SegmentOptions{})
	if err != nil || c.SetLeaves != 1 {
		t.Errorf("set leaves %d, %v", c.SetLeaves, err)
	}
}

// TestSegmentEmptyDatabase: no collection exists at all.
func TestSegmentEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db := testdb.DB(t)
	s := segmentquery.New(db, testdb.Backend(t))
	now := time.Now()
	rules := []segment.Rule{
		segment.Rule{Orders: &segment.CountCond{AtMost: segment.Int(0)}},
		segment.MetricIs(segment.MetricNetRevenue, segment.GT, 1),
		segment.Not(segment.MetricIs(segment.MetricAOV, segment.GT, 1)),
		segment.Trait("city", segment.Exists, ""),
	}
	for _, r := range rules {
		if n, err := s.SegmentCount(ctx, r, now); err != nil || n != 0 {
			t.Errorf("%s: %d, %v", r, n, err)
		}
	}
	// Profiles only: the other collections are still missing.
	if _, err := db.Collection("profiles").InsertMany(ctx, []any{profile.Profile{ID: "x"}, profile.Profile{ID: "y"}}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{2, 0, 2, 0} {
		if n, err := s.SegmentCount(ctx, rules[i], now); err != nil || n != want {
			t.Errorf("%s: %d, %v, want %d", rules[i], n, err, want)
		}
	}
	var got []string
	err := s.SegmentMembers(ctx, rules[0], now, []string{}, func(ids []string) error { got = append(got, ids...); return nil })
	if err != nil || len(got) != 0 {
		t.Errorf("empty restriction: %v %v", got, err)
	}
}

// TestSegmentRejectsInjection: bad keys never reach the database; hostile values are
// literal values in the compiled filter.
func TestSegmentRejectsInjection(t *testing.T) {
	ctx := context.Background()
	s := segmentquery.New(testdb.DB(t), testdb.Backend(t))
	now := time.Now()
	for _, field := range []string{"attributes.$where", "attributes.a.b", "attributes.x\x00", "attributes.", "$where", "traits.firstName"} {
		_, err := s.SegmentCount(ctx, segment.Trait(field, segment.EQ, "1"), now)
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("field %q: %v", field, err)
		}
	}
	if _, err := s.SegmentSample(ctx, segment.Trait("city", segment.Exists, ""), now, 0); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("sample limit 0: %v", err)
	}
	hostile := []string{`{"$gt":""}`, ".*", "$where", "a.b", "^(a+)+$", `\`, "$ne"}
	var rs []segment.Rule
	for _, v := range hostile {
		rs = append(rs, segment.Trait("firstName", segment.EQ, v), segment.Trait("lastName", segment.Contains, v),
			segment.Trait("attributes.tier", segment.StartsWith, v), segment.TraitIn("email", segment.NotIn, v),
			segment.Rule{Identifier: &segment.IdentifierCond{Type: "crm", Value: v}})
	}
	c, err := s.CompileSegment(ctx, segment.Or(rs...), now, segmentquery.SegmentOptions{Strategy: segmentquery.SegmentFilter})
	if err != nil {
		t.Fatal(err)
	}
	allowed := regexp.MustCompile(`^(\$and|\$or|\$nor|\$not|\$in|\$nin|\$eq|\$ne|\$exists|\$gt|\$gte|\$lt|\$lte|_id|mergedInto|identifiers|traits\.(firstName|lastName|emails|attributes\.tier))$`)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case bson.D:
			for _, e := range x {
				if !allowed.MatchString(e.Key) {
					t.Errorf("unexpected key %q in the filter", e.Key)
				}
				walk(e.Value)
			}
		case bson.A:
			for _, e := range x {
				walk(e)
			}
		case bson.Regex:
			if _, err := regexp.Compile(x.Pattern); err != nil {
				t.Errorf("pattern %q: %v", x.Pattern, err)
			}
		}
	}
	for _, f := range c.Filters() {
		walk(f)
	}
	if n, err := c.Count(ctx); err != nil || n != 0 {
		t.Errorf("count %d, %v", n, err)
	}
}

// TestSegmentEnsureIndexes: creating the segment indexes twice is harmless.
func TestSegmentEnsureIndexes(t *testing.T) {
	s := segmentquery.New(testdb.DB(t), testdb.Backend(t))
	for range 2 {
		if err := s.EnsureIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
