package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// Issue 16: e-mail campaigns, sent over real SMTP (a go-smtp server on loopback with
// STARTTLS and authentication), opened, clicked, unsubscribed and converted, with the
// report's uplift against its holdout checked against an independent computation.

const campaignFields = `id name state planned links startedAt finishedAt lastError scheduledAt scheduledLocal timeZone`

func campaignServer(t *testing.T, o app.Options) (*srv, *mailtest.Server) {
	t.Helper()
	relay := mailtest.Start(t)
	o.Mail = relay.Config("Shop <news@shop.example>")
	s := newServerWith(t, testdb.DB(t), o)
	s.a.Campaigns.PublicURL = s.url
	return s, relay
}

// person is a customer of the campaign tests.
type person struct {
	no      int
	id      string
	first   string
	email   string
	consent bool
}

// seedPeopleWithConsent ingests n people on the shop source (record shop:p<no>) and
// grants marketing e-mail consent to those for whom consent(no) holds.
func seedPeopleWithConsent(t *testing.T, s *srv, n int, first func(int) string, consent func(int) bool) []person {
	t.Helper()
	s.ok(adminKey, shopSource, nil)
	var recs []any
	for i := range n {
		pay := map[string]any{"email": fmt.Sprintf("p%d@example.com", i)}
		if f := first(i); f != "" {
			pay["firstName"] = f
		}
		recs = append(recs, map[string]any{"externalId": fmt.Sprintf("p%d", i), "payload": pay})
	}
	ids := get(s.ok(adminKey, ingestQ, map[string]any{"recs": recs}), "ingestRecords", "profileIds").([]any)
	ps := make([]person, n)
	for i := range n {
		ps[i] = person{no: i, id: ids[i].(string), first: first(i), email: fmt.Sprintf("p%d@example.com", i), consent: consent(i)}
		if ps[i].consent {
			s.ok(adminKey, `mutation($c: ID!) { setConsent(customer: $c, channel: EMAIL, purpose: MARKETING, status: GRANTED, source: "web form") { customerId } }`,
				map[string]any{"c": ps[i].id})
		}
	}
	return ps
}

// everyoneSegment saves a segment of every customer with an e-mail address.
func everyoneSegment(t *testing.T, s *srv, n int) string {
	t.Helper()
	s.flushSegments()
	d := s.ok(adminKey, `mutation { createSegment(input: {name: "Everyone", rule: {identifier: {type: "email"}}}) { id memberCount } }`, nil)
	if got := get(d, "createSegment", "memberCount"); got != float64(n) {
		t.Fatalf("segment members %v, want %d", got, n)
	}
	return get(d, "createSegment", "id").(string)
}

// inHoldout is the holdout assignment computed here, independently of the package: the
// first 53 bits of SHA-256(campaign NUL customer) as a fraction below the share.
func inHoldout(campaignID, profileID string, percent float64) bool {
	h := sha256.Sum256([]byte(campaignID + "\x00" + profileID))
	return float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < percent/100
}

var (
	clickRe = regexp.MustCompile(`href="([^"]*/c/[^"]+)"`)
	openRe  = regexp.MustCompile(`src="([^"]*/o/[^"]+\.gif)"`)
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func consentStatus(t *testing.T, s *srv, id string) any {
	t.Helper()
	d := s.ok(adminKey, `query($id: ID!) { customer(id: $id) { consent { states { channel purpose status } } } }`, map[string]any{"id": id})
	for _, st := range get(d, "customer", "consent", "states").([]any) {
		if get(st, "channel") == "EMAIL" && get(st, "purpose") == "MARKETING" {
			return get(st, "status")
		}
	}
	return nil
}

const reportQ = `query($id: ID!) { campaignReport(id: $id) { planned pending heldOut suppressed suppressedBy { reason count } sent failed unconfirmed
	delivered bounced complained opened clicked unsubscribed attributionFrom attributionTo
	treated { customers converted conversionRate revenue { amountMinor currency } }
	holdout { customers converted conversionRate revenue { amountMinor currency } }
	uplift { difference low high relative z pValue significant } } }`

// expectedUplift is the two-proportion comparison written out here: difference, 95%
// interval with the unpooled standard error, z and p with the pooled one.
func expectedUplift(x1, n1, x0, n0 int) (d, low, high, z, p float64) {
	p1, p0 := float64(x1)/float64(n1), float64(x0)/float64(n0)
	d = p1 - p0
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p0*(1-p0)/float64(n0))
	pool := float64(x1+x0) / float64(n1+n0)
	sp := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n0)))
	z = d / sp
	// Two-sided p from the standard normal: 2 (1 - Φ(|z|)), Φ(x) = (1 + erf(x/√2)) / 2.
	p = 2 * (1 - 0.5*(1+math.Erf(math.Abs(z)/math.Sqrt2)))
	return d, d - 1.96*se, d + 1.96*se, z, p
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-3*math.Max(1, math.Abs(b)) }

func TestCampaignSendOpenClickConvert(t *testing.T) {
	s, relay := campaignServer(t, app.Options{})
	const n = 40
	first := func(i int) string {
		switch {
		case i%10 == 3:
			return "" // the greeting falls back to the campaign's default
		case i == 5:
			return `Zoë <b>&"`
		}
		return fmt.Sprintf("Ann%d", i)
	}
	people := seedPeopleWithConsent(t, s, n, first, func(i int) bool { return i%10 != 7 })
	seg := everyoneSegment(t, s, n)

	in := map[string]any{"name": "Spring sale", "segmentId": seg, "holdoutPercent": 30, "attributionDays": 7,
		"defaults": []any{map[string]any{"placeholder": "customer.firstName", "value": "friend"}},
		"subject":  "Hello {{customer.firstName}}, our sale",
		"html": `<html><body><p>Hello {{customer.firstName}},</p><p><a href="https://shop.example/sale?utm=mail">Sale</a> ` +
			`<a href='https://shop.example/new'>New</a> <a href="mailto:help@shop.example">help</a></p></body></html>`,
		"text": "Hello {{customer.firstName}},\nSale: https://shop.example/sale\n"}
	// Unknown placeholders and ones that can be empty without a default are refused.
	bad := map[string]any{}
	for k, v := range in {
		bad[k] = v
	}
	bad["subject"] = "Hi {{customer.nickname}}"
	s.code(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": bad}, "BAD_USER_INPUT")
	bad["subject"] = "Hi {{customer.lastName}}"
	s.code(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": bad}, "BAD_USER_INPUT")

	agent := s.newKey("AGENT")
	s.code(agent, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": in}, "FORBIDDEN")
	c := get(s.ok(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { `+campaignFields+` } }`, map[string]any{"in": in}), "createCampaign")
	cid := get(c, "id").(string)
	if get(c, "state") != "DRAFT" || len(get(c, "links").([]any)) != 2 {
		t.Fatalf("created: %v", c)
	}

	// Preview: personalisation, HTML escaping, fallback.
	pv := get(s.ok(adminKey, `query($c: ID!, $p: ID!) { previewCampaign(campaign: $c, customer: $p) { subject html text } }`,
		map[string]any{"c": cid, "p": people[5].id}), "previewCampaign")
	if get(pv, "subject") != `Hello Zoë <b>&", our sale` || !strings.Contains(get(pv, "html").(string), "Hello Zoë &lt;b&gt;&amp;&#34;,") {
		t.Fatalf("preview of an awkward name: %v", pv)
	}
	pv = get(s.ok(adminKey, `query($c: ID!, $p: ID!) { previewCampaign(campaign: $c, customer: $p) { subject text } }`,
		map[string]any{"c": cid, "p": people[3].id}), "previewCampaign")
	if get(pv, "subject") != "Hello friend, our sale" || !strings.HasPrefix(get(pv, "text").(string), "Hello friend,\n") {
		t.Fatalf("preview without a first name: %v", pv)
	}

	// A test send goes to the address given, marked, and its links record nothing.
	ts := s.ok(adminKey, `mutation($c: ID!, $p: ID) { sendTestCampaign(campaign: $c, to: "qa@shop.example", customer: $p) { messageId } }`,
		map[string]any{"c": cid, "p": people[0].id})
	test := relay.WaitFor(t, 1)[0]
	if test.To[0] != "qa@shop.example" || test.Subject != "[Test] Hello Ann0, our sale" ||
		test.Header.Get("Message-Id") != "<"+get(ts, "sendTestCampaign", "messageId").(string)+">" {
		t.Fatalf("test message: %v %v", test.To, test.Header)
	}
	if code, _, _ := fetch(t, "GET", openRe.FindStringSubmatch(test.HTML)[1], ""); code != 200 {
		t.Fatalf("test pixel: %d", code)
	}

	// Only an admin sends.
	s.code(agent, `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": cid}, "FORBIDDEN")
	s.code(s.newKey("ANALYST"), `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": cid}, "FORBIDDEN")
	started := get(s.ok(adminKey, `mutation($c: ID!) { sendCampaignNow(id: $c) { `+campaignFields+` } }`, map[string]any{"c": cid}), "sendCampaignNow")
	if get(started, "state") != "SENDING" {
		t.Fatalf("started: %v", started)
	}
	if err := s.a.Campaigns.Wait(context.Background(), cid); err != nil {
		t.Fatal(err)
	}
	done := get(s.ok(adminKey, `query($c: ID!) { campaign(id: $c) { `+campaignFields+` } }`, map[string]any{"c": cid}), "campaign")
	if get(done, "state") != "SENT" || get(done, "planned") != float64(n) {
		t.Fatalf("after the send: %v", done)
	}

	// Who got what: the eligible outside the holdout, once each; nobody else.
	var treated, holdout []person
	for _, p := range people {
		switch {
		case !p.consent:
		case inHoldout(cid, p.id, 30):
			holdout = append(holdout, p)
		default:
			treated = append(treated, p)
		}
	}
	if len(treated) < 10 || len(holdout) < 5 {
		t.Fatalf("treated %d, holdout %d: too few to compare", len(treated), len(holdout))
	}
	msgs := map[string]mailtest.Received{}
	for _, m := range relay.Messages()[1:] {
		if _, dup := msgs[m.To[0]]; dup {
			t.Fatalf("%s got the campaign twice", m.To[0])
		}
		msgs[m.To[0]] = m
	}
	if len(msgs) != len(treated) {
		t.Fatalf("%d recipients, want %d", len(msgs), len(treated))
	}
	for _, p := range treated {
		m, ok := msgs[p.email]
		if !ok {
			t.Fatalf("%s (treated) got nothing", p.email)
		}
		greet := p.first
		if greet == "" {
			greet = "friend"
		}
		h := m.Header
		if m.Subject != "Hello "+greet+", our sale" || h.Get("Message-Id") != "<"+cid+"."+p.id+"@shop.example>" ||
			!strings.HasPrefix(h.Get("List-Unsubscribe"), "<"+s.url+"/u/") || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
			!m.TLS || m.User != mailtest.Username || m.From != "news@shop.example" {
			t.Fatalf("message to %s: tls %v user %q from %q headers %v", p.email, m.TLS, m.User, m.From, h)
		}
		if !strings.HasPrefix(m.Text, "Hello "+greet+",\n") || !strings.Contains(m.Text, "Unsubscribe: "+s.url+"/u/") {
			t.Fatalf("text to %s: %q", p.email, m.Text)
		}
		if links := clickRe.FindAllStringSubmatch(m.HTML, -1); len(links) != 2 || !strings.Contains(m.HTML, `href="mailto:help@shop.example"`) ||
			!openRe.MatchString(m.HTML) || !strings.Contains(m.HTML, `/u/`) {
			t.Fatalf("html to %s: %s", p.email, m.HTML)
		}
	}
	for _, p := range append(slices.Clone(holdout), people[7], people[17]) {
		if _, ok := msgs[p.email]; ok {
			t.Fatalf("%s (holdout or without consent) got the campaign", p.email)
		}
	}

	// Opens (pixel) and clicks (signed redirects to the campaign's own links).
	opened, clicked := map[string]bool{}, map[string]bool{}
	for _, p := range treated[:6] {
		code, h, _ := fetch(t, "GET", openRe.FindStringSubmatch(msgs[p.email].HTML)[1], "")
		if code != 200 || h.Get("Content-Type") != "image/gif" {
			t.Fatalf("pixel: %d %v", code, h)
		}
		fetch(t, "GET", openRe.FindStringSubmatch(msgs[p.email].HTML)[1], "") // a second open counts once
		opened[p.id] = true
	}
	for _, p := range treated[4:9] {
		link := clickRe.FindStringSubmatch(msgs[p.email].HTML)[1]
		code, h, _ := fetch(t, "GET", link, "")
		if code != http.StatusFound || h.Get("Location") != "https://shop.example/sale?utm=mail" {
			t.Fatalf("click: %d %v", code, h)
		}
		opened[p.id], clicked[p.id] = true, true
	}
	pixel := openRe.FindStringSubmatch(msgs[treated[0].email].HTML)[1]
	tok := strings.TrimSuffix(pixel[strings.LastIndex(pixel, "/")+1:], ".gif")
	for _, u := range []string{s.url + "/c/" + tok, s.url + "/c/garbage", s.url + "/c/" + tok[:len(tok)-2] + "xx"} {
		if code, _, _ := fetch(t, "GET", u, ""); code != http.StatusNotFound {
			t.Fatalf("forged click %s: %d", u, code)
		}
	}

	// Unsubscribe: the page asks, the one-click POST (RFC 8058) withdraws consent.
	leaver := treated[9]
	unsub := strings.Trim(msgs[leaver.email].Header.Get("List-Unsubscribe"), "<>")
	if code, _, body := fetch(t, "GET", unsub, ""); code != 200 || !strings.Contains(body, `<form method="post">`) || consentStatus(t, s, leaver.id) != "GRANTED" {
		t.Fatalf("unsubscribe page: %d %s", code, body)
	}
	for range 2 {
		if code, _, body := fetch(t, "POST", unsub, "List-Unsubscribe=One-Click"); code != 200 || !strings.Contains(body, "unsubscribed") {
			t.Fatalf("one-click unsubscribe: %d %s", code, body)
		}
	}
	if st := consentStatus(t, s, leaver.id); st != "WITHDRAWN" {
		t.Fatalf("consent after unsubscribing: %v", st)
	}

	// Orders: counted ones in the window convert; one before the send, a cancelled one
	// and a guest order do not.
	start, _ := time.Parse(time.RFC3339, get(done, "startedAt").(string))
	at := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339) }
	order := func(ext string, p person, status string, pence int, when string) map[string]any {
		return map[string]any{"externalId": ext, "customer": map[string]any{"recordId": fmt.Sprintf("shop:p%d", p.no)}, "status": status,
			"currency": "GBP", "placedAt": when, "lines": []any{map[string]any{"sku": "A", "quantity": 1, "unitPrice": fmt.Sprintf("%d.%02d", pence/100, pence%100)}}}
	}
	orders := []any{
		order("o1", treated[0], "PAID", 1000, at(time.Hour)),
		order("o2", treated[1], "PLACED", 2550, at(2*time.Hour)),
		order("o3", treated[2], "SHIPPED", 499, at(24*time.Hour)),
		order("o4", treated[3], "PAID", 700, at(-24*time.Hour)),  // before the send
		order("o5", treated[5], "CANCELLED", 900, at(time.Hour)), // not counted
		order("o6", holdout[0], "PAID", 1200, at(3*time.Hour)),
		order("o7", treated[0], "PAID", 300, at(4*time.Hour)), // a second order: one conversion
	}
	s.ok(adminKey, ordersQ, map[string]any{"s": "shop", "o": orders})
	revenue := map[string]int{treated[0].id: 1300, treated[1].id: 2550, treated[2].id: 499, holdout[0].id: 1200}

	// The independent computation: units are live customers.
	expect := func(live map[string]string) (nt, ct, rt, nh, ch, rh int) {
		if live == nil {
			live = map[string]string{}
		}
		unit := func(id string) string {
			if l := live[id]; l != "" {
				return l
			}
			return id
		}
		tset, hset, conv, rev := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]int{}
		for _, p := range treated {
			tset[unit(p.id)] = true
		}
		for _, p := range holdout {
			if !tset[unit(p.id)] {
				hset[unit(p.id)] = true
			}
		}
		for id, r := range revenue {
			conv[unit(id)] = true
			rev[unit(id)] += r
		}
		for u := range tset {
			nt++
			if conv[u] {
				ct++
				rt += rev[u]
			}
		}
		for u := range hset {
			nh++
			if conv[u] {
				ch++
				rh += rev[u]
			}
		}
		return
	}
	checkReport := func(label string, live map[string]string) {
		t.Helper()
		r := get(s.ok(adminKey, reportQ, map[string]any{"id": cid}), "campaignReport")
		want := map[string]float64{"planned": n, "pending": 0, "heldOut": float64(len(holdout)), "suppressed": 4, "sent": float64(len(treated)),
			"failed": 0, "unconfirmed": 0, "delivered": float64(len(treated)), "bounced": 0, "opened": float64(len(opened)),
			"clicked": float64(len(clicked)), "unsubscribed": 1}
		for k, v := range want {
			if get(r, k) != v {
				t.Errorf("%s: %s = %v, want %v", label, k, get(r, k), v)
			}
		}
		if by := get(r, "suppressedBy").([]any); len(by) != 1 || get(by[0], "reason") != "no consent" || get(by[0], "count") != 4.0 {
			t.Errorf("%s: suppressedBy %v", label, by)
		}
		nt, ct, rt, nh, ch, rh := expect(live)
		for g, w := range map[string][3]int{"treated": {nt, ct, rt}, "holdout": {nh, ch, rh}} {
			grp := get(r, g)
			if get(grp, "customers") != float64(w[0]) || get(grp, "converted") != float64(w[1]) || !near(get(grp, "conversionRate").(float64), float64(w[1])/float64(w[0])) {
				t.Errorf("%s: %s %v, want %v", label, g, grp, w)
			}
			rev := get(grp, "revenue").([]any)
			if len(rev) != 1 || get(rev[0], "amountMinor") != float64(w[2]) || get(rev[0], "currency") != "GBP" {
				t.Errorf("%s: %s revenue %v, want %d", label, g, rev, w[2])
			}
		}
		d, low, high, z, p := expectedUplift(ct, nt, ch, nh)
		u := get(r, "uplift")
		if !near(get(u, "difference").(float64), d) || !near(get(u, "low").(float64), low) || !near(get(u, "high").(float64), high) ||
			!near(get(u, "z").(float64), z) || !near(get(u, "pValue").(float64), p) || get(u, "significant") != (p < 0.05) ||
			!near(get(u, "relative").(float64), d/(float64(ch)/float64(nh))) {
			t.Errorf("%s: uplift %v, want d %v [%v, %v] z %v p %v", label, u, d, low, high, z, p)
		}
		if get(r, "attributionFrom") != get(done, "startedAt") || get(r, "attributionTo") != start.Add(7*24*time.Hour).Format(time.RFC3339Nano) &&
			get(r, "attributionTo") != start.Add(7*24*time.Hour).Format(time.RFC3339) {
			t.Errorf("%s: window %v - %v", label, get(r, "attributionFrom"), get(r, "attributionTo"))
		}
	}
	checkReport("after orders", nil)

	// Attribution follows merges and unmerges: two converted treated customers merged
	// are one customer whose orders count once; unmerged they are two again.
	a, b := treated[0], treated[1]
	survivor := get(s.ok(adminKey, `mutation($a: ID!, $b: ID!) { mergeCustomers(ids: [$a, $b], reason: "same person") { id } }`,
		map[string]any{"a": a.id, "b": b.id}), "mergeCustomers", "id").(string)
	if survivor != a.id {
		t.Fatalf("survivor %s, want %s", survivor, a.id)
	}
	checkReport("after a merge", map[string]string{b.id: a.id})
	s.ok(adminKey, `mutation($a: ID!, $r: ID!) { unmergeCustomer(id: $a, recordIds: [$r]) { split { id } } }`, map[string]any{"a": a.id, "r": fmt.Sprintf("shop:p%d", b.no)})
	checkReport("after the unmerge", nil)

	// The timeline shows the message and what the customer did with it.
	tl := s.ok(adminKey, `query($id: ID!) { customer(id: $id) { timeline(first: 50, channels: ["email"]) { edges { node { kind type channel } } } } }`,
		map[string]any{"id": treated[4].id})
	var types []string
	for _, e := range get(tl, "customer", "timeline", "edges").([]any) {
		if get(e, "node", "kind") == "INTERACTION" { // consent statements are there too
			types = append(types, get(e, "node", "type").(string))
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{"clicked", "opened", "sent"}) {
		t.Fatalf("timeline of a clicker: %v", types)
	}
	tl = s.ok(adminKey, `query($id: ID!) { customer(id: $id) { timeline(first: 50, channels: ["email"]) { edges { node { type } } } } }`,
		map[string]any{"id": leaver.id})
	if !strings.Contains(fmt.Sprint(tl), "unsubscribed") {
		t.Fatalf("timeline of the leaver: %v", tl)
	}

	// A sent campaign does not change or send again.
	s.code(adminKey, `mutation($c: ID!, $in: CampaignInput!) { updateCampaign(id: $c, input: $in) { id } }`, map[string]any{"c": cid, "in": in}, "CONFLICT")
	s.code(adminKey, `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": cid}, "CONFLICT")
}

func TestCampaignScheduleConsentBounceAndFrequencyCap(t *testing.T) {
	var ahead atomic.Int64 // the clock moves on (the app's background loop reads it too)
	s, relay := campaignServer(t, app.Options{CampaignCap: campaign.FrequencyCap{Max: 1, Within: 24 * time.Hour},
		Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	people := seedPeopleWithConsent(t, s, 4, func(i int) string { return fmt.Sprintf("Bo%d", i) }, func(int) bool { return true })
	seg := everyoneSegment(t, s, 4)
	relay.OnRcpt = func(to string) error {
		if to == people[3].email {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}
		return nil
	}
	create := func(name string) string {
		in := map[string]any{"name": name, "segmentId": seg, "holdoutPercent": 0, "subject": "Hi {{customer.firstName}}", "text": "Hi {{customer.firstName}}"}
		return get(s.ok(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": in}), "createCampaign", "id").(string)
	}
	const schedule = `mutation($c: ID!, $at: String!, $tz: String!) { scheduleCampaign(id: $c, at: $at, timeZone: $tz) { ` + campaignFields + ` } }`
	cid := create("Weekly")
	for _, bad := range [][2]string{{"2030-03-31T02:30", "Europe/Berlin"}, {"2020-01-01T09:00", "Europe/Berlin"}, {"2030-01-01T09:00", "Mars/Olympus"}, {"tomorrow", "UTC"}} {
		s.code(adminKey, schedule, map[string]any{"c": cid, "at": bad[0], "tz": bad[1]}, "BAD_USER_INPUT")
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Now().In(berlin).Add(time.Hour).Format("2006-01-02T15:04")
	want, _ := time.ParseInLocation("2006-01-02T15:04", local, berlin)
	sc := get(s.ok(adminKey, schedule, map[string]any{"c": cid, "at": local, "tz": "Europe/Berlin"}), "scheduleCampaign")
	if get(sc, "state") != "SCHEDULED" || get(sc, "scheduledAt") != want.UTC().Format(time.RFC3339) || get(sc, "scheduledLocal") != local {
		t.Fatalf("scheduled: %v, want %s", sc, want.UTC())
	}
	if err := s.a.Campaigns.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if relay.Count() != 0 {
		t.Fatalf("sent before its time")
	}

	// The customer withdraws consent before the time: the scheduled send skips them.
	s.ok(adminKey, `mutation($c: ID!) { setConsent(customer: $c, channel: EMAIL, purpose: MARKETING, status: WITHDRAWN, source: "phone call") { customerId } }`,
		map[string]any{"c": people[0].id})
	ahead.Store(int64(2 * time.Hour))
	if err := s.a.Campaigns.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.a.Campaigns.Wait(context.Background(), cid); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range relay.Messages() {
		to = append(to, m.To[0])
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{people[1].email, people[2].email}) {
		t.Fatalf("sent to %v", to)
	}
	r := get(s.ok(adminKey, reportQ, map[string]any{"id": cid}), "campaignReport")
	if get(r, "sent") != 2.0 || get(r, "failed") != 1.0 || get(r, "bounced") != 1.0 || get(r, "delivered") != 2.0 || get(r, "suppressed") != 1.0 || get(r, "uplift") != nil {
		t.Fatalf("report: %v", r)
	}
	// The hard bounce stops marketing e-mail to the address and is on the timeline.
	if st := consentStatus(t, s, people[3].id); st != "BOUNCED" {
		t.Fatalf("consent after a bounce: %v", st)
	}
	tl := s.ok(adminKey, `query($id: ID!) { customer(id: $id) { timeline(first: 20, types: ["bounced"]) { edges { node { kind type } } } } }`,
		map[string]any{"id": people[3].id})
	if !strings.Contains(fmt.Sprint(tl), "map[kind:INTERACTION type:bounced]") {
		t.Fatalf("bounce on the timeline: %v", tl)
	}

	// A complaint reported by Message-ID (an INGEST key may report feedback).
	msgID := relay.To(people[1].email)[0].Header.Get("Message-Id")
	s.ok(s.newKey("INGEST"), `mutation($m: String!) { reportCampaignFeedback(messageId: $m, kind: COMPLAINED) }`, map[string]any{"m": msgID})
	if st := consentStatus(t, s, people[1].id); st != "COMPLAINED" {
		t.Fatalf("consent after a complaint: %v", st)
	}

	// The frequency cap (one campaign message a day): a second campaign reaches nobody.
	c2 := create("Flash sale")
	s.ok(adminKey, `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": c2})
	if err := s.a.Campaigns.Wait(context.Background(), c2); err != nil {
		t.Fatal(err)
	}
	if relay.Count() != 2 {
		t.Fatalf("%d messages after the capped campaign", relay.Count())
	}
	by := fmt.Sprint(get(s.ok(adminKey, reportQ, map[string]any{"id": c2}), "campaignReport", "suppressedBy"))
	if by != "[map[count:1 reason:frequency cap] map[count:3 reason:no consent]]" {
		t.Fatalf("suppressed by %s", by)
	}

	// A cancelled schedule never sends.
	c3 := create("Cancelled")
	s.ok(adminKey, schedule, map[string]any{"c": c3, "at": time.Now().In(berlin).Add(3 * time.Hour).Format("2006-01-02T15:04"), "tz": "Europe/Berlin"})
	if get(s.ok(adminKey, `mutation($c: ID!) { cancelCampaign(id: $c) { state } }`, map[string]any{"c": c3}), "cancelCampaign", "state") != "CANCELLED" {
		t.Fatal("not cancelled")
	}
	ahead.Store(int64(4 * time.Hour))
	if err := s.a.Campaigns.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.a.Campaigns.Wait(context.Background(), c3); err != nil || relay.Count() != 2 {
		t.Fatalf("after the cancelled schedule: %v, %d messages", err, relay.Count())
	}
}
