package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/embeddb"
	"github.com/tessera-cdp/tessera/server/app"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

func newLogger(level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	o := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, o))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, o))
}

// openDB connects to MONGODB_URI, or starts the embedded FerretDB.
func openDB(c Config, log *slog.Logger) (*mongo.Client, func(), error) {
	uri, stop := c.MongoURI, func() {}
	if uri == "" {
		var level slog.Level
		_ = level.UnmarshalText([]byte(c.DBLogLevel)) // checked by parseServe
		db, err := embeddb.Start(embeddb.Config{Dir: c.DataDir, Memory: c.Memory, PostgreSQLURL: c.PostgreSQLURL, Addr: c.EmbeddedAddr, Logger: log, LogLevel: level})
		if err != nil {
			return nil, nil, err
		}
		uri, stop = db.URI, db.Close
		where := c.DataDir
		switch {
		case c.PostgreSQLURL != "":
			where = "postgresql"
		case c.Memory:
			where = "memory"
		}
		log.Info("embedded FerretDB started", "storage", where, "uri", db.URI)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("tessera"))
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("connect to database: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		stop()
		return nil, nil, fmt.Errorf("database not reachable: %w", err)
	}
	// What the server is (MongoDB or FerretDB) is asked once, in app.New, and passed
	// to the stores as a value (dbkit.Backend).
	return client, func() { _ = client.Disconnect(context.Background()); stop() }, nil
}

func serve(args []string) error {
	c, err := parseServe(args)
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel, c.LogFormat)
	slog.SetDefault(log)
	client, closeDB, err := openDB(c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	campaignCap, err := campaign.ParseFrequencyCap(c.CampaignCap)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, client.Database(c.Database), app.Options{
		Dev: c.Dev, PhoneRegion: c.PhoneRegion, RequestTimeout: c.RequestTimeout, MaxBody: c.MaxBody,
		CORSOrigins: strings.Split(c.CORSOrigins, ","), Log: log, MatchEvery: c.MatchEvery,
		WebhookAllow: strings.Split(c.WebhookAllow, ","), ConsentDoubleOptIn: strings.Split(c.ConsentDoubleOptIn, ","),
		Mail: c.Mail, PublicURL: publicURL(c), CampaignCap: campaignCap,
		MailListen: c.MailListen, MailMaxBytes: c.MailMaxBytes, // e-mail in the help desk
	})
	if err != nil {
		return err
	}
	a.Start(ctx)
	if secret, err := a.Auth.Bootstrap(ctx, c.BootstrapKey); err != nil {
		return err
	} else if secret != "" && c.BootstrapKey == "" {
		// Printed once, on the first start of an empty database; only its hash is stored.
		fmt.Fprintf(os.Stderr, "\n  Admin API key (shown only now, store it safely):\n    %s\n\n", secret)
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	// Sockets (subscriptions) outlive Shutdown's wait; cancelling their base context
	// ends them once the plain requests have finished.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           a.Handler(func(ctx context.Context) error { return client.Ping(ctx, readpref.Primary()) }),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	mode := "production"
	if c.Dev {
		mode = "development"
	}
	log.Info("tessera listening", "url", "http://"+ln.Addr().String()+"/query", "mode", mode)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	cancelBase()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// publicURL is the configured base URL of links in messages, else this server's
// listen address.
func publicURL(c Config) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}
