package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Settings is what the app remembers between runs. The file holds a secret (the API
// key), so it is written 0600 inside a 0700 directory.
type Settings struct {
	ServerURL string `json:"serverUrl"`
	APIKey    string `json:"apiKey"`
}

// SettingsView is what the settings screen may see: never the key itself.
type SettingsView struct {
	ServerURL string `json:"serverUrl"`
	HasKey    bool   `json:"hasKey"`
	KeyPrefix string `json:"keyPrefix"`
}

// Connection is what the app's own webview needs to call the server directly.
type Connection struct {
	ServerURL string `json:"serverUrl"`
	APIKey    string `json:"apiKey"`
}

// Env vars that override the stored settings at startup (not persisted): they let CI and
// scripted runs point the app at a server without touching the user's config.
const (
	envServerURL = "TESSERA_SERVER_URL"
	envAPIKey    = "TESSERA_API_KEY"
)

// DefaultSettingsPath is os.UserConfigDir()/tessera/desktop.json.
func DefaultSettingsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locate config dir: %w", err)
	}
	return filepath.Join(dir, "tessera", "desktop.json"), nil
}

// LoadSettings reads path; a missing file is empty settings, not an error.
func LoadSettings(path string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("parse settings %s: %w", path, err)
	}
	return s, nil
}

// SaveSettings writes atomically (temp file + rename) so a crash never leaves half a file.
func SaveSettings(path string, s Settings) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".desktop-*.json")
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// withEnv applies the TESSERA_* overrides.
func withEnv(s Settings, getenv func(string) string) Settings {
	if v := strings.TrimSpace(getenv(envServerURL)); v != "" {
		s.ServerURL = v
	}
	if v := strings.TrimSpace(getenv(envAPIKey)); v != "" {
		s.APIKey = v
	}
	return s
}

// View hides the key: enough of a prefix to recognise it (as the server's ApiKey.prefix
// does), never enough to use it.
func (s Settings) View() SettingsView {
	return SettingsView{ServerURL: s.ServerURL, HasKey: s.APIKey != "", KeyPrefix: MaskKey(s.APIKey)}
}

// MaskKey shows at most 6 characters and at most a third of the key.
func MaskKey(key string) string {
	if key == "" {
		return ""
	}
	n := min(6, len(key)/3)
	return key[:n] + "…"
}
