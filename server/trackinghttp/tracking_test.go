package trackinghttp_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEveryCallNeedsAValidWriteKey(t *testing.T) {
	e := start(t)
	key, keyID := e.trackingSource("web")
	body := `{"userId":"u1","event":"Order Completed","messageId":"m-1"}`
	for _, call := range []string{"track", "identify", "page", "screen", "group", "alias", "batch", "import", "t", "i", "p", "s", "g", "a", "b"} {
		for _, k := range []string{"", "wk_not-a-key"} {
			if code, out := e.post("/v1/"+call, k, body); code != http.StatusUnauthorized || out["code"] != "UNAUTHENTICATED" || out["success"] != false {
				t.Errorf("POST /v1/%s with key %q: %d %v", call, k, code, out)
			}
		}
	}
	// The key in the body, as analytics.js sends it, is checked the same way.
	if code, _ := e.post("/v1/track", "", `{"writeKey":"wk_nope","userId":"u1","event":"x"}`); code != http.StatusUnauthorized {
		t.Errorf("unknown key in the body: %d", code)
	}
	if code, out := e.post("/v1/track", key, body); code != http.StatusOK || out["success"] != true {
		t.Fatalf("a valid key: %d %v", code, out)
	}
	if code, _ := e.post("/v1/nope", key, body); code != http.StatusNotFound {
		t.Errorf("unknown call: %d", code)
	}
	req, _ := http.NewRequest("GET", e.url+"/v1/track", nil)
	if code, _ := e.send(req); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}

	// Key management: ADMIN only; the source must map the ids; the secret is shown once.
	agent := e.ok(`mutation { createApiKey(name: "agent", role: AGENT) { key } }`, nil)["createApiKey"].(map[string]any)["key"].(string)
	e.code(agent, `mutation { createWriteKey(source: "web") { key } }`, nil, "FORBIDDEN")
	e.code(agent, `{ writeKeys(source: "web") { id } }`, nil, "FORBIDDEN")
	e.code(adminKey, `mutation { createWriteKey(source: "nosuch") { key } }`, nil, "NOT_FOUND")
	e.ok(`mutation { createSource(input: {name: "crm", kind: CRM, identifierFields: [{field: "email", target: "email"}]}) { name } }`, nil)
	if msg := e.code(adminKey, `mutation { createWriteKey(source: "crm") { key } }`, nil, "BAD_USER_INPUT"); !strings.Contains(msg, "userId and anonymousId") {
		t.Errorf("unclear: %s", msg)
	}
	ks := e.ok(`{ writeKeys(source: "web") { id source prefix revokedAt } }`, nil)["writeKeys"].([]any)
	if len(ks) != 1 || ks[0].(map[string]any)["id"] != keyID || !strings.HasPrefix(key, ks[0].(map[string]any)["prefix"].(string)) || strings.Contains(fmt.Sprint(ks), key) {
		t.Fatalf("writeKeys: %v", ks)
	}
	e.ok(`mutation($id: ID!) { revokeWriteKey(id: $id) { revokedAt } }`, map[string]any{"id": keyID})
	if code, out := e.post("/v1/track", key, body); code != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(out["error"]), "revoked") {
		t.Errorf("a revoked key: %d %v", code, out)
	}
	e.code(adminKey, `mutation { revokeWriteKey(id: "nope") { id } }`, nil, "NOT_FOUND")
}

func TestTrackingCallsReachTheProfile(t *testing.T) {
	e := start(t)
	key, _ := e.trackingSource("web")
	now := time.Now().UTC()
	iso := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	// An anonymous visitor browses; the device's clock is an hour behind.
	skew := time.Hour
	anonBatch := fmt.Sprintf(`{"sentAt":%q,"context":{"userAgent":"Mozilla/5.0 (X11)","locale":"en-GB"},"batch":[
		{"type":"page","anonymousId":"a-1","name":"Home","messageId":"m1","timestamp":%q,
		 "context":{"campaign":{"name":"spring","source":"newsletter","medium":"email"},"page":{"url":"https://shop.example/?utm_campaign=spring"}}},
		{"type":"track","anonymousId":"a-1","event":"Product Viewed","properties":{"sku":"SKU-1","price":19.99},"messageId":"m2","timestamp":%q}]}`,
		iso(now.Add(-skew)), iso(now.Add(-skew-20*time.Second)), iso(now.Add(-skew-10*time.Second)))
	code, out := e.post("/v1/batch", key, anonBatch)
	if code != http.StatusOK || out["success"] != true || out["accepted"] != 2.0 {
		t.Fatalf("anonymous batch: %d %v", code, out)
	}
	visitor := e.personBy("anonymous_id", "a-1")
	if visitor == nil || len(visitor.Timeline) != 2 {
		t.Fatalf("the anonymous visitor has no profile with its events: %+v", visitor)
	}
	// They sign up: identify links the anonymous id to the user.
	for _, c := range []struct{ path, body string }{
		{"/v1/identify", `{"userId":"u-1","anonymousId":"a-1","traits":{"email":"Ann@Example.com","firstName":"Ann","lastName":"Lee"},"messageId":"m3"}`},
		{"/v1/track", `{"userId":"u-1","event":"Order Completed","properties":{"revenue":42.5,"currency":"GBP"},"messageId":"m4",
			"context":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (Mac)","locale":"de-DE","campaign":{"name":"spring","source":"newsletter"}}}`},
		{"/v1/screen", `{"userId":"u-1","name":"Cart","messageId":"m5"}`},
		{"/v1/group", `{"userId":"u-1","groupId":"acme","traits":{"name":"ACME Ltd"},"messageId":"m6"}`},
		// Another device of the same person, aliased, then seen anonymously.
		{"/v1/alias", `{"userId":"u-1","previousId":"a-2","messageId":"m7"}`},
		{"/v1/p", `{"anonymousId":"a-2","name":"Pricing","messageId":"m8"}`},
	} {
		if code, out := e.post(c.path, key, c.body); code != http.StatusOK || out["success"] != true {
			t.Fatalf("%s: %d %v", c.path, code, out)
		}
	}
	p := e.personBy("customer_id", "u-1")
	if p == nil {
		t.Fatal("no profile for u-1")
	}
	for _, id := range []string{"customer_id:u-1", "anonymous_id:a-1", "anonymous_id:a-2", "email:ann@example.com"} {
		if !slices.Contains(p.Identities, id) {
			t.Errorf("identity %s missing: %v", id, p.Identities)
		}
	}
	if e.personBy("anonymous_id", "a-1").ID != p.ID || e.personBy("email", "ann@example.com").ID != p.ID {
		t.Error("the anonymous visitor did not join the identified profile")
	}
	for _, m := range []string{"m1", "m2", "m4", "m5", "m6", "m8"} {
		if p.event("web", m) == nil {
			t.Errorf("event %s is not on the timeline", m)
		}
	}
	if p.event("web", "m3") != nil || p.event("web", "m7") != nil || len(p.Timeline) != 6 || p.Interactions != 6 {
		t.Errorf("identify and alias are not events: %d on the timeline, %d counted", len(p.Timeline), p.Interactions)
	}
	viewed := p.event("web", "m2")
	at, _ := time.Parse(time.RFC3339Nano, viewed["at"].(string))
	if d := now.Sub(at); d < 5*time.Second || d > 5*time.Minute {
		t.Errorf("the skewed clock was not corrected: the event is at %v, %v before it was sent", at, d)
	}
	if viewed["type"] != "Product Viewed" || viewed["channel"] != "web" || attrs(viewed)["properties"] != `{"price":19.99,"sku":"SKU-1"}` ||
		attrs(viewed)["userAgent"] != "Mozilla/5.0 (X11)" || attrs(viewed)["locale"] != "en-GB" || attrs(viewed)["ip"] != "127.0.0.1" {
		t.Errorf("track: %v", viewed)
	}
	home := p.event("web", "m1")
	if home["type"] != "page" || attrs(home)["name"] != "Home" || attrs(home)["utm_campaign"] != "spring" || attrs(home)["utm_medium"] != "email" ||
		attrs(home)["pageUrl"] != "https://shop.example/?utm_campaign=spring" {
		t.Errorf("page: %v", home)
	}
	order := p.event("web", "m4")
	if order["type"] != "Order Completed" || attrs(order)["ip"] != "203.0.113.7" || attrs(order)["locale"] != "de-DE" || attrs(order)["utm_source"] != "newsletter" {
		t.Errorf("track with context: %v", order)
	}
	if g := p.event("web", "m6"); attrs(g)["groupId"] != "acme" || attrs(g)["traits"] != `{"name":"ACME Ltd"}` {
		t.Errorf("group: %v", g)
	}

	// At least once in, exactly once in effect: the SDK's retry of a batch changes nothing.
	code, out = e.post("/v1/batch", key, anonBatch)
	if code != http.StatusOK || out["duplicates"] != 2.0 {
		t.Fatalf("re-sent batch: %d %v", code, out)
	}
	if again := e.personBy("customer_id", "u-1"); again.Interactions != 6 || len(again.Timeline) != 6 {
		t.Errorf("a re-sent batch doubled events: %d", again.Interactions)
	}

	// Someone else stays apart, with a profile of their own.
	if code, _ := e.post("/v1/track", key, `{"anonymousId":"a-9","event":"Product Viewed","messageId":"m9"}`); code != http.StatusOK {
		t.Fatal(code)
	}
	if other := e.personBy("anonymous_id", "a-9"); other == nil || other.ID == p.ID || other.event("web", "m9") == nil {
		t.Errorf("another visitor: %+v", other)
	}

	// A returning customer on a new device: browsed anonymously (a profile of its own),
	// then logs in. The two profiles merge and the events follow.
	if code, _ := e.post("/v1/page", key, `{"anonymousId":"a-5","name":"Sale","messageId":"m10"}`); code != http.StatusOK {
		t.Fatal(code)
	}
	device := e.personBy("anonymous_id", "a-5")
	if device == nil || device.ID == p.ID {
		t.Fatalf("the new device: %+v", device)
	}
	if code, _ := e.post("/v1/identify", key, `{"userId":"u-1","anonymousId":"a-5","messageId":"m11"}`); code != http.StatusOK {
		t.Fatal(code)
	}
	p = e.personBy("customer_id", "u-1")
	if e.personBy("anonymous_id", "a-5").ID != p.ID || p.event("web", "m10") == nil || p.Interactions != 7 || !slices.Contains(p.Identities, "anonymous_id:a-5") {
		t.Fatalf("after logging in on the new device: %+v", p)
	}

	// Events count in segment rules: u-1 has 7 web interactions in the last 30 days.
	d := e.ok(`{ segmentPreview(rule: {interactions: {atLeast: 5, channel: "web", withinDays: 30}}) { count sample { id } } }`, nil)
	pv := d["segmentPreview"].(map[string]any)
	if pv["count"] != 1.0 || pv["sample"].([]any)[0].(map[string]any)["id"] != p.ID {
		t.Errorf("segment preview: %v", pv)
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	e := start(t)
	key, _ := e.trackingSource("web")
	big := strings.Repeat("x", 33<<10)
	for _, c := range []struct {
		path, body string
		want       string
	}{
		{"/v1/track", `{"userId":`, "not valid JSON"},
		{"/v1/track", `{"event":"x"}`, "track needs a userId or an anonymousId"},
		{"/v1/track", `{"userId":"u1"}`, "track needs an event name"},
		{"/v1/group", `{"userId":"u1"}`, "group needs a groupId"},
		{"/v1/alias", `{"userId":"u1"}`, "alias needs userId and previousId"},
		{"/v1/track", `{"userId":"u1","event":"x","timestamp":"last week"}`, "not an ISO 8601 time"},
		{"/v1/track", `{"userId":"u1","event":"x","properties":{"p":"` + big + `"}}`, "32 KB"},
		{"/v1/batch", `{"batch":[{"type":"track","userId":"u1","event":"e","properties":{"p":"` + strings.Repeat("x", 501<<10) + `"}}]}`, "500 KB"},
		{"/v1/batch", `{"batch":[{"type":"track","event":"x"},{"type":"nope","userId":"u"}]}`, "none of the 2 messages"},
	} {
		code, out := e.post(c.path, key, c.body)
		if code != http.StatusBadRequest || out["success"] != false || out["code"] != "BAD_USER_INPUT" || !strings.Contains(fmt.Sprint(out["error"]), c.want) {
			t.Errorf("%s %.50s: %d %v, want 400 %q", c.path, c.body, code, out, c.want)
		}
	}
	// In a batch, a bad message is reported and the others go in (an SDK does not retry a 400).
	code, out := e.post("/v1/batch", key, `{"batch":[{"type":"track","userId":"u1","event":"ok","messageId":"b1"},
		{"type":"track","userId":"u1","event":"big","messageId":"b2","properties":{"p":"`+big+`"}}]}`)
	rej, _ := out["rejected"].([]any)
	if code != http.StatusOK || out["accepted"] != 1.0 || len(rej) != 1 || rej[0].(map[string]any)["index"] != 1.0 ||
		rej[0].(map[string]any)["messageId"] != "b2" || !strings.Contains(rej[0].(map[string]any)["reason"].(string), "32 KB") {
		t.Fatalf("partly bad batch: %d %v", code, out)
	}

	// analytics.js: text/plain (no preflight), the key in the body, the short path.
	req, _ := http.NewRequest("POST", e.url+"/v1/t", strings.NewReader(`{"writeKey":"`+key+`","anonymousId":"a-7","event":"Clicked","messageId":"js-1"}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://shop.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("browser call: %d %v", res.StatusCode, res.Header)
	}
	pre, _ := http.NewRequest("OPTIONS", e.url+"/v1/batch", nil)
	pre.Header.Set("Origin", "https://shop.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	res, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	// A gzipped batch.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(`{"batch":[{"type":"page","anonymousId":"a-7","name":"Home","messageId":"gz-1"}]}`))
	zw.Close()
	req, _ = http.NewRequest("POST", e.url+"/v1/batch", &z)
	req.Header.Set("Content-Encoding", "gzip")
	req.SetBasicAuth(key, "")
	if code, out := e.send(req); code != http.StatusOK || out["accepted"] != 1.0 {
		t.Fatalf("gzip: %d %v", code, out)
	}
	if p := e.personBy("anonymous_id", "a-7"); p == nil || p.event("web", "js-1") == nil || p.event("web", "gz-1") == nil {
		t.Fatalf("browser and gzip events: %+v", p)
	}
}

// A known user's new anonymous id, first seen in the batch that links it to them: the
// linking record goes first, so the anonymous events land on the user's profile without
// a profile made and merged within the batch (whose identities the profile would not list).
func TestOneBatchLinksBeforeItPlaces(t *testing.T) {
	e := start(t)
	key, _ := e.trackingSource("web")
	if code, _ := e.post("/v1/track", key, `{"userId":"u-7","event":"Signed Up","messageId":"s1"}`); code != http.StatusOK {
		t.Fatal(code)
	}
	code, out := e.post("/v1/batch", key, `{"batch":[
		{"type":"page","anonymousId":"a-7","name":"Home","messageId":"s2"},
		{"type":"identify","userId":"u-7","anonymousId":"a-7","messageId":"s3"},
		{"type":"track","anonymousId":"a-8","event":"Clicked","messageId":"s4"},
		{"type":"track","userId":"u-7","anonymousId":"a-8","event":"Clicked","messageId":"s5"}]}`)
	if code != http.StatusOK || out["accepted"] != 4.0 {
		t.Fatalf("%d %v", code, out)
	}
	p := e.personBy("customer_id", "u-7")
	if !slices.Contains(p.Identities, "anonymous_id:a-7") || !slices.Contains(p.Identities, "anonymous_id:a-8") || p.Interactions != 4 {
		t.Fatalf("%+v", p)
	}
	d := e.ok(`query($id: ID!) { customer(id: $id) { mergeHistory { kind } } }`, map[string]any{"id": p.ID})
	if h := d["customer"].(map[string]any)["mergeHistory"].([]any); len(h) != 0 {
		t.Errorf("profiles were made and merged within the batch: %v", h)
	}
}
