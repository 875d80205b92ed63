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
	Customers     int
	Newsletter    int // generated newsletter records
	Support       int // generated support-desk records
	Merged        int // profiles merged by identity resolution
	Interactions  int // new interactions stored
	Reconciled    int // absorbed profiles whose orders and interactions were moved
	FirstAt       time.Time
	LastAt        time.Time // the data set's "now": use it as the clock for churn
	Elapsed       time.Duration
}

// chunkInvoices bounds the invoices held before they are written.
const chunkInvoices = 1000

// LoadDemo loads the retail file at path (gzip CSV): limitRows rows (≤ 0: all; the
// invoice in progress at the limit is read to its end). Customers become records of the
// webshop source, ingested in batches of at most 1000 so they resolve to profiles; their
// invoices become orders in bulk; guest invoices are kept without a profile. Then
// generated newsletter and support-desk records (with typos and shared e-mails, phones
// and customer numbers) and their interactions make merged profiles appear, and
// Reconcile moves orders of absorbed profiles to the survivors. Re-running it is
// idempotent. progress, if set, gets rows done and the expected total.
func LoadDemo(ctx context.Context, deps Deps, path string, limitRows int, progress func(done, total int)) (Summary, error) {
	start := time.Now()
	var sum Summary
	if err := ensureDemoSources(ctx, deps.Ingest); err != nil {
		return sum, err
	}
	total := limitRows
	if total <= 0 {
		n, err := countRows(path)
		if err != nil {
			return sum, err
		}
		total = n
	}
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return sum, fmt.Errorf("%s: %w", path, err)
	}
	rr, err := NewReader(gz)
	if err != nil {
		return sum, err
	}
	profileOf := map[string]string{} // customer id -> profile id
	var customers []string
	var chunk []*Invoice
	flush := func() error {
		if err := loadChunk(ctx, deps, chunk, profileOf, &customers, &sum); err != nil {
			return err
		}
		chunk = chunk[:0]
		if progress != nil {
			progress(min(sum.Rows, total), total)
		}
		return nil
	}
	for limitRows <= 0 || sum.Rows < limitRows {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		sum.Rows += inv.Rows
		sum.Invoices++
		sum.RoundedPrices += inv.Rounded
		if sum.FirstAt.IsZero() || inv.At.Before(sum.FirstAt) {
			sum.FirstAt = inv.At
		}
		if inv.At.After(sum.LastAt) {
			sum.LastAt = inv.At
		}
		chunk = append(chunk, inv)
		if len(chunk) == chunkInvoices {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if err := flush(); err != nil {
		return sum, err
	}
	sum.Customers = len(customers)
	if err := loadPeople(ctx, deps, customers, profileOf, sum.FirstAt, sum.LastAt, &sum); err != nil {
		return sum, err
	}
	n, err := deps.Commerce.Reconcile(ctx)
	sum.Reconciled = n
	sum.Elapsed = time.Since(start)
	return sum, err
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

func countRows(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	rr, err := NewReader(gz)
	if err != nil {
		return 0, err
	}
	for {
		if _, err := rr.Next(); errors.Is(err, io.EOF) {
			return rr.Rows, nil
		} else if err != nil {
			return 0, err
		}
	}
}

// ingestAll ingests inputs of one source in batches of at most ingest.MaxBatch and
// returns the profile of each input.
func ingestAll(ctx context.Context, svc *ingest.Service, source string, in []ingest.Input, sum *Summary) ([]string, error) {
	var out []string
	for start := 0; start < len(in); start += ingest.MaxBatch {
		res, err := svc.Ingest(ctx, source, in[start:min(start+ingest.MaxBatch, len(in))], "")
		if err != nil {
			return nil, err
		}
		if len(res.Rejects) > 0 {
			return nil, fmt.Errorf("%s record %s rejected: %s", source, res.Rejects[0].ExternalID, res.Rejects[0].Reason)
		}
		sum.Merged += res.Merged
		out = append(out, res.ProfileIDs...)
	}
	return out, nil
}

func loadChunk(ctx context.Context, deps Deps, chunk []*Invoice, profileOf map[string]string, customers *[]string, sum *Summary) error {
	var in []ingest.Input
	var newIDs []string
	for _, inv := range chunk {
		c := inv.CustomerID
		if _, known := profileOf[c]; c == "" || known || slices.Contains(newIDs, c) {
			continue
		}
		newIDs = append(newIDs, c)
		in = append(in, ingest.Input{ExternalID: c, ObservedAt: inv.At, Payload: map[string]any{"customer_id": c, "country": inv.Country}})
	}
	pids, err := ingestAll(ctx, deps.Ingest, ShopSource, in, sum)
	if err != nil {
		return err
	}
	for i, c := range newIDs {
		profileOf[c] = pids[i]
	}
	*customers = append(*customers, newIDs...)
	// An invoice number seen twice in a chunk (the file has one split invoice) is one order.
	byNo := map[string]int{}
	var orders []commerce.Order
	for _, inv := range chunk {
		rec := ""
		if inv.CustomerID != "" {
			rec = ShopSource + ":" + inv.CustomerID
		}
		o := inv.Order(ShopSource, profileOf[inv.CustomerID], rec)
		if i, seen := byNo[inv.No]; seen {
			orders[i].Lines = append(orders[i].Lines, o.Lines...)
			orders[i].TotalMinor, _ = orders[i].LinesTotal() // beyond the bounds: 0, refused by PutOrders
			continue
		}
		byNo[inv.No] = len(orders)
		orders = append(orders, o)
		if inv.Cancellation() {
			sum.Cancellations++
		}
	}
	_, err = deps.Commerce.PutOrders(ctx, orders)
	for _, o := range orders {
		if o.ProfileID == "" {
			sum.GuestOrders++
		} else {
			sum.Orders++
		}
	}
	return err
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

// loadPeople generates the newsletter (40% of customers: e-mail, first name) and
// support-desk (20%: name, the same e-mail, a phone and, for 70%, the customer number)
// records. A support record carrying the customer number and the e-mail merges the shop
// profile with the newsletter one; 8% of support e-mails carry a typo, which keeps them
// apart unless the customer number links them. Both sources bring interactions.
func loadPeople(ctx context.Context, deps Deps, customers []string, profileOf map[string]string, from, to time.Time, sum *Summary) error {
	var news, support []ingest.Input
	var newsPeople, supportPeople []string
	for _, c := range customers {
		p := personOf(c)
		if p.rng.Float64() < 0.4 {
			first := p.first
			if p.rng.Float64() < 0.2 {
				first = typo(p.rng, first)
			}
			news = append(news, ingest.Input{ExternalID: "nl-" + c, ObservedAt: from,
				Payload: map[string]any{"email": emailVariant(p.rng, p.email), "first_name": first, "locale": "en-GB"}})
			newsPeople = append(newsPeople, c)
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
			support = append(support, ingest.Input{ExternalID: "sd-" + c, ObservedAt: from, Payload: pay})
			supportPeople = append(supportPeople, c)
		}
	}
	newsPIDs, err := ingestAll(ctx, deps.Ingest, NewsletterSource, news, sum)
	if err != nil {
		return err
	}
	supportPIDs, err := ingestAll(ctx, deps.Ingest, SupportSource, support, sum)
	if err != nil {
		return err
	}
	sum.Newsletter, sum.Support = len(news), len(support)
	var its []commerce.Interaction
	for i, c := range newsPeople {
		its = append(its, newsletterEvents(c, newsPIDs[i], from, to)...)
	}
	for i, c := range supportPeople {
		its = append(its, supportEvents(c, supportPIDs[i], from, to)...)
	}
	for start := 0; start < len(its); start += 1000 {
		n, err := deps.Commerce.AddInteractions(ctx, its[start:min(start+1000, len(its))])
		if err != nil {
			return err
		}
		sum.Interactions += n
	}
	return nil
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
