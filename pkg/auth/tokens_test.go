package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// clock is a settable clock for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTokenLifecycle(t *testing.T) {
	rds := testinfra.StartRedis(t)
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "t1:", Now: clk.Now})

	tok, info, err := store.Create(ctx, auth.Identity{Tenant: "monza", Role: auth.RoleOperator, Label: "social team"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.Verify(ctx, tok)
	if err != nil || id.ID != info.ID || id.Tenant != "monza" || id.Role != auth.RoleOperator || id.Label != "social team" {
		t.Fatalf("verify: %+v, %v", id, err)
	}
	ttl, err := rds.Client.PTTL(ctx, "t1:auth:token:"+info.ID).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("redis key TTL %s, %v: the key must expire with the token", ttl, err)
	}

	// A token with a changed secret, a truncated one, another scheme: all invalid.
	for _, bad := range []string{tok[:len(tok)-1] + "x", tok[:len(tok)-5], strings.TrimPrefix(tok, auth.TokenPrefix), auth.TokenPrefix + info.ID + "_", ""} {
		if _, err := store.Verify(ctx, bad); !errors.Is(err, auth.ErrInvalidCredential) {
			t.Errorf("verify %q: %v, want ErrInvalidCredential", bad, err)
		}
	}

	// Expired tokens fail even while cached, and drop out of the list.
	other, _, err := store.Create(ctx, auth.Identity{Tenant: auth.Region, Role: auth.RoleAdmin}, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour + time.Second)
	if _, err := store.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("expired token: %v", err)
	}
	list, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Role != auth.RoleAdmin {
		t.Errorf("list after expiry: %+v, want the admin token only", list)
	}
	if _, err := store.Verify(ctx, other); err != nil {
		t.Errorf("unexpired token: %v", err)
	}

	// Revocation takes effect at once in the revoking process, and in another one when its
	// cache entry lapses.
	peer := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "t1:", Now: clk.Now, CacheFor: time.Second})
	if _, err := peer.Verify(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(ctx, other); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("revoked token, same process: %v", err)
	}
	clk.Add(time.Second)
	if _, err := peer.Verify(ctx, other); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("revoked token, other process after its cache: %v", err)
	}
}

func TestTokenCreateValidates(t *testing.T) {
	rds := testinfra.StartRedis(t)
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "t2:"})
	for _, tc := range []struct {
		who auth.Identity
		ttl time.Duration
	}{
		{auth.Identity{Tenant: "monza", Role: auth.RoleAdmin}, time.Hour},
		{auth.Identity{Tenant: "monza", Role: auth.RoleService}, time.Hour},
		{auth.Identity{Tenant: "monza", Role: auth.RoleOffice}, time.Hour},
		{auth.Identity{Tenant: auth.Region, Role: auth.RoleOffice, Office: "urp"}, time.Hour},
		{auth.Identity{Tenant: "", Role: auth.RoleOperator}, time.Hour},
		{auth.Identity{Tenant: "monza", Role: "root"}, time.Hour},
		{auth.Identity{Tenant: "monza", Role: auth.RoleOperator}, 0},
		{auth.Identity{Tenant: "monza", Role: auth.RoleOperator}, auth.MaxTokenTTL + time.Hour},
	} {
		if _, _, err := store.Create(context.Background(), tc.who, tc.ttl); err == nil {
			t.Errorf("create %+v for %s: no error", tc.who, tc.ttl)
		}
	}
	if err := store.Revoke(context.Background(), "nope"); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Errorf("revoke unknown: %v, want ErrTokenNotFound", err)
	}
}

// TestIssuedCredentialRenews: a service's own credential is issued once, reused, and renewed
// when half its life has passed.
func TestIssuedCredentialRenews(t *testing.T) {
	rds := testinfra.StartRedis(t)
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "t3:", Now: clk.Now})
	cred := store.Issuer(auth.Identity{Tenant: auth.Region, Role: auth.RoleService, Label: "sanctions"}, time.Hour, true)
	first, err := cred.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := cred.Token(ctx); again != first {
		t.Error("token reissued before half its life")
	}
	clk.Add(31 * time.Minute)
	renewed, err := cred.Token(ctx)
	if err != nil || renewed == first {
		t.Fatalf("token not renewed after half its life: %v", err)
	}
	if id, err := store.Verify(ctx, renewed); err != nil || id.Role != auth.RoleService {
		t.Errorf("renewed token: %+v %v", id, err)
	}
	md, err := cred.GetRequestMetadata(ctx)
	if err != nil || md["authorization"] != "Bearer "+renewed {
		t.Errorf("metadata %v %v", md, err)
	}
}
