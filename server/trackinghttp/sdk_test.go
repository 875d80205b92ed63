package trackinghttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// sdkDir holds a Node project depending on the real @segment/analytics-node and
// @rudderstack/rudder-sdk-node (exact versions, lockfile); scripts/test.sh installs it
// with npm ci before go test.
const sdkDir = "testdata/sdk"

// TestSegmentNodeSDK sends a visitor's journey with the real Segment SDK, its host option
// pointed at Tessera, and checks every event the SDK delivered is on the right profile:
// the anonymous visitor's events on the profile of the user they identified as, the
// aliased device's too, and someone else's on their own.
func TestSegmentNodeSDK(t *testing.T) {
	e := start(t)
	key, _ := e.trackingSource("website")
	stdout, stderr := runSDK(t, "@segment/analytics-node", "send.mjs", e.url, key)
	type sent struct{ Type, MessageID, UserID, AnonymousID, Event string }
	var msgs []sent
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		var m sent
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("send.mjs printed %q", sc.Text())
		}
		msgs = append(msgs, m)
	}
	if len(msgs) != 9 {
		t.Fatalf("the SDK delivered %d messages, want 9: %+v\n%s", len(msgs), msgs, stderr)
	}

	user := e.personBy("customer_id", "sdk-user-1")
	if user == nil {
		t.Fatal("no profile for the identified user")
	}
	for _, id := range []string{"anonymous_id:sdk-anon-1", "anonymous_id:sdk-anon-2", "email:sam.kit@example.com"} {
		if !slices.Contains(user.Identities, id) {
			t.Errorf("the user's profile lacks %s: %v", id, user.Identities)
		}
	}
	other := e.personBy("anonymous_id", "sdk-anon-3")
	if other == nil || other.ID == user.ID {
		t.Fatalf("someone else: %+v", other)
	}
	for _, m := range msgs {
		switch {
		case m.Type == "identify" || m.Type == "alias":
			if user.event("website", m.MessageID) != nil {
				t.Errorf("%s is on the timeline", m.Type)
			}
		case m.AnonymousID == "sdk-anon-3":
			if other.event("website", m.MessageID) == nil {
				t.Errorf("%s %s is not on the other visitor's timeline", m.Type, m.MessageID)
			}
		default:
			n := user.event("website", m.MessageID)
			if n == nil {
				t.Errorf("%s %s (%s%s) is not on the user's timeline", m.Type, m.MessageID, m.UserID, m.AnonymousID)
				continue
			}
			if want := m.Type; m.Type == "track" && n["type"] != m.Event || m.Type != "track" && n["type"] != want {
				t.Errorf("%s: type %v", m.MessageID, n["type"])
			}
		}
	}
	// Two anonymous events, three of the user, one of the aliased device.
	if len(user.Timeline) != 6 || user.Interactions != 6 {
		t.Errorf("the user has %d events on the timeline (%d counted), want 6", len(user.Timeline), user.Interactions)
	}
	var home map[string]any
	for _, m := range msgs {
		if m.Type == "page" && m.AnonymousID == "sdk-anon-1" {
			home = user.event("website", m.MessageID)
		}
	}
	if home == nil || attrs(home)["name"] != "Home" || attrs(home)["utm_campaign"] != "autumn" || attrs(home)["ip"] != "198.51.100.4" ||
		attrs(home)["library"] != "@segment/analytics-node 3.1.0" {
		t.Errorf("the first page view: %v", home)
	}
}

// TestRudderStackNodeSDK does the same with @rudderstack/rudder-sdk-node, which posts
// gzipped batches with originalTimestamp instead of timestamp.
func TestRudderStackNodeSDK(t *testing.T) {
	e := start(t)
	key, _ := e.trackingSource("server")
	runSDK(t, "@rudderstack/rudder-sdk-node", "send-rudder.mjs", e.url, key)
	user := e.personBy("customer_id", "rudder-user-1")
	if user == nil || !slices.Contains(user.Identities, "anonymous_id:rudder-anon-1") || !slices.Contains(user.Identities, "email:rudder.user@example.com") {
		t.Fatalf("the user's profile: %+v", user)
	}
	for _, id := range []string{"rs-1", "rs-2", "rs-4"} {
		if user.event("server", id) == nil {
			t.Errorf("%s is not on the user's timeline", id)
		}
	}
	if n := user.event("server", "rs-2"); n == nil || n["type"] != "Product Viewed" || attrs(n)["properties"] != `{"sku":"SKU-4"}` {
		t.Errorf("rs-2: %v", n)
	}
	if other := e.personBy("anonymous_id", "rudder-anon-3"); other == nil || other.ID == user.ID || other.event("server", "rs-5") == nil {
		t.Errorf("someone else: %+v", other)
	}
}

// runSDK runs script (in sdkDir, with the package it needs installed) against the
// server at url with the write key, and returns its output; it skips the test when node
// or the package is missing.
func runSDK(t *testing.T, pkg, script, url, key string) (stdout, stderr []byte) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the SDK tests need Node.js 20 or later")
	}
	if _, err := os.Stat(filepath.Join(sdkDir, "node_modules", pkg, "package.json")); err != nil {
		t.Skipf("%s is not installed: run `npm ci` in server/trackinghttp/%s (scripts/test.sh does)", pkg, sdkDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = sdkDir
	cmd.Env = append(os.Environ(), "TESSERA_HOST="+url, "TESSERA_WRITE_KEY="+key)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s%s", script, err, out.String(), errOut.String())
	}
	return out.Bytes(), errOut.Bytes()
}
