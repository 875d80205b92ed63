package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: `tessera export` asks the server for the export with the key,
// writes what it streams into the file, infers the format from the file name, and
// leaves no file when the server refuses or the transfer breaks off.
func TestExportCommand(t *testing.T) {
	body := bytes.Repeat([]byte("id,first_name\ncus_1,Ann\n"), 5000)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer admin-key" {
			http.Error(w, "only ADMIN keys may export", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/export/orders.csv" { // breaks off mid-stream
			w.Write(body[:1000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		for i := 0; i < len(body); i += 4096 { // in chunks, as the server does
			w.Write(body[i:min(i+4096, len(body))])
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	dir := t.TempDir()

	out := filepath.Join(dir, "profiles.csv")
	if err := exportCmd([]string{"-server", srv.URL, "-key", "admin-key", "-kind", "profiles", "-o", out}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, body) {
		t.Errorf("file holds %d bytes, want %d", len(got), len(body))
	}
	if err := exportCmd([]string{"-server", srv.URL, "-key", "admin-key", "-kind", "interactions", "-o", filepath.Join(dir, "i.parquet"), "-quiet"}); err != nil {
		t.Fatal(err)
	}
	if paths[1] != "/export/interactions.parquet" {
		t.Errorf("asked for %s", paths[1])
	}

	err := exportCmd([]string{"-server", srv.URL, "-key", "agent-key", "-kind", "profiles", "-o", filepath.Join(dir, "no.csv"), "-quiet"})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "ADMIN") {
		t.Errorf("refused export: %v", err)
	}
	err = exportCmd([]string{"-server", srv.URL, "-key", "admin-key", "-kind", "orders", "-o", filepath.Join(dir, "orders.csv"), "-quiet"})
	if err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("broken transfer: %v", err)
	}
	if err := exportCmd([]string{"-key", "k", "-kind", "secrets", "-o", filepath.Join(dir, "x.csv")}); err == nil {
		t.Error("an unknown kind was accepted")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 2 {
		t.Errorf("files left: %v (want only the two complete exports)", left)
	}
}
