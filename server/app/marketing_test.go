package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Issue 17: campaign and journey effectiveness in one report. Two campaigns go out over
// real SMTP and a journey with a holdout arm runs on an injected clock; orders of
// treated and holdout customers follow. Every figure of the report is checked against a
// computation here and every campaign row against its campaignReport; the request reads
// no database, whatever the campaigns' size.

const effectivenessQ = `query($from: Time, $to: Time, $cur: String) { marketingEffectiveness(from: $from, to: $to, currency: $cur) {
	from to ready currency currencies
	totals { messagesSent conversions attributedRevenue { amountMinor currency } significantCampaigns significantJourneys }
	campaigns { campaignId name state startedAt planned sent delivered opened clicked unsubscribed computedAt
		treated { customers converted conversionRate revenue { amountMinor currency } revenuePerCustomer { amountMinor } }
		holdout { customers converted conversionRate revenue { amountMinor currency } revenuePerCustomer { amountMinor } }
		uplift { difference low high relative z pValue significant } }
	journeys { journeyId name status version live entered inProgress done exited converted conversionRate holdout holdoutConverted
		holdoutConversionRate messagesSent computedAt uplift { difference low high z pValue significant } } } }`

const effectivenessJourney = `{name: "Welcome after signing up", definition: {
	trigger: {kind: INTERACTION, type: "signup"},
	goal: {orderWithinDays: 7},
	steps: [
		{id: "split", kind: SPLIT, split: {arms: [{name: "mail", weight: 70, next: "mail"}, {name: "control", weight: 30, holdout: true}]}},
		{id: "mail", kind: SEND_EMAIL, email: {subject: "Welcome, {{customer.firstName}}", text: "Hello from {{journey.name}}."}}
	]}}`

// inControlArm is the split's draw computed here: the first 8 bytes of SHA-256(journey NUL
// version NUL step NUL customer) modulo the weights' total, placed on the weights.
func inControlArm(journeyID string, version int, step, profileID string) bool {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", journeyID, version, step, profileID))
	return binary.BigEndian.Uint64(h[:8])%100 >= 70
}

func rowsBy(d map[string]any, list, key string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range get(d, "marketingEffectiveness", list).([]any) {
		out[get(r, key).(string)] = r.(map[string]any)
	}
	return out
}

func TestMarketingEffectiveness(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s, relay := campaignServer(t, app.Options{Now: clock.Now})
	const n = 40
	people := seedPeopleWithConsent(t, s, n, func(i int) string { return fmt.Sprint("P", i) }, func(i int) bool { return i%10 != 7 })
	seg := everyoneSegment(t, s, n)

	// An empty report before there is anything.
	s.a.Marketing.RequestRefresh()
	if err := s.a.Marketing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	d := s.ok(adminKey, effectivenessQ, nil)
	if get(d, "marketingEffectiveness", "ready") != true || len(get(d, "marketingEffectiveness", "campaigns").([]any)) != 0 ||
		get(d, "marketingEffectiveness", "totals", "attributedRevenue") != nil {
		t.Fatalf("empty report: %v", d)
	}
	s.code(s.newKey("AGENT"), effectivenessQ, nil, "FORBIDDEN")
	s.code(adminKey, effectivenessQ, map[string]any{"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "BAD_USER_INPUT")

	// Two campaigns, a day apart.
	holdoutPct := map[string]float64{}
	send := func(name string, pct float64) (string, time.Time) {
		t.Helper()
		in := map[string]any{"name": name, "segmentId": seg, "holdoutPercent": pct, "attributionDays": 7, "subject": "News for {{customer.firstName}}",
			"html": `<p>Hi {{customer.firstName}}, <a href="https://shop.example/sale">sale</a></p>`, "text": "Hi {{customer.firstName}}"}
		id := get(s.ok(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": in}), "createCampaign", "id").(string)
		s.ok(adminKey, `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": id})
		if err := s.a.Campaigns.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
		holdoutPct[id] = pct
		return id, clock.Now()
	}
	ca, startA := send("Spring sale", 30)
	clock.Add(24 * time.Hour)
	cb, startB := send("Spring sale, reminder", 40)
	campaignMsgs := relay.Count()
	started := map[string]time.Time{ca: startA, cb: startB}

	// An open and a click of the first campaign reach the report in the background (the
	// interactions wake it; no refresh is asked for).
	var sample mailtest.Received
	for _, m := range relay.Messages() {
		if m.Header.Get("Message-Id") != "" && len(m.HTML) > 0 && containsCampaign(m.Header.Get("Message-Id"), ca) {
			sample = m
			break
		}
	}
	if code, _, _ := fetch(t, "GET", clickRe.FindStringSubmatch(sample.HTML)[1], ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	waitFor := func(what string, ok func(d map[string]any) bool) {
		t.Helper()
		for range 3000 {
			if ok(s.ok(adminKey, effectivenessQ, nil)) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("the report never showed %s", what)
	}
	waitFor("the click", func(d map[string]any) bool {
		r := rowsBy(d, "campaigns", "campaignId")[ca]
		return r != nil && r["clicked"] == 1.0 && r["opened"] == 1.0
	})

	// The journey: people 0-29 sign up an hour after the second campaign.
	clock.Add(time.Hour)
	jid := get(s.ok(adminKey, `mutation { createJourney(input: `+effectivenessJourney+`) { id } }`, nil), "createJourney", "id").(string)
	s.ok(adminKey, `mutation($id: ID!) { publishJourney(id: $id) { status } }`, map[string]any{"id": jid})
	var signups []commerce.Interaction
	for _, p := range people[:30] {
		signups = append(signups, commerce.Interaction{ID: "web:signup-" + p.id, ProfileID: p.id, Channel: "web", Type: "signup", At: clock.Now()})
	}
	if _, err := s.a.Commerce.AddInteractions(ctx, signups); err != nil {
		t.Fatal(err)
	}
	if err := s.a.Journeys.Tick(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Orders an hour later: within both campaigns' windows and the journey's goal.
	clock.Add(time.Hour)
	ordered := map[string]int64{} // profile -> net revenue in pence
	var orders []commerce.Order
	for _, p := range people {
		// Most of the first campaign's treated customers buy, few of its holdout: its
		// uplift is significant whatever the draw.
		buys := p.no%3 == 0 || p.no%4 == 1
		if p.consent {
			buys = p.no%5 != 4
			if inHoldout(ca, p.id, 30) {
				buys = p.no%7 == 0
			}
		}
		if !buys {
			continue
		}
		total := int64(1000 + 37*p.no)
		ordered[p.id] += total
		orders = append(orders, commerce.Order{ID: fmt.Sprintf("shop:eff%d", p.no), ProfileID: p.id, CustomerRecordID: fmt.Sprintf("shop:p%d", p.no),
			Status: commerce.Paid, Currency: "GBP", TotalMinor: total, PlacedAt: clock.Now(), Lines: []commerce.Line{{SKU: "tea", Quantity: 1, UnitPriceMinor: total}}})
	}
	if _, err := s.a.Commerce.PutOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if err := s.a.Journeys.Tick(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	journeyMsgs := relay.Count() - campaignMsgs
	s.a.Marketing.RequestRefresh()
	if err := s.a.Marketing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	// What the report should say, computed here.
	type group struct {
		n, conv int
		rev     int64
	}
	add := func(g *group, id string) {
		g.n++
		if r, ok := ordered[id]; ok {
			g.conv++
			g.rev += r
		}
	}
	type expect struct {
		treated, holdout group
		sent             int
	}
	want := map[string]*expect{}
	for _, cid := range []string{ca, cb} {
		e := &expect{}
		for _, p := range people {
			switch {
			case !p.consent:
			case inHoldout(cid, p.id, holdoutPct[cid]):
				add(&e.holdout, p.id)
			default:
				add(&e.treated, p.id)
				e.sent++
			}
		}
		want[cid] = e
	}
	var jt, jh group
	jsent := 0
	for _, p := range people[:30] {
		if inControlArm(jid, 1, "split", p.id) {
			add(&jh, p.id)
		} else {
			add(&jt, p.id)
			if p.consent {
				jsent++
			}
		}
	}
	if want[ca].sent+want[cb].sent != campaignMsgs || jsent != journeyMsgs {
		t.Fatalf("relay saw %d campaign and %d journey messages, want %d and %d", campaignMsgs, journeyMsgs, want[ca].sent+want[cb].sent, jsent)
	}
	significant := func(x1, n1, x0, n0 int) bool {
		if n1 == 0 || n0 == 0 {
			return false
		}
		d, _, _, _, p := expectedUplift(x1, n1, x0, n0)
		return p < 0.05 && d > 0
	}
	t.Logf("campaign A %+v, B %+v; journey treated %+v holdout %+v, %d mails", *want[ca], *want[cb], jt, jh, jsent)
	if !significant(want[ca].treated.conv, want[ca].treated.n, want[ca].holdout.conv, want[ca].holdout.n) {
		t.Fatal("the fixture should make the first campaign significant")
	}
	checkUplift := func(label string, u any, x1, n1, x0, n0 int) {
		t.Helper()
		d, low, high, z, p := expectedUplift(x1, n1, x0, n0)
		if u == nil || !near(get(u, "difference").(float64), d) || !near(get(u, "low").(float64), low) || !near(get(u, "high").(float64), high) ||
			!near(get(u, "z").(float64), z) || !near(get(u, "pValue").(float64), p) || get(u, "significant") != (p < 0.05) {
			t.Errorf("%s: uplift %v, want d %v [%v, %v] z %v p %v", label, u, d, low, high, z, p)
		}
	}

	check := func(label string, vars map[string]any, campaigns []string, journeyRuns bool) {
		t.Helper()
		d := s.ok(adminKey, effectivenessQ, vars)
		eff := get(d, "marketingEffectiveness")
		rows := rowsBy(d, "campaigns", "campaignId")
		if len(rows) != len(campaigns) || get(eff, "currency") != "GBP" || fmt.Sprint(get(eff, "currencies")) != "[GBP]" {
			t.Fatalf("%s: campaigns %v currency %v", label, rows, get(eff, "currency"))
		}
		sent, conv, sig := 0, 0, 0
		var rev int64
		for _, cid := range campaigns {
			r, w := rows[cid], want[cid]
			if r == nil {
				t.Fatalf("%s: no row of %s", label, cid)
			}
			// The row against campaignReport.
			rep := get(s.ok(adminKey, reportQ, map[string]any{"id": cid}), "campaignReport")
			for _, k := range []string{"planned", "sent", "delivered", "opened", "clicked", "unsubscribed"} {
				if r[k] != get(rep, k) {
					t.Errorf("%s %s: %s %v, campaignReport %v", label, cid, k, r[k], get(rep, k))
				}
			}
			for _, g := range []string{"treated", "holdout"} {
				for _, k := range []string{"customers", "converted", "conversionRate"} {
					if get(r, g, k) != get(rep, g, k) {
						t.Errorf("%s %s: %s %s %v, campaignReport %v", label, cid, g, k, get(r, g, k), get(rep, g, k))
					}
				}
				if revs := get(rep, g, "revenue").([]any); len(revs) > 0 && get(r, g, "revenue", "amountMinor") != get(revs[0], "amountMinor") {
					t.Errorf("%s %s: %s revenue %v, campaignReport %v", label, cid, g, get(r, g, "revenue"), revs)
				}
			}
			if fmt.Sprint(get(r, "uplift")) != fmt.Sprint(get(rep, "uplift")) {
				t.Errorf("%s %s: uplift %v, campaignReport %v", label, cid, get(r, "uplift"), get(rep, "uplift"))
			}
			// And against the computation here.
			if r["planned"] != float64(n) || r["sent"] != float64(w.sent) || r["delivered"] != float64(w.sent) || r["state"] != "SENT" {
				t.Errorf("%s %s: row %v, want sent %d", label, cid, r, w.sent)
			}
			for g, x := range map[string]group{"treated": w.treated, "holdout": w.holdout} {
				if get(r, g, "customers") != float64(x.n) || get(r, g, "converted") != float64(x.conv) ||
					!near(get(r, g, "conversionRate").(float64), float64(x.conv)/float64(x.n)) ||
					get(r, g, "revenue", "amountMinor") != float64(x.rev) || get(r, g, "revenue", "currency") != "GBP" ||
					get(r, g, "revenuePerCustomer", "amountMinor") != float64((2*x.rev+int64(x.n))/(2*int64(x.n))) {
					t.Errorf("%s %s: %s %v, want %+v", label, cid, g, get(r, g), x)
				}
			}
			checkUplift(label+" "+cid, get(r, "uplift"), w.treated.conv, w.treated.n, w.holdout.conv, w.holdout.n)
			sent += w.sent
			conv += w.treated.conv
			rev += w.treated.rev
			if significant(w.treated.conv, w.treated.n, w.holdout.conv, w.holdout.n) {
				sig++
			}
		}
		for cid, r := range rows {
			if r["startedAt"] != started[cid].Format(time.RFC3339) || r["computedAt"] == nil {
				t.Errorf("%s %s: started %v computed %v, want started %v", label, cid, r["startedAt"], r["computedAt"], started[cid])
			}
		}
		js := get(d, "marketingEffectiveness", "journeys").([]any)
		jsig := 0
		if journeyRuns {
			if len(js) != 1 {
				t.Fatalf("%s: journeys %v", label, js)
			}
			j := js[0]
			if get(j, "journeyId") != jid || get(j, "version") != 1.0 || get(j, "live") != true || get(j, "status") != "ACTIVE" ||
				get(j, "entered") != float64(jt.n+jh.n) || get(j, "holdout") != float64(jh.n) || get(j, "converted") != float64(jt.conv) ||
				get(j, "holdoutConverted") != float64(jh.conv) || get(j, "done") != float64(jt.n) || get(j, "exited") != float64(jh.n) ||
				get(j, "inProgress") != 0.0 || get(j, "messagesSent") != float64(jsent) ||
				!near(get(j, "conversionRate").(float64), float64(jt.conv)/float64(jt.n)) || !near(get(j, "holdoutConversionRate").(float64), float64(jh.conv)/float64(jh.n)) {
				t.Errorf("%s: journey %v, want treated %+v holdout %+v sent %d", label, j, jt, jh, jsent)
			}
			checkUplift(label+" journey", get(j, "uplift"), jt.conv, jt.n, jh.conv, jh.n)
			sent += jsent
			conv += jt.conv
			if significant(jt.conv, jt.n, jh.conv, jh.n) {
				jsig = 1
			}
		} else if len(js) != 0 {
			t.Errorf("%s: journeys %v, want none", label, js)
		}
		tot := get(eff, "totals")
		if get(tot, "messagesSent") != float64(sent) || get(tot, "conversions") != float64(conv) || get(tot, "attributedRevenue", "amountMinor") != float64(rev) ||
			get(tot, "significantCampaigns") != float64(sig) || get(tot, "significantJourneys") != float64(jsig) {
			t.Errorf("%s: totals %v, want sent %d conversions %d revenue %d significant %d/%d", label, tot, sent, conv, rev, sig, jsig)
		}
	}
	check("everything", nil, []string{ca, cb}, true)
	day := func(t time.Time) string { return t.Format(time.RFC3339) }
	check("the second day", map[string]any{"from": day(startA.Add(time.Hour)), "to": day(startB.Add(48 * time.Hour))}, []string{cb}, true)
	check("the first campaign only", map[string]any{"from": day(startA), "to": day(startA.Add(time.Hour)), "cur": "gbp"}, []string{ca}, false)
}

func containsCampaign(messageID, campaignID string) bool {
	return len(messageID) > len(campaignID) && messageID[1:1+len(campaignID)] == campaignID
}

// The report's request sends the same commands (none) for campaigns of 20 and of 200
// recipients, where campaignReport reads every recipient.
func TestMarketingEffectivenessBounded(t *testing.T) {
	ctx := context.Background()
	counts := map[int][2]int{}
	for _, n := range []int{20, 200} {
		ops := &requestOps{}
		client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(ops.monitor()))
		if err != nil {
			t.Fatal(err)
		}
		db := client.Database(fmt.Sprintf("mkt_%d_%d", n, time.Now().UnixNano()))
		t.Cleanup(func() { _ = db.Drop(ctx); _ = client.Disconnect(ctx) })
		relay := mailtest.Start(t)
		s := newServerWith(t, db, app.Options{Mail: relay.Config("Shop <news@shop.example>")})
		s.a.Campaigns.PublicURL = s.url
		seedPeopleWithConsent(t, s, n, func(i int) string { return fmt.Sprint("P", i) }, func(i int) bool { return i < 6 })
		seg := everyoneSegment(t, s, n)
		var ids []string
		for k := range 2 {
			in := map[string]any{"name": fmt.Sprint("C", k), "segmentId": seg, "holdoutPercent": 20, "subject": "Hi", "text": "Hi {{customer.firstName}}"}
			id := get(s.ok(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": in}), "createCampaign", "id").(string)
			s.ok(adminKey, `mutation($c: ID!) { sendCampaignNow(id: $c) { id } }`, map[string]any{"c": id})
			if err := s.a.Campaigns.Wait(ctx, id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		s.a.Marketing.RequestRefresh()
		if err := s.a.Marketing.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		ops.take()
		d := s.ok(adminKey, effectivenessQ, nil)
		cmds := ops.take()
		if rows := rowsBy(d, "campaigns", "campaignId"); len(rows) != 2 || rows[ids[0]]["planned"] != float64(n) {
			t.Fatalf("%d recipients: rows %v", n, rows)
		}
		for _, c := range cmds {
			if len(c.Filters) != 1 || !testdb.BareID(c.Filters[0]) {
				t.Errorf("%d recipients: the report sent %s", n, c)
			}
		}
		s.ok(adminKey, reportQ, map[string]any{"id": ids[0]})
		counts[n] = [2]int{len(cmds), len(ops.take())}
	}
	t.Logf("commands of marketingEffectiveness and of one campaignReport at 20 and 200 recipients: %v", counts)
	if counts[20][0] != counts[200][0] {
		t.Fatalf("marketingEffectiveness sent %d commands at 20 recipients, %d at 200", counts[20][0], counts[200][0])
	}
}
