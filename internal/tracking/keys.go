package tracking

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// WriteKey lets a source send tracking calls. Like Segment's write keys it identifies the
// source rather than guarding secrets (browsers carry it in their pages), so it grants
// nothing but sending events of that source. Only its hash is stored.
type WriteKey struct {
	// ID is the SHA-256 of the secret (auth.Hash): a request's key is found by this _id.
	ID        string     `bson:"_id"`
	Source    string     `bson:"source"`
	Prefix    string     `bson:"prefix"`
	CreatedAt time.Time  `bson:"createdAt"`
	RevokedAt *time.Time `bson:"revokedAt,omitempty"`
}

// MaxKeysPerSource bounds the keys (revoked ones included) a source lists.
const MaxKeysPerSource = 50

// keyCacheTTL is how long a verified key is trusted without a read: a key revoked on
// another instance keeps working there for at most this long.
const keyCacheTTL = 30 * time.Second

// RequiredFields are the identifier fields a source must map to take tracking calls:
// without them identity resolution could not link a visitor's events to the person.
func RequiredFields(src ingest.Source) error {
	var missing []string
	for _, f := range []string{UserIDField, AnonymousIDField} {
		if src.IdentifierFields[f] == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return apperr.Invalidf("source %s does not map %s as identifier fields: tracking calls name people by them "+
			"(for example userId -> customer_id, anonymousId -> anonymous_id, and email -> email to link identified visitors by e-mail)", src.Name, strings.Join(missing, " and "))
	}
	return nil
}

// CreateWriteKey issues a write key for a source and returns it with its secret, which
// is shown this once.
func (s *Service) CreateWriteKey(ctx context.Context, source string) (WriteKey, string, error) {
	src, err := s.Sources.Source(ctx, source)
	if err != nil {
		return WriteKey{}, "", err
	}
	if err := RequiredFields(src); err != nil {
		return WriteKey{}, "", err
	}
	have, err := s.Store.WriteKeysOf(ctx, source)
	if err != nil {
		return WriteKey{}, "", err
	}
	if len(have) >= MaxKeysPerSource {
		return WriteKey{}, "", apperr.Conflictf("source %s has %d write keys, the most it may have", source, len(have))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return WriteKey{}, "", fmt.Errorf("write key: %w", err)
	}
	secret := "wk_" + base64.RawURLEncoding.EncodeToString(b)
	k := WriteKey{ID: auth.Hash(secret), Source: source, Prefix: secret[:10], CreatedAt: s.now()}
	if err := s.Store.InsertWriteKey(ctx, k); err != nil {
		return WriteKey{}, "", err
	}
	return k, secret, nil
}

// WriteKeys lists a source's write keys, oldest first.
func (s *Service) WriteKeys(ctx context.Context, source string) ([]WriteKey, error) {
	if _, err := s.Sources.Source(ctx, source); err != nil {
		return nil, err
	}
	return s.Store.WriteKeysOf(ctx, source)
}

// RevokeWriteKey revokes a key: this instance refuses it at once, others within
// keyCacheTTL. Revoking it again returns it as it is.
func (s *Service) RevokeWriteKey(ctx context.Context, id string) (WriteKey, error) {
	k, err := s.Store.RevokeWriteKey(ctx, id, s.now())
	if err != nil {
		return WriteKey{}, err
	}
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	return k, nil
}

// Authenticate returns the write key of a secret, or UNAUTHENTICATED: one point read by
// _id, then cached for keyCacheTTL.
func (s *Service) Authenticate(ctx context.Context, secret string) (WriteKey, error) {
	if secret == "" {
		return WriteKey{}, apperr.Unauthenticatedf("missing write key: send it as the HTTP Basic user name (empty password) or as writeKey in the body")
	}
	id := auth.Hash(secret)
	now := time.Now()
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if !ok || now.After(c.until) {
		k, err := s.Store.WriteKey(ctx, id)
		if apperr.IsNotFound(err) {
			return WriteKey{}, apperr.Unauthenticatedf("invalid write key")
		}
		if err != nil {
			return WriteKey{}, err
		}
		c = cachedKey{k, now.Add(keyCacheTTL)}
		s.mu.Lock()
		if s.cache == nil || len(s.cache) > 10000 {
			s.cache = map[string]cachedKey{}
		}
		s.cache[id] = c
		s.mu.Unlock()
	}
	if c.key.RevokedAt != nil {
		return WriteKey{}, apperr.Unauthenticatedf("write key has been revoked")
	}
	return c.key, nil
}

type cachedKey struct {
	key   WriteKey
	until time.Time
}
