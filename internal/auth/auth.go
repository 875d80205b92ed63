// Package auth handles API keys and roles. Keys are random 256-bit secrets stored only as
// SHA-256 hashes: with that much entropy a slow hash adds nothing, and lookups stay cheap.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Role is what a key may do.
type Role string

const (
	Admin   Role = "admin"
	Agent   Role = "agent"
	Analyst Role = "analyst"
	Ingest  Role = "ingest"
)

// Valid reports a known role.
func (r Role) Valid() bool { return slices.Contains([]Role{Admin, Agent, Analyst, Ingest}, r) }

// Key is a stored API key.
type Key struct {
	ID         string     `bson:"_id"`
	Name       string     `bson:"name"`
	Role       Role       `bson:"role"`
	Prefix     string     `bson:"prefix"`
	Hash       string     `bson:"hash"`
	CreatedAt  time.Time  `bson:"createdAt"`
	LastUsedAt *time.Time `bson:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `bson:"revokedAt,omitempty"`
}

// Store persists keys.
type Store interface {
	InsertKey(ctx context.Context, k Key) error
	KeyByHash(ctx context.Context, hash string) (Key, error)
	ListKeys(ctx context.Context) ([]Key, error)
	RevokeKey(ctx context.Context, id string, at time.Time) (Key, error)
	CountKeys(ctx context.Context) (int64, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// Service issues and checks keys.
type Service struct {
	Store Store
	Now   func() time.Time

	mu      sync.Mutex
	touched map[string]time.Time
}

// NewService returns a key service.
func NewService(s Store) *Service {
	return &Service{Store: s, Now: func() time.Time { return time.Now().UTC() }, touched: map[string]time.Time{}}
}

// Hash is the stored form of a secret.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create issues a key and returns it with its secret, which is not stored.
func (s *Service) Create(ctx context.Context, name string, role Role) (Key, string, error) {
	return s.create(ctx, name, role, "tsk_"+random(32))
}

func (s *Service) create(ctx context.Context, name string, role Role, secret string) (Key, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return Key{}, "", apperr.Invalidf("a key needs a name of 1 to 100 characters")
	}
	if !role.Valid() {
		return Key{}, "", apperr.Invalidf("unknown role %q", role)
	}
	k := Key{ID: "key_" + random(9), Name: name, Role: role, Prefix: secret[:min(len(secret), 10)], Hash: Hash(secret), CreatedAt: s.Now()}
	if err := s.Store.InsertKey(ctx, k); err != nil {
		return Key{}, "", err
	}
	return k, secret, nil
}

// Bootstrap creates the first admin key on an empty database and returns its secret;
// secret may be given (tests, scripted setups), else one is generated. It returns "" when
// keys exist already.
func (s *Service) Bootstrap(ctx context.Context, secret string) (string, error) {
	n, err := s.Store.CountKeys(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if secret == "" {
		secret = "tsk_" + random(32)
	} else if len(secret) < 16 {
		return "", apperr.Invalidf("bootstrap key must be at least 16 characters")
	}
	_, sec, err := s.create(ctx, "bootstrap admin", Admin, secret)
	return sec, err
}

// Authenticate returns the key for a secret, or UNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, error) {
	if secret == "" {
		return Key{}, apperr.Unauthenticatedf("missing API key: send Authorization: Bearer <key>")
	}
	k, err := s.Store.KeyByHash(ctx, Hash(secret))
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Key{}, apperr.Unauthenticatedf("invalid API key")
		}
		return Key{}, err
	}
	if k.RevokedAt != nil {
		return Key{}, apperr.Unauthenticatedf("API key has been revoked")
	}
	// lastUsedAt to the minute: enough to spot unused keys without a write per request.
	now := s.Now()
	s.mu.Lock()
	due := now.Sub(s.touched[k.ID]) > time.Minute
	if due {
		s.touched[k.ID] = now
	}
	s.mu.Unlock()
	if due {
		_ = s.Store.TouchKey(ctx, k.ID, now)
	}
	return k, nil
}

// Revoke disables a key.
func (s *Service) Revoke(ctx context.Context, id string) (Key, error) {
	return s.Store.RevokeKey(ctx, id, s.Now())
}

// List returns all keys.
func (s *Service) List(ctx context.Context) ([]Key, error) { return s.Store.ListKeys(ctx) }

type ctxKey struct{}

// WithKey attaches the authenticated key to a context.
func WithKey(ctx context.Context, k Key) context.Context { return context.WithValue(ctx, ctxKey{}, k) }

// FromContext returns the caller's key.
func FromContext(ctx context.Context) (Key, bool) {
	k, ok := ctx.Value(ctxKey{}).(Key)
	return k, ok
}

// Require checks that the caller has one of the roles.
func Require(ctx context.Context, roles ...Role) (Key, error) {
	k, ok := FromContext(ctx)
	if !ok {
		return Key{}, apperr.Unauthenticatedf("missing API key: send Authorization: Bearer <key>")
	}
	if !slices.Contains(roles, k.Role) {
		return Key{}, apperr.Forbiddenf("role %s may not do this", k.Role)
	}
	return k, nil
}

// Actor names the caller for audit trails.
func Actor(ctx context.Context) string {
	if k, ok := FromContext(ctx); ok {
		return k.Name + " (" + k.ID + ")"
	}
	return "system"
}
