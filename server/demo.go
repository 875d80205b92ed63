package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/retail"
	"github.com/tessera-cdp/tessera/internal/store/commercestore"
	"github.com/tessera-cdp/tessera/server/app"
)

// demoCmd loads the UCI Online Retail file into the configured database (the flags of
// serve choose it) and prints a summary; `tessera serve` with the same flags then shows
// the customers.
func demoCmd(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	file := fs.String("file", env("TESSERA_DEMO_FILE", "../shared/data/retail/online_retail_2010-2011.csv.gz"), "the retail file (gzip CSV)")
	rows := fs.Int("rows", 20000, "rows to load (0: all 541,909, a few minutes)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the load to this file")
	// The remaining flags are serve's (database selection, log level...).
	own, rest := splitFlags(args, "file", "rows", "quiet", "cpuprofile")
	if err := fs.Parse(own); err != nil {
		return err
	}
	userFlags := rest
	if _, set := os.LookupEnv("TESSERA_LOG_LEVEL"); !set {
		// The embedded database's warnings would break up the progress bar.
		rest = append([]string{"-log-level", "error"}, rest...)
	}
	c, err := parseServe(rest)
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel, c.LogFormat)
	client, closeDB, err := openDB(c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db := client.Database(c.Database)
	a, err := app.New(ctx, db, app.Options{PhoneRegion: c.PhoneRegion, Log: log})
	if err != nil {
		return err
	}
	// As a serving process does in the background (App.Start): resolution then skips
	// reads of records and identifiers that cannot exist.
	if err := a.Store.BuildExistenceHints(ctx); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if *quiet {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("loading retail demo"), progressbar.OptionShowCount(),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"), progressbar.OptionSetWriter(os.Stderr),
				progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }))
		}
		_ = bar.Set(done)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sum, err := retail.LoadDemo(ctx, retail.Deps{Ingest: a.Ingest, Commerce: a.Commerce}, *file, *rows, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	t0, c0 := time.Now(), retail.ProcessCPU()
	// One page: on the embedded database every page is a scan of the metrics.
	rfm, err := a.Commerce.RefreshRFM(ctx, 1_000_000)
	if err != nil {
		return err
	}
	sum.Phases["rfm"], sum.PhasesCPU["rfm"] = time.Since(t0), retail.ProcessCPU()-c0
	fmt.Printf("retail demo loaded in %s (RFM included) from %s\n", (sum.Elapsed + sum.Phases["rfm"]).Round(time.Millisecond), *file)
	fmt.Printf("  rows %d, invoices %d (%d cancellations), %s to %s\n", sum.Rows, sum.Invoices, sum.Cancellations,
		sum.FirstAt.Format("2006-01-02"), sum.LastAt.Format("2006-01-02"))
	fmt.Printf("  customers %d, orders %d, guest orders %d, rounded sub-penny prices %d, invoices over %d lines folded %d\n", sum.Customers, sum.Orders,
		sum.GuestOrders, sum.RoundedPrices, commerce.MaxLines, sum.FoldedOrders)
	fmt.Printf("  generated records: newsletter %d, support-desk %d; interactions %d\n", sum.Newsletter, sum.Support, sum.Interactions)
	fmt.Printf("  profiles merged %d; orders and interactions of %d absorbed profiles went to their survivors\n", sum.Merged, sum.Redirected)
	fmt.Printf("  RFM scored %d of %d profiles with commerce data\n", rfm.Scored, rfm.Profiles)
	// What the database holds (the same after a re-run, or after an interrupted run
	// and a re-run: the load is idempotent). Live profiles come from the customer
	// list's count (in process on the embedded database, which would scan otherwise).
	live, err := a.Store.CountProfiles(ctx, customer.Query{})
	if err != nil {
		return err
	}
	counts := []string{fmt.Sprintf("live profiles %d", live)}
	for _, k := range []struct{ name, coll string }{{"profiles", "profiles"}, {"identities", "identities"}, {"source records", "source_records"},
		{"orders", commercestore.OrdersCollection}, {"interactions", commercestore.InteractionsCollection}} {
		n, err := db.Collection(k.coll).EstimatedDocumentCount(ctx)
		if err != nil {
			return err
		}
		counts = append(counts, fmt.Sprintf("%s %d", k.name, n))
	}
	fmt.Printf("  database: %s\n", strings.Join(counts, ", "))
	var phases []string
	for _, p := range []string{"read", "customers", "people", "follow", "orders", "interactions", "rfm"} {
		phases = append(phases, fmt.Sprintf("%s %s (CPU %s)", p, sum.Phases[p].Round(100*time.Millisecond), sum.PhasesCPU[p].Round(100*time.Millisecond)))
	}
	fmt.Printf("  time: %s\n", strings.Join(phases, ", "))
	fmt.Printf("churn risk is relative to now; the data ends on %s (see docs/metrics.md).\n", sum.LastAt.Format("2006-01-02"))
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	fmt.Printf("browse: %s\n", browseHint(exe, wd, userFlags))
	return nil
}

// browseHint is a command line that serves what demo loaded, with GraphiQL (-dev): the
// running binary when it is a built one (relative to the working directory when inside
// it), else `go run ./server`, for a demo run with go run (whose binary lives in a
// temporary build directory).
func browseHint(exe, wd string, flags []string) string {
	cmd := "go run ./server"
	if exe != "" && !strings.Contains(filepath.ToSlash(exe), "/go-build") {
		cmd = exe
		if rel, err := filepath.Rel(wd, exe); err == nil && wd != "" && !strings.HasPrefix(rel, "..") {
			cmd = "." + string(filepath.Separator) + rel
		}
		cmd = shellQuote(cmd)
	}
	parts := []string{cmd, "serve"}
	dev := false
	for _, f := range flags {
		n, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		dev = dev || strings.HasPrefix(f, "-") && n == "dev"
	}
	if !dev {
		parts = append(parts, "-dev")
	}
	for _, f := range flags {
		parts = append(parts, shellQuote(f))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// splitFlags separates the named flags (-name, --name, -name=v, -name v) from the rest.
func splitFlags(args []string, names ...string) (own, rest []string) {
	isOwn := func(a string) (bool, bool) {
		n := strings.TrimLeft(a, "-")
		if n == a {
			return false, false
		}
		n, _, hasValue := strings.Cut(n, "=")
		for _, x := range names {
			if n == x {
				return true, hasValue
			}
		}
		return false, false
	}
	for i := 0; i < len(args); i++ {
		ok, hasValue := isOwn(args[i])
		if !ok {
			rest = append(rest, args[i])
			continue
		}
		own = append(own, args[i])
		// Boolean flags take no separate value; others do.
		if !hasValue && i+1 < len(args) && strings.TrimLeft(args[i], "-") != "quiet" {
			if _, err := strconv.Atoi(args[i+1]); err == nil || !strings.HasPrefix(args[i+1], "-") {
				own = append(own, args[i+1])
				i++
			}
		}
	}
	return own, rest
}
