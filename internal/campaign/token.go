package campaign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Kinds of link tokens.
const (
	KindUnsubscribe = 'u'
	KindOpen        = 'o'
	KindClick       = 'c'
)

// Token is what a link in a message says: which campaign and recipient, which tracked
// link (clicks), and whether it comes from a preview or test send (whose links record
// nothing). It is signed with the installation's tracking key, not encrypted: it names
// ids only.
type Token struct {
	Kind       byte
	CampaignID string
	ProfileID  string
	Link       int
	Test       bool
}

// tokenDomain separates these signatures from other uses of a key.
const tokenDomain = "tessera campaign link\x00"

func tokenMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomain))
	m.Write([]byte(payload))
	return m.Sum(nil)[:16]
}

// Sign returns the token as base64url(payload).base64url(MAC).
func (t Token) Sign(key []byte) string {
	flag := "r"
	if t.Test {
		flag = "t"
	}
	p := base64.RawURLEncoding.EncodeToString([]byte(string(t.Kind) + flag + "|" + t.CampaignID + "|" + t.ProfileID + "|" + strconv.Itoa(t.Link)))
	return p + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(key, p))
}

// ParseToken checks a token's signature and decodes it; anything else is
// BAD_USER_INPUT "invalid link".
func ParseToken(key []byte, s string) (Token, error) {
	bad := apperr.Invalidf("invalid link")
	p, sig, ok := strings.Cut(s, ".")
	if !ok || len(s) > 1024 {
		return Token{}, bad
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, tokenMAC(key, p)) {
		return Token{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Token{}, bad
	}
	f := strings.Split(string(b), "|")
	if len(f) != 4 || len(f[0]) != 2 || f[1] == "" || f[2] == "" {
		return Token{}, bad
	}
	n, err := strconv.Atoi(f[3])
	if err != nil || n < 0 {
		return Token{}, bad
	}
	return Token{Kind: f[0][0], Test: f[0][1] == 't', CampaignID: f[1], ProfileID: f[2], Link: n}, nil
}

// InHoldout reports whether a customer is in a campaign's holdout: the first 53 bits
// of SHA-256(campaign, customer) as a fraction below percent/100. Deterministic, and
// independent between campaigns.
func InHoldout(campaignID, profileID string, percent float64) bool {
	if percent <= 0 {
		return false
	}
	h := sha256.Sum256([]byte(campaignID + "\x00" + profileID))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	return u < percent/100
}
