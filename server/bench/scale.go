package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const (
	scaleSearchQ  = `query($q:String!){customers(query:$q,first:20){totalCount edges{node{id name emails}}}}`
	scalePreviewQ = `query($r:SegmentRuleInput!){segmentPreview(rule:$r,sample:10){count tookMs sample{id name}}}`
	scaleIngestQ  = `mutation($s:String!,$r:[RecordInput!]!){ingestRecords(source:$s,records:$r){created updated unchanged merged rejected rejects{reason}}}`
	scaleMeQ      = `{ me { id } }`
	// scaleKey is the admin key of the benchmark's own throw-away database.
	scaleKey = "tsk_bench_scale_admin_0123456789abcdef"
	// scaleFixed is the customer whose 360 view and search are timed; its own data is
	// the same at both sizes.
	scaleFixed = 7
)

// scaleT0 is the clock of the generated orders (they lie in the two years before it).
var scaleT0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// Scale runs `tessera bench scale` with its report on out and progress bars on progress.
func Scale(args []string, open Opener, out, progress io.Writer) error {
	fs := flag.NewFlagSet("bench scale", flag.ContinueOnError)
	b := scaleBench{open: open, out: out, progress: progress}
	fs.IntVar(&b.customers, "customers", 100000, "customers at the large size")
	fs.IntVar(&b.ordersPer, "orders-per", 5, "orders per customer on average (1 to 2×N-1)")
	fs.IntVar(&b.small, "small", 1000, "customers at the small size")
	fs.IntVar(&b.conc, "concurrency", 8, "concurrent clients of the requests/s figures")
	fs.IntVar(&b.ingestN, "ingest", 1000, "records of the ingest figure (in batches of 1000)")
	fs.DurationVar(&b.budget, "budget", 10*time.Second, "time to sample each latency figure (at least 20 samples, 3 for previews, while under 2 minutes)")
	fs.DurationVar(&b.rpsFor, "rps-for", 3*time.Second, "duration of each requests/s run (two of each, alternated)")
	fs.StringVar(&b.pg, "postgresql-url", env("TESSERA_POSTGRESQL_URL", ""), "embedded FerretDB on PostgreSQL instead of SQLite")
	quiet := fs.Bool("quiet", false, "no progress bars")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quiet {
		b.progress = nil
	}
	if b.small < scaleFixed+1 || b.customers < b.small || b.ordersPer < 1 || b.conc < 1 || b.ingestN < 1 {
		return errors.New("bench scale: want -small > 7, -customers >= -small, -orders-per >= 1, -concurrency >= 1, -ingest >= 1")
	}
	return b.run(context.Background())
}

type scaleBench struct {
	open                                       Opener
	customers, ordersPer, small, conc, ingestN int
	budget, rpsFor                             time.Duration
	pg                                         string
	out, progress                              io.Writer // progress nil: no bars

	a      *app.App
	db     *mongo.Database
	url    string
	http   *http.Client
	pids   []string // profile of customer i
	fixed  string   // profile of the fixed customer
	people int      // customers ingested so far
}

// scaleFigures are one size's measurements.
type scaleFigures struct {
	customers, profiles                  int64
	q360, raw, search                    latencies
	me, healthz                          float64 // requests/s
	trait, metric                        latencies
	traitRaw, metricRaw                  latencies
	traitCount, metricCount              [2]int64 // preview, raw
	ingestRate, rawRate                  float64  // records/s
	settle                               time.Duration
	build                                time.Duration
	profileSize                          int
	ordersSeen, ticketsSeen, segmentSeen int
}

type latencies []time.Duration

func (l latencies) pct(p float64) float64 { // nearest rank, in ms
	if len(l) == 0 {
		return math.NaN()
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return float64(s[max(0, min(i, len(s)-1))].Microseconds()) / 1000
}

func (b *scaleBench) run(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	client, closeDB, err := b.open(DB{Memory: b.pg == "", PostgreSQLURL: b.pg}, log)
	if err != nil {
		return err
	}
	defer closeDB()
	b.db = client.Database(fmt.Sprintf("bench_scale_%d", time.Now().UnixNano()))
	defer b.db.Drop(context.Background())
	backend := "embedded FerretDB on SQLite"
	if b.pg != "" {
		backend = "embedded FerretDB on PostgreSQL"
	}
	appCtx, stop := context.WithCancel(ctx)
	defer stop()
	if b.a, err = app.New(appCtx, b.db, app.Options{Log: log}); err != nil {
		return err
	}
	if _, err := b.a.Auth.Bootstrap(ctx, scaleKey); err != nil {
		return err
	}
	b.a.Start(appCtx)
	hs := httptest.NewServer(b.a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	defer hs.Close()
	b.url = hs.URL
	b.http = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConns: 2 * b.conc, MaxIdleConnsPerHost: 2 * b.conc}}
	fmt.Fprintf(b.out, "bench scale: %d then %d customers, %d orders each on average, tickets for 4%%, interactions for 10%%; %s, app over loopback HTTP, %d cores\n",
		b.small, b.customers, b.ordersPer, backend, runtime.NumCPU())

	if _, err := b.a.Ingest.CreateSource(ctx, ingest.Source{Name: "shop", Kind: "WEB_SHOP", Priority: 20, IdentifierFields: map[string]string{"email": "email"}}); err != nil {
		return err
	}
	if _, err := b.a.Ingest.CreateSource(ctx, ingest.Source{Name: "crm", Kind: "CRM", Priority: 10, IdentifierFields: map[string]string{"email": "email"}}); err != nil {
		return err
	}
	t0 := time.Now()
	if err := b.grow(ctx, b.small); err != nil {
		return err
	}
	if err := b.setupFixed(ctx); err != nil {
		return err
	}
	small, err := b.measure(ctx, "small")
	if err != nil {
		return err
	}
	small.build = time.Since(t0)
	t0 = time.Now()
	if err := b.grow(ctx, b.customers); err != nil {
		return err
	}
	grown := time.Since(t0)
	large, err := b.measure(ctx, "large")
	if err != nil {
		return err
	}
	large.build = grown
	b.report(small, large, vmHWM())
	return nil
}

// ---------------------------------------------------------------- building the database

// ordersOf is customer i's order count: 1 to 2×ordersPer-1, ordersPer on average; the
// fixed customer has 12 (a full first page of 10 in the 360 view, and more).
func (b *scaleBench) ordersOf(i int) int {
	if i == scaleFixed {
		return 12
	}
	return 1 + (i*7919)%(2*b.ordersPer-1)
}

func (b *scaleBench) bar(total int, what string) func(int) {
	if b.progress == nil {
		return func(int) {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetWriter(b.progress), progressbar.OptionThrottle(500*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.progress) }))
	return func(n int) {
		_ = bar.Add(n)
	}
}

// grow adds customers b.people..to-1 with their orders, interactions (every 10th) and
// tickets (every 25th). The customers go through the app's ingest workflow in batches
// of 1000; orders through commerce in batches of 1000, interleaved so each batch of
// customers is followed by its orders.
func (b *scaleBench) grow(ctx context.Context, to int) error {
	from := b.people
	if to <= from {
		return nil
	}
	var orders int
	for i := from; i < to; i++ {
		orders += b.ordersOf(i)
	}
	add := b.bar(to-from+orders, fmt.Sprintf("building: customers %d to %d with %d orders", from, to, orders))
	var pendingOrders []commerce.Order
	var pendingInter []commerce.Interaction
	putOrders := func(all bool) error {
		for len(pendingOrders) >= 1000 || all && len(pendingOrders) > 0 {
			n := min(1000, len(pendingOrders))
			if _, err := b.a.Commerce.PutOrders(ctx, pendingOrders[:n]); err != nil {
				return err
			}
			add(n)
			pendingOrders = pendingOrders[n:]
		}
		for len(pendingInter) >= 1000 || all && len(pendingInter) > 0 {
			n := min(1000, len(pendingInter))
			if _, err := b.a.Commerce.AddInteractions(ctx, pendingInter[:n]); err != nil {
				return err
			}
			pendingInter = pendingInter[n:]
		}
		return nil
	}
	for start := from; start < to; start += 1000 {
		end := min(start+1000, to)
		var in []ingest.Input
		for i := start; i < end; i++ {
			in = append(in, ingest.Input{ExternalID: fmt.Sprint("c", i), ObservedAt: scaleT0.AddDate(0, 0, -800), Payload: map[string]any{
				"email": fmt.Sprintf("cust%d@example.com", i), "firstName": fmt.Sprint("First", i%97), "lastName": fmt.Sprint("Last", i%89),
				"city": fmt.Sprint("City", i%13), "country": "GB"}})
		}
		res, err := b.a.Workflows.Ingest(ctx, "shop", in, "")
		if err != nil {
			return err
		}
		if len(res.Rejects) > 0 || len(res.ProfileIDs) != len(in) {
			return fmt.Errorf("building: customers %d..: %d rejected", start, len(res.Rejects))
		}
		b.pids = append(b.pids, res.ProfileIDs...)
		add(len(in))
		for i := start; i < end; i++ {
			pid := b.pids[i]
			for j := range b.ordersOf(i) {
				o := commerce.Order{ID: fmt.Sprintf("shop:o%d-%d", i, j), Source: "shop", ExternalID: fmt.Sprintf("o%d-%d", i, j), ProfileID: pid,
					CustomerRecordID: fmt.Sprint("shop:c", i), Channel: "web", Status: commerce.Paid, Currency: "GBP",
					PlacedAt: scaleT0.Add(-time.Duration(1+(i*7+j*31)%700)*24*time.Hour - time.Duration(j)*time.Hour),
					Lines: []commerce.Line{{SKU: fmt.Sprint("sku", j%17), Quantity: int64(1 + j%3), UnitPriceMinor: int64(599 + 100*((i+j)%40))},
						{SKU: fmt.Sprint("sku", (j+5)%17), Quantity: 1, UnitPriceMinor: 250}}}
				o.TotalMinor, _ = o.LinesTotal()
				pendingOrders = append(pendingOrders, o)
			}
			if i%10 == 3 {
				pendingInter = append(pendingInter, commerce.Interaction{ID: fmt.Sprint("shop:v", i), ProfileID: pid, RecordID: fmt.Sprint("shop:c", i),
					Channel: "web", Type: "visit", At: scaleT0.Add(-time.Duration(i%300) * 24 * time.Hour), Attributes: map[string]string{"page": "/sale"}})
			}
		}
		if err := putOrders(false); err != nil {
			return err
		}
	}
	if err := putOrders(true); err != nil {
		return err
	}
	b.people = to
	// Tickets for every 25th customer (the fixed one is not), two at a time.
	var ids []int
	for i := from; i < to; i++ {
		if i%25 == 0 {
			ids = append(ids, i)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	addT := b.bar(len(ids), fmt.Sprintf("building: tickets of customers %d to %d", from, to))
	var next atomic.Int64
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(ids) {
					errs <- nil
					return
				}
				i := ids[k]
				pid := b.pids[i]
				_, err := b.a.Tickets.Open(ctx, ticket.RequesterRef{CustomerID: &pid},
					ticket.Draft{Subject: fmt.Sprintf("Order o%d-0", i), Channel: ticket.ChannelEmail}, "Where is my parcel?",
					ticket.Actor{Kind: ticket.AuthorCustomer, ID: pid})
				if err != nil {
					errs <- fmt.Errorf("building: ticket of customer %d: %w", i, err)
					next.Store(int64(len(ids)))
					return
				}
				addT(1)
			}
		}()
	}
	return errors.Join(<-errs, <-errs)
}

// setupFixed gives the fixed customer interactions, two tickets (one answered) and
// segments, through the API as a user would, as the perf-growth check does.
func (b *scaleBench) setupFixed(ctx context.Context) error {
	b.fixed = b.pids[scaleFixed]
	email := fmt.Sprintf("cust%d@example.com", scaleFixed)
	steps := []struct {
		q    string
		vars map[string]any
	}{
		{`mutation($i:[InteractionInput!]!){ingestInteractions(source:"shop",interactions:$i){written}}`, map[string]any{"i": []any{
			map[string]any{"externalId": "i7-1", "customer": map[string]any{"type": "email", "value": email}, "channel": "email", "type": "opened", "at": "2026-10-01T10:00:00Z"},
			map[string]any{"externalId": "i7-2", "customer": map[string]any{"type": "email", "value": email}, "channel": "web", "type": "visit", "at": "2026-10-02T10:00:00Z",
				"attributes": map[string]any{"page": "/sale"}}}}},
		{`mutation{createSegment(input:{name:"buyers",rule:{orders:{atLeast:1}}}){id}}`, nil},
		{`mutation{createSegment(input:{name:"gb",kind:STATIC,rule:{trait:{field:"country",op:EQ,value:"GB"}}}){id}}`, nil},
		{`mutation($i:SegmentInput!){createSegment(input:$i){id}}`, map[string]any{"i": map[string]any{"name": "vip", "kind": "STATIC",
			"rule": map[string]any{"identifier": map[string]any{"type": "email", "value": email}}}}},
	}
	for _, s := range steps {
		if _, err := b.gql(ctx, s.q, s.vars); err != nil {
			return fmt.Errorf("setting up customer %d: %w", scaleFixed, err)
		}
	}
	var t struct {
		CreateTicket struct{ ID string } `json:"createTicket"`
	}
	data, err := b.gql(ctx, `mutation($e:String!){createTicket(input:{subject:"Where is my order",body:"Not arrived",email:$e,channel:EMAIL}){id}}`, map[string]any{"e": email})
	if err == nil {
		err = json.Unmarshal(data, &t)
	}
	if err == nil {
		_, err = b.gql(ctx, `mutation($id:ID!){replyToTicket(id:$id,body:"On its way"){id}}`, map[string]any{"id": t.CreateTicket.ID})
	}
	if err == nil {
		_, err = b.gql(ctx, `mutation($e:String!){createTicket(input:{subject:"Invoice please",body:"For o7-3",email:$e}){id}}`, map[string]any{"e": email})
	}
	if err != nil {
		return fmt.Errorf("setting up customer %d: tickets: %w", scaleFixed, err)
	}
	return nil
}

// ---------------------------------------------------------------- HTTP

// post sends one GraphQL request and returns the raw body; an HTTP status other than
// 200 or an "errors" member is an error.
func (b *scaleBench) post(ctx context.Context, body []byte, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", b.url+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 || bytes.Contains(raw, []byte(`"errors"`)) {
		return nil, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, raw)
	}
	return raw, nil
}

func gqlBody(q string, vars map[string]any) []byte {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return body
}

// gql runs one operation with the admin key and returns its data.
func (b *scaleBench) gql(ctx context.Context, q string, vars map[string]any) (json.RawMessage, error) {
	raw, err := b.post(ctx, gqlBody(q, vars), scaleKey)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// ---------------------------------------------------------------- measuring

// sample times op one call at a time: at least minN calls (fewer only when the next
// would pass 2 minutes, 3 at least), then more while under budget, at most maxN.
func (b *scaleBench) sample(minN, maxN int, op func() error) (latencies, error) {
	var ls latencies
	start := time.Now()
	for len(ls) < maxN {
		el := time.Since(start)
		if len(ls) >= minN && el >= b.budget || len(ls) >= 3 && el+ls[len(ls)-1] > 2*time.Minute {
			break
		}
		t0 := time.Now()
		if err := op(); err != nil {
			return nil, err
		}
		ls = append(ls, time.Since(t0))
	}
	return ls, nil
}

// rps runs conc clients of req for d and returns the successful requests per second.
func (b *scaleBench) rps(ctx context.Context, d time.Duration, req func(context.Context) error) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range b.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := req(ctx)
				switch {
				case ctx.Err() != nil:
				case err == nil:
					ok.Add(1)
				default:
					mu.Lock()
					first = firstErr(first, err)
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), first
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// settle drains the segment membership queue (changes of the last writes) and waits,
// at most 5 minutes, until the process has used less than 15% of a core for a second,
// so leftover background work does not count in the next figure.
func (b *scaleBench) settle(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	if err := b.a.SegmentQueue.Flush(ctx); err != nil {
		return 0, err
	}
	for time.Since(t0) < 5*time.Minute {
		c0 := cpuTicks()
		time.Sleep(time.Second)
		if cpuTicks()-c0 < 15 {
			break
		}
	}
	return time.Since(t0), nil
}

// cpuTicks is the process's user+system time in clock ticks (1/100 s).
func cpuTicks() int64 {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(raw)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// vmHWM is the process's peak resident set in bytes (0 where /proc is missing).
func vmHWM() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (b *scaleBench) measure(ctx context.Context, phase string) (scaleFigures, error) {
	var f scaleFigures
	var err error
	fail := func(what string, err error) (scaleFigures, error) {
		return f, fmt.Errorf("%s size, %s: %w", phase, what, err)
	}
	if f.settle, err = b.settle(ctx); err != nil {
		return fail("segment membership", err)
	}
	profiles := b.db.Collection("profiles")
	f.customers = int64(b.people)
	if f.profiles, err = profiles.EstimatedDocumentCount(ctx); err != nil {
		return fail("count", err)
	}
	if b.progress != nil {
		fmt.Fprintf(b.progress, "measuring at the %s size (%d customers)...\n", phase, b.people)
	}

	// (a) the 360 view, checked, then timed, beside a raw FindOne of the profile.
	body360 := gqlBody(app.Customer360Query, map[string]any{"id": b.fixed})
	raw, err := b.post(ctx, body360, scaleKey)
	if err != nil {
		return fail("360", err)
	}
	var c360 struct {
		Data struct {
			Customer struct {
				ID                string
				Orders            struct{ Edges []any }
				Tickets, Segments []any
			}
		}
	}
	if err := json.Unmarshal(raw, &c360); err != nil {
		return fail("360", err)
	}
	c := c360.Data.Customer
	f.profileSize, f.ordersSeen, f.ticketsSeen, f.segmentSeen = len(raw), len(c.Orders.Edges), len(c.Tickets), len(c.Segments)
	if c.ID != b.fixed || f.ordersSeen != min(b.ordersOf(scaleFixed), 10) || f.ticketsSeen != 2 || f.segmentSeen < 2 {
		return fail("360", fmt.Errorf("unexpected answer (want customer %s, %d orders, 2 tickets, 2+ segments): %.400s", b.fixed, min(b.ordersOf(scaleFixed), 10), raw))
	}
	if f.q360, err = b.sample(20, 500, func() error { _, err := b.post(ctx, body360, scaleKey); return err }); err != nil {
		return fail("360", err)
	}
	if f.raw, err = b.sample(200, 2000, func() error { return profiles.FindOne(ctx, bson.D{{Key: "_id", Value: b.fixed}}).Err() }); err != nil {
		return fail("raw findOne", err)
	}

	// (b) search by exact e-mail
	bodySearch := gqlBody(scaleSearchQ, map[string]any{"q": fmt.Sprintf("cust%d@example.com", scaleFixed)})
	var s struct {
		Data struct {
			Customers struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
	}
	if raw, err = b.post(ctx, bodySearch, scaleKey); err == nil {
		err = json.Unmarshal(raw, &s)
	}
	if err == nil && (s.Data.Customers.TotalCount != 1 || len(s.Data.Customers.Edges) != 1 || s.Data.Customers.Edges[0].Node.ID != b.fixed) {
		err = fmt.Errorf("unexpected answer (want only %s): %.300s", b.fixed, raw)
	}
	if err != nil {
		return fail("search", err)
	}
	if f.search, err = b.sample(20, 500, func() error { _, err := b.post(ctx, bodySearch, scaleKey); return err }); err != nil {
		return fail("search", err)
	}

	// (c) authenticated trivial query vs /healthz, same concurrency, alternated twice.
	meBody := gqlBody(scaleMeQ, nil)
	me := func(ctx context.Context) error { _, err := b.post(ctx, meBody, scaleKey); return err }
	hz := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", b.url+"/healthz", nil)
		res, err := b.http.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("HTTP %d", res.StatusCode)
		}
		return err
	}
	for range 2 {
		for _, r := range []struct {
			sum *float64
			req func(context.Context) error
		}{{&f.healthz, hz}, {&f.me, me}} {
			x, err := b.rps(ctx, b.rpsFor, r.req)
			if err != nil {
				return fail("requests/s", err)
			}
			*r.sum += x / 2
		}
	}

	// (d) segment previews of a trait rule and a metrics rule, beside raw counts of
	// the equivalent filters.
	live := bson.E{Key: "mergedInto", Value: bson.D{{Key: "$exists", Value: false}}}
	minOrders := b.ordersPer + 2
	for _, p := range []struct {
		rule          map[string]any
		coll          *mongo.Collection
		filter        bson.D
		lat, rawLat   *latencies
		count         *[2]int64
		what, rawWhat string
	}{
		{map[string]any{"trait": map[string]any{"field": "city", "op": "EQ", "value": "City3"}}, profiles,
			bson.D{{Key: "traits.addresses.city", Value: "City3"}, live}, &f.trait, &f.traitRaw, &f.traitCount, "trait preview", "raw count"},
		{map[string]any{"metric": map[string]any{"metric": "ORDERS", "op": "GTE", "value": minOrders}}, b.db.Collection(commercestore.MetricsCollection),
			bson.D{{Key: "orders", Value: bson.D{{Key: "$gte", Value: minOrders}}}}, &f.metric, &f.metricRaw, &f.metricCount, "metric preview", "raw count"},
	} {
		body := gqlBody(scalePreviewQ, map[string]any{"r": p.rule})
		*p.lat, err = b.sample(3, 100, func() error {
			raw, err := b.post(ctx, body, scaleKey)
			if err != nil {
				return err
			}
			var r struct {
				Data struct{ SegmentPreview struct{ Count int64 } }
			}
			p.count[0] = -1
			if json.Unmarshal(raw, &r) == nil {
				p.count[0] = r.Data.SegmentPreview.Count
			}
			return nil
		})
		if err != nil {
			return fail(p.what, err)
		}
		*p.rawLat, err = b.sample(3, 100, func() error {
			n, err := p.coll.CountDocuments(ctx, p.filter)
			p.count[1] = n
			return err
		})
		if err != nil {
			return fail(p.what+" "+p.rawWhat, err)
		}
	}

	// (e) ingest through the app (ingestRecords over HTTP, batches of 1000) vs a raw
	// InsertMany of the same payloads: 70% new people, 30% known customers' e-mails.
	var recs []map[string]any
	var docs []any
	for k := range b.ingestN {
		email := fmt.Sprintf("new-%s-%d@example.net", phase, k)
		if k%10 < 3 {
			email = fmt.Sprintf("cust%d@example.com", (k*7907)%b.people)
		}
		pay := map[string]any{"email": email, "firstName": fmt.Sprint("Crm", k%53), "lastName": fmt.Sprint("Person", k%61), "tier": []string{"gold", "silver", "bronze"}[k%3]}
		id := fmt.Sprintf("%s-%d", phase, k)
		recs = append(recs, map[string]any{"externalId": id, "payload": pay})
		docs = append(docs, bson.M{"_id": "crm:" + id, "source": "crm", "payload": pay})
	}
	rawColl := b.db.Collection("bench_raw_" + phase)
	t0 := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		if _, err := rawColl.InsertMany(ctx, docs[i:min(i+1000, len(docs))], options.InsertMany().SetOrdered(false)); err != nil {
			return fail("raw insert", err)
		}
	}
	f.rawRate = float64(len(docs)) / time.Since(t0).Seconds()
	if _, err := b.settle(ctx); err != nil {
		return fail("segment membership", err)
	}
	t0 = time.Now()
	for i := 0; i < len(recs); i += 1000 {
		data, err := b.gql(ctx, scaleIngestQ, map[string]any{"s": "crm", "r": recs[i:min(i+1000, len(recs))]})
		if err != nil {
			return fail("ingestRecords", err)
		}
		var r struct {
			IngestRecords struct{ Created, Rejected int } `json:"ingestRecords"`
		}
		if err := json.Unmarshal(data, &r); err != nil || r.IngestRecords.Rejected > 0 {
			return fail("ingestRecords", fmt.Errorf("%v %s", err, data))
		}
	}
	f.ingestRate = float64(len(recs)) / time.Since(t0).Seconds()
	return f, nil
}

// ---------------------------------------------------------------- report

func (b *scaleBench) report(s, l scaleFigures, hwm int64) {
	w := b.out
	met, total := 0, 0
	verdict := func(ok bool) string {
		total++
		if ok {
			met++
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "\nsizes: small %d customers (%d profiles), large %d customers (%d profiles); growing took %s, settling before measuring %s / %s\n",
		s.customers, s.profiles, l.customers, l.profiles, l.build.Round(time.Second), s.settle.Round(100*time.Millisecond), l.settle.Round(100*time.Millisecond))
	fmt.Fprintf(w, "latencies are sequential requests over loopback HTTP (n = samples); p99 is the nearest rank, the maximum below 100 samples\n\n")
	fmt.Fprintf(w, "%-40s %12s %12s %8s  %-26s %s\n", "figure", "small", "large", "lg/sm", "target", "met (small/large, growth)")
	row := func(name string, sv, lv float64, unit string, growthTarget string, growthOK *bool, target string, ok []bool) {
		g := lv / sv
		var marks []string
		if len(ok) == 2 { // small and large
			marks = append(marks, verdict(ok[0])+"/"+verdict(ok[1]))
		}
		tg := target
		if growthTarget != "" {
			if tg != "" {
				tg += ", "
			}
			tg += growthTarget
			marks = append(marks, "growth "+verdict(*growthOK))
		}
		fmt.Fprintf(w, "%-40s %12s %12s %7.2fx  %-26s %s\n", name, num(sv, unit), num(lv, unit), g, tg, strings.Join(marks, " "))
	}
	lat := func(l latencies, p float64) float64 { return l.pct(p) }
	grow := func(sv, lv float64, up bool) *bool {
		ok := lv <= 1.5*sv
		if !up { // a rate: the large one at least 1/1.5 of the small one
			ok = lv*1.5 >= sv
		}
		return &ok
	}
	within := "lg/sm <= 1.5"
	rate := "lg/sm >= 0.67"
	fmt.Fprintf(w, "(a) Customer 360 (%d bytes, %d orders, %d tickets, %d segments)\n", l.profileSize, l.ordersSeen, l.ticketsSeen, l.segmentSeen)
	row(fmt.Sprintf("    360 query p50 (n=%d/%d)", len(s.q360), len(l.q360)), lat(s.q360, .5), lat(l.q360, .5), "ms", within, grow(lat(s.q360, .5), lat(l.q360, .5), true), "", nil)
	row("    360 query p99", lat(s.q360, .99), lat(l.q360, .99), "ms", within, grow(lat(s.q360, .99), lat(l.q360, .99), true), "", nil)
	row(fmt.Sprintf("    raw FindOne({_id}) p50 (n=%d/%d)", len(s.raw), len(l.raw)), lat(s.raw, .5), lat(l.raw, .5), "ms", "", nil, "", nil)
	row("    raw FindOne({_id}) p99", lat(s.raw, .99), lat(l.raw, .99), "ms", "", nil, "", nil)
	r360s, r360l := lat(s.q360, .99)/lat(s.raw, .99), lat(l.q360, .99)/lat(l.raw, .99)
	row("    360 p99 / raw p99", r360s, r360l, "x", "", nil, "<= 3x", []bool{r360s <= 3, r360l <= 3})
	fmt.Fprintf(w, "(b) search customers(query: exact e-mail, first: 20)\n")
	row(fmt.Sprintf("    search p50 (n=%d/%d)", len(s.search), len(l.search)), lat(s.search, .5), lat(l.search, .5), "ms", within, grow(lat(s.search, .5), lat(l.search, .5), true), "", nil)
	row("    search p99", lat(s.search, .99), lat(l.search, .99), "ms", within, grow(lat(s.search, .99), lat(l.search, .99), true), "< 50 ms",
		[]bool{lat(s.search, .99) < 50, lat(l.search, .99) < 50})
	fmt.Fprintf(w, "(c) requests/s at concurrency %d (2 x %s each, alternated)\n", b.conc, b.rpsFor)
	row("    { me { id } } (admin key)", s.me, l.me, "/s", rate, grow(s.me, l.me, false), "", nil)
	row("    GET /healthz", s.healthz, l.healthz, "/s", "", nil, "", nil)
	row("    me / healthz", s.me/s.healthz, l.me/l.healthz, "x", "", nil, ">= 0.5", []bool{s.me/s.healthz >= 0.5, l.me/l.healthz >= 0.5})
	fmt.Fprintf(w, "(d) segmentPreview (sample: 10) vs raw CountDocuments of the equivalent filter\n")
	for _, p := range []struct {
		name       string
		sv, lv     latencies
		sr, lr     latencies
		sc, lc     [2]int64
		rawFilter  string
		ruleString string
	}{
		{"trait", s.trait, l.trait, s.traitRaw, l.traitRaw, s.traitCount, l.traitCount, "profiles {traits.addresses.city, live}", `city EQ "City3"`},
		{"metric", s.metric, l.metric, s.metricRaw, l.metricRaw, s.metricCount, l.metricCount, "customer_metrics {orders $gte}", fmt.Sprintf("ORDERS GTE %d", b.ordersPer+2)},
	} {
		fmt.Fprintf(w, "    %s rule %s: counts %d / %d (preview), %d / %d (raw %s)%s\n", p.name, p.ruleString, p.sc[0], p.lc[0], p.sc[1], p.lc[1], p.rawFilter,
			map[bool]string{true: "", false: "  COUNTS DIFFER"}[p.sc[0] == p.sc[1] && p.lc[0] == p.lc[1]])
		row(fmt.Sprintf("    %s preview p50 (n=%d/%d)", p.name, len(p.sv), len(p.lv)), lat(p.sv, .5), lat(p.lv, .5), "ms", within, grow(lat(p.sv, .5), lat(p.lv, .5), true),
			"< 300 ms", []bool{lat(p.sv, .5) < 300, lat(p.lv, .5) < 300})
		row(fmt.Sprintf("    %s preview p99", p.name), lat(p.sv, .99), lat(p.lv, .99), "ms", "", nil, "", nil)
		row(fmt.Sprintf("    %s raw count p50 (n=%d/%d)", p.name, len(p.sr), len(p.lr)), lat(p.sr, .5), lat(p.lr, .5), "ms", "", nil, "", nil)
		rs, rl := lat(p.sv, .5)/lat(p.sr, .5), lat(p.lv, .5)/lat(p.lr, .5)
		row(fmt.Sprintf("    %s preview / raw count (p50)", p.name), rs, rl, "x", "", nil, "<= 1.5x", []bool{rs <= 1.5, rl <= 1.5})
	}
	fmt.Fprintf(w, "(e) ingest of %d records (30%% known e-mails), batches of 1000\n", b.ingestN)
	row("    ingestRecords through the app", s.ingestRate, l.ingestRate, "rec/s", rate, grow(s.ingestRate, l.ingestRate, false), "", nil)
	row("    raw InsertMany", s.rawRate, l.rawRate, "rec/s", "", nil, "", nil)
	row("    ingest / raw", s.ingestRate/s.rawRate, l.ingestRate/l.rawRate, "x", "", nil, ">= 0.25", []bool{s.ingestRate/s.rawRate >= 0.25, l.ingestRate/l.rawRate >= 0.25})
	fmt.Fprintf(w, "(f) peak RSS of the process (VmHWM) at the large size: %.0f MiB\n", float64(hwm)/(1<<20))
	fmt.Fprintf(w, "\n%d of %d targets met\n", met, total)
}

func num(v float64, unit string) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case unit == "x":
		return fmt.Sprintf("%.2fx", v)
	case unit == "ms" && v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case unit == "ms":
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}
