// Package factload fills the in-process fact cache of segment rules
// (internal/segment/facts) from the database and keeps it current: one projected scan
// of the profiles, one of customer_metrics and one of the consent records, in batches,
// then re-reads by bare _id of the profiles announced as changed (see segmentquery, which runs rules over the cache
// on the embedded database).
package factload

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

	"github.com/tessera-cdp/tessera/internal/segment/facts"
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
	consentFactProjection = bson.D{{Key: "granted", Value: 1}}
)

// Loader loads a fact cache from the profiles, metrics and consent collections.
type Loader struct {
	cache                      *facts.Cache
	profiles, metrics, consent *mongo.Collection
}

// New is the loader of c from the profiles, customer metrics and consent collections
// (the consent documents' granted field lists their granted "channel:purpose" keys).
func New(c *facts.Cache, profiles, metrics, consent *mongo.Collection) *Loader {
	return &Loader{cache: c, profiles: profiles, metrics: metrics, consent: consent}
}

// Load loads the cache: one projected scan of the profiles, one of the metrics and one
// of the consent records, then a re-read of the profiles changed meanwhile. It does nothing once started. log
// may be nil.
func (l *Loader) Load(ctx context.Context, log *slog.Logger) (err error) {
	c := l.cache
	if c.Started() {
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
	err = scanRaw(ctx, l.profiles, profileFactProjection, func(raw bson.Raw) {
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
	err = scanRaw(ctx, l.metrics, metricFactProjection, func(raw bson.Raw) {
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
	err = scanRaw(ctx, l.consent, consentFactProjection, func(raw bson.Raw) {
		id, _ := raw.Lookup("_id").StringValueOK()
		if f := byID[id]; f != nil {
			f.Consent = stringList(raw.Lookup("granted"), c)
		}
	})
	if err != nil {
		return err
	}
	c.Load(all)
	// Profiles written while the scans ran were marked: read them again.
	if err := l.Refresh(ctx, nil, true); err != nil {
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

// Refresh re-reads the facts of ids (every profile marked dirty when all) by bare _id
// and applies them to the cache.
func (l *Loader) Refresh(ctx context.Context, ids []string, all bool) error {
	c := l.cache
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
	put, gone, err := l.read(ctx, ids)
	if err != nil {
		return err
	}
	c.Apply(put, gone)
	c.Clear(marks)
	return nil
}

// read reads the facts of ids by bare _id: the live profiles' facts, and the ids that
// are not live profiles (merged, erased, unknown).
func (l *Loader) read(ctx context.Context, ids []string) ([]facts.Fact, []string, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out := make([]*facts.Fact, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(factReaders)
	for i, id := range ids {
		if id == "" {
			continue
		}
		g.Go(func() error {
			raw, err := l.profiles.FindOne(gctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(profileFactProjection)).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			f, live := profileFact(raw, l.cache)
			if !live {
				return nil
			}
			mraw, err := l.metrics.FindOne(gctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(metricFactProjection)).Raw()
			switch {
			case errors.Is(err, mongo.ErrNoDocuments):
			case err != nil:
				return err
			default:
				f.Metrics = metricsFact(mraw, l.cache)
			}
			craw, err := l.consent.FindOne(gctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(consentFactProjection)).Raw()
			switch {
			case errors.Is(err, mongo.ErrNoDocuments):
			case err != nil:
				return err
			default:
				f.Consent = stringList(craw.Lookup("granted"), l.cache)
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
// merged into another (any mergedInto field, as the liveFilter of segmentquery).
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
