// Package auth handles API keys and roles. Keys are random 256-bit secrets stored only as
// SHA-256 hashes: with that much entropy a slow hash adds nothing, and lookups stay cheap.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/notify"
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

// Revocation is the notice, shared by every instance on the database, that a key was
// revoked. IDs are ULIDs (sortable by creation time), as for ticket notifications.
type Revocation struct {
	ID    string    `bson:"_id"`
	KeyID string    `bson:"keyId"`
	At    time.Time `bson:"at"`
}

// Store persists keys.
type Store interface {
	InsertKey(ctx context.Context, k Key) error
	// KeyByHash finds a key by the hash of its secret with _id point reads only.
	KeyByHash(ctx context.Context, hash string) (Key, error)
	KeyByID(ctx context.Context, id string) (Key, error)
	ListKeys(ctx context.Context) ([]Key, error)
	// RevokeKey sets revokedAt unless it is set already, and returns the key.
	RevokeKey(ctx context.Context, id string, at time.Time) (Key, error)
	CountKeys(ctx context.Context) (int64, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
	AddRevocation(ctx context.Context, r Revocation) error
	// RevocationsAfter returns notices with ID > after, oldest first.
	RevocationsAfter(ctx context.Context, after string, limit int) ([]Revocation, error)
	// PruneRevocations deletes notices with ID < before.
	PruneRevocations(ctx context.Context, before string) error
}

// Service issues and checks keys. Verified keys are cached in process for CacheTTL; a
// revocation evicts the key at once on the instance that revoked it, and on every other
// instance when Run next polls the shared revocation notices.
type Service struct {
	Store Store
	Now   func() time.Time
	Log   *slog.Logger

	CacheTTL  time.Duration // how long a verified key is trusted without a read; default 30s
	CacheSize int           // most cached keys; default 10000
	PollEvery time.Duration // revocation poll period; default 500ms

	mu       sync.Mutex
	touched  map[string]time.Time
	cache    map[string]cachedKey              // by hash of the secret
	revoked  map[string]time.Time              // key ids revoked lately -> when this instance learnt it
	watchers map[string]map[chan struct{}]bool // key id -> channels closed on its revocation
}

type cachedKey struct {
	key   Key
	until time.Time
}

// NewService returns a key service.
func NewService(s Store) *Service {
	return &Service{Store: s, Now: func() time.Time { return time.Now().UTC() }, touched: map[string]time.Time{},
		cache: map[string]cachedKey{}, revoked: map[string]time.Time{}, watchers: map[string]map[chan struct{}]bool{}}
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

// Authenticate returns the key for a secret, or UNAUTHENTICATED. A key verified in the
// last CacheTTL costs no database command; otherwise the lookup is two _id point reads.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, error) {
	if secret == "" {
		return Key{}, apperr.Unauthenticatedf("missing API key: send Authorization: Bearer <key>")
	}
	h := Hash(secret)
	k, ok := s.cached(h)
	if !ok {
		var err error
		if k, err = s.Store.KeyByHash(ctx, h); err != nil {
			if _, ok := apperr.As(err); ok {
				return Key{}, apperr.Unauthenticatedf("invalid API key")
			}
			return Key{}, err
		}
		k = s.remember(h, k)
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

func (s *Service) ttl() time.Duration {
	if s.CacheTTL > 0 {
		return s.CacheTTL
	}
	return 30 * time.Second
}

func (s *Service) cached(hash string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[hash]
	if !ok || time.Now().After(c.until) {
		return Key{}, false
	}
	return c.key, true
}

// remember caches a key read from the store, unless a revocation of it was seen while
// it was being read (then the key is returned as revoked: the read may predate it).
func (s *Service) remember(hash string, k Key) Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.revoked[k.ID]; ok && k.RevokedAt == nil {
		k.RevokedAt = &at
		return k
	}
	size := s.CacheSize
	if size <= 0 {
		size = 10000
	}
	now := time.Now()
	if len(s.cache) >= size {
		for h, c := range s.cache {
			if now.After(c.until) {
				delete(s.cache, h)
			}
		}
		for h := range s.cache { // still full: drop arbitrary entries
			if len(s.cache) < size {
				break
			}
			delete(s.cache, h)
		}
	}
	s.cache[hash] = cachedKey{key: k, until: now.Add(s.ttl())}
	return k
}

// forget applies a revocation on this instance: the key leaves the cache and the
// sockets watching it are told.
func (s *Service) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revoked[id]; !ok {
		s.revoked[id] = s.Now()
	}
	for h, c := range s.cache {
		if c.key.ID == id {
			delete(s.cache, h)
		}
	}
	for ch := range s.watchers[id] {
		close(ch)
	}
	delete(s.watchers, id)
}

// WatchKey returns a channel that is closed when the key is revoked (on any instance),
// or at once if it was revoked lately. The watch ends with ctx.
func (s *Service) WatchKey(ctx context.Context, id string) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revoked[id]; ok {
		close(ch)
		return ch
	}
	if s.watchers[id] == nil {
		s.watchers[id] = map[chan struct{}]bool{}
	}
	s.watchers[id][ch] = true
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.watchers[id][ch] {
			delete(s.watchers[id], ch)
			if len(s.watchers[id]) == 0 {
				delete(s.watchers, id)
			}
		}
	}()
	return ch
}

// Active returns the key of id if it exists and is not revoked, else UNAUTHENTICATED;
// for credentials derived from a key (export links).
func (s *Service) Active(ctx context.Context, id string) (Key, error) {
	s.mu.Lock()
	_, gone := s.revoked[id]
	s.mu.Unlock()
	if id == "" || gone {
		return Key{}, apperr.Unauthenticatedf("API key has been revoked")
	}
	k, err := s.Store.KeyByID(ctx, id)
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Key{}, apperr.Unauthenticatedf("invalid API key")
		}
		return Key{}, err
	}
	if k.RevokedAt != nil {
		return Key{}, apperr.Unauthenticatedf("API key has been revoked")
	}
	return k, nil
}

// Revoke disables a key. Revoking a revoked key keeps its revokedAt and repeats the
// notice (so a revocation interrupted before its notice completes when retried).
func (s *Service) Revoke(ctx context.Context, id string) (Key, error) {
	k, err := s.Store.RevokeKey(ctx, id, s.Now())
	if err != nil {
		return Key{}, err
	}
	s.forget(k.ID)
	if err := s.Store.AddRevocation(ctx, Revocation{ID: notify.NewID(), KeyID: k.ID, At: *k.RevokedAt}); err != nil {
		return Key{}, err // the key is revoked; other instances learn it when this is retried
	}
	return k, nil
}

// Run polls the revocation notices of every instance until ctx ends, and applies them
// here: cache eviction and the closing of the key's sockets. Notices are idempotent, so
// the poll simply re-reads a few seconds of the past (ids come from the writers' clocks).
func (s *Service) Run(ctx context.Context) {
	interval := s.PollEvery
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	const lookback, retain = 3 * time.Second, time.Hour
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	lastPoll, lastPrune := time.Now(), time.Time{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, after, ok := time.Now(), notify.IDAt(lastPoll.Add(-lookback)), true
		for {
			rs, err := s.Store.RevocationsAfter(ctx, after, 500)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("poll key revocations", "err", err)
				}
				ok = false
				break
			}
			for _, r := range rs {
				after = r.ID
				s.forget(r.KeyID)
			}
			if len(rs) < 500 {
				break
			}
		}
		if ok {
			lastPoll = now // a failed poll keeps the window so nothing is skipped
		}
		if now.Sub(lastPrune) > time.Minute {
			lastPrune = now
			s.mu.Lock()
			for id, at := range s.revoked { // the store answers for older revocations
				if s.Now().Sub(at) > 2*s.ttl()+time.Minute {
					delete(s.revoked, id)
				}
			}
			s.mu.Unlock()
			if err := s.Store.PruneRevocations(ctx, notify.IDAt(now.Add(-retain))); err != nil && ctx.Err() == nil {
				log.Warn("prune key revocations", "err", err)
			}
		}
	}
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
