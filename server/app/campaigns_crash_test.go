package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/testdb"
	"github.com/tessera-cdp/tessera/server/app"
)

// The sender process is killed with SIGKILL mid-send, then the send resumes in another
// process: nobody gets the campaign twice, everyone whose message was not in flight at
// the kill gets it exactly once, and the messages in flight are reported unconfirmed.
//
// The sender is this test binary run again (TestCampaignCrashChild) on the same
// database (the parent's embedded FerretDB listens on loopback) and the same relay. The
// relay holds its answer to the killAt-th message and kills the sender while it waits:
// that message's recipient was claimed (SENDING) and, since the relay then drops the
// connection without taking it, got nothing: the at-most-once side of the ledger (see
// package campaign), reported as unconfirmed and never sent again.
func TestCampaignSendSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second process")
	}
	const n, killAt = 90, 25
	db := testdb.DB(t)
	relay := mailtest.Start(t)
	o := app.Options{Mail: relay.Config("Shop <news@shop.example>")}
	o.Log, o.CORSOrigins = testLog(), []string{"*"}
	a, err := app.New(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.Bootstrap(context.Background(), adminKey); err != nil {
		t.Fatal(err)
	}
	s := startApp(t, a, db)
	people := seedPeopleWithConsent(t, s, n, func(i int) string { return fmt.Sprintf("Cy%d", i) }, func(int) bool { return true })
	seg := everyoneSegment(t, s, n)
	cid := get(s.ok(adminKey, `mutation($in: CampaignInput!) { createCampaign(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Crash", "segmentId": seg, "holdoutPercent": 10, "subject": "Hi {{customer.firstName}}", "text": "Hi"}}), "createCampaign", "id").(string)

	var once sync.Once
	var child *exec.Cmd
	var held string
	arrived := 0
	var mu sync.Mutex
	relay.OnData = func(m mailtest.Received) error {
		mu.Lock()
		arrived++
		kill := arrived == killAt
		mu.Unlock()
		if !kill {
			return nil
		}
		once.Do(func() {
			held = m.To[0]
			_ = child.Process.Signal(syscall.SIGKILL)
		})
		return mailtest.ErrDrop // the answer never went out: the relay keeps nothing
	}
	host, port, _ := net.SplitHostPort(relay.Addr)
	child = exec.Command(os.Args[0], "-test.run=^TestCampaignCrashChild$", "-test.v")
	child.Env = append(os.Environ(), "TESSERA_CAMPAIGN_CHILD=1", "TESSERA_CHILD_URI="+testdb.URI(t), "TESSERA_CHILD_DB="+db.Name(),
		"TESSERA_CHILD_SMTP_HOST="+host, "TESSERA_CHILD_SMTP_PORT="+port, "TESSERA_CHILD_CA="+string(relay.CertPEM), "TESSERA_CHILD_CAMPAIGN="+cid)
	out, err := child.CombinedOutput()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the sender was not killed (%v):\n%s", err, out)
	}
	before := relay.Count()
	t.Logf("killed the sender after %d messages (the %d-th held), %s left SENDING", before, killAt, cid)

	// Resume here, once the dead sender's lease has lapsed.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := s.a.Campaigns.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.a.Campaigns.Wait(context.Background(), cid); err != nil {
			t.Fatal(err)
		}
		c, err := s.a.Campaigns.Get(context.Background(), cid)
		if err != nil {
			t.Fatal(err)
		}
		if c.State == campaign.Sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not resumed: %+v", c)
		}
		time.Sleep(200 * time.Millisecond)
	}

	got := map[string]int{}
	for _, m := range relay.Messages() {
		got[m.To[0]]++
	}
	keys := make([]string, len(people))
	for i, p := range people {
		keys[i] = campaign.EntryID(cid, p.id)
	}
	es, err := s.a.Campaigns.Store.GetEntries(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	byProfile := map[string]campaign.Entry{}
	for _, e := range es {
		byProfile[e.ProfileID] = e
	}
	sent, unconfirmed := 0, 0
	for _, p := range people {
		e, ok := byProfile[p.id]
		if !ok {
			t.Fatalf("%s has no ledger entry after the resumed send", p.email)
		}
		switch e.State {
		case campaign.Delivered:
			sent++
			if got[p.email] != 1 {
				t.Errorf("%s: SENT, %d messages", p.email, got[p.email])
			}
		case campaign.Claimed, campaign.Unconfirmed:
			unconfirmed++
			if got[p.email] > 1 {
				t.Errorf("%s: unconfirmed, %d messages", p.email, got[p.email])
			}
		case campaign.HeldOut:
			if got[p.email] != 0 || !inHoldout(cid, p.id, 10) {
				t.Errorf("%s: held out, %d messages", p.email, got[p.email])
			}
		default:
			t.Errorf("%s: %s (%s)", p.email, e.State, e.Reason)
		}
	}
	if e := byProfile[people[slicesIndexEmail(people, held)].id]; e.State != campaign.Claimed || got[held] != 0 {
		t.Errorf("the held message's recipient %s: %s with %d messages", held, e.State, got[held])
	}
	if unconfirmed < 1 || unconfirmed > 4 { // at most one in flight per connection
		t.Errorf("%d unconfirmed", unconfirmed)
	}
	r := get(s.ok(adminKey, reportQ, map[string]any{"id": cid}), "campaignReport")
	if get(r, "sent") != float64(sent) || get(r, "unconfirmed") != float64(unconfirmed) || get(r, "pending") != 0.0 || get(r, "planned") != float64(n) {
		t.Errorf("report %v; sent %d, unconfirmed %d", r, sent, unconfirmed)
	}
	t.Logf("%d sent exactly once (%d before the kill), %d unconfirmed, %d held out", sent, before, unconfirmed, n-sent-unconfirmed)
}

func slicesIndexEmail(ps []person, email string) int {
	for i, p := range ps {
		if p.email == email {
			return i
		}
	}
	return -1
}

// startApp serves an app built by the test.
func startApp(t *testing.T, a *app.App, db *mongo.Database) *srv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	hs := httptestServer(a, db)
	t.Cleanup(func() { cancel(); hs.Close() })
	a.Campaigns.PublicURL = hs.URL
	return &srv{t, hs.URL, a}
}

// TestCampaignCrashChild is the sender process of TestCampaignSendSurvivesKill.
func TestCampaignCrashChild(t *testing.T) {
	if os.Getenv("TESSERA_CAMPAIGN_CHILD") == "" {
		t.Skip("the sender process of TestCampaignSendSurvivesKill")
	}
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(os.Getenv("TESSERA_CHILD_URI")))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(os.Getenv("TESSERA_CHILD_CA")))
	port, _ := strconv.Atoi(os.Getenv("TESSERA_CHILD_SMTP_PORT"))
	cfg := mail.Config{Host: os.Getenv("TESSERA_CHILD_SMTP_HOST"), Port: port, Username: mailtest.Username, Password: mailtest.Password,
		TLS: mail.StartTLS, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, From: "Shop <news@shop.example>"}
	a, err := app.New(ctx, client.Database(os.Getenv("TESSERA_CHILD_DB")), app.Options{Log: testLog(), Mail: cfg, PublicURL: "http://tessera.test"})
	if err != nil {
		t.Fatal(err)
	}
	a.Campaigns.Lease = 2 * time.Second
	a.Campaigns.Start(ctx)
	id := os.Getenv("TESSERA_CHILD_CAMPAIGN")
	if _, err := a.Campaigns.SendNow(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := a.Campaigns.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	t.Fatal("the send finished: the parent should have killed this process")
}

func httptestServer(a *app.App, db *mongo.Database) *httptest.Server {
	return httptest.NewServer(a.Handler(func(ctx context.Context) error { return db.Client().Ping(ctx, nil) }))
}
