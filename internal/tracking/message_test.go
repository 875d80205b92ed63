package tracking

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var received = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCorrectedMovesTheTimestampByTheClockSkew(t *testing.T) {
	ts := func(s string) *time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &x
	}
	for _, c := range []struct {
		name              string
		timestamp, sentAt *time.Time
		want              time.Time
	}{
		// The client's clock is 1 h behind: it says it sent at 11:00:05 what we received
		// at 12:00:00, so its event of 10:59:00 happened at 11:58:55.
		{"slow clock", ts("2026-03-01T10:59:00Z"), ts("2026-03-01T11:00:05Z"), received.Add(-65 * time.Second)},
		{"fast clock", ts("2026-03-02T12:00:00Z"), ts("2026-03-02T12:00:30Z"), received.Add(-30 * time.Second)},
		{"no sentAt: as sent", ts("2026-03-01T11:00:00Z"), nil, received.Add(-time.Hour)},
		{"no timestamp: received", nil, ts("2026-03-01T11:00:00Z"), received},
		{"never after receivedAt", ts("2026-03-01T12:30:00Z"), nil, received},
		{"a clock reset to 1970", ts("1970-01-01T00:00:10Z"), nil, received},
	} {
		if got := Corrected(c.timestamp, c.sentAt, received); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseBatch(t *testing.T) {
	body := `{"batch":[
	  {"type":"track","event":"Order Completed","userId":"u1","messageId":"m1","timestamp":"2026-03-01T10:00:00Z","properties":{"revenue":12.50,"big":12345678901234567890}},
	  {"type":"identify","anonymousId":"a1","userId":42,"traits":{"email":"ann@example.com"},"messageId":"m2","context":{"locale":"de-DE"}},
	  {"type":"track","userId":"u1"},
	  {"type":"wave","userId":"u1"},
	  {"type":"page"},
	  {"type":"alias","userId":"u1"},
	  {"type":"group","userId":"u1"},
	  {"type":"page","anonymousId":"a1","timestamp":"yesterday"},
	  {"type":"page","anonymousId":"a1","properties":[1]},
	  "text",
	  {"type":"screen","anonymousId":"a1","name":"Cart"}
	],"context":{"ip":"10.0.0.1","locale":"en-GB"},"sentAt":"2026-03-01T11:00:00Z"}`
	b, err := Parse("batch", []byte(body), received)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 3 || b.Index[0] != 0 || b.Index[1] != 1 || b.Index[2] != 10 {
		t.Fatalf("messages at %v, rejects %+v", b.Index, b.Rejects)
	}
	want := map[int]string{2: "track needs an event name", 3: `type "wave"`, 4: "page needs a userId or an anonymousId",
		5: "alias needs userId and previousId", 6: "group needs a groupId", 7: `timestamp "yesterday" is not an ISO 8601 time`,
		8: "properties must be a JSON object", 9: "a message must be a JSON object"}
	if len(b.Rejects) != len(want) {
		t.Fatalf("rejects: %+v", b.Rejects)
	}
	for _, r := range b.Rejects {
		if !strings.Contains(r.Reason, want[r.Index]) {
			t.Errorf("reject %d: %q, want %q", r.Index, r.Reason, want[r.Index])
		}
	}
	track, ident := b.Messages[0], b.Messages[1]
	// The batch's sentAt says the client's clock is an hour behind.
	if !track.At.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) || track.ClientTimestamp == nil {
		t.Errorf("corrected time %v", track.At)
	}
	if n, _ := track.Properties["big"].(json.Number); n.String() != "12345678901234567890" {
		t.Errorf("a big number lost precision: %v", track.Properties["big"])
	}
	if ident.UserID != "42" || ident.Context["ip"] != "10.0.0.1" || ident.Context["locale"] != "de-DE" {
		t.Errorf("identify: %+v", ident)
	}
	if !ident.At.Equal(received) {
		t.Errorf("no timestamp: %v, want receivedAt", ident.At)
	}
	if scr := b.Messages[2]; !strings.HasPrefix(scr.MessageID, "auto-") {
		t.Errorf("a message without messageId gets one from its content: %q", scr.MessageID)
	}
	again, _ := Parse("batch", []byte(body), received.Add(time.Minute))
	if again.Messages[2].MessageID != b.Messages[2].MessageID {
		t.Error("the same content got another messageId: a retry would be counted twice")
	}
}

func TestParseRefusesUnreadableRequests(t *testing.T) {
	big := `{"batch":[{"type":"track","userId":"u","event":"e","properties":{"x":"` + strings.Repeat("a", MaxBatchBytes) + `"}}]}`
	for _, c := range []struct{ call, body, want string }{
		{"batch", `{"batch":`, "not valid JSON"},
		{"batch", `[]`, "must be a JSON object"},
		{"batch", `{"batch":"x"}`, `field "batch" has the wrong type`},
		{"batch", `{"messages":[]}`, `needs a "batch" array`},
		{"batch", `{"batch":[],"sentAt":"soon"}`, "sentAt"},
		{"batch", big, "at most 512000 (500 KB) per batch"},
		{"track", ``, "must be a JSON object"},
	} {
		_, err := Parse(c.call, []byte(c.body), received)
		if _, ok := err.(*RequestError); !ok || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %.40s: %v, want %q", c.call, c.body, err, c.want)
		}
	}
}

func TestParseOneCall(t *testing.T) {
	b, err := Parse("track", []byte(`{"userId":"u1","event":"Signed Up","type":"identify","messageId":"m-1"}`), received)
	if err != nil || len(b.Messages) != 1 || b.Messages[0].Type != Track || b.Messages[0].MessageID != "m-1" {
		t.Fatalf("the path names the call: %+v %v", b, err)
	}
	big := `{"userId":"u1","event":"e","messageId":"m-big","properties":{"x":"` + strings.Repeat("a", MaxMessageBytes) + `"}}`
	b, err = Parse("track", []byte(big), received)
	if err != nil || len(b.Messages) != 0 || len(b.Rejects) != 1 || b.Rejects[0].MessageID != "m-big" ||
		!strings.Contains(b.Rejects[0].Reason, "at most 32768 (32 KB) per message") {
		t.Fatalf("oversize: %+v %v", b, err)
	}
	if WriteKeyOf([]byte(`{"writeKey":"wk_1","userId":"u"}`)) != "wk_1" || WriteKeyOf([]byte(`{"writeKey":1}`)) != "" || WriteKeyOf([]byte(`x`)) != "" {
		t.Error("WriteKeyOf")
	}
}

func TestRecordsLinkIdsAndTraits(t *testing.T) {
	ident := Message{Type: Identify, UserID: "u1", AnonymousID: "a1", At: received, Context: map[string]any{"locale": "de-DE"},
		Traits: map[string]any{"email": "ann@example.com", "name": "Ann Lee", "birthday": "1990-02-03", "plan": "pro",
			"address": map[string]any{"street": "1 High St", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}}}
	r := ident.Record()
	for k, v := range map[string]any{"userId": "u1", "anonymousId": "a1", "email": "ann@example.com", "name": "Ann Lee", "birthDate": "1990-02-03",
		"plan": "pro", "street": "1 High St", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB", "locale": "de-DE"} {
		if r.Payload[k] != v {
			t.Errorf("payload[%s] = %v, want %v", k, r.Payload[k], v)
		}
	}
	if !strings.HasPrefix(r.ExternalID, "identify:") || !r.ObservedAt.Equal(received) {
		t.Errorf("record %+v", r)
	}
	// The same identify again is the same record; other traits are another.
	if again := ident.Record(); again.ExternalID != r.ExternalID {
		t.Error("the same identify made another record")
	}
	ident.Traits = map[string]any{"email": "ann@work.example"}
	if other := ident.Record(); other.ExternalID == r.ExternalID {
		t.Error("other traits made the same record")
	}

	for _, c := range []struct {
		m       Message
		ext     string
		payload map[string]any
	}{
		{Message{Type: Track, AnonymousID: "a1"}, "anon:a1", map[string]any{"anonymousId": "a1"}},
		{Message{Type: Page, UserID: "u1"}, "user:u1", map[string]any{"userId": "u1"}},
		{Message{Type: Track, UserID: "u1", AnonymousID: "a1"}, "ids:", map[string]any{"userId": "u1", "anonymousId": "a1"}},
		{Message{Type: Alias, UserID: "u1", PreviousID: "a2"}, "alias:", map[string]any{"userId": "u1", "anonymousId": "a2"}},
	} {
		r := c.m.Record()
		if !strings.HasPrefix(r.ExternalID, c.ext) || len(r.Payload) != len(c.payload) {
			t.Errorf("%s: %+v", c.m.Type, r)
		}
		for k, v := range c.payload {
			if r.Payload[k] != v {
				t.Errorf("%s: payload %v", c.m.Type, r.Payload)
			}
		}
	}
}

func TestInteractionKeepsEventAndContext(t *testing.T) {
	sent := received.Add(-time.Hour)
	m := Message{Type: Track, MessageID: "m1", UserID: "u1", Event: "Order Completed", At: received.Add(-time.Minute), ClientTimestamp: &sent, ReceivedAt: received,
		Properties: map[string]any{"revenue": json.Number("12.50")},
		Context: map[string]any{"ip": "1.2.3.4", "userAgent": "Mozilla/5.0", "locale": "en-GB",
			"campaign": map[string]any{"name": "spring", "source": "newsletter", "medium": "email"},
			"page":     map[string]any{"url": "https://shop.example/x"}, "library": map[string]any{"name": "analytics.js", "version": "2.0"}}}
	it, ok := m.Interaction("web", "web:user:u1", "p1")
	if !ok || it.ID != "web:m1" || it.ProfileID != "p1" || it.RecordID != "web:user:u1" || it.Type != "Order Completed" || it.Channel != "web" || !it.At.Equal(m.At) {
		t.Fatalf("%+v", it)
	}
	for k, v := range map[string]string{"event": "Order Completed", "properties": `{"revenue":12.50}`, "ip": "1.2.3.4", "userAgent": "Mozilla/5.0",
		"locale": "en-GB", "utm_campaign": "spring", "utm_source": "newsletter", "utm_medium": "email", "pageUrl": "https://shop.example/x",
		"library": "analytics.js 2.0", "userId": "u1", "messageId": "m1", "call": "track", "clientTimestamp": sent.Format(time.RFC3339Nano)} {
		if it.Attributes[k] != v {
			t.Errorf("attributes[%s] = %q, want %q", k, it.Attributes[k], v)
		}
	}
	if _, has := it.Attributes["utm_term"]; has {
		t.Error("empty attributes are left out")
	}
	if it, _ := (&Message{Type: Page, MessageID: "m2", AnonymousID: "a", Name: "Home", At: received}).Interaction("web", "r", "p"); it.Type != "page" || it.Attributes["name"] != "Home" {
		t.Errorf("page: %+v", it)
	}
	for _, typ := range []string{Identify, Alias} {
		if _, ok := (&Message{Type: typ}).Interaction("web", "r", "p"); ok {
			t.Errorf("%s made an interaction", typ)
		}
	}
}
