package main

import (
	"testing"
	"time"
)

// Newcomer point: the hint printed after `tessera demo` is a command that works as
// typed: the binary that ran (or go run), with -dev and the demo's database flags.
func TestBrowseHint(t *testing.T) {
	for _, c := range []struct {
		exe, wd string
		flags   []string
		want    string
	}{
		{"/tmp/go-build123/b001/exe/server", "/src/tessera", []string{"-data", "demo-data"}, "go run ./server serve -dev -data demo-data"},
		{"/src/tessera/bin/tessera", "/src/tessera", []string{"-data", "demo-data"}, "./bin/tessera serve -dev -data demo-data"},
		{"/opt/tessera", "/home/me", nil, "/opt/tessera serve -dev"},
		{"/src/tessera/bin/tessera", "/src/tessera", []string{"-dev", "-data", "my data"}, "./bin/tessera serve -dev -data 'my data'"},
		{"", "", []string{"--dev=false"}, "go run ./server serve --dev=false"},
	} {
		if got := browseHint(c.exe, c.wd, c.flags); got != c.want {
			t.Errorf("browseHint(%q, %q, %q) = %q, want %q", c.exe, c.wd, c.flags, got, c.want)
		}
	}
}

func TestServeFlags(t *testing.T) {
	c, err := parseServe([]string{"-webhook-allow", "127.0.0.1/32,localhost:9000"})
	if err != nil || c.WebhookAllow != "127.0.0.1/32,localhost:9000" || c.DBLogLevel != "error" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := parseServe([]string{"-db-log-level", "loud"}); err == nil {
		t.Fatal("a bad database log level was accepted")
	}
	t.Setenv("TESSERA_WEBHOOK_ALLOW", "10.0.0.0/8")
	t.Setenv("TESSERA_DB_LOG_LEVEL", "warn")
	if c, err := parseServe(nil); err != nil || c.WebhookAllow != "10.0.0.0/8" || c.DBLogLevel != "warn" || c.RequestTimeout != 60*time.Second {
		t.Fatalf("environment: %+v %v", c, err)
	}
}
