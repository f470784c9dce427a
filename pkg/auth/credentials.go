package auth

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// BearerToken presents a fixed token on every call, e.g. one read from a secret file.
type BearerToken struct {
	// Token is the bearer token.
	Token string
	// AllowInsecure lets the token travel without TLS: only on loopback or in tests.
	AllowInsecure bool
}

var _ credentials.PerRPCCredentials = BearerToken{}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b BearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.Token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (b BearerToken) RequireTransportSecurity() bool { return !b.AllowInsecure }

// IssuedCredential is a service's own credential: it issues a token for its identity from the
// token store on first use and issues a fresh one when half the life has passed. A process that
// can write the token store is already trusted with every credential, so issuing its own adds no
// power; it spares the deployment a secret to distribute.
type IssuedCredential struct {
	store         *TokenStore
	who           Identity
	ttl           time.Duration
	allowInsecure bool

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

var _ credentials.PerRPCCredentials = (*IssuedCredential)(nil)

// Issuer returns a credential that issues tokens for who, each valid for ttl.
func (s *TokenStore) Issuer(who Identity, ttl time.Duration, allowInsecure bool) *IssuedCredential {
	return &IssuedCredential{store: s, who: who, ttl: ttl, allowInsecure: allowInsecure}
}

// Token returns the current token, issuing a new one when there is none or it is half spent.
func (c *IssuedCredential) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.store.cfg.Now()
	if c.token != "" && now.Before(c.renewAt) {
		return c.token, nil
	}
	tok, _, err := c.store.Create(ctx, c.who, c.ttl)
	if err != nil {
		return "", err
	}
	c.token, c.renewAt = tok, now.Add(c.ttl/2)
	return tok, nil
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c *IssuedCredential) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + tok}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (c *IssuedCredential) RequireTransportSecurity() bool { return !c.allowInsecure }
