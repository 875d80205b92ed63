// Package mail sends e-mail through an SMTP relay (github.com/wneessen/go-mail): the
// relay's configuration (STARTTLS, authentication, sender), sessions that keep one
// connection each and retry temporary failures with back-off, a rate limiter and a
// bounded worker pool. It knows nothing of campaigns: a caller hands a Session a Message
// and a Commit, the callback run at the point of no return.
//
// # The point of no return
//
// SMTP hands a message over when the client sends the final "." of DATA and the relay
// answers 250; until the dot, dropping the connection makes the relay discard the
// message. A Session writes the whole message first and calls Commit.Claim right before
// the dot, so a caller that records "sending" there leaves only the dot, the relay's
// answer and its own record of the answer between a crash and a duplicate: Claim is
// where a sender makes a message at-most-once (see Outcome).
package mail

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLS policies of the connection to the relay.
const (
	// StartTLS upgrades the connection with STARTTLS and refuses a relay without it
	// (the default: credentials and messages never travel in clear).
	StartTLS = "starttls"
	// Opportunistic uses STARTTLS when the relay offers it.
	Opportunistic = "opportunistic"
	// ImplicitTLS connects with TLS from the start (SMTPS, usually port 465).
	ImplicitTLS = "tls"
	// NoTLS never encrypts (a relay on loopback or a private network).
	NoTLS = "none"
)

// Config is the SMTP relay and how to use it.
type Config struct {
	Host string
	Port int // default 587 (465 with ImplicitTLS)
	// Username and Password authenticate (SMTP AUTH, the best mechanism the relay
	// offers: SCRAM, CRAM-MD5, PLAIN or LOGIN); no username: no authentication.
	Username, Password string
	TLS                string // StartTLS (default), Opportunistic, ImplicitTLS or NoTLS
	// CAFile holds PEM certificates to trust for the relay besides the system's (a
	// private relay); TLSConfig, if set, is used as it is (tests).
	CAFile    string
	TLSConfig *tls.Config
	// From is the sender, "Shop <news@shop.example>" or an address.
	From string
	// HELO is the name the client greets with (default: the host name go-mail finds).
	HELO string
	// Workers bounds the connections to the relay (default 4).
	Workers int
	// RatePerSecond caps messages per second over all workers (0: no cap).
	RatePerSecond float64
	// MaxAttempts bounds the tries of one message on temporary failures (default 5);
	// Backoff is the wait before the second try, doubled for each further one up to a
	// minute (default 2 s).
	MaxAttempts int
	Backoff     time.Duration
	// Timeout bounds the dial and each command (default 30 s).
	Timeout time.Duration
	// PerConnection is how many messages a connection carries before it is renewed
	// (default 100; relays often cap it).
	PerConnection int
}

// Enabled reports a configured relay.
func (c Config) Enabled() bool { return c.Host != "" }

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = StartTLS
	}
	if c.Port == 0 {
		c.Port = 587
		if c.TLS == ImplicitTLS {
			c.Port = 465
		}
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.PerConnection <= 0 {
		c.PerConnection = 100
	}
	return c
}

// Validate checks a configured relay's settings.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	switch c.TLS {
	case "", StartTLS, Opportunistic, ImplicitTLS, NoTLS:
	default:
		return fmt.Errorf("smtp tls %q: want %s, %s, %s or %s", c.TLS, StartTLS, Opportunistic, ImplicitTLS, NoTLS)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("smtp port %d out of range", c.Port)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("smtp from %q: %v", c.From, err)
	}
	if c.Password != "" && c.Username == "" {
		return fmt.Errorf("smtp password without a username")
	}
	if c.RatePerSecond < 0 {
		return fmt.Errorf("smtp rate must not be negative")
	}
	return nil
}

// tlsConfig is the TLS configuration to the relay: TLSConfig, or the system roots plus
// CAFile, verifying the relay's name.
func (c Config) tlsConfig() (*tls.Config, error) {
	if c.TLSConfig != nil {
		return c.TLSConfig, nil
	}
	tc := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp ca file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp ca file %s: no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// RegisterFlags adds the relay's flags to fs, each defaulting to its environment
// variable (getenv, e.g. os.Getenv). The password is read from TESSERA_SMTP_PASSWORD or
// the file -smtp-password-file names, never from a flag (flags show in ps).
func RegisterFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) (finish func() error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	num := func(k string) int { n, _ := strconv.Atoi(getenv(k)); return n }
	rate, _ := strconv.ParseFloat(getenv("TESSERA_SMTP_RATE"), 64)
	var passwordFile string
	fs.StringVar(&c.Host, "smtp-host", env("TESSERA_SMTP_HOST", ""), "SMTP relay host for campaigns; empty: sending is off (TESSERA_SMTP_HOST)")
	fs.IntVar(&c.Port, "smtp-port", num("TESSERA_SMTP_PORT"), "SMTP relay port (TESSERA_SMTP_PORT; default 587, 465 with -smtp-tls tls)")
	fs.StringVar(&c.Username, "smtp-username", env("TESSERA_SMTP_USERNAME", ""), "SMTP AUTH user name (TESSERA_SMTP_USERNAME; the password from TESSERA_SMTP_PASSWORD or -smtp-password-file)")
	fs.StringVar(&passwordFile, "smtp-password-file", env("TESSERA_SMTP_PASSWORD_FILE", ""), "file holding the SMTP AUTH password (TESSERA_SMTP_PASSWORD_FILE)")
	fs.StringVar(&c.TLS, "smtp-tls", env("TESSERA_SMTP_TLS", StartTLS), "starttls (required), opportunistic, tls (implicit, SMTPS) or none (TESSERA_SMTP_TLS)")
	fs.StringVar(&c.CAFile, "smtp-ca-file", env("TESSERA_SMTP_CA_FILE", ""), "PEM certificates to trust for the relay besides the system's (TESSERA_SMTP_CA_FILE)")
	fs.StringVar(&c.From, "smtp-from", env("TESSERA_SMTP_FROM", ""), `sender of campaigns, "Shop <news@shop.example>" (TESSERA_SMTP_FROM)`)
	fs.IntVar(&c.Workers, "smtp-workers", num("TESSERA_SMTP_WORKERS"), "concurrent connections to the relay (TESSERA_SMTP_WORKERS; default 4)")
	fs.Float64Var(&c.RatePerSecond, "smtp-rate", rate, "at most this many messages per second over all connections, 0 = no cap (TESSERA_SMTP_RATE)")
	return func() error {
		c.Password = getenv("TESSERA_SMTP_PASSWORD")
		if passwordFile != "" {
			b, err := os.ReadFile(passwordFile)
			if err != nil {
				return fmt.Errorf("smtp password file: %w", err)
			}
			c.Password = strings.TrimRight(string(b), "\r\n")
		}
		return c.Validate()
	}
}
