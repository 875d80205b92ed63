// Package mailtest is a receiving SMTP server for tests (github.com/emersion/go-smtp) on
// loopback: STARTTLS with a throwaway certificate, PLAIN authentication only after
// STARTTLS, and the messages it accepted, parsed. Hooks let a test refuse a recipient or
// a message, or hold the answer to the final dot.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tessera-cdp/tessera/internal/mail"
)

// Credentials the server accepts.
const (
	Username = "relay-user"
	Password = "relay-secret"
)

// ErrDrop, returned by OnData, drops the connection without an answer to the final dot
// (the message is not kept): the sender cannot know whether it was taken.
var ErrDrop = errors.New("mailtest: connection dropped before the answer")

// Received is an accepted message.
type Received struct {
	From   string
	To     []string
	Raw    []byte
	Header netmail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded parts.
	Text, HTML string
	// TLS and User tell the session was encrypted and who logged in.
	TLS  bool
	User string
}

// Server is a running test relay.
type Server struct {
	Addr string
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config
	// OnRcpt, if set, may refuse a recipient (return an *smtp.SMTPError).
	OnRcpt func(to string) error
	// OnData, if set, runs when a message's data is in, before it is accepted; an error
	// refuses it (an *smtp.SMTPError for a reply code), and the message is not kept.
	OnData func(m Received) error

	// CertPEM is the server's certificate, for a client in another process.
	CertPEM []byte

	srv *smtp.Server
	// transcript is the raw conversation of a StartRecording server.
	transcript *transcript
	mu         sync.Mutex
	msgs       []Received
	arrived    chan struct{}
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server { t.Helper(); return start(t, nil) }

// StartRecording runs a server that also keeps the raw SMTP conversation (both sides,
// after STARTTLS too), for tests of the protocol's syntax; use one connection at a time.
func StartRecording(t testing.TB) *Server {
	t.Helper()
	s := start(t, &transcript{})
	return s
}

// Transcript is the conversation a StartRecording server kept.
func (s *Server) Transcript() string {
	if s.transcript == nil {
		return ""
	}
	s.transcript.mu.Lock()
	defer s.transcript.mu.Unlock()
	return s.transcript.b.String()
}

type transcript struct {
	mu sync.Mutex
	b  strings.Builder
}

func (x *transcript) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.b.Write(p)
}

func start(t testing.TB, rec *transcript) *Server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &Server{ClientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, arrived: make(chan struct{}, 1),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	if rec != nil {
		s.transcript, s.srv.Debug = rec, rec
	}
	s.srv.Domain = "mailtest.local"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // dropped connections are the tests' doing
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Config is a relay configuration for this server (STARTTLS required, authenticated).
func (s *Server) Config(from string) mail.Config {
	host, port, _ := net.SplitHostPort(s.Addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	return mail.Config{Host: host, Port: p, Username: Username, Password: Password, TLS: mail.StartTLS, TLSConfig: s.ClientTLS, From: from,
		Backoff: 10 * time.Millisecond}
}

// Messages returns the accepted messages so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Count returns how many messages were accepted.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// WaitFor waits until at least n messages were accepted, or fails the test after a
// generous limit (a hang, not a timing assertion).
func (s *Server) WaitFor(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for s.Count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages arrived, want %d", s.Count(), n)
		}
		select {
		case <-s.arrived:
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s.Messages()
}

// To returns the accepted messages to an address.
func (s *Server) To(addr string) []Received {
	var out []Received
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != Username || pass != Password {
			return smtp.ErrAuthFailed
		}
		x.user = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.OnRcpt != nil {
		if err := x.s.OnRcpt(to); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable message: " + err.Error()}
	}
	m.From, m.To, m.User = x.from, append([]string(nil), x.to...), x.user
	_, m.TLS = x.c.TLSConnectionState()
	if x.s.OnData != nil {
		if err := x.s.OnData(m); err != nil {
			if errors.Is(err, ErrDrop) {
				_ = x.c.Close()
			}
			return err
		}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// parse reads the header and the text and HTML parts of a message.
func parse(raw []byte) (Received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	out := Received{Raw: raw, Header: msg.Header}
	if out.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Received{}, err
	}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &out)
	return out, err
}

func walk(ctype, cte string, body io.Reader, out *Received) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch mt {
	case "text/plain":
		out.Text = text
	case "text/html":
		out.HTML = text
	}
	return nil
}

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
