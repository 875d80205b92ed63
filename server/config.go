package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/mail"
)

// Config of the server; every flag has an environment variable.
type Config struct {
	Addr           string
	DataDir        string
	Memory         bool
	PostgreSQLURL  string
	MongoURI       string
	EmbeddedAddr   string
	Database       string
	Dev            bool
	BootstrapKey   string
	RequestTimeout time.Duration
	MaxBody        int64
	PhoneRegion    string
	CORSOrigins    string
	LogLevel       string
	LogFormat      string
	MatchEvery     time.Duration
	WebhookAllow   string
	DBLogLevel     string
	// ConsentDoubleOptIn lists channel:purpose keys whose grants need a confirmation.
	ConsentDoubleOptIn string
	// Campaigns: the SMTP relay, the base URL of the links in messages and the
	// frequency cap across campaigns ("3/168h").
	Mail        mail.Config
	PublicURL   string
	CampaignCap string
	// E-mail in the help desk: the support mailboxes' SMTP receiver.
	MailListen   string
	MailMaxBytes int64
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func envInt64(name string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return n
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// parseServe reads flags over environment defaults.
func parseServe(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("TESSERA_ADDR", "127.0.0.1:8080"), "listen address (TESSERA_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("TESSERA_DATA", "./data"), "embedded database directory (TESSERA_DATA)")
	fs.BoolVar(&c.Memory, "memory", envBool("TESSERA_MEMORY"), "embedded database in memory, lost on exit (TESSERA_MEMORY)")
	fs.StringVar(&c.PostgreSQLURL, "postgresql-url", env("TESSERA_POSTGRESQL_URL", ""), "run the embedded FerretDB on this PostgreSQL instead of SQLite (TESSERA_POSTGRESQL_URL)")
	fs.StringVar(&c.EmbeddedAddr, "embedded-addr", env("TESSERA_EMBEDDED_ADDR", ""), "address the embedded FerretDB listens on, so other instances can share it via -mongodb-uri (TESSERA_EMBEDDED_ADDR; default a free loopback port)")
	fs.StringVar(&c.MongoURI, "mongodb-uri", env("MONGODB_URI", ""), "use this MongoDB instead of the embedded database (MONGODB_URI)")
	fs.StringVar(&c.Database, "db", env("TESSERA_DB", "tessera"), "database name (TESSERA_DB)")
	fs.BoolVar(&c.Dev, "dev", envBool("TESSERA_DEV"), "development mode: GraphiQL at / and introspection (TESSERA_DEV)")
	fs.StringVar(&c.BootstrapKey, "bootstrap-key", env("TESSERA_BOOTSTRAP_KEY", ""), "admin API key to create on an empty database instead of a random one (TESSERA_BOOTSTRAP_KEY)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDur("TESSERA_REQUEST_TIMEOUT", 60*time.Second), "time limit of one HTTP request (TESSERA_REQUEST_TIMEOUT)")
	fs.Int64Var(&c.MaxBody, "max-body", 1<<20, "request body limit in bytes")
	fs.StringVar(&c.PhoneRegion, "phone-region", env("TESSERA_PHONE_REGION", "GB"), "region assumed for phone numbers without country code (TESSERA_PHONE_REGION)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", env("TESSERA_CORS_ORIGINS", "*"), "comma-separated origins allowed to call /query, or * (TESSERA_CORS_ORIGINS)")
	fs.DurationVar(&c.MatchEvery, "match-every", envDur("TESSERA_MATCH_EVERY", 0), "run an incremental matching job this often, with the thresholds of the last full job (TESSERA_MATCH_EVERY; 0 = only when started)")
	fs.StringVar(&c.WebhookAllow, "webhook-allow", env("TESSERA_WEBHOOK_ALLOW", ""), "comma-separated non-public addresses segment webhooks may reach, as CIDRs (127.0.0.1/32) or host:port (localhost:9000); others are refused (TESSERA_WEBHOOK_ALLOW)")
	fs.StringVar(&c.ConsentDoubleOptIn, "consent-double-opt-in", env("TESSERA_CONSENT_DOUBLE_OPT_IN", ""), "comma-separated channel:purpose keys (email:marketing) whose grants stay pending until the customer confirms them (TESSERA_CONSENT_DOUBLE_OPT_IN)")
	mailDone := mail.RegisterFlags(fs, &c.Mail, os.Getenv)
	fs.StringVar(&c.PublicURL, "public-url", env("TESSERA_PUBLIC_URL", ""), "base URL customers reach this server at, for the links in campaign messages (TESSERA_PUBLIC_URL; default http://<addr>)")
	fs.StringVar(&c.CampaignCap, "campaign-frequency-cap", env("TESSERA_CAMPAIGN_FREQUENCY_CAP", ""), "at most this many campaign messages per customer within a time, e.g. 3/168h (TESSERA_CAMPAIGN_FREQUENCY_CAP; empty: no cap)")
	// E-mail in the help desk.
	fs.StringVar(&c.MailListen, "mail-listen", env("TESSERA_MAIL_LISTEN", ""), "address the SMTP receiver of the support mailboxes listens on, e.g. 127.0.0.1:2525 (TESSERA_MAIL_LISTEN; empty: no receiver)")
	fs.Int64Var(&c.MailMaxBytes, "mail-max-bytes", envInt64("TESSERA_MAIL_MAX_BYTES", 10<<20), "size limit of a received message in bytes (TESSERA_MAIL_MAX_BYTES)")
	fs.StringVar(&c.LogLevel, "log-level", env("TESSERA_LOG_LEVEL", "info"), "debug, info, warn or error (TESSERA_LOG_LEVEL)")
	fs.StringVar(&c.DBLogLevel, "db-log-level", env("TESSERA_DB_LOG_LEVEL", "error"), "least level of the embedded FerretDB's own messages: debug, info, warn or error (TESSERA_DB_LOG_LEVEL; its warnings are routine noise)")
	fs.StringVar(&c.LogFormat, "log-format", env("TESSERA_LOG_FORMAT", "text"), "text or json (TESSERA_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := mailDone(); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(c.DBLogLevel)); err != nil {
		return c, fmt.Errorf("-db-log-level %q: want debug, info, warn or error", c.DBLogLevel)
	}
	if c.EmbeddedAddr != "" && c.MongoURI != "" {
		return c, fmt.Errorf("-embedded-addr and -mongodb-uri exclude each other")
	}
	if v := os.Getenv("TESSERA_MAX_BODY"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("TESSERA_MAX_BODY: %w", err)
		}
		c.MaxBody = n
	}
	return c, nil
}
