package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tessera-cdp/tessera/internal/export"
)

// exportCmd downloads a full export of profiles, orders or interactions from a running
// server (GET /export/{kind}.{format} with an ADMIN key) into a file, showing the bytes
// received. The file appears only once the download is complete: a broken transfer
// leaves no partial file behind.
func exportCmd(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	server := fs.String("server", env("TESSERA_SERVER", "http://127.0.0.1:8080"), "server URL (TESSERA_SERVER)")
	key := fs.String("key", env("TESSERA_API_KEY", ""), "API key with role admin (TESSERA_API_KEY)")
	kind := fs.String("kind", "", "profiles, orders or interactions (required)")
	format := fs.String("format", "", "csv or parquet (default: from the file name, else csv)")
	out := fs.String("o", "", "output file (required)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tessera export -kind profiles|orders|interactions -o FILE [-format csv|parquet] [-server URL] [-key KEY]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kind == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("give -kind and -o")
	}
	if *format == "" {
		*format = export.CSV
		if strings.HasSuffix(strings.ToLower(*out), ".parquet") {
			*format = export.Parquet
		}
	}
	if err := export.Check(*kind, *format); err != nil {
		return err
	}
	if *key == "" {
		return errors.New("give an ADMIN API key with -key or TESSERA_API_KEY")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetDescription("exporting "+*kind), progressbar.OptionShowBytes(true),
			progressbar.OptionSetWriter(os.Stderr), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSpinnerType(14),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }))
	}
	n, err := download(ctx, strings.TrimSuffix(*server, "/")+"/export/"+*kind+"."+*format, *key, *out, bar)
	if err != nil {
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	fmt.Fprintf(os.Stderr, "exported %s to %s (%d bytes)\n", *kind, *out, n)
	return nil
}

// download streams url into path through a temporary file beside it.
func download(ctx context.Context, url, key, path string, bar *progressbar.ProgressBar) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return 0, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes a partial file otherwise
	var w io.Writer = tmp
	if bar != nil {
		w = io.MultiWriter(tmp, bar)
	}
	// A chunked body cut short (the server failed mid-export) is an error here
	// (io.ErrUnexpectedEOF), not a short file.
	n, err := io.Copy(w, resp.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("export incomplete after %d bytes: %w", n, err)
	}
	return n, os.Rename(tmp.Name(), path)
}
