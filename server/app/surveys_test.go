package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// eventually waits for cond (background work: the survey queue); the limit only stops
// a hang, it is not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}

var surveyLink = regexp.MustCompile(`(https?://[^\s"<>]+)?/s/[A-Za-z0-9_.-]+\?score=`)

// surveyURL returns the test server's URL of the mail's answer link for score.
func surveyURL(t *testing.T, s *srv, text, score string) string {
	t.Helper()
	l := surveyLink.FindString(text)
	if l == "" {
		t.Fatalf("no answer link in %q", text)
	}
	u, err := url.Parse(l + score)
	if err != nil {
		t.Fatal(err)
	}
	return s.url + u.RequestURI()
}

func httpDo(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const customerSurveys = `query($id: ID!) { customer(id: $id) {
	nps { score category }
	surveys { kind trigger triggerId state reason to answer { score category comment } }
	timeline(first: 50) { edges { node { kind channel type survey { kind answer { score } } } } } } }`

// Issue 18: an NPS survey by e-mail after a solved ticket, sent to a real SMTP server,
// answered through its link; the answer is on the profile, the timeline, in segments
// and in npsTrend; a CSAT answer rates the ticket; the frequency cap and a consent
// withdrawal stop surveys.
func TestSurveyAfterSolvedTicket(t *testing.T) {
	relay := mailtest.Start(t)
	s := newServerWith(t, testdb.DB(t), app.Options{Mail: relay.Config("Shop <noreply@shop.example>"), PublicURL: "https://cdp.shop.example"})
	ann := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Ann", emails: ["ann@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	bob := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Bob", emails: ["bob@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)

	agentKey := s.newKey("AGENT")
	s.code(agentKey, `mutation { setSurveySettings(input: {ticketSolved: NPS, orderDelivered: NPS, npsCapDays: 90, csatCapDays: 0}) { npsCapDays } }`, nil, "FORBIDDEN")
	st := s.ok(adminKey, `mutation { setSurveySettings(input: {ticketSolved: NPS, orderDelivered: NPS, npsCapDays: 90, csatCapDays: 0}) { ticketSolved orderDelivered npsCapDays csatCapDays } }`, nil)
	if get(st, "setSurveySettings", "ticketSolved") != "NPS" || get(st, "setSurveySettings", "npsCapDays") != float64(90) {
		t.Fatalf("settings: %v", st)
	}
	s.code(adminKey, `mutation { setSurveySettings(input: {npsCapDays: -1, csatCapDays: 0}) { npsCapDays } }`, nil, "BAD_USER_INPUT")

	solve := func(email, subject string) string {
		t.Helper()
		tk := s.createTicket(adminKey, map[string]any{"email": email, "subject": subject})
		s.ok(adminKey, `mutation($id: ID!) { setTicketStatus(id: $id, status: SOLVED) { id } }`, map[string]any{"id": tk["id"]})
		return tk["id"].(string)
	}
	surveysOf := func(id string) []any {
		return get(s.ok(adminKey, customerSurveys, map[string]any{"id": id}), "customer", "surveys").([]any)
	}

	// 1. Solved: the NPS question goes out, with one link per score.
	t1 := solve("ann@example.com", "Where is my parcel")
	m := relay.WaitFor(t, 1)[0]
	if m.To[0] != "ann@example.com" || !strings.Contains(m.Subject, "recommend") || !strings.Contains(m.Text, "Hello Ann") ||
		!strings.Contains(m.Text, "https://cdp.shop.example/s/") || strings.Count(m.Text, "/s/") != 11 {
		t.Fatalf("survey mail: to %v subject %q text %q", m.To, m.Subject, m.Text)
	}

	// A forged or mangled token is not found; a score out of range is refused.
	if code, _ := httpDo(t, must(http.NewRequest("GET", s.url+"/s/bm9wZQ.AAAA?score=9", nil))); code != 404 {
		t.Fatalf("forged token: %d", code)
	}
	if code, _ := httpDo(t, must(http.NewRequest("GET", surveyURL(t, s, m.Text, "11"), nil))); code != 400 {
		t.Fatalf("score 11: %d", code)
	}
	// 2. The customer clicks 6, then changes her mind to 9 (within the day) with a comment.
	if code, body := httpDo(t, must(http.NewRequest("GET", surveyURL(t, s, m.Text, "6"), nil))); code != 200 || !strings.Contains(body, "Thank you") || !strings.Contains(body, "<form") {
		t.Fatalf("answer page: %d %s", code, body)
	}
	post := must(http.NewRequest("POST", strings.Split(surveyURL(t, s, m.Text, "9"), "?")[0], strings.NewReader("score=9&comment=Quick+and+kind")))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, body := httpDo(t, post); code != 200 || !strings.Contains(body, "comment have been recorded") {
		t.Fatalf("comment: %d %s", code, body)
	}
	// The relay's answer is recorded after the message went out (and after the click).
	eventually(t, "the send is recorded as sent", func() bool { return get(surveysOf(ann), 0, "state") == "SENT" })
	d := s.ok(adminKey, customerSurveys, map[string]any{"id": ann})
	if get(d, "customer", "nps", "score") != float64(9) || get(d, "customer", "nps", "category") != "PROMOTER" {
		t.Fatalf("nps: %v", get(d, "customer", "nps"))
	}
	sv := get(d, "customer", "surveys", 0).(map[string]any)
	if sv["kind"] != "NPS" || sv["trigger"] != "TICKET_SOLVED" || sv["triggerId"] != t1 || sv["state"] != "SENT" ||
		get(sv, "answer", "score") != float64(9) || get(sv, "answer", "category") != "PROMOTER" || get(sv, "answer", "comment") != "Quick and kind" {
		t.Fatalf("survey: %v", sv)
	}
	found := false
	for _, e := range get(d, "customer", "timeline", "edges").([]any) {
		if n := get(e, "node").(map[string]any); n["kind"] == "SURVEY" {
			found = n["type"] == "nps" && n["channel"] == "email" && get(n, "survey", "answer", "score") == float64(9)
		}
	}
	if !found {
		t.Fatalf("no survey answer on the timeline: %v", get(d, "customer", "timeline"))
	}

	// 3. Segments read the latest score (an attribute of the surveys source).
	s.flushSegments()
	p := s.ok(adminKey, `{ segmentPreview(rule: {trait: {field: "attributes.nps_score", op: GTE, number: 9}}, sample: 5) { count sample { id } } }`, nil)
	if get(p, "segmentPreview", "count") != float64(1) || get(p, "segmentPreview", "sample", 0, "id") != ann {
		t.Fatalf("segment on nps: %v", p)
	}
	p = s.ok(adminKey, `{ segmentPreview(rule: {trait: {field: "attributes.nps_category", op: EQ, value: "detractor"}}, sample: 5) { count } }`, nil)
	if get(p, "segmentPreview", "count") != float64(0) {
		t.Fatalf("detractors: %v", p)
	}

	// 4. npsTrend: one promoter this month.
	tr := s.ok(adminKey, `{ npsTrend(interval: MONTH) { ready total { responses promoters nps } periods { start responses nps } } }`, nil)
	if get(tr, "npsTrend", "ready") != true || get(tr, "npsTrend", "total", "responses") != float64(1) || get(tr, "npsTrend", "total", "nps") != float64(100) {
		t.Fatalf("trend: %v", tr)
	}

	// 5. Within the 90-day cap the next solved ticket sends no NPS survey.
	t2 := solve("ann@example.com", "Second question")
	eventually(t, "the capped survey is recorded", func() bool { return len(surveysOf(ann)) == 2 || hasTrigger(surveysOf(ann), t2) })
	if sv := findTrigger(surveysOf(ann), t2); sv == nil || sv["state"] != "SKIPPED" || !strings.Contains(sv["reason"].(string), "frequency cap") {
		t.Fatalf("capped: %v", surveysOf(ann))
	}

	// 6. CSAT after a solved ticket: the answer is also the ticket's rating.
	s.ok(adminKey, `mutation { setSurveySettings(input: {ticketSolved: CSAT, orderDelivered: NPS, npsCapDays: 90, csatCapDays: 0}) { npsCapDays } }`, nil)
	t3 := solve("bob@example.com", "Refund please")
	var csat mailtest.Received
	eventually(t, "the CSAT mail", func() bool {
		r := relay.To("bob@example.com")
		ok := len(r) == 1
		if ok {
			csat = r[0]
		}
		return ok
	})
	if code, _ := httpDo(t, must(http.NewRequest("GET", surveyURL(t, s, csat.Text, "4"), nil))); code != 200 {
		t.Fatalf("csat answer: %d", code)
	}
	rt := s.ok(adminKey, `query($id: ID!) { ticket(id: $id) { csat { score } } }`, map[string]any{"id": t3})
	if get(rt, "ticket", "csat", "score") != float64(4) {
		t.Fatalf("ticket rating: %v", rt)
	}
	if get(s.ok(adminKey, customerSurveys, map[string]any{"id": bob}), "customer", "nps") != nil {
		t.Fatal("a CSAT answer is not an NPS")
	}

	// 7. Bob withdraws transactional e-mail: no survey goes out.
	s.ok(adminKey, `mutation($c: ID!) { setConsent(customer: $c, channel: EMAIL, purpose: TRANSACTIONAL, status: WITHDRAWN, source: "phone call") { customerId } }`, map[string]any{"c": bob})
	t4 := solve("bob@example.com", "Another one")
	eventually(t, "the survey without consent is recorded", func() bool { return hasTrigger(surveysOf(bob), t4) })
	if sv := findTrigger(surveysOf(bob), t4); sv["state"] != "SKIPPED" || !strings.Contains(sv["reason"].(string), "consent") {
		t.Fatalf("without consent: %v", sv)
	}
	if n := len(relay.To("bob@example.com")); n != 1 {
		t.Fatalf("bob got %d mails", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func findTrigger(surveys []any, id string) map[string]any {
	for _, s := range surveys {
		if m := s.(map[string]any); m["triggerId"] == id {
			return m
		}
	}
	return nil
}

func hasTrigger(surveys []any, id string) bool { return findTrigger(surveys, id) != nil }

// An order reported delivered brings an NPS survey (once, however often it is re-sent).
func TestSurveyAfterDeliveredOrder(t *testing.T) {
	relay := mailtest.Start(t)
	s := newServerWith(t, testdb.DB(t), app.Options{Mail: relay.Config("Shop <noreply@shop.example>")})
	s.ok(adminKey, shopSource, nil)
	cara := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Cara", emails: ["cara@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	order := func(status string) {
		t.Helper()
		d := s.ok(adminKey, `mutation($o: [OrderInput!]!) { ingestOrders(source: "shop", orders: $o) { rejects { reason } } }`, map[string]any{"o": []any{map[string]any{
			"externalId": "o-1", "customer": map[string]any{"type": "email", "value": "cara@example.com"}, "status": status,
			"placedAt": time.Now().UTC().Add(-72 * time.Hour).Format(time.RFC3339), "currency": "GBP",
			"lines": []any{map[string]any{"sku": "A", "quantity": 1, "unitPrice": "10.00"}}}}})
		if r := get(d, "ingestOrders", "rejects").([]any); len(r) != 0 {
			t.Fatalf("rejects: %v", r)
		}
	}
	order("SHIPPED")
	order("DELIVERED")
	order("DELIVERED")
	m := relay.WaitFor(t, 1)[0]
	if m.To[0] != "cara@example.com" || !strings.Contains(m.Text, "delivered") {
		t.Fatalf("order survey: %v %q", m.To, m.Text)
	}
	order("DELIVERED") // heard again (a re-send): still one survey
	var list []any
	eventually(t, "the send is recorded", func() bool {
		list = get(s.ok(adminKey, customerSurveys, map[string]any{"id": cara}), "customer", "surveys").([]any)
		return len(list) > 0 && get(list, 0, "state") == "SENT"
	})
	if len(list) != 1 || get(list, 0, "kind") != "NPS" || get(list, 0, "trigger") != "ORDER_DELIVERED" || get(list, 0, "triggerId") != "shop:o-1" {
		t.Fatalf("surveys: %v", list)
	}
	if n := relay.Count(); n != 1 {
		t.Fatalf("%d survey mails for one order", n)
	}
}
