package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// TestTokenCommands issues, lists, uses and revokes a token as an operator of the deployment
// would, and checks that Redis never holds the token itself.
func TestTokenCommands(t *testing.T) {
	rds := testinfra.StartRedis(t)
	env := map[string]string{"REDIS_URL": rds.URL, "PIAZZA_KEY_PREFIX": "tok-test:"}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	piazza := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"token"}, args...), getenv, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	out, notice, err := piazza("create", "--tenant", "monza", "--role", "office", "--office", "urp", "--ttl", "2h", "--label", "URP Monza")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, notice)
	}
	token := strings.TrimSpace(out)
	if !strings.HasPrefix(token, auth.TokenPrefix) || strings.Contains(notice, token) {
		t.Fatalf("create printed %q on stdout and %q on stderr: want the token on stdout only", out, notice)
	}
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "tok-test:", CacheFor: -1})
	id, err := store.Verify(ctx, token)
	if err != nil || id.Tenant != "monza" || id.Role != auth.RoleOffice || id.Office != "urp" {
		t.Fatalf("verify the new token: %+v, %v", id, err)
	}

	// Redis keeps no copy of the token or of its secret.
	// pzt_<id>_<secret>: the id is base32, the secret base64url, which may itself hold "_".
	_, secret, _ := strings.Cut(strings.TrimPrefix(token, auth.TokenPrefix), "_")
	if len(secret) != 43 {
		t.Fatalf("secret %q of token %q: want the 43 characters of 32 random bytes", secret, token)
	}
	keys, err := rds.Client.Keys(ctx, "tok-test:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		dump, err := rds.Client.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump, secret) || strings.Contains(k, secret) {
			t.Errorf("redis key %s holds the token's secret", k)
		}
	}

	out, _, err = piazza("list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var row tokenRow
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &row); err != nil {
		t.Fatalf("list --json: %q: %v", out, err)
	}
	if row.ID != id.ID || row.Office != "urp" || row.Label != "URP Monza" || strings.Contains(out, secret) {
		t.Errorf("list shows %q; want the token's id, office and label and never its secret", out)
	}
	if out, _, err = piazza("list"); err != nil || !strings.Contains(out, id.ID) {
		t.Errorf("list table: %q, %v", out, err)
	}

	if _, _, err := piazza("revoke", id.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(ctx, token); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("revoked token verifies: %v", err)
	}
	if _, _, err := piazza("revoke", id.ID); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Errorf("revoking twice: %v, want token not found", err)
	}
	if out, _, _ = piazza("list"); strings.Contains(out, id.ID) {
		t.Errorf("list after revoke still shows the token: %q", out)
	}
}

// TestTokenCreateRefusesBadInput: each mistake is explained and nothing is issued.
func TestTokenCreateRefusesBadInput(t *testing.T) {
	rds := testinfra.StartRedis(t)
	getenv := func(k string) string {
		return map[string]string{"REDIS_URL": rds.URL, "PIAZZA_KEY_PREFIX": "tok-bad:"}[k]
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tenant", "monza", "--role", "superuser"}, "unknown role"},
		{[]string{"--tenant", "monza", "--role", "office"}, "needs an office"},
		{[]string{"--region", "--role", "office", "--office", "urp"}, "needs a tenant"},
		{[]string{"--tenant", "monza", "--role", "admin"}, "regional"},
		{[]string{"--role", "operator"}, "exactly one of --tenant and --region"},
		{[]string{"--tenant", "monza", "--region", "--role", "operator"}, "exactly one of --tenant and --region"},
		{[]string{"--tenant", "monza", "--role", "operator", "--office", "urp"}, "only role office"},
		{[]string{"--tenant", "monza", "--role", "operator", "--ttl", "10000h"}, "at most"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"token", "create"}, tc.args...), getenv, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("token create %v: got %v, want an error saying %q", tc.args, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("token create %v printed %q", tc.args, out.String())
		}
	}
	if n, err := rds.Client.Exists(context.Background(), "tok-bad:auth:tokens").Result(); err != nil || n != 0 {
		t.Errorf("a refused create left a token index: %d %v", n, err)
	}
}
