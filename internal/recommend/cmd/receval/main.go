// Command receval measures the recommender on the UCI Online Retail data: it trains on the
// invoices before a cut-off date and scores each customer's next basket after it.
//
// A customer is evaluated when they bought at least one product before the cut-off and
// placed a purchase invoice on or after it; their next basket is the products of the first
// such invoice (earliest time, then file order). Charges (recommend.ServiceCode) are left
// out of training and of baskets. Two targets:
//
//   - new items: the basket's products the customer neither bought nor returned before the
//     cut-off; the recommenders exclude bought and returned products (as served);
//   - whole basket, repeats allowed: every basket product; the recommenders exclude only
//     returned products.
//
// Hit rate@k is the share of evaluated customers whose top k holds at least one target
// (customers without a new item count as misses); precision@k is the mean over evaluated
// customers of hits/k; recall@k the mean of hits/|target| over customers with a target.
//
//	go run ./internal/recommend/cmd/receval [-data path] [-cutoff 2011-09-09] [-k 10]
package main

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tessera-cdp/tessera/internal/recommend"
	"github.com/tessera-cdp/tessera/internal/retail"
)

func main() {
	data := flag.String("data", "../shared/data/retail/online_retail_2010-2011.csv.gz", "retail CSV (gzip if .gz); a relative path is tried from the working directory, then from the module root")
	cutoffS := flag.String("cutoff", "2011-09-09", "train on invoices before this date (UTC)")
	k := flag.Int("k", 10, "list length")
	flag.Parse()
	cutoff, err := time.Parse("2006-01-02", *cutoffS)
	if err == nil && *k <= 0 {
		err = errors.New("-k must be positive")
	}
	if err == nil {
		err = run(os.Stdout, resolve(*data), cutoff, *k)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "receval:", err)
		os.Exit(1)
	}
}

// resolve finds a relative path from the working directory or else from the directory of
// the nearest go.mod above it.
func resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			return filepath.Join(dir, path)
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
	}
	return path
}

func readOrders(path string) ([]recommend.Order, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		r = gz
	}
	rr, err := retail.NewReader(r)
	if err != nil {
		return nil, err
	}
	var orders []recommend.Order
	for {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return orders, nil
		}
		if err != nil {
			return nil, err
		}
		o := recommend.Order{Customer: inv.CustomerID, At: inv.At, Returned: inv.Cancellation()}
		for _, l := range inv.Lines {
			o.Lines = append(o.Lines, recommend.Line{Product: l.SKU, Name: l.Description, Quantity: l.Quantity})
		}
		orders = append(orders, o)
	}
}

// basket is the products bought in a purchase invoice, charges left out.
func basket(o recommend.Order) map[string]bool {
	b := map[string]bool{}
	if o.Returned {
		return b
	}
	for _, l := range o.Lines {
		if l.Quantity > 0 && l.Product != "" && !recommend.ServiceCode(l.Product) {
			b[l.Product] = true
		}
	}
	return b
}

type built struct {
	model *recommend.Model
	took  time.Duration
	heap  uint64 // heap retained by the model
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func build(train []recommend.Order, method recommend.Method) built {
	before := heapAlloc()
	start := time.Now()
	m := recommend.Build(slices.Values(train), recommend.Options{Method: method, Ignore: recommend.ServiceCode})
	took := time.Since(start)
	after := heapAlloc()
	runtime.KeepAlive(m)
	return built{model: m, took: took, heap: after - min(before, after)}
}

type recommender struct {
	name string
	top  func(h recommend.History) []recommend.Rec
}

func run(w io.Writer, path string, cutoff time.Time, k int) error {
	start := time.Now()
	orders, err := readOrders(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "data %s: %d invoices read in %v\n", path, len(orders), time.Since(start).Round(time.Millisecond))

	var train []recommend.Order
	next := map[string]int{} // customer → index of their first purchase invoice on or after the cut-off
	for i, o := range orders {
		if o.At.Before(cutoff) {
			train = append(train, o)
			continue
		}
		if o.Customer == "" || len(basket(o)) == 0 {
			continue
		}
		if j, ok := next[o.Customer]; !ok || o.At.Before(orders[j].At) {
			next[o.Customer] = i
		}
	}

	methods := []recommend.Method{recommend.NormalisedCosine, recommend.WeightedCosine, recommend.Cosine}
	models := make([]built, len(methods))
	for i, meth := range methods {
		models[i] = build(train, meth)
	}
	def := models[0].model

	// Evaluated customers, in id order.
	var custs []string
	for c := range next {
		if len(def.History(c).Bought) > 0 {
			custs = append(custs, c)
		}
	}
	slices.Sort(custs)

	popRank := map[string]int{}
	for i, r := range def.Query(recommend.History{}, recommend.Query{N: def.Stats().Products, PopularOnly: true}) {
		popRank[r.Product] = i
	}
	// Reference for repeat baskets: the customer's own products by orders bought in, then
	// by popularity.
	rebuy := func(h recommend.History) []recommend.Rec {
		var own []string
		for p := range h.Bought {
			if !h.Returned[p] {
				own = append(own, p)
			}
		}
		slices.SortFunc(own, func(a, b string) int {
			if h.Bought[a] != h.Bought[b] {
				return h.Bought[b] - h.Bought[a]
			}
			ra, okA := popRank[a]
			rb, okB := popRank[b]
			if okA != okB || ra != rb {
				if !okA {
					return 1
				}
				if !okB {
					return -1
				}
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		var recs []recommend.Rec
		for _, p := range own[:min(len(own), k)] {
			recs = append(recs, recommend.Rec{Product: p})
		}
		for _, r := range def.Query(h, recommend.Query{N: k, PopularOnly: true}) {
			if len(recs) == k {
				break
			}
			recs = append(recs, r)
		}
		return recs
	}

	var novel, repeat []recommender
	for i, meth := range methods {
		m := models[i].model
		name := fmt.Sprintf("co-purchase, %v, K=%d", meth, recommend.DefaultNeighbours)
		if i == 0 {
			name += " (served)"
		}
		novel = append(novel, recommender{name, func(h recommend.History) []recommend.Rec { return m.Recommend(h, k) }})
		repeat = append(repeat, recommender{name, func(h recommend.History) []recommend.Rec {
			return m.Query(h, recommend.Query{N: k, Repeats: true})
		}})
	}
	novel = append(novel, recommender{"popularity (distinct buyers)", func(h recommend.History) []recommend.Rec {
		return def.Query(h, recommend.Query{N: k, PopularOnly: true})
	}})
	repeat = append(repeat,
		recommender{"popularity (distinct buyers)", func(h recommend.History) []recommend.Rec {
			return def.Query(h, recommend.Query{N: k, PopularOnly: true, Repeats: true})
		}},
		recommender{"reference: own most re-bought, then popularity", rebuy})

	novelScores := make([]score, len(novel))
	repeatScores := make([]score, len(repeat))
	for i := range novelScores {
		novelScores[i].k = k
	}
	for i := range repeatScores {
		repeatScores[i].k = k
	}
	var basketItems, newItems, unseen, withNew int
	for _, c := range custs {
		h := def.History(c)
		b := basket(orders[next[c]])
		fresh := map[string]bool{}
		for p := range b {
			if h.Bought[p] == 0 && !h.Returned[p] {
				fresh[p] = true
				if _, ok := popRank[p]; !ok {
					unseen++
				}
			}
		}
		basketItems += len(b)
		newItems += len(fresh)
		if len(fresh) > 0 {
			withNew++
		}
		for i, r := range novel {
			top, co := ids(r.top(h))
			novelScores[i].add(top, co, fresh)
		}
		for i, r := range repeat {
			top, co := ids(r.top(h))
			repeatScores[i].add(top, co, b)
		}
	}

	trainCusts := def.Stats().Customers
	fmt.Fprintf(w, "cut-off %s: %d training invoices (%d customers), %d customers with a purchase on or after it\n",
		cutoff.Format("2006-01-02"), len(train), trainCusts, len(next))
	fmt.Fprintf(w, "evaluated: %d customers (bought before and after); %d of them with at least one new item in the next basket\n", len(custs), withNew)
	if len(custs) > 0 {
		fmt.Fprintf(w, "next baskets: %.1f products on average, %.1f%% of them bought before; %d new items, %d of those (%.1f%%) products no customer bought before the cut-off\n",
			float64(basketItems)/float64(len(custs)), 100*float64(basketItems-newItems)/float64(basketItems), newItems, unseen, 100*float64(unseen)/float64(max(newItems, 1)))
	}

	fmt.Fprintf(w, "\nmodels (built from the training invoices; heap retained after GC):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tbuild\theap MB\tproducts\tcustomers\thistory pairs\tneighbour entries\t")
	for i, b := range models {
		s := b.model.Stats()
		fmt.Fprintf(tw, "%v\t%v\t%.1f\t%d\t%d\t%d\t%d\t\n", methods[i], b.took.Round(time.Millisecond), float64(b.heap)/(1<<20), s.Products, s.Customers, s.Pairs, s.Neighbours)
	}
	tw.Flush()
	incremental(w, train, def, custs, k)

	table := func(title, target string, rs []recommender, ss []score) {
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "recommender\tcustomers\twith %s\tHR@%d\t±95%%\tP@%d\tR@%d\tco-purchase slots\n", target, k, k, k)
		for i, r := range rs {
			s := &ss[i]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.1f%%\n", r.name, s.customers, s.withT, s.hitRate(), s.halfWidth(), s.precision(), s.recall(),
				100*ratio(float64(s.fromCoPurchase), s.slots))
		}
		tw.Flush()
	}
	table("new items (bought and returned products excluded from the lists and the target):", "new item", novel, novelScores)
	table("whole next basket, repeats allowed (only returned products excluded):", "basket", repeat, repeatScores)
	fmt.Fprintf(w, "HR = share of all evaluated customers with a target in the top %d; P = mean hits/%d over them; R = mean hits/|target| over those with a target;\n±95%% = 1.96·√(HR(1−HR)/customers), the normal-approximation interval of one hit rate.\n", k, k)

	if len(custs) > 0 {
		c := custs[0]
		fmt.Fprintf(w, "\nexample, customer %s (%d products bought before the cut-off):\n", c, len(def.History(c).Bought))
		for i, r := range def.ForCustomer(c, min(k, 5)) {
			fmt.Fprintf(w, "  %d. %s %s (%.3f): %s\n", i+1, r.Product, r.Name, r.Score, r.Reason)
		}
	}
	return nil
}

func ids(recs []recommend.Rec) ([]string, int) {
	out := make([]string, len(recs))
	co := 0
	for i, r := range recs {
		out[i] = r.Product
		if r.Kind == recommend.KindCoPurchase {
			co++
		}
	}
	return out, co
}

// incremental times the served method kept up to date by Add, with one Refresh at the
// end and with a Refresh after each week of invoices, and compares the latter with a full
// build (rows left clean keep their neighbours' earlier norms).
func incremental(w io.Writer, train []recommend.Order, full *recommend.Model, custs []string, k int) {
	opt := recommend.Options{Ignore: recommend.ServiceCode}
	m := recommend.New(opt)
	start := time.Now()
	for _, o := range train {
		m.Add(o)
	}
	added := time.Since(start)
	m.Refresh()
	fmt.Fprintf(w, "incremental (served method): Add of %d invoices %v, then one Refresh %v\n", len(train), added.Round(time.Millisecond), (time.Since(start) - added).Round(time.Millisecond))

	m = recommend.New(opt)
	var refreshes, dirty int
	var refreshing, worst time.Duration
	for i, o := range train {
		m.Add(o)
		if i+1 == len(train) || week(o.At) != week(train[i+1].At) {
			dirty += m.Stats().Dirty
			s := time.Now()
			m.Refresh()
			d := time.Since(s)
			refreshing += d
			worst = max(worst, d)
			refreshes++
		}
	}
	same := 0
	for _, c := range custs {
		a, _ := ids(m.ForCustomer(c, k))
		b, _ := ids(full.ForCustomer(c, k))
		if slices.Equal(a, b) {
			same++
		}
	}
	fmt.Fprintf(w, "weekly: %d Refreshes (one per week of invoices), %.0f of %d rows dirty on average, %v in all, the longest %v; top-%d lists equal to a full build for %d of %d evaluated customers\n",
		refreshes, float64(dirty)/float64(refreshes), full.Stats().Products, refreshing.Round(time.Millisecond), worst.Round(time.Millisecond), k, same, len(custs))
}

func week(t time.Time) [2]int {
	y, w := t.ISOWeek()
	return [2]int{y, w}
}
