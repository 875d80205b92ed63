package chat

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVisitorTokens(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	tok := s.Sign(Visitor{ID: "vis_abcdefgh", Source: "shop"})
	v, err := s.Verify(tok)
	if err != nil || v.ID != "vis_abcdefgh" || v.Source != "shop" || v.Issued != now.Unix() {
		t.Fatalf("round trip: %+v %v", v, err)
	}

	payload, sig, _ := strings.Cut(tok, ".")
	forged := Signer{Key: []byte("another key, another installation"), Now: s.Now}.Sign(Visitor{ID: "vis_abcdefgh", Source: "shop"})
	other := s.Sign(Visitor{ID: "vis_someoneelse", Source: "shop"})
	otherPayload, _, _ := strings.Cut(other, ".")
	for name, bad := range map[string]string{
		"empty":                   "",
		"no signature":            payload,
		"signature of another":    otherPayload + "." + sig,
		"another installation":    forged,
		"truncated signature":     tok[:len(tok)-2],
		"payload not base64":      "!!!." + sig,
		"signed garbage":          "e30." + s.mac("e30"), // {} : no visitor id
		"signed bad id":           signed(s, `{"v":"a b","s":"shop","iat":1772366400}`),
		"signed without a source": signed(s, `{"v":"vis_abcdefgh","iat":1772366400}`),
	} {
		if _, err := s.Verify(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: %v, want ErrBadToken", name, err)
		}
	}

	later := s
	later.Now = func() time.Time { return now.Add(TokenTTL + time.Second) }
	if _, err := later.Verify(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("expired token: %v", err)
	}
	earlier := s
	earlier.Now = func() time.Time { return now.Add(-time.Hour) }
	if _, err := earlier.Verify(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("token from the future: %v", err)
	}
	if _, err := (Signer{}).Verify(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("a signer without a key accepts nothing: %v", err)
	}
}

func signed(s Signer, json string) string {
	p := b64(json)
	return p + "." + s.mac(p)
}

func TestSubjectOfFirstMessage(t *testing.T) {
	if got := subjectOf("  Where is my order?\nIt was due Monday."); got != "Chat: Where is my order?" {
		t.Errorf("first line: %q", got)
	}
	long := strings.Repeat("é", 80)
	if got := subjectOf(long); got != "Chat: "+strings.Repeat("é", 59)+"…" {
		t.Errorf("long line cut at 60 runes: %q", got)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
