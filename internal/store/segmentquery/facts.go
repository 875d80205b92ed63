package segmentquery

// The in-process fact cache (internal/segment/facts) on the embedded database.
//
// On FerretDB every filter but a bare _id scans the collection, so a rule compiled to
// a query costs at least one scan of the profiles (seconds at 100k profiles). Instead
// the store loads the facts rules read (traits, identifiers, consent attributes, value
// metrics) once, in the background (LoadFacts: one projected scan of profiles and one
// of customer_metrics, in batches), and keeps them current write-through: the write
// paths announce the profiles they changed (ProfilesChanged, from the segment queue),
// and their facts are re-read by bare _id (RefreshProfiles before a membership
// re-evaluation, and every pending one before a preview, so a preview sees every write
// announced before it). Rules then run in memory; conditions on orders, interactions
// and tickets are still id sets evaluated on the database (countSet), as in the query
// path. Until the load has finished the query path answers.
//
// This is only right because the embedded database has one writer process, this one.
// On MongoDB (Backend.IndexedFilters) several instances may write, the filters are
// index-backed, and the store keeps the query path: New creates no cache there.

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/segment/facts"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

var (
	_ segment.ChangeNotifier = (*Store)(nil)
	_ segment.Refresher      = (*Store)(nil)
	_ segment.Previewer      = (*Store)(nil)
)

const (
	loadBatch    = 2000
	factReaders  = 8
	logLoadEvery = 20_000
)

var (
	profileFactProjection = bson.D{{Key: "mergedInto", Value: 1}, {Key: "traits", Value: 1}, {Key: "identifiers", Value: 1}}
	metricFactProjection  = bson.D{{Key: "orders", Value: 1}, {Key: "netMinor", Value: 1}, {Key: "currency", Value: 1},
		{Key: "lastOrderAt", Value: 1}, {Key: "interactions", Value: 1}, {Key: "rfm", Value: 1}}
)

// Facts returns the fact cache (nil on a backend that keeps the query path).
func (s *Store) Facts() *facts.Cache { return s.facts }

// factsReady reports whether rules run over the fact cache.
func (s *Store) factsReady() bool { return s.facts != nil && s.facts.Loaded() }

// LoadFacts loads the fact cache: one projected scan of the profiles and one of the
// metrics, then a re-read of the profiles changed meanwhile. It does nothing where the
// store keeps the query path. Run it in the background at start; log may be nil.
func (s *Store) LoadFacts(ctx context.Context, log *slog.Logger) (err error) {
	c := s.facts
	if c == nil || c.Started() {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c.Start()
	defer func() {
		if err != nil {
			c.Abort()
		}
	}()
	t0 := time.Now()
	byID := map[string]*facts.Fact{}
	var all []*facts.Fact
	n := 0
	err = scanRaw(ctx, s.profiles, profileFactProjection, func(raw bson.Raw) {
		n++
		if f, live := profileFact(raw, c); live {
			all = append(all, f)
			byID[f.ID] = f
		}
		if n%logLoadEvery == 0 {
			log.Info("segment facts: loading profiles", "read", n, "live", len(all), "elapsed", time.Since(t0).Round(time.Millisecond))
		}
	})
	if err != nil {
		return err
	}
	m := 0
	err = scanRaw(ctx, s.metrics(), metricFactProjection, func(raw bson.Raw) {
		m++
		id, _ := raw.Lookup("_id").StringValueOK()
		if f := byID[id]; f != nil {
			f.Metrics = metricsFact(raw, c)
		}
		if m%logLoadEvery == 0 {
			log.Info("segment facts: loading metrics", "read", m, "elapsed", time.Since(t0).Round(time.Millisecond))
		}
	})
	if err != nil {
		return err
	}
	c.Load(all)
	// Profiles written while the scans ran were marked: read them again.
	if err := s.refresh(ctx, nil, true); err != nil {
		return err
	}
	c.SetLoaded()
	log.Info("segment facts: loaded", "profiles", c.Len(), "read", n, "metrics", m, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

func scanRaw(ctx context.Context, c *mongo.Collection, proj bson.D, fn func(bson.Raw)) error {
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetProjection(proj).SetBatchSize(loadBatch))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		fn(cur.Current)
	}
	return cur.Err()
}

// ProfilesChanged records that the profiles changed (see segment.ChangeNotifier).
func (s *Store) ProfilesChanged(ids []string) {
	if s.facts != nil {
		s.facts.MarkDirty(ids)
	}
}

// RefreshProfiles re-reads the facts of the profiles by bare _id (see
// segment.Refresher). Before the load finishes it does nothing: the load re-reads what
// changed meanwhile.
func (s *Store) RefreshProfiles(ctx context.Context, ids []string) error {
	if !s.factsReady() || len(ids) == 0 {
		return nil
	}
	return s.refresh(ctx, ids, false)
}

// refresh re-reads ids (every dirty profile when all) and applies them to the cache.
func (s *Store) refresh(ctx context.Context, ids []string, all bool) error {
	c := s.facts
	c.RefreshMu.Lock()
	defer c.RefreshMu.Unlock()
	marks := c.DirtyMarks(ids, all)
	if all {
		ids = make([]string, 0, len(marks))
		for id := range marks {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	put, gone, err := s.readFacts(ctx, ids)
	if err != nil {
		return err
	}
	c.Apply(put, gone)
	c.Clear(marks)
	return nil
}

// readFacts reads the facts of ids by bare _id: the live profiles' facts, and the ids
// that are not live profiles (merged, erased, unknown).
func (s *Store) readFacts(ctx context.Context, ids []string) ([]facts.Fact, []string, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out := make([]*facts.Fact, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(factReaders)
	for i, id := range ids {
		if id == "" {
			continue
		}
		g.Go(func() error {
			raw, err := s.profiles.FindOne(gctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(profileFactProjection)).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			f, live := profileFact(raw, s.facts)
			if !live {
				return nil
			}
			mraw, err := s.metrics().FindOne(gctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(metricFactProjection)).Raw()
			switch {
			case errors.Is(err, mongo.ErrNoDocuments):
			case err != nil:
				return err
			default:
				f.Metrics = metricsFact(mraw, s.facts)
			}
			out[i] = f
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	var put []facts.Fact
	var gone []string
	for i, f := range out {
		if f != nil {
			put = append(put, *f)
		} else {
			gone = append(gone, ids[i])
		}
	}
	return put, gone, nil
}

// ---- decoding ----

// profileFact reads the facts of a profile document; live is false for a profile
// merged into another (any mergedInto field: the query path's liveFilter).
func profileFact(raw bson.Raw, c *facts.Cache) (*facts.Fact, bool) {
	id, ok := raw.Lookup("_id").StringValueOK()
	if !ok {
		return nil, false
	}
	if _, err := raw.LookupErr("mergedInto"); err == nil {
		return nil, false
	}
	f := &facts.Fact{ID: id}
	if tr, ok := raw.Lookup("traits").DocumentOK(); ok {
		str := func(k string) string {
			s, _ := tr.Lookup(k).StringValueOK()
			return c.Intern(s)
		}
		f.FirstName, f.LastName, f.BirthDate, f.Locale = str("firstName"), str("lastName"), str("birthDate"), str("locale")
		f.Emails = stringList(tr.Lookup("emails"), nil)
		f.Phones = stringList(tr.Lookup("phones"), nil)
		if arr, ok := tr.Lookup("addresses").ArrayOK(); ok {
			vals, _ := arr.Values()
			for _, v := range vals {
				a, ok := v.DocumentOK()
				if !ok {
					continue
				}
				if s, ok := a.Lookup("city").StringValueOK(); ok && s != "" {
					f.Cities = append(f.Cities, c.Intern(s))
				}
				if s, ok := a.Lookup("postcode").StringValueOK(); ok && s != "" {
					f.Postcodes = append(f.Postcodes, c.Intern(s))
				}
				if s, ok := a.Lookup("country").StringValueOK(); ok && s != "" {
					f.Countries = append(f.Countries, c.Intern(s))
				}
			}
		}
		if attrs, ok := tr.Lookup("attributes").DocumentOK(); ok {
			els, _ := attrs.Elements()
			if len(els) > 0 {
				f.Attrs = make([]facts.Attr, 0, len(els))
			}
			for _, e := range els {
				f.Attrs = append(f.Attrs, facts.Attr{Key: c.Intern(e.Key()), Vals: values(e.Value(), c)})
			}
			f.SortAttrs()
		}
	}
	f.Identifiers = stringList(raw.Lookup("identifiers"), nil)
	return f, true
}

// stringList returns the string elements of an array (interned when c is set).
func stringList(v bson.RawValue, c *facts.Cache) []string {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := arr.Values()
	var out []string
	for _, x := range vals {
		if s, ok := x.StringValueOK(); ok {
			if c != nil {
				s = c.Intern(s)
			}
			out = append(out, s)
		}
	}
	return out
}

// values lists the values of an attribute the way a query sees them: an array by its
// elements (one level), anything else as itself.
func values(v bson.RawValue, c *facts.Cache) []facts.Value {
	if arr, ok := v.ArrayOK(); ok {
		vals, _ := arr.Values()
		out := make([]facts.Value, 0, len(vals))
		for _, x := range vals {
			if _, nested := x.ArrayOK(); nested {
				out = append(out, facts.Value{K: facts.Other})
				continue
			}
			out = append(out, scalar(x, c))
		}
		return out
	}
	return []facts.Value{scalar(v, c)}
}

func scalar(v bson.RawValue, c *facts.Cache) facts.Value {
	switch v.Type {
	case bson.TypeString:
		return facts.Value{S: c.Intern(v.StringValue()), K: facts.String}
	case bson.TypeInt32:
		return facts.Value{N: float64(v.Int32()), K: facts.Number}
	case bson.TypeInt64:
		return facts.Value{N: float64(v.Int64()), K: facts.Number}
	case bson.TypeDouble:
		return facts.Value{N: v.Double(), K: facts.Number}
	case bson.TypeBoolean:
		b := v.Boolean()
		n := 0.0
		if b {
			n = 1
		}
		return facts.Value{N: n, K: facts.Bool}
	}
	return facts.Value{K: facts.Other}
}

func numberOf(v bson.RawValue) float64 {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32())
	case bson.TypeInt64:
		return float64(v.Int64())
	case bson.TypeDouble:
		return v.Double()
	}
	return 0
}

func metricsFact(raw bson.Raw, c *facts.Cache) *facts.Metrics {
	m := &facts.Metrics{Orders: numberOf(raw.Lookup("orders")), Interactions: numberOf(raw.Lookup("interactions"))}
	switch v := raw.Lookup("netMinor"); v.Type {
	case bson.TypeInt32:
		m.NetMinor = int64(v.Int32())
	case bson.TypeInt64:
		m.NetMinor = v.Int64()
	case bson.TypeDouble:
		m.NetMinor = int64(v.Double())
	}
	if cur, ok := raw.Lookup("currency").StringValueOK(); ok {
		m.Currency = c.Intern(cur)
	}
	if at, ok := raw.Lookup("lastOrderAt").DateTimeOK(); ok {
		m.LastOrderAt, m.HasLastOrder = at, true
	}
	if rfm, ok := raw.Lookup("rfm").DocumentOK(); ok {
		m.R, m.F, m.M = numberOf(rfm.Lookup("r")), numberOf(rfm.Lookup("f")), numberOf(rfm.Lookup("m"))
	}
	return m
}

// ---- evaluation over the cache ----

// leaves evaluates count conditions on the database, as the query path does.
func (s *Store) leaves(ctx context.Context, now time.Time, restrict []string) facts.Leaves {
	c := &segCompiler{s: s, ctx: ctx, now: now.Truncate(time.Millisecond), setIndex: map[string]int{}, serverGroup: s.b.ServerGroup}
	if restrict != nil {
		c.restrict = sortedSet(slices.Clone(restrict))
		c.hasRestrict = true
	}
	return func(r segment.Rule) ([]string, bool, error) {
		switch {
		case r.Orders != nil:
			return c.countSet(countOrders, *r.Orders)
		case r.Interactions != nil:
			return c.countSet(countInteractions, *r.Interactions)
		case r.Tickets != nil:
			return c.countSet(countTickets, *r.Tickets)
		}
		return nil, false, apperr.Invalidf("rule: not a count condition")
	}
}

// compileFacts brings the cache up to date with every announced change and compiles r.
func (s *Store) compileFacts(ctx context.Context, r segment.Rule, now time.Time, restrict []string) (*facts.Predicate, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if s.facts.DirtyCount() > 0 {
		if err := s.refresh(ctx, nil, true); err != nil {
			return nil, err
		}
	}
	return facts.Compile(r, now, s.leaves(ctx, now, restrict))
}

// sampleProfiles reads the profiles of ids by bare _id, in id order, as Sample does.
func (s *Store) sampleProfiles(ctx context.Context, ids []string) ([]profile.Profile, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ps, err := dbkit.PointReads[profile.Profile](ctx, s.profiles, ids, options.FindOne().SetProjection(sampleProjection))
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// SegmentPreview counts the live profiles matching r and returns the first sample of
// them in id order (see segment.Previewer): over the fact cache once it is loaded (one
// pass, no scan of the profiles), otherwise with SegmentCount and SegmentSample.
func (s *Store) SegmentPreview(ctx context.Context, r segment.Rule, now time.Time, sample int) (int64, []profile.Profile, error) {
	if sample < 0 || sample > maxSampleLimit {
		return 0, nil, apperr.Invalidf("sample limit must be between 0 and %d", maxSampleLimit)
	}
	if !s.factsReady() {
		n, err := s.SegmentCount(ctx, r, now)
		if err != nil || n == 0 || sample == 0 {
			return n, nil, err
		}
		ps, err := s.SegmentSample(ctx, r, now, sample)
		return n, ps, err
	}
	p, err := s.compileFacts(ctx, r, now, nil)
	if err != nil {
		return 0, nil, err
	}
	n, ids := s.facts.Count(p, sample)
	ps, err := s.sampleProfiles(ctx, ids)
	return int64(n), ps, err
}
