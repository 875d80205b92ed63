package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Issue 18: the request paths of channels and surveys (a connector's message, an answer
// link, a customer's surveys, NPS and timeline, npsTrend) read and write by bare _id on
// FerretDB: no collection scan per request.
func TestChannelsAndSurveysBounded(t *testing.T) {
	relay := mailtest.Start(t)
	log := &testdb.CommandLog{}
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetMonitor(log.Monitor()))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(fmt.Sprintf("mon_%d", time.Now().UnixNano()))
	t.Cleanup(func() { _ = db.Drop(context.Background()); _ = client.Disconnect(context.Background()) })
	a, err := app.New(context.Background(), db, app.Options{Log: slog.New(slog.DiscardHandler), Mail: relay.Config("Shop <noreply@shop.example>")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler(func(ctx context.Context) error { return client.Ping(ctx, nil) }))
	t.Cleanup(hs.Close)
	s := &srv{t, hs.URL, a}
	ctx := context.Background()
	if err := a.Surveys.BuildTrend(ctx); err != nil {
		t.Fatal(err)
	}
	pointOnly := !testdb.Backend(t).IndexedFilters
	check := func(what string, cmds []testdb.Command) {
		t.Helper()
		for _, c := range cmds {
			switch c.Name {
			case "insert":
			case "find", "update", "delete", "findAndModify":
				for _, f := range c.Filters {
					// The help desk saves a ticket by _id and version (its own optimistic
					// concurrency, as every ticket change does).
					if c.Coll == "tickets" && c.Name == "findAndModify" {
						continue
					}
					if pointOnly && !testdb.BareID(f) {
						t.Errorf("%s: a filter that is not a bare _id: %s", what, c)
					}
				}
				if len(c.Filters) == 0 {
					t.Errorf("%s: a command without a filter: %s", what, c)
				}
			default:
				t.Errorf("%s: unexpected command %s", what, c)
			}
		}
		t.Logf("%s: %d commands", what, len(cmds))
	}

	ann := get(s.ok(adminKey, `mutation { createCustomer(input: {firstName: "Ann", emails: ["ann@example.com"]}) { id } }`, nil), "createCustomer", "id").(string)
	secret := get(s.ok(adminKey, `mutation { createChannel(name: "wa", kind: WHATSAPP) { secret } }`, nil), "createChannel", "secret").(string)
	msg := func(id string) map[string]any {
		return map[string]any{"messageId": id, "conversationId": "c1", "text": "hello", "from": map[string]any{"id": "+44 7700 900123", "email": "ann@example.com"}}
	}
	postMessage(t, s, "wa", secret, 0, msg("m0")) // warm: the source, the conversation
	log.Record(true)
	if code, out := postMessage(t, s, "wa", secret, 0, msg("m1")); code != 200 || out["outcome"] != "continued" {
		t.Fatalf("message: %d %v", code, out)
	}
	check("inbound message", log.Record(false))

	tk := s.createTicket(adminKey, map[string]any{"email": "ann@example.com"})
	snd, err := a.Surveys.Process(ctx, survey.Trigger{Type: survey.TicketSolved, ID: tk["id"].(string), ProfileID: ann})
	if err != nil || snd.State != survey.Sent {
		t.Fatalf("send: %+v %v", snd, err)
	}
	link := surveyURL(t, s, relay.WaitFor(t, 1)[0].Text, "5")
	s.ok(adminKey, `{ me { id } }`, nil) // the key is cached
	log.Record(true)
	if code, _ := httpDo(t, must(http.NewRequest("GET", link, nil))); code != 200 {
		t.Fatalf("answer: %d", code)
	}
	check("answer link", log.Record(false))
	log.Record(true)
	d := s.ok(adminKey, customerSurveys, map[string]any{"id": ann})
	check("customer surveys", log.Record(false))
	if get(d, "customer", "surveys", 0, "answer", "score") != float64(5) {
		t.Fatalf("surveys: %v", d)
	}
	log.Record(true)
	s.ok(adminKey, `{ npsTrend(interval: WEEK) { ready total { responses } } }`, nil)
	check("npsTrend", log.Record(false))
}
