package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// maxOpenBytes bounds what OpenCSV hands to the webview in one string.
const maxOpenBytes = 64 << 20

// App is bound to the frontend (window.go.main.App). It only does native things:
// settings on disk, file dialogs, file I/O. GraphQL goes from the webview to the server.
type App struct {
	ctx          context.Context
	settingsPath string
	out          io.Writer

	mu       sync.Mutex
	settings Settings

	// Dialogs are fields so tests can run without a window.
	openFileDialog func(context.Context, runtime.OpenDialogOptions) (string, error)
	saveFileDialog func(context.Context, runtime.SaveDialogOptions) (string, error)
}

// NewApp loads the settings at path and applies the env overrides.
func NewApp(path string, getenv func(string) string, out io.Writer) (*App, error) {
	s, err := LoadSettings(path)
	if err != nil {
		return nil, err
	}
	return &App{
		settingsPath:   path,
		out:            out,
		settings:       withEnv(s, getenv),
		openFileDialog: runtime.OpenFileDialog,
		saveFileDialog: runtime.SaveFileDialog,
	}, nil
}

func (a *App) startup(ctx context.Context) { a.ctx = ctx }

// GetSettings returns the remembered settings without the key.
func (a *App) GetSettings() SettingsView {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings.View()
}

// SaveSettings remembers the server URL and key. An empty apiKey keeps the stored one,
// so the settings screen can change the URL without the user retyping the key.
func (a *App) SaveSettings(serverURL, apiKey string) (SettingsView, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.settings
	next.ServerURL = strings.TrimSpace(serverURL)
	if k := strings.TrimSpace(apiKey); k != "" {
		next.APIKey = k
	}
	if err := SaveSettings(a.settingsPath, next); err != nil {
		return a.settings.View(), err
	}
	a.settings = next
	return next.View(), nil
}

// ForgetKey removes the key from memory and disk ("Disconnect").
func (a *App) ForgetKey() (SettingsView, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.settings
	next.APIKey = ""
	if err := SaveSettings(a.settingsPath, next); err != nil {
		return a.settings.View(), err
	}
	a.settings = next
	return next.View(), nil
}

// Connection hands URL and key to the app's own webview, which calls the server itself.
func (a *App) Connection() Connection {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Connection{ServerURL: a.settings.ServerURL, APIKey: a.settings.APIKey}
}

// OpenedFile is a file the user picked; Name is the base name only.
type OpenedFile struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// OpenCSV shows the native open dialog and returns the chosen file's text; nil when the
// user cancelled. Parsing happens in the frontend, next to the column picker.
func (a *App) OpenCSV() (*OpenedFile, error) {
	path, err := a.openFileDialog(a.ctx, runtime.OpenDialogOptions{
		Title:   "Import CSV",
		Filters: []runtime.FileFilter{{DisplayName: "CSV files (*.csv)", Pattern: "*.csv"}, {DisplayName: "All files", Pattern: "*"}},
	})
	if err != nil || path == "" {
		return nil, err
	}
	return readTextFile(path)
}

func readTextFile(path string) (*OpenedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOpenBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxOpenBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB; split it or use the ingest API", filepath.Base(path), maxOpenBytes>>20)
	}
	return &OpenedFile{Name: filepath.Base(path), Text: string(b)}, nil
}

// SaveTextFile shows the native save dialog and writes content there. It returns the
// path written, or "" when the user cancelled.
func (a *App) SaveTextFile(defaultName, content string) (string, error) {
	path, err := a.saveFileDialog(a.ctx, runtime.SaveDialogOptions{
		Title:           "Export",
		DefaultFilename: filepath.Base(defaultName),
	})
	if err != nil || path == "" {
		return "", err
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", errors.Join(fmt.Errorf("write %s", path), err)
	}
	return path, nil
}

// Ready is called by the frontend once it has rendered; the line on stdout is what the
// headless smoke test waits for.
func (a *App) Ready(state string) {
	fmt.Fprintf(a.out, "desktop: rendered %s\n", strings.ReplaceAll(state, "\n", " "))
}
