package consent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// token is what a double opt-in confirmation token says: the profile, the key and the
// pending entry it confirms, and until when (Unix seconds). It is signed, not
// encrypted: it names a profile id and nothing else about the person.
type token struct {
	Profile string `json:"p"`
	Key     string `json:"k"`
	Entry   string `json:"e"`
	Until   int64  `json:"u"`
}

// tokenDomain separates these signatures from any other use of the key.
const tokenDomain = "tessera consent confirmation\x00"

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomain))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// signToken returns base64url(JSON).base64url(HMAC-SHA256).
func signToken(key []byte, t token) string {
	b, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p))
}

// parseToken checks a token's signature and decodes it (expiry is the caller's).
func parseToken(key []byte, s string) (token, error) {
	bad := apperr.Invalidf("invalid confirmation token")
	p, sig, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok || len(s) > 2048 {
		return token{}, bad
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return token{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return token{}, bad
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Profile == "" || t.Entry == "" {
		return token{}, bad
	}
	return t, nil
}
