package retail

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// Sources of the demo data set.
const (
	ShopSource       = "webshop"
	NewsletterSource = "newsletter"
	SupportSource    = "support-desk"
)

// Deps are the services LoadDemo writes through.
type Deps struct {
	Ingest   *ingest.Service
	Commerce *commerce.Service
}

// Summary reports a LoadDemo run.
type Summary struct {
	Rows          int // CSV rows read
	Invoices      int
	Orders        int // customer orders and credit notes stored
	GuestOrders   int // invoices without a customer: stored without a profile
	Cancellations int // "C" invoices
	RoundedPrices int // unit prices below a penny, rounded half away from zero
	FoldedOrders  int // invoices of more than commerce.MaxLines lines, their tail folded into one line
	Customers     int
	Newsletter    int // generated newsletter records
	Support       int // generated support-desk records
	Merged        int // profiles merged by identity resolution
	Interactions  int // new interactions stored
	Redirected    int // profiles absorbed by a merge: their orders and interactions went to the survivor
	FirstAt       time.Time
	LastAt        time.Time // the data set's "now": use it as the clock for churn
	Elapsed       time.Duration
	// Phases is the time spent in each step (read, customers, people, follow, orders,
	// interactions), for telling where a slow load goes; PhasesCPU the CPU time the
	// process (the embedded database included) used in each.
	Phases, PhasesCPU map[string]time.Duration
}

// clock is a start of a phase: wall and process CPU time.
type clock struct {
	wall time.Time
	cpu  time.Duration
}

func now() clock { return clock{time.Now(), ProcessCPU()} }

func (s *Summary) timed(phase string, start clock) {
	if s.Phases == nil {
		s.Phases, s.PhasesCPU = map[string]time.Duration{}, map[string]time.Duration{}
	}
	s.Phases[phase] += time.Since(start.wall)
	s.PhasesCPU[phase] += ProcessCPU() - start.cpu
}

// batchOrders is the number of orders PutOrders gets at a time (more when one profile
// has more: a profile's orders go in one call, so its ledger buckets and metrics are
// written once for the whole file).
const batchOrders = 2000

// LoadDemo loads the retail file at path (gzip CSV): limitRows rows (≤ 0: all; the
// invoice in progress at the limit is read to its end). Customers become records of the
// webshop source, ingested in batches of at most 1000 so they resolve to profiles; then
// generated newsletter and support-desk records (with typos and shared e-mails, phones
// and customer numbers) make merged profiles appear. Only then are the invoices stored
// as orders (guest invoices without a profile) and the generated interactions added,
// each on the live profile its person ended up in, grouped by profile so that each
// profile's ledger and metrics are written about once. Re-running it is idempotent.
// progress, if set, gets records written and their total.
func LoadDemo(ctx context.Context, deps Deps, path string, limitRows int, progress func(done, total int)) (Summary, error) {
	start := time.Now()
	var sum Summary
	if err := ensureDemoSources(ctx, deps.Ingest); err != nil {
		return sum, err
	}
	t0 := now()
	invoices, customers, err := readInvoices(path, limitRows, &sum)
	sum.timed("read", t0)
	if err != nil {
		return sum, err
	}
	sum.Customers = len(customers)
	people := generatePeople(customers, sum.FirstAt)
	sum.Newsletter, sum.Support = len(people.news), len(people.support)
	total := len(customers) + len(people.news) + len(people.support) + len(invoices) + people.interactions(sum.FirstAt, sum.LastAt)
	done := 0
	step := func(n int) {
		done += n
		if progress != nil {
			progress(min(done, total), total)
		}
	}
	step(0)

	// Customers, in the order the file first names them, observed at their first invoice.
	t0 = now()
	var shop []ingest.Input
	for _, c := range customers {
		shop = append(shop, ingest.Input{ExternalID: c.id, ObservedAt: c.at, Payload: map[string]any{"customer_id": c.id, "country": c.country}})
	}
	shopPIDs, err := ingestAll(ctx, deps.Ingest, ShopSource, shop, &sum, step)
	sum.timed("customers", t0)
	if err != nil {
		return sum, err
	}
	t0 = now()
	newsPIDs, err := ingestAll(ctx, deps.Ingest, NewsletterSource, people.news, &sum, step)
	if err != nil {
		return sum, err
	}
	supportPIDs, err := ingestAll(ctx, deps.Ingest, SupportSource, people.support, &sum, step)
	sum.timed("people", t0)
	if err != nil {
		return sum, err
	}

	// Where each profile ended up after the merges.
	t0 = now()
	all := slices.Concat(shopPIDs, newsPIDs, supportPIDs)
	final, err := identity.Follow(ctx, identity.MergedOnly(deps.Commerce.Store.MergedInto), all)
	if err != nil {
		return sum, err
	}
	live := func(pid string) string {
		if f := final[pid]; f != "" && f != pid {
			return f
		}
		return pid
	}
	redirected := map[string]bool{}
	for _, p := range all {
		if live(p) != p {
			redirected[p] = true
		}
	}
	sum.Redirected = len(redirected)
	profileOf := map[string]string{}
	for i, c := range customers {
		profileOf[c.id] = live(shopPIDs[i])
	}
	sum.timed("follow", t0)

	// Orders, a profile's all in one call; guest orders in plain batches.
	t0 = now()
	byProfile := map[string][]commerce.Order{}
	var profiles []string
	var guests []commerce.Order
	for _, inv := range invoices {
		rec := ""
		if inv.CustomerID != "" {
			rec = ShopSource + ":" + inv.CustomerID
		}
		o := inv.Order(ShopSource, profileOf[inv.CustomerID], rec)
		if foldLines(&o) {
			sum.FoldedOrders++
		}
		o.TotalMinor, _ = o.LinesTotal() // beyond the bounds: 0, refused by PutOrders
		if inv.Cancellation() {
			sum.Cancellations++
		}
		if o.ProfileID == "" {
			guests = append(guests, o)
			sum.GuestOrders++
			continue
		}
		if _, seen := byProfile[o.ProfileID]; !seen {
			profiles = append(profiles, o.ProfileID)
		}
		byProfile[o.ProfileID] = append(byProfile[o.ProfileID], o)
		sum.Orders++
	}
	invoices = nil
	var batch []commerce.Order
	put := func(force bool) error {
		if len(batch) == 0 || !force && len(batch) < batchOrders {
			return nil
		}
		if _, err := deps.Commerce.PutOrders(ctx, batch); err != nil {
			return err
		}
		step(len(batch))
		batch = batch[:0]
		return nil
	}
	for _, p := range profiles {
		if len(batch)+len(byProfile[p]) > batchOrders {
			if err := put(true); err != nil {
				return sum, err
			}
		}
		batch = append(batch, byProfile[p]...)
		delete(byProfile, p)
	}
	for _, o := range guests {
		if err := put(false); err != nil {
			return sum, err
		}
		batch = append(batch, o)
	}
	if err := put(true); err != nil {
		return sum, err
	}
	sum.timed("orders", t0)

	// Interactions of the generated people, grouped by live profile.
	t0 = now()
	its := map[string][]commerce.Interaction{}
	var order []string
	add := func(pid string, is []commerce.Interaction) {
		if _, seen := its[pid]; !seen {
			order = append(order, pid)
		}
		its[pid] = append(its[pid], is...)
	}
	for i, c := range people.newsPeople {
		p := live(newsPIDs[i])
		add(p, newsletterEvents(c, p, sum.FirstAt, sum.LastAt))
	}
	for i, c := range people.supportPeople {
		p := live(supportPIDs[i])
		add(p, supportEvents(c, p, sum.FirstAt, sum.LastAt))
	}
	var ib []commerce.Interaction
	flushIts := func() error {
		if len(ib) == 0 {
			return nil
		}
		n, err := deps.Commerce.AddInteractions(ctx, ib)
		sum.Interactions += n
		step(len(ib))
		ib = ib[:0]
		return err
	}
	for _, p := range order {
		if len(ib) > 0 && len(ib)+len(its[p]) > 1000 {
			if err := flushIts(); err != nil {
				return sum, err
			}
		}
		ib = append(ib, its[p]...)
	}
	if err := flushIts(); err != nil {
		return sum, err
	}
	sum.timed("interactions", t0)
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// firstSeen is a customer as the file first names it.
type firstSeen struct {
	id, country string
	at          time.Time
}

// readInvoices reads the file's invoices (up to limitRows rows, ≤ 0: all), merging an
// invoice number the file splits, and its customers in first-seen order.
func readInvoices(path string, limitRows int, sum *Summary) ([]*Invoice, []firstSeen, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	rr, err := NewReader(gz)
	if err != nil {
		return nil, nil, err
	}
	var invoices []*Invoice
	byNo := map[string]*Invoice{}
	var customers []firstSeen
	seen := map[string]bool{}
	for limitRows <= 0 || sum.Rows < limitRows {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		sum.Rows += inv.Rows
		sum.RoundedPrices += inv.Rounded
		if sum.FirstAt.IsZero() || inv.At.Before(sum.FirstAt) {
			sum.FirstAt = inv.At
		}
		if inv.At.After(sum.LastAt) {
			sum.LastAt = inv.At
		}
		if c := inv.CustomerID; c != "" && !seen[c] {
			seen[c] = true
			customers = append(customers, firstSeen{id: c, country: inv.Country, at: inv.At})
		}
		// The file has one invoice whose lines are split around others: one order.
		if prev := byNo[inv.No]; prev != nil {
			prev.Lines = append(prev.Lines, inv.Lines...)
			prev.Rows += inv.Rows
			continue
		}
		byNo[inv.No] = inv
		invoices = append(invoices, inv)
	}
	sum.Invoices = len(invoices)
	return invoices, customers, nil
}

func ensureDemoSources(ctx context.Context, in *ingest.Service) error {
	srcs := []ingest.Source{
		{Name: ShopSource, Kind: "WEB_SHOP", Priority: 30, IdentifierFields: map[string]string{"customer_id": "customer_id"},
			TraitFields: map[string]string{"country": "attributes.country"}},
		{Name: NewsletterSource, Kind: "NEWSLETTER", Priority: 10, IdentifierFields: map[string]string{"email": "email"}},
		{Name: SupportSource, Kind: "SUPPORT_DESK", Priority: 20,
			IdentifierFields: map[string]string{"email": "email", "phone": "phone", "customer_no": "customer_id"}},
	}
	for _, s := range srcs {
		if _, err := in.Store.GetSource(ctx, s.Name); err == nil {
			continue
		}
		if _, err := in.CreateSource(ctx, s); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
	}
	return nil
}

// ingestAll ingests inputs of one source in batches of at most ingest.MaxBatch and
// returns the profile of each input.
func ingestAll(ctx context.Context, svc *ingest.Service, source string, in []ingest.Input, sum *Summary, step func(int)) ([]string, error) {
	var out []string
	for start := 0; start < len(in); start += ingest.MaxBatch {
		batch := in[start:min(start+ingest.MaxBatch, len(in))]
		res, err := svc.Ingest(ctx, source, batch, "")
		if err != nil {
			return nil, err
		}
		if len(res.Rejects) > 0 {
			return nil, fmt.Errorf("%s record %s rejected: %s", source, res.Rejects[0].ExternalID, res.Rejects[0].Reason)
		}
		sum.Merged += res.Merged
		out = append(out, res.ProfileIDs...)
		step(len(batch))
	}
	return out, nil
}

// foldLines keeps an order within commerce.MaxLines lines: the lines from the
// MaxLines-th on become one line of quantity 1 priced at their sum, so the total and the
// order count stay exact (the file has one such invoice: 573585, a guest's, 1,114 lines).
func foldLines(o *commerce.Order) bool {
	if len(o.Lines) <= commerce.MaxLines {
		return false
	}
	keep, rest := o.Lines[:commerce.MaxLines-1], o.Lines[commerce.MaxLines-1:]
	var sum int64
	for _, l := range rest {
		sum += l.AmountMinor()
	}
	o.Lines = append(slices.Clip(keep), commerce.Line{SKU: "FOLDED", Quantity: 1, UnitPriceMinor: sum,
		Description: fmt.Sprintf("%d more lines (an order holds at most %d)", len(rest), commerce.MaxLines)})
	return true
}

// person is the generated identity of one retail customer: the file has no names or
// e-mails, so they are derived from the customer id with a seeded generator.
type person struct {
	first, last, email, phone string
	rng                       *rand.Rand
}

var (
	firstNames = []string{"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Charlie", "Emily", "Thomas", "Sophie",
		"James", "Grace", "William", "Lily", "Noah", "Freya", "Henry", "Ella", "Léa", "Jürgen", "Siobhán", "Zoë", "François", "Ingrid"}
	lastNames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson",
		"Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Müller", "O'Brien", "Dubois", "Nørgaard"}
	domains = []string{"gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "hotmail.co.uk", "example.org"}
)

func personOf(customerID string) person {
	h := fnv.New64a()
	h.Write([]byte(customerID))
	rng := rand.New(rand.NewPCG(20101201, h.Sum64()))
	p := person{first: firstNames[rng.IntN(len(firstNames))], last: lastNames[rng.IntN(len(lastNames))], rng: rng}
	local := strings.ToLower(asciiFold(p.first) + "." + asciiFold(p.last))
	if rng.IntN(2) == 0 {
		local += fmt.Sprint(rng.IntN(90) + 10)
	}
	p.email = local + "@" + domains[rng.IntN(len(domains))]
	p.phone = fmt.Sprintf("07%d%02d %06d", []int{4, 5, 7, 8, 9}[rng.IntN(5)], rng.IntN(100), rng.IntN(1000000))
	return p
}

func asciiFold(s string) string {
	return strings.NewReplacer("é", "e", "ü", "u", "á", "a", "ë", "e", "ç", "c", "ø", "o", "'", "").Replace(s)
}

// typo makes one realistic slip: swapped, dropped or doubled letter.
func typo(rng *rand.Rand, s string) string {
	r := []rune(s)
	if len(r) < 3 {
		return s
	}
	i := 1 + rng.IntN(len(r)-2)
	switch rng.IntN(3) {
	case 0:
		r[i], r[i+1] = r[i+1], r[i]
	case 1:
		r = append(r[:i], r[i+1:]...)
	default:
		r = append(r[:i+1], r[i:]...)
	}
	return string(r)
}

// emailVariant spells the same mailbox differently (case, Gmail dots), which
// normalisation folds back into one identifier.
func emailVariant(rng *rand.Rand, e string) string {
	switch rng.IntN(4) {
	case 0:
		return strings.ToUpper(e[:1]) + e[1:]
	case 1:
		if local, dom, _ := strings.Cut(e, "@"); dom == "gmail.com" {
			return strings.ReplaceAll(local, ".", "") + "@googlemail.com"
		}
	}
	return e
}

// demoPeople are the generated newsletter and support-desk records and whose they are.
type demoPeople struct {
	news, support             []ingest.Input
	newsPeople, supportPeople []string // customer id of each record
}

// interactions is the number of interactions the people bring.
func (p demoPeople) interactions(from, to time.Time) int {
	n := 0
	for _, c := range p.newsPeople {
		n += len(newsletterEvents(c, "", from, to))
	}
	for _, c := range p.supportPeople {
		n += len(supportEvents(c, "", from, to))
	}
	return n
}

// generatePeople generates the newsletter (40% of customers: e-mail, first name) and
// support-desk (20%: name, the same e-mail, a phone and, for 70%, the customer number)
// records. A support record carrying the customer number and the e-mail merges the shop
// profile with the newsletter one; 8% of support e-mails carry a typo, which keeps them
// apart unless the customer number links them. Both sources bring interactions.
func generatePeople(customers []firstSeen, from time.Time) demoPeople {
	var out demoPeople
	for _, cs := range customers {
		c := cs.id
		p := personOf(c)
		if p.rng.Float64() < 0.4 {
			first := p.first
			if p.rng.Float64() < 0.2 {
				first = typo(p.rng, first)
			}
			out.news = append(out.news, ingest.Input{ExternalID: "nl-" + c, ObservedAt: from,
				Payload: map[string]any{"email": emailVariant(p.rng, p.email), "first_name": first, "locale": "en-GB"}})
			out.newsPeople = append(out.newsPeople, c)
		}
		if p.rng.Float64() < 0.2 {
			name := p.first + " " + p.last
			if p.rng.Float64() < 0.3 {
				name = typo(p.rng, name)
			}
			email := emailVariant(p.rng, p.email)
			if p.rng.Float64() < 0.08 {
				email = typo(p.rng, email)
			}
			phone := p.phone
			if p.rng.IntN(2) == 0 {
				phone = "+44 " + strings.TrimPrefix(phone, "0")
			}
			pay := map[string]any{"name": name, "email": email, "phone": phone}
			if p.rng.Float64() < 0.7 {
				pay["customer_no"] = c
			}
			out.support = append(out.support, ingest.Input{ExternalID: "sd-" + c, ObservedAt: from, Payload: pay})
			out.supportPeople = append(out.supportPeople, c)
		}
	}
	return out
}

func eventRNG(kind, c string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(kind + c))
	return rand.New(rand.NewPCG(7, h.Sum64()))
}

// newsletterEvents: up to four monthly campaigns from a random start; each is sent,
// opened with probability 0.45, then clicked with probability 0.35.
func newsletterEvents(c, profileID string, from, to time.Time) []commerce.Interaction {
	rng := eventRNG("nl", c)
	rec := NewsletterSource + ":nl-" + c
	var out []commerce.Interaction
	first := rng.IntN(13)
	for k := first; k < first+4; k++ {
		at := time.Date(from.Year(), from.Month(), from.Day(), 10, 0, 0, 0, time.UTC).AddDate(0, 0, 28*k)
		if at.After(to) {
			break
		}
		add := func(typ string, at time.Time) {
			out = append(out, commerce.Interaction{ID: fmt.Sprintf("%s:nl-%s-c%d-%s", NewsletterSource, c, k, typ), ProfileID: profileID, RecordID: rec,
				Channel: "email", Type: typ, At: at, Attributes: map[string]string{"campaign": fmt.Sprintf("campaign-%02d", k)}})
		}
		add("sent", at)
		if rng.Float64() < 0.45 {
			at = at.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
			add("opened", at)
			if rng.Float64() < 0.35 {
				add("clicked", at.Add(time.Duration(rng.IntN(10)+1)*time.Minute))
			}
		}
	}
	return out
}

// supportEvents: one to three contacts by e-mail, chat or phone, each followed by a reply.
func supportEvents(c, profileID string, from, to time.Time) []commerce.Interaction {
	rng := eventRNG("sd", c)
	rec := SupportSource + ":sd-" + c
	subjects := []string{"where is my order", "damaged item", "invoice copy", "change delivery address", "wholesale prices"}
	span := max(int64(to.Sub(from)/time.Minute), 1)
	var out []commerce.Interaction
	for k := range 1 + rng.IntN(3) {
		at := from.Add(time.Duration(rng.Int64N(span)) * time.Minute)
		channel := []string{"support", "chat", "email"}[rng.IntN(3)]
		attrs := map[string]string{"subject": subjects[rng.IntN(len(subjects))]}
		out = append(out,
			commerce.Interaction{ID: fmt.Sprintf("%s:sd-%s-%d-contact", SupportSource, c, k), ProfileID: profileID, RecordID: rec, Channel: channel, Type: "contact", At: at, Attributes: attrs},
			commerce.Interaction{ID: fmt.Sprintf("%s:sd-%s-%d-message", SupportSource, c, k), ProfileID: profileID, RecordID: rec, Channel: channel, Type: "message",
				At: at.Add(time.Duration(30+rng.IntN(600)) * time.Minute), Attributes: attrs})
	}
	return out
}
