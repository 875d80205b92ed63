package chat

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Visitor is who a visitor token names: an anonymous id, and the source (site) whose
// key opened the session.
type Visitor struct {
	ID     string `json:"v"`
	Source string `json:"s"`
	Issued int64  `json:"iat"`
}

// TokenTTL is how long a visitor token is valid: a returning visitor within it keeps
// their conversation.
const TokenTTL = 90 * 24 * time.Hour

// ErrBadToken is any token that was not issued by this installation or has expired.
var ErrBadToken = errors.New("invalid or expired visitor token")

// visitorIDRe keeps ids the widget may propose (analytics.js anonymous ids are UUIDs)
// to safe, bounded strings.
var visitorIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// Signer issues and checks visitor tokens: base64url(JSON) "." base64url(HMAC-SHA256).
// The token is the visitor's only credential, so the conversation it leads to is
// exactly the one of the id it carries.
type Signer struct {
	Key []byte
	Now func() time.Time
}

func (s Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Signer) mac(payload string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("tessera-chat-v1."))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns a token for v, issued now.
func (s Signer) Sign(v Visitor) string {
	v.Issued = s.now().Unix()
	b, _ := json.Marshal(v)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + s.mac(p)
}

// Verify returns the visitor of a token this installation signed within TokenTTL.
func (s Signer) Verify(token string) (Visitor, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(s.Key) == 0 || !hmac.Equal([]byte(sig), []byte(s.mac(p))) {
		return Visitor{}, ErrBadToken
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Visitor{}, ErrBadToken
	}
	var v Visitor
	if json.Unmarshal(b, &v) != nil || !visitorIDRe.MatchString(v.ID) || v.Source == "" {
		return Visitor{}, ErrBadToken
	}
	issued := time.Unix(v.Issued, 0)
	if now := s.now(); issued.After(now.Add(time.Minute)) || now.Sub(issued) > TokenTTL {
		return Visitor{}, ErrBadToken
	}
	return v, nil
}

// newVisitorID is a random anonymous id.
func newVisitorID() string { return "vis_" + strings.ToLower(rand.Text()) }
