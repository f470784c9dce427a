package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// TokenPrefix starts every Piazza bearer token, so that a leaked one is recognisable (secret
// scanners can match it).
const TokenPrefix = "pzt_"

// MaxTokenTTL is the longest life a token may be given: every credential expires.
const MaxTokenTTL = 400 * 24 * time.Hour

// ErrTokenNotFound is returned when revoking a token id that does not exist (or has expired).
var ErrTokenNotFound = errors.New("token not found")

// TokenStoreConfig configures a TokenStore.
type TokenStoreConfig struct {
	// Redis keeps the tokens' hashes and identities.
	Redis redis.UniversalClient
	// KeyPrefix starts every key of this deployment.
	KeyPrefix string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CacheFor is how long a verified token is trusted without asking Redis again (5s when zero,
	// no cache when negative); a revocation reaches every process within this time.
	CacheFor time.Duration
}

// TokenStore issues, lists, revokes and verifies bearer tokens. Redis keeps only a SHA-256 hash
// of each token's secret, with the identity and the expiry; the key expires with the token.
type TokenStore struct {
	cfg   TokenStoreConfig
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	id    Identity
	until time.Time
}

const maxCached = 4096

// NewTokenStore returns a store on cfg.Redis.
func NewTokenStore(cfg TokenStoreConfig) *TokenStore {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheFor == 0 {
		cfg.CacheFor = 5 * time.Second
	}
	return &TokenStore{cfg: cfg, cache: map[string]cached{}}
}

// TokenInfo describes an issued token, never its secret.
type TokenInfo struct {
	Identity
	// CreatedAt is when the token was issued.
	CreatedAt time.Time
	// ExpiresAt is when it stops working.
	ExpiresAt time.Time
}

func (s *TokenStore) tokenKey(id string) string { return s.cfg.KeyPrefix + "auth:token:" + id }
func (s *TokenStore) indexKey() string          { return s.cfg.KeyPrefix + "auth:tokens" }

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Create issues a token for who (its ID is assigned here) valid for ttl, and returns the token —
// shown once, never stored — and what was recorded.
func (s *TokenStore) Create(ctx context.Context, who Identity, ttl time.Duration) (string, TokenInfo, error) {
	if err := who.Validate(); err != nil {
		return "", TokenInfo{}, err
	}
	if ttl <= 0 || ttl > MaxTokenTTL {
		return "", TokenInfo{}, fmt.Errorf("ttl %s: must be positive and at most %s", ttl, MaxTokenTTL)
	}
	idBytes := make([]byte, 10)
	secretBytes := make([]byte, 32)
	if _, err := rand.Read(idBytes); err != nil {
		return "", TokenInfo{}, fmt.Errorf("token id: %w", err)
	}
	if _, err := rand.Read(secretBytes); err != nil {
		return "", TokenInfo{}, fmt.Errorf("token secret: %w", err)
	}
	who.ID = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(idBytes))
	secret := base64.RawURLEncoding.EncodeToString(secretBytes)
	now := s.cfg.Now()
	info := TokenInfo{Identity: who, CreatedAt: now.UTC().Truncate(time.Millisecond), ExpiresAt: now.Add(ttl).UTC().Truncate(time.Millisecond)}
	key := s.tokenKey(who.ID)
	_, err := s.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, map[string]any{
			"hash": hashSecret(secret), "tenant": who.Tenant, "role": string(who.Role), "office": who.Office,
			"label": who.Label, "created": info.CreatedAt.UnixMilli(), "expires": info.ExpiresAt.UnixMilli(),
		})
		p.PExpireAt(ctx, key, info.ExpiresAt)
		p.ZAdd(ctx, s.indexKey(), redis.Z{Score: float64(info.ExpiresAt.UnixMilli()), Member: who.ID})
		return nil
	})
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("store token: %w", err)
	}
	// A token issued here is known valid here: its first use skips the round trip to Redis.
	s.remember(who.ID+":"+hashSecret(secret), who, now, info.ExpiresAt)
	return TokenPrefix + who.ID + "_" + secret, info, nil
}

func parseInfo(id string, f map[string]string) (TokenInfo, error) {
	created, err1 := strconv.ParseInt(f["created"], 10, 64)
	expires, err2 := strconv.ParseInt(f["expires"], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return TokenInfo{}, fmt.Errorf("token %s: %w", id, err)
	}
	return TokenInfo{
		Identity:  Identity{ID: id, Tenant: f["tenant"], Role: Role(f["role"]), Office: f["office"], Label: f["label"]},
		CreatedAt: time.UnixMilli(created).UTC(), ExpiresAt: time.UnixMilli(expires).UTC(),
	}, nil
}

// List returns every token that has not expired, soonest expiry first.
func (s *TokenStore) List(ctx context.Context) ([]TokenInfo, error) {
	now := s.cfg.Now().UnixMilli()
	if err := s.cfg.Redis.ZRemRangeByScore(ctx, s.indexKey(), "-inf", strconv.FormatInt(now, 10)).Err(); err != nil {
		return nil, fmt.Errorf("prune token index: %w", err)
	}
	ids, err := s.cfg.Redis.ZRange(ctx, s.indexKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.tokenKey(id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	out := make([]TokenInfo, 0, len(ids))
	for i, id := range ids {
		f := cmds[i].Val()
		if len(f) == 0 {
			continue
		}
		info, err := parseInfo(id, f)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ExpiresAt.Before(out[j].ExpiresAt) })
	return out, nil
}

// Revoke deletes the token with this id; it stops working at once in this process and within
// CacheFor in the others.
func (s *TokenStore) Revoke(ctx context.Context, id string) error {
	id = strings.TrimPrefix(id, TokenPrefix)
	var del *redis.IntCmd
	if _, err := s.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, s.tokenKey(id))
		p.ZRem(ctx, s.indexKey(), id)
		return nil
	}); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	s.mu.Lock()
	for k, c := range s.cache {
		if c.id.ID == id {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
	if del.Val() == 0 {
		return fmt.Errorf("revoke token %s: %w", id, ErrTokenNotFound)
	}
	return nil
}

// Verify returns the identity of token, or ErrInvalidCredential when it is malformed, unknown,
// expired or revoked.
func (s *TokenStore) Verify(ctx context.Context, token string) (Identity, error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return Identity{}, ErrInvalidCredential
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || id == "" || secret == "" {
		return Identity{}, ErrInvalidCredential
	}
	now := s.cfg.Now()
	hash := hashSecret(secret)
	cacheKey := id + ":" + hash
	if s.cfg.CacheFor > 0 {
		s.mu.Lock()
		c, hit := s.cache[cacheKey]
		s.mu.Unlock()
		if hit && now.Before(c.until) {
			return c.id, nil
		}
	}
	f, err := s.cfg.Redis.HGetAll(ctx, s.tokenKey(id)).Result()
	if err != nil {
		return Identity{}, fmt.Errorf("read token: %w", err)
	}
	if len(f) == 0 || subtle.ConstantTimeCompare([]byte(f["hash"]), []byte(hash)) != 1 {
		return Identity{}, ErrInvalidCredential
	}
	info, err := parseInfo(id, f)
	if err != nil {
		return Identity{}, err
	}
	if !now.Before(info.ExpiresAt) {
		return Identity{}, ErrInvalidCredential
	}
	s.remember(cacheKey, info.Identity, now, info.ExpiresAt)
	return info.Identity, nil
}

// remember caches a verified identity for CacheFor, never past its token's expiry.
func (s *TokenStore) remember(cacheKey string, id Identity, now, expires time.Time) {
	if s.cfg.CacheFor <= 0 {
		return
	}
	until := now.Add(s.cfg.CacheFor)
	if expires.Before(until) {
		until = expires
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[cacheKey] = cached{id: id, until: until}
}
