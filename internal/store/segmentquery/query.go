// Package segmentquery evaluates segment rules against the database: it compiles a
// rule to the filter subset that works on both MongoDB and FerretDB, with id-set leaves
// for conditions on metrics, orders, interactions, tickets and consent, and counts, samples and
// streams the members.
package segmentquery

// Segment rules compiled to MongoDB queries.
//
// There is no $lookup on FerretDB, so a rule is compiled into a query over the profiles
// collection in which every condition on another collection (metrics, orders,
// interactions, tickets, consent) is an id-set leaf: it is evaluated first, once per distinct
// leaf, into the sorted ids of the profiles that satisfy it, or, when a profile without
// any document there satisfies it (AtMost bounds, metrics that hold at 0), of those that
// do not; it becomes {_id: {$in: ids}} or {_id: {$nin: ids}}.
//
// Negation is pushed down to the leaves (De Morgan): EQ ↔ $ne, IN ↔ $nin, EXISTS ↔
// $exists:false, id sets $in ↔ $nin, and every other operator is wrapped in $not, which
// also matches documents without the field (NOT(x > 5) holds for a profile without x).
// What FerretDB v1.24 does with negations (TestSegmentFerretDBOperators): $nor, $and,
// $or, $exists and, on plain fields and arrays of scalars, $ne, $nin and $not all work
// as on MongoDB; but $ne, $nin and $not on a path through an array of subdocuments
// (traits.addresses.city) select documents where some element fails to match instead of
// those where none matches. So the address fields (city, postcode, country) are negated
// with {$nor: [positive leaf]}, which is right on both. Keys of the filters come from a
// whitelist or from an attribute key validated against ^[A-Za-z][A-Za-z0-9_]{0,63}$;
// user strings are only ever values, and regular expressions are built with
// regexp.QuoteMeta. The leaves' filters are built by package rulefilter.
//
// Two strategies run the compiled rule:
//
//   - filter: one query over profiles with the id sets inlined. Id lists larger than
//     SegmentOptions.MaxIDsPerQuery are split by _id ranges into several queries, which
//     keeps every command far below MongoDB's 16 MB limit.
//   - ids: every maximal subtree without id-set leaves is one query returning profile ids,
//     and the boolean algebra is done on sorted id lists in Go.
//
// FerretDB evaluates $in by comparing with every element in turn for every document it
// scans (a 5,000-id $in over 10,000 profiles takes 1.1 s instead of 0.19 s), so on
// FerretDB the automatic strategy switches to ids when the id sets hold more than
// ferretInLimit ids; on MongoDB it always uses filter.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/store/consentstore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/segment/facts"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery/factload"
	"github.com/tessera-cdp/tessera/internal/store/segmentquery/rulefilter"
)

var _ segment.Querier = (*Store)(nil)

// TicketsCollection holds support tickets (see ticketstore).
const TicketsCollection = "tickets"

// Store reads the collections segment rules are evaluated over; it writes nothing.
type Store struct {
	db       *mongo.Database
	b        *dbkit.Backend
	profiles *mongo.Collection
	// facts is the in-process fact cache (facts.go) and load its loader; nil on
	// MongoDB, where several instances write and the query path is index-backed.
	facts *facts.Cache
	load  *factload.Loader
}

// New wraps a database on the given backend. On a backend without indexed filters
// (FerretDB) it prepares a fact cache, used once LoadFacts has loaded it.
func New(db *mongo.Database, b *dbkit.Backend) *Store {
	s := &Store{db: db, b: b, profiles: db.Collection("profiles")}
	if !b.IndexedFilters {
		s.facts = facts.NewCache()
		s.load = factload.New(s.facts, s.profiles, s.metrics(), s.consent())
	}
	return s
}

func (s *Store) orders() *mongo.Collection { return s.db.Collection(commercestore.OrdersCollection) }
func (s *Store) interactions() *mongo.Collection {
	return s.db.Collection(commercestore.InteractionsCollection)
}
func (s *Store) metrics() *mongo.Collection { return s.db.Collection(commercestore.MetricsCollection) }
func (s *Store) consent() *mongo.Collection { return s.db.Collection(consentstore.Collection) }

// SegmentStrategy selects how a compiled rule runs.
type SegmentStrategy int

const (
	// SegmentAuto picks ids on FerretDB when the id sets are large, filter otherwise.
	SegmentAuto SegmentStrategy = iota
	// SegmentFilter runs one filter per _id range with the id sets inlined.
	SegmentFilter
	// SegmentIDs combines id lists in Go.
	SegmentIDs
)

func (s SegmentStrategy) String() string {
	return [...]string{"auto", "filter", "ids"}[s]
}

// SegmentOptions tune CompileSegment.
type SegmentOptions struct {
	Strategy SegmentStrategy
	// Restrict limits the evaluation to these profile ids (nil: all profiles).
	Restrict []string
	// MaxIDsPerQuery bounds the ids inlined into one filter (0: DefaultMaxIDsPerQuery).
	MaxIDsPerQuery int
	// ServerGroup counts orders, interactions and tickets per profile with $group on
	// the server, the default on MongoDB; otherwise they are counted in Go from a find
	// of the profile ids (FerretDB's $group is O(documents × groups)).
	ServerGroup bool
}

const (
	// DefaultMaxIDsPerQuery keeps a filter at a few MB of ids.
	DefaultMaxIDsPerQuery = 100_000
	// ferretInLimit is the id-set size above which SegmentAuto uses ids on FerretDB:
	// each 1,000 ids in an $in cost about one more scan of the collection there.
	ferretInLimit = 2000
	// restrictPushdown is the largest restriction also pushed into the id-set queries.
	restrictPushdown = 5000
	memberBatch      = 1000
	maxSampleLimit   = 1000
)

const day = 24 * time.Hour

// liveFilter selects profiles that are not merged into another one.
func liveFilter() bson.D {
	return bson.D{{Key: "mergedInto", Value: bson.D{{Key: "$exists", Value: false}}}}
}

// SegmentCount counts the live profiles matching r.
func (s *Store) SegmentCount(ctx context.Context, r segment.Rule, now time.Time) (int64, error) {
	if s.factsReady() {
		p, err := s.compileFacts(ctx, r, now, nil)
		if err != nil {
			return 0, err
		}
		n, _ := s.facts.Count(p, 0)
		return int64(n), nil
	}
	c, err := s.CompileSegment(ctx, r, now, SegmentOptions{})
	if err != nil {
		return 0, err
	}
	return c.Count(ctx)
}

// SegmentSample returns up to limit matching profiles in _id order (without their
// provenance and merge history).
func (s *Store) SegmentSample(ctx context.Context, r segment.Rule, now time.Time, limit int) ([]profile.Profile, error) {
	if limit < 1 || limit > maxSampleLimit {
		return nil, apperr.Invalidf("sample limit must be between 1 and %d", maxSampleLimit)
	}
	if s.factsReady() {
		p, err := s.compileFacts(ctx, r, now, nil)
		if err != nil {
			return nil, err
		}
		_, ids := s.facts.Count(p, limit)
		return s.sampleProfiles(ctx, ids)
	}
	c, err := s.CompileSegment(ctx, r, now, SegmentOptions{})
	if err != nil {
		return nil, err
	}
	return c.Sample(ctx, limit)
}

// SegmentMembers streams the ids of matching profiles, in _id order, in batches of up
// to 1000, to fn; restrict (nil = all) limits the evaluation to those ids.
func (s *Store) SegmentMembers(ctx context.Context, r segment.Rule, now time.Time, restrict []string, fn func(ids []string) error) error {
	if s.factsReady() {
		p, err := s.compileFacts(ctx, r, now, restrict)
		if err != nil {
			return err
		}
		var ids []string
		s.facts.Scan(p, restrict, func(id string) bool { ids = append(ids, id); return true })
		for start := 0; start < len(ids); start += memberBatch {
			if err := fn(slices.Clone(ids[start:min(start+memberBatch, len(ids))])); err != nil {
				return err
			}
		}
		return nil
	}
	c, err := s.CompileSegment(ctx, r, now, SegmentOptions{Restrict: restrict})
	if err != nil {
		return err
	}
	return c.Members(ctx, fn)
}

// CompiledSegment is a rule compiled against the data at one moment: its id-set
// leaves are evaluated.
type CompiledSegment struct {
	s        *Store
	Strategy SegmentStrategy // filter or ids, never auto
	// SetLeaves and SetIDs count the distinct id-set leaves and the ids they hold.
	SetLeaves, SetIDs int
	// SetTime is the time spent evaluating id-set leaves.
	SetTime time.Duration
	filters []bson.D // filter strategy: one per _id range, in _id order
	ids     []string // ids strategy: the members, sorted
}

// Filters returns the compiled filters over the profiles collection (filter strategy;
// nil when nothing can match).
func (c *CompiledSegment) Filters() []bson.D { return c.filters }

// Count counts the members.
func (c *CompiledSegment) Count(ctx context.Context) (int64, error) {
	if c.Strategy == SegmentIDs {
		return int64(len(c.ids)), nil
	}
	var n int64
	for _, f := range c.filters {
		k, err := c.s.profiles.CountDocuments(ctx, f)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

var sampleProjection = bson.D{{Key: "provenance", Value: 0}, {Key: "history", Value: 0}, {Key: "searchTokens", Value: 0}}

// Sample returns the first limit members in _id order.
func (c *CompiledSegment) Sample(ctx context.Context, limit int) ([]profile.Profile, error) {
	var out []profile.Profile
	if c.Strategy == SegmentIDs {
		ids := c.ids[:min(limit, len(c.ids))]
		if len(ids) == 0 {
			return nil, nil
		}
		return dbkit.FindAll[profile.Profile](ctx, c.s.profiles, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(sampleProjection))
	}
	for _, f := range c.filters {
		got, err := dbkit.FindAll[profile.Profile](ctx, c.s.profiles, f,
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit-len(out))).SetProjection(sampleProjection))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// Members streams the member ids in _id order, in batches of up to 1000.
func (c *CompiledSegment) Members(ctx context.Context, fn func(ids []string) error) error {
	if c.Strategy == SegmentIDs {
		for start := 0; start < len(c.ids); start += memberBatch {
			if err := fn(slices.Clone(c.ids[start:min(start+memberBatch, len(c.ids))])); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range c.filters {
		if err := streamIDs(ctx, c.s.profiles, f, true, fn); err != nil {
			return err
		}
	}
	return nil
}

type idDoc struct {
	ID string `bson:"_id"`
}

// streamIDs hands the _ids of the documents matching f to fn in batches.
func streamIDs(ctx context.Context, c *mongo.Collection, f any, sorted bool, fn func([]string) error) error {
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(memberBatch)
	if sorted {
		opts.SetSort(bson.D{{Key: "_id", Value: 1}})
	}
	cur, err := c.Find(ctx, f, opts)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	batch := make([]string, 0, memberBatch)
	for cur.Next(ctx) {
		var d idDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		batch = append(batch, d.ID)
		if len(batch) == memberBatch {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]string, 0, memberBatch)
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// findIDs returns the sorted, distinct _ids of the documents matching f.
func findIDs(ctx context.Context, c *mongo.Collection, f any) ([]string, error) {
	var ids []string
	err := streamIDs(ctx, c, f, false, func(b []string) error {
		ids = append(ids, b...)
		return nil
	})
	return sortedSet(ids), err
}

func sortedSet(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// CompileSegment validates r, evaluates its id-set leaves and prepares the query.
func (s *Store) CompileSegment(ctx context.Context, r segment.Rule, now time.Time, opt SegmentOptions) (*CompiledSegment, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c := &segCompiler{s: s, ctx: ctx, now: now.Truncate(time.Millisecond), setIndex: map[string]int{},
		serverGroup: opt.ServerGroup || s.b.ServerGroup}
	if opt.Restrict != nil {
		c.restrict = sortedSet(slices.Clone(opt.Restrict))
		c.hasRestrict = true
	}
	t0 := time.Now()
	root, err := c.node(r, false)
	if err != nil {
		return nil, err
	}
	out := &CompiledSegment{s: s, Strategy: opt.Strategy, SetLeaves: len(c.sets), SetTime: time.Since(t0)}
	for _, set := range c.sets {
		out.SetIDs += len(set)
	}
	inlined := out.SetIDs
	if c.hasRestrict {
		root = and(&segNode{op: opSet, set: c.addSet("restrict", c.restrict)}, root)
		inlined += len(c.restrict)
	}
	if out.Strategy == SegmentAuto {
		out.Strategy = SegmentFilter
		if !s.b.IndexedFilters && inlined > ferretInLimit {
			out.Strategy = SegmentIDs
		}
	}
	if out.Strategy == SegmentIDs {
		out.ids, err = c.evalIDs(root)
		return out, err
	}
	maxIDs := opt.MaxIDsPerQuery
	if maxIDs <= 0 {
		maxIDs = DefaultMaxIDsPerQuery
	}
	out.filters = c.filters(root, maxIDs)
	return out, nil
}

type nodeOp int

const (
	opTrue nodeOp = iota
	opFalse
	opAnd
	opOr
	opFilter // a filter on profiles
	opSet    // _id in (or, notIn, not in) an id set
)

type segNode struct {
	op     nodeOp
	kids   []*segNode
	filter bson.D
	set    int
	notIn  bool
}

var (
	trueNode  = &segNode{op: opTrue}
	falseNode = &segNode{op: opFalse}
)

// combine builds an AND or OR node, folding constants and flattening.
func combine(op nodeOp, kids ...*segNode) *segNode {
	absorbing, neutral := opFalse, opTrue
	if op == opOr {
		absorbing, neutral = opTrue, opFalse
	}
	var out []*segNode
	for _, k := range kids {
		switch k.op {
		case absorbing:
			return k
		case neutral:
			continue
		case op:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		return &segNode{op: neutral}
	case 1:
		return out[0]
	}
	return &segNode{op: op, kids: out}
}

func and(kids ...*segNode) *segNode { return combine(opAnd, kids...) }
func or(kids ...*segNode) *segNode  { return combine(opOr, kids...) }

// hasSet reports whether n depends on an id set.
func (n *segNode) hasSet() bool {
	if n.op == opSet {
		return true
	}
	for _, k := range n.kids {
		if k.hasSet() {
			return true
		}
	}
	return false
}

type segCompiler struct {
	s           *Store
	ctx         context.Context
	now         time.Time
	restrict    []string
	hasRestrict bool
	serverGroup bool
	sets        [][]string
	setIndex    map[string]int
	// exponents maps the currencies of the metrics documents to their minor-unit
	// exponents; nil until a money metric needs it.
	exponents map[string]int
}

func (c *segCompiler) addSet(key string, ids []string) int {
	if i, ok := c.setIndex[key]; ok {
		return i
	}
	c.sets = append(c.sets, ids)
	c.setIndex[key] = len(c.sets) - 1
	return len(c.sets) - 1
}

// setNode turns an evaluated id set into a node: members are ids (in) or all but ids.
func (c *segCompiler) setNode(set int, in, neg bool) *segNode {
	notIn := in == neg
	if len(c.sets[set]) == 0 {
		if notIn {
			return trueNode
		}
		return falseNode
	}
	return &segNode{op: opSet, set: set, notIn: notIn}
}

// node compiles r (negated when neg) with negation pushed down to the leaves.
func (c *segCompiler) node(r segment.Rule, neg bool) (*segNode, error) {
	switch {
	case r.And != nil || r.Or != nil:
		kids, isAnd := r.And, true
		if r.Or != nil {
			kids, isAnd = r.Or, false
		}
		ns := make([]*segNode, 0, len(kids))
		for _, k := range kids {
			n, err := c.node(k, neg)
			if err != nil {
				return nil, err
			}
			ns = append(ns, n)
		}
		if isAnd != neg { // AND, or NOT(OR) = AND(NOT...)
			return and(ns...), nil
		}
		return or(ns...), nil
	case r.Not != nil:
		return c.node(*r.Not, !neg)
	case r.Trait != nil:
		f, err := rulefilter.Trait(*r.Trait, neg)
		return &segNode{op: opFilter, filter: f}, err
	case r.Identifier != nil:
		return &segNode{op: opFilter, filter: rulefilter.Identifier(*r.Identifier, neg)}, nil
	case r.Consent != nil:
		return c.setLeaf("consent", *r.Consent, neg, func() ([]string, bool, error) { return c.consentSet(*r.Consent) })
	case r.Metric != nil:
		return c.setLeaf("metric", *r.Metric, neg, func() ([]string, bool, error) { return c.metricSet(*r.Metric) })
	case r.Orders != nil:
		return c.setLeaf("orders", *r.Orders, neg, func() ([]string, bool, error) { return c.countSet(countOrders, *r.Orders) })
	case r.Interactions != nil:
		return c.setLeaf("interactions", *r.Interactions, neg, func() ([]string, bool, error) { return c.countSet(countInteractions, *r.Interactions) })
	case r.Tickets != nil:
		return c.setLeaf("tickets", *r.Tickets, neg, func() ([]string, bool, error) { return c.countSet(countTickets, *r.Tickets) })
	}
	return nil, apperr.Invalidf("rule: empty rule")
}

// setLeaf evaluates an id-set condition once per compilation (keyed by its JSON).
func (c *segCompiler) setLeaf(kind string, cond any, neg bool, eval func() ([]string, bool, error)) (*segNode, error) {
	b, err := json.Marshal(cond)
	if err != nil {
		return nil, err
	}
	key := kind + string(b)
	inKey := key + "#in"
	if i, ok := c.setIndex[key]; ok {
		_, in := c.setIndex[inKey]
		return c.setNode(i, in, neg), nil
	}
	ids, in, err := eval()
	if err != nil {
		return nil, fmt.Errorf("segment %s condition: %w", kind, err)
	}
	i := c.addSet(key, ids)
	if in {
		c.setIndex[inKey] = i
	}
	return c.setNode(i, in, neg), nil
}

// ---- id-set leaves ----

// restrictedTo adds the restriction to an id-set query on field, when it is small
// enough to help rather than hurt.
func (c *segCompiler) restrictedTo(f bson.D, field string) bson.D {
	if c.hasRestrict && len(c.restrict) <= restrictPushdown {
		f = append(f, bson.E{Key: field, Value: bson.D{{Key: "$in", Value: c.restrict}}})
	}
	return f
}

// metricFields are the metrics document fields of the plain numeric metrics.
var metricFields = map[segment.Metric]string{
	segment.MetricOrders: "orders", segment.MetricInteractions: "interactions",
	segment.MetricRFMRecency: "rfm.r", segment.MetricRFMFrequency: "rfm.f", segment.MetricRFMMonetary: "rfm.m",
}

// metricSet evaluates a metric condition: the ids satisfying it (in), or, when a
// profile without metrics satisfies it, the ids of metrics documents that fail it.
func (c *segCompiler) metricSet(m segment.MetricCond) ([]string, bool, error) {
	coll := c.s.metrics()
	zero := m.ZeroHolds()
	op := m.Op
	if zero {
		op = rulefilter.Complement(op)
	}
	switch m.Metric {
	case segment.MetricNetRevenue:
		if err := c.loadExponents(); err != nil {
			return nil, false, err
		}
		f := rulefilter.Money("netMinor", op, m.Value, c.exponents)
		ids, err := findIDs(c.ctx, coll, c.restrictedTo(f, "_id"))
		return ids, !zero, err
	case segment.MetricAOV:
		return c.aovSet(m)
	case segment.MetricDaysSinceLastOrder:
		f, ok := rulefilter.Days(c.now, m.Op, m.Value)
		if !ok {
			return nil, true, nil
		}
		ids, err := findIDs(c.ctx, coll, c.restrictedTo(f, "_id"))
		return ids, true, err
	}
	field, ok := metricFields[m.Metric]
	if !ok {
		return nil, false, apperr.Invalidf("rule: unknown metric %q", m.Metric)
	}
	ids, err := findIDs(c.ctx, coll, c.restrictedTo(bson.D{{Key: field, Value: rulefilter.Number(op, m.Value)}}, "_id"))
	return ids, !zero, err
}

// loadExponents reads the distinct currencies of the metrics documents.
func (c *segCompiler) loadExponents() error {
	if c.exponents != nil {
		return nil
	}
	cur, err := c.s.metrics().Aggregate(c.ctx, mongo.Pipeline{{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$currency"}}}}})
	if err != nil {
		return err
	}
	var gs []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(c.ctx, &gs); err != nil {
		return err
	}
	c.exponents = map[string]int{}
	for _, g := range gs {
		if code, ok := g.ID.(string); ok {
			c.exponents[code] = rulefilter.Exponent(code)
		}
	}
	return nil
}

// aovSet evaluates AOV in Go: it is not stored, and FerretDB has no expressions.
func (c *segCompiler) aovSet(m segment.MetricCond) ([]string, bool, error) {
	zero := m.ZeroHolds()
	f := c.restrictedTo(bson.D{{Key: "orders", Value: bson.D{{Key: "$gt", Value: 0}}}}, "_id")
	cur, err := c.s.metrics().Find(c.ctx, f, options.Find().SetProjection(bson.D{{Key: "orders", Value: 1}, {Key: "netMinor", Value: 1}, {Key: "currency", Value: 1}}))
	if err != nil {
		return nil, false, err
	}
	defer cur.Close(c.ctx)
	var ids []string
	for cur.Next(c.ctx) {
		var d struct {
			ID       string `bson:"_id"`
			Orders   int    `bson:"orders"`
			NetMinor int64  `bson:"netMinor"`
			Currency string `bson:"currency"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, false, err
		}
		mm := ledger.Metrics{Orders: d.Orders, NetMinor: d.NetMinor}
		holds := m.Op.Compare(float64(mm.AOVMinor()), rulefilter.ScaleMajor(m.Value, rulefilter.Exponent(d.Currency)))
		if holds != zero {
			ids = append(ids, d.ID)
		}
	}
	return sortedSet(ids), !zero, cur.Err()
}

// consentSet evaluates a consent condition on the consent records: the profiles whose
// status for the key is granted, members when Granted, the complement otherwise.
func (c *segCompiler) consentSet(cc segment.ConsentCond) ([]string, bool, error) {
	f := c.restrictedTo(bson.D{{Key: consentstore.GrantedField, Value: cc.Key()}}, "_id")
	ids, err := findIDs(c.ctx, c.s.consent(), f)
	return ids, cc.Granted, err
}

type countKind int

const (
	countOrders countKind = iota
	countInteractions
	countTickets
)

// countSet evaluates a count condition with one aggregation: the ids whose count is in
// range (in), or, when a profile with no documents satisfies it, those above AtMost.
func (c *segCompiler) countSet(kind countKind, cc segment.CountCond) ([]string, bool, error) {
	var coll *mongo.Collection
	var profileField, timeField string
	var f bson.D
	switch kind {
	case countOrders:
		coll, profileField, timeField = c.s.orders(), "profileId", "placedAt"
		statuses := cc.LowerStatuses()
		if statuses == nil {
			statuses = segment.CountedOrderStatuses
		}
		f = bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: statuses}}}}
	case countInteractions:
		coll, profileField, timeField = c.s.interactions(), "profileId", "at"
	case countTickets:
		coll, profileField, timeField = c.s.db.Collection(TicketsCollection), "requesterId", "createdAt"
		// A ticket merged into another one is not counted twice.
		f = bson.D{{Key: "mergedInto", Value: bson.D{{Key: "$in", Value: bson.A{"", nil}}}}}
		if cc.Statuses != nil {
			f = append(f, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: cc.LowerStatuses()}}})
		}
	}
	if cc.Channel != "" {
		f = append(f, bson.E{Key: "channel", Value: bson.D{{Key: "$eq", Value: cc.Channel}}})
	}
	if cc.WithinDays != nil {
		f = append(f, bson.E{Key: timeField, Value: bson.D{
			{Key: "$gte", Value: c.now.Add(-time.Duration(*cc.WithinDays) * day)}, {Key: "$lte", Value: c.now}}})
	}
	f = c.restrictedTo(f, profileField)
	lo, hi, hasHi := cc.Bounds()
	in := lo > 0
	var nCond bson.D
	switch {
	case in:
		nCond = bson.D{{Key: "$gte", Value: lo}}
		if hasHi {
			nCond = append(nCond, bson.E{Key: "$lte", Value: hi})
		}
	case hasHi:
		nCond = bson.D{{Key: "$gt", Value: hi}}
	default: // no bound at all: every profile
		return nil, false, nil
	}
	if len(f) == 0 {
		f = bson.D{}
	}
	if !c.serverGroup {
		return c.countInGo(coll, f, profileField, func(n int) bool { return n >= lo && (!hasHi || n <= hi) }, in)
	}
	cur, err := coll.Aggregate(c.ctx, mongo.Pipeline{
		{{Key: "$match", Value: f}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$" + profileField}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		{{Key: "$match", Value: bson.D{{Key: "n", Value: nCond}}}},
	})
	if err != nil {
		return nil, false, err
	}
	var gs []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(c.ctx, &gs); err != nil {
		return nil, false, err
	}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		if id, ok := g.ID.(string); ok && id != "" {
			ids = append(ids, id)
		}
	}
	return sortedSet(ids), in, nil
}

// countInGo counts the matching documents per profile from a find that returns only
// the profile field: FerretDB's $group looks each document's group up by a linear
// search through the groups found so far, O(documents × profiles) (an orders leaf over
// 150,000 orders took 46 s). It returns the profiles whose count satisfies holds (in),
// or those whose count fails it (!in).
func (c *segCompiler) countInGo(coll *mongo.Collection, f bson.D, profileField string, holds func(int) bool, in bool) ([]string, bool, error) {
	cur, err := coll.Find(c.ctx, f, options.Find().SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: profileField, Value: 1}}).SetBatchSize(10_000))
	if err != nil {
		return nil, false, err
	}
	defer cur.Close(c.ctx)
	counts := map[string]int{}
	for cur.Next(c.ctx) {
		if id, ok := cur.Current.Lookup(profileField).StringValueOK(); ok && id != "" {
			counts[id]++
		}
	}
	if err := cur.Err(); err != nil {
		return nil, false, err
	}
	ids := make([]string, 0, len(counts))
	for id, n := range counts {
		if holds(n) == in {
			ids = append(ids, id)
		}
	}
	return sortedSet(ids), in, nil
}

// ---- filter strategy ----

// filters renders the tree into one filter per _id range, so no filter inlines more
// than maxIDs ids.
func (c *segCompiler) filters(root *segNode, maxIDs int) []bson.D {
	var used []int
	var walk func(n *segNode)
	seen := map[int]bool{}
	walk = func(n *segNode) {
		if n.op == opSet && !seen[n.set] {
			seen[n.set] = true
			used = append(used, n.set)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(root)
	total := 0
	for _, i := range used {
		total += len(c.sets[i])
	}
	// Range bounds: every maxIDs-th id of the union of the sets, so each range holds at
	// most maxIDs ids of the union.
	var bounds []string
	if total > maxIDs {
		var union []string
		for _, i := range used {
			union = append(union, c.sets[i]...)
		}
		union = sortedSet(union)
		for i := maxIDs; i < len(union); i += maxIDs {
			bounds = append(bounds, union[i])
		}
	}
	var out []bson.D
	for r := 0; r <= len(bounds); r++ {
		lo, hi := "", ""
		if r > 0 {
			lo = bounds[r-1]
		}
		if r < len(bounds) {
			hi = bounds[r]
		}
		n := c.restrictRange(root, lo, hi)
		if n.op == opFalse {
			continue
		}
		f := bson.A{liveFilter()}
		if lo != "" || hi != "" {
			rng := bson.D{}
			if lo != "" {
				rng = append(rng, bson.E{Key: "$gte", Value: lo})
			}
			if hi != "" {
				rng = append(rng, bson.E{Key: "$lt", Value: hi})
			}
			f = append(f, bson.D{{Key: "_id", Value: rng}})
		}
		switch n.op {
		case opTrue:
		case opAnd:
			f = append(f, c.render(n)[0].Value.(bson.A)...)
		default:
			f = append(f, c.render(n))
		}
		if len(f) == 1 {
			out = append(out, f[0].(bson.D))
		} else {
			out = append(out, bson.D{{Key: "$and", Value: f}})
		}
	}
	return out
}

// restrictRange rebuilds the tree with every id set cut to [lo, hi) ("" = open),
// folding the sets that become empty.
func (c *segCompiler) restrictRange(n *segNode, lo, hi string) *segNode {
	switch n.op {
	case opAnd, opOr:
		kids := make([]*segNode, len(n.kids))
		for i, k := range n.kids {
			kids[i] = c.restrictRange(k, lo, hi)
		}
		return combine(n.op, kids...)
	case opSet:
		ids := c.sets[n.set]
		i, j := 0, len(ids)
		if lo != "" {
			i = sort.SearchStrings(ids, lo)
		}
		if hi != "" {
			j = sort.SearchStrings(ids, hi)
		}
		if i >= j {
			if n.notIn {
				return trueNode
			}
			return falseNode
		}
		c.sets = append(c.sets, ids[i:j])
		return &segNode{op: opSet, set: len(c.sets) - 1, notIn: n.notIn}
	}
	return n
}

func (c *segCompiler) render(n *segNode) bson.D { return render(n, c.sets) }

// render builds the filter of a tree; sets holds the id sets it refers to.
func render(n *segNode, sets [][]string) bson.D {
	switch n.op {
	case opAnd, opOr:
		key := "$and"
		if n.op == opOr {
			key = "$or"
		}
		// Conditions on the document first, id sets last: FerretDB stops evaluating
		// $and/$or at the first decisive condition, and compares with every element
		// of an $in list in turn.
		kids := make(bson.A, 0, len(n.kids))
		for _, last := range []bool{false, true} {
			for _, k := range n.kids {
				if k.hasSet() == last {
					kids = append(kids, render(k, sets))
				}
			}
		}
		return bson.D{{Key: key, Value: kids}}
	case opSet:
		op := "$in"
		if n.notIn {
			op = "$nin"
		}
		return bson.D{{Key: "_id", Value: bson.D{{Key: op, Value: sets[n.set]}}}}
	case opFilter:
		return n.filter
	case opFalse:
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}
	}
	return bson.D{}
}

// ---- ids strategy ----

// idSet is a set of profile ids: ids, or every id but ids when comp. live tells that
// the ids are known to be live profiles.
type idSet struct {
	ids  []string
	comp bool
	live bool
}

func (c *segCompiler) evalIDs(root *segNode) ([]string, error) {
	switch root.op {
	case opFalse:
		return nil, nil
	case opTrue, opFilter:
		return findIDs(c.ctx, c.s.profiles, c.pureFilter(root))
	}
	v, err := c.eval(root)
	if err != nil {
		return nil, err
	}
	if !v.comp && v.live {
		return v.ids, nil
	}
	universe, err := findIDs(c.ctx, c.s.profiles, c.restrictedTo(liveFilter(), "_id"))
	if err != nil {
		return nil, err
	}
	if v.comp {
		return difference(universe, v.ids), nil
	}
	return intersect(universe, v.ids), nil
}

// pureFilter is the filter of live profiles matching a tree without id sets.
func (c *segCompiler) pureFilter(n *segNode) bson.D {
	f := c.restrictedTo(liveFilter(), "_id")
	if n.op != opTrue {
		f = bson.D{{Key: "$and", Value: bson.A{f, c.render(n)}}}
	}
	return f
}

func (c *segCompiler) eval(n *segNode) (idSet, error) {
	switch n.op {
	case opSet:
		return idSet{ids: c.sets[n.set], comp: n.notIn}, nil
	case opTrue:
		return idSet{comp: true}, nil
	case opFalse:
		return idSet{live: true}, nil
	case opFilter:
		ids, err := findIDs(c.ctx, c.s.profiles, c.pureFilter(n))
		return idSet{ids: ids, live: true}, err
	}
	// One query for all the kids without id sets, then the algebra.
	var pure, mixed []*segNode
	for _, k := range n.kids {
		if k.hasSet() {
			mixed = append(mixed, k)
		} else {
			pure = append(pure, k)
		}
	}
	var vals []idSet
	if len(pure) > 0 {
		v, err := c.eval(combineNoFlatten(n.op, pure))
		if err != nil {
			return idSet{}, err
		}
		vals = append(vals, v)
	}
	for _, k := range mixed {
		v, err := c.eval(k)
		if err != nil {
			return idSet{}, err
		}
		vals = append(vals, v)
	}
	acc := vals[0]
	for _, v := range vals[1:] {
		if n.op == opAnd {
			acc = andSets(acc, v)
		} else {
			acc = orSets(acc, v)
		}
	}
	return acc, nil
}

// combineNoFlatten wraps pure kids into one node evaluated by a single query.
func combineNoFlatten(op nodeOp, kids []*segNode) *segNode {
	if len(kids) == 1 {
		return &segNode{op: opFilter, filter: kids[0].filterOf()}
	}
	return &segNode{op: opFilter, filter: (&segNode{op: op, kids: kids}).filterOf()}
}

// filterOf renders a tree without id sets.
func (n *segNode) filterOf() bson.D { return render(n, nil) }

func andSets(a, b idSet) idSet {
	switch {
	case !a.comp && !b.comp:
		return idSet{ids: intersect(a.ids, b.ids), live: a.live || b.live}
	case !a.comp:
		return idSet{ids: difference(a.ids, b.ids), live: a.live}
	case !b.comp:
		return idSet{ids: difference(b.ids, a.ids), live: b.live}
	}
	return idSet{ids: union(a.ids, b.ids), comp: true}
}

func orSets(a, b idSet) idSet {
	switch {
	case !a.comp && !b.comp:
		return idSet{ids: union(a.ids, b.ids), live: a.live && b.live}
	case !a.comp:
		return idSet{ids: difference(b.ids, a.ids), comp: true}
	case !b.comp:
		return idSet{ids: difference(a.ids, b.ids), comp: true}
	}
	return idSet{ids: intersect(a.ids, b.ids), comp: true}
}

// Sorted-list set operations.

func intersect(a, b []string) []string {
	var out []string
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func difference(a, b []string) []string {
	var out []string
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}

func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// EnsureSegmentIndexes creates the indexes that keep segment leaves index-backed on
// MongoDB (FerretDB accepts them and scans anyway).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	asc := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d}
	}
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.profiles:                         {asc("identifiers"), asc("traits.emails"), asc("traits.addresses.country")},
		s.metrics():                        {asc("netMinor"), asc("orders"), asc("lastOrderAt")},
		s.orders():                         {asc("placedAt")},
		s.db.Collection(TicketsCollection): {asc("requesterId", "createdAt")},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}
