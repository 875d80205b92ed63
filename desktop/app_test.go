package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

func newTestApp(t *testing.T, env map[string]string) (*App, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tessera", "desktop.json")
	a, err := NewApp(path, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	return a, path
}

func TestSaveSettingsPersistsPrivately(t *testing.T) {
	a, path := newTestApp(t, nil)
	v, err := a.SaveSettings(" http://127.0.0.1:8080 ", "tsk_abcdefghijklmnop")
	if err != nil {
		t.Fatal(err)
	}
	if !v.HasKey || v.ServerURL != "http://127.0.0.1:8080" {
		t.Fatalf("view = %+v", v)
	}
	if strings.Contains(v.KeyPrefix, "ghijk") {
		t.Fatalf("view leaks the key: %q", v.KeyPrefix)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("settings file mode = %v, want 0600", st.Mode().Perm())
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if dir.Mode().Perm() != 0o700 {
		t.Fatalf("settings dir mode = %v, want 0700", dir.Mode().Perm())
	}

	// A second app (next launch) sees the same settings.
	b, _ := NewApp(path, func(string) string { return "" }, &bytes.Buffer{})
	if c := b.Connection(); c.APIKey != "tsk_abcdefghijklmnop" || c.ServerURL != "http://127.0.0.1:8080" {
		t.Fatalf("reloaded connection = %+v", c)
	}
}

func TestSaveSettingsEmptyKeyKeepsStoredKey(t *testing.T) {
	a, _ := newTestApp(t, nil)
	if _, err := a.SaveSettings("http://a", "secret-key-123456"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveSettings("http://b", ""); err != nil {
		t.Fatal(err)
	}
	if c := a.Connection(); c.APIKey != "secret-key-123456" || c.ServerURL != "http://b" {
		t.Fatalf("connection = %+v", c)
	}
	v, err := a.ForgetKey()
	if err != nil || v.HasKey || a.Connection().APIKey != "" {
		t.Fatalf("after ForgetKey: %+v %v", v, err)
	}
}

func TestEnvOverridesStoredSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desktop.json")
	if err := SaveSettings(path, Settings{ServerURL: "http://stored", APIKey: "stored-key"}); err != nil {
		t.Fatal(err)
	}
	a, err := NewApp(path, func(k string) string {
		return map[string]string{envServerURL: "http://env:1"}[k]
	}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Connection(); c.ServerURL != "http://env:1" || c.APIKey != "stored-key" {
		t.Fatalf("connection = %+v", c)
	}
}

func TestLoadSettingsRejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desktop.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := LoadSettings(path); err == nil {
		t.Fatal("want error for corrupt settings")
	}
}

func TestMaskKey(t *testing.T) {
	for key, want := range map[string]string{
		"":                      "",
		"abc":                   "a…",
		"tsk_0123456789abcdefg": "tsk_01…",
	} {
		if got := MaskKey(key); got != want {
			t.Errorf("MaskKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestOpenCSVReadsChosenFile(t *testing.T) {
	a, _ := newTestApp(t, nil)
	csv := filepath.Join(t.TempDir(), "people.csv")
	os.WriteFile(csv, []byte("id,email\n1,a@example.com\n"), 0o644)

	a.openFileDialog = func(context.Context, runtime.OpenDialogOptions) (string, error) { return csv, nil }
	f, err := a.OpenCSV()
	if err != nil || f == nil || f.Name != "people.csv" || !strings.HasPrefix(f.Text, "id,email") {
		t.Fatalf("OpenCSV = %+v, %v", f, err)
	}

	a.openFileDialog = func(context.Context, runtime.OpenDialogOptions) (string, error) { return "", nil }
	if f, err := a.OpenCSV(); f != nil || err != nil {
		t.Fatalf("cancelled dialog: %+v, %v", f, err)
	}

	a.openFileDialog = func(context.Context, runtime.OpenDialogOptions) (string, error) { return "", errors.New("boom") }
	if _, err := a.OpenCSV(); err == nil {
		t.Fatal("want dialog error")
	}
}

func TestSaveTextFileWritesChosenPath(t *testing.T) {
	a, _ := newTestApp(t, nil)
	dest := filepath.Join(t.TempDir(), "customer.json")
	a.saveFileDialog = func(_ context.Context, o runtime.SaveDialogOptions) (string, error) {
		if o.DefaultFilename != "c.json" {
			t.Errorf("default filename = %q", o.DefaultFilename)
		}
		return dest, nil
	}
	got, err := a.SaveTextFile("../c.json", `{"id":"1"}`)
	if err != nil || got != dest {
		t.Fatalf("SaveTextFile = %q, %v", got, err)
	}
	b, _ := os.ReadFile(dest)
	var v map[string]string
	if json.Unmarshal(b, &v); v["id"] != "1" {
		t.Fatalf("written %q", b)
	}
}

func TestReadyPrintsOneLine(t *testing.T) {
	var out bytes.Buffer
	a := &App{out: &out}
	a.Ready("Tessera\nconnected")
	if out.String() != "desktop: rendered Tessera connected\n" {
		t.Fatalf("got %q", out.String())
	}
}
