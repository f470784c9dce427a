package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

const tokenUsage = `Usage:
  piazza token create (--tenant T | --region) --role R [--office O] [--ttl 720h] [--label L]
  piazza token list [--json]
  piazza token revoke ID

Roles: operator (a Comune's social-media team, or the region's with --region), office (one
office of one Comune: --tenant and --office), auditor (read-only), admin (regional), service
(Piazza's own processes, regional). The token is printed once on stdout; Redis keeps only its
hash. Every command reads REDIS_URL and PIAZZA_KEY_PREFIX (or --redis-url, --key-prefix):
against a "piazza up" session use --key-prefix piazza:up: (piazza:demo: with --demo).
`

// runToken manages the bearer tokens of the deployment's gRPC APIs.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	redisURL := fs.String("redis-url", envOr(getenv, "REDIS_URL", app.LocalRedisURL), "Redis holding the tokens")
	prefix := fs.String("key-prefix", envOr(getenv, "PIAZZA_KEY_PREFIX", "piazza:"), "prefix of every Redis key of the deployment")
	var (
		tenant, role, office, label string
		region, asJSON              bool
		ttl                         time.Duration
	)
	switch args[0] {
	case "create":
		fs.StringVar(&tenant, "tenant", "", "the Comune the token is bound to")
		fs.BoolVar(&region, "region", false, "bind the token to the whole region instead of one Comune")
		fs.StringVar(&role, "role", "", "operator, office, auditor, admin or service")
		fs.StringVar(&office, "office", "", "with --role office: the office code of the Comune's policy file")
		fs.StringVar(&label, "label", "", "who holds the token, shown by list")
		fs.DurationVar(&ttl, "ttl", 30*24*time.Hour, "how long the token works (at most 400 days)")
	case "list":
		fs.BoolVar(&asJSON, "json", false, "one JSON object per line")
	case "revoke":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("unknown token command %q", args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var who auth.Identity
	switch args[0] {
	case "create":
		if region == (tenant != "") {
			return errors.New("token create: give exactly one of --tenant and --region")
		}
		who = auth.Identity{Tenant: tenant, Role: auth.Role(role), Office: office, Label: label}
		if region {
			who.Tenant = auth.Region
		}
		if err := who.Validate(); err != nil {
			return fmt.Errorf("token create: %w", err)
		}
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("token revoke: give the token id (the ID column of token list)")
		}
	}
	rdb, err := app.ConnectRedis(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rdb, KeyPrefix: *prefix})
	switch args[0] {
	case "create":
		tok, info, err := store.Create(ctx, who, ttl)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintf(stderr, "token %s: %s of %s, expires %s; it is shown once, keep it secret\n",
			info.ID, info.Role, tenantName(info.Tenant), info.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, tok)
		return nil
	case "list":
		infos, err := store.List(ctx)
		if err != nil {
			return err
		}
		return printTokens(stdout, infos, asJSON)
	default:
		if err := store.Revoke(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
		return nil
	}
}

func tenantName(t string) string {
	if t == auth.Region {
		return "the region"
	}
	return t
}

// tokenRow is one token as list prints it: never the secret, which is not stored.
type tokenRow struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Role      string    `json:"role"`
	Office    string    `json:"office,omitempty"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func printTokens(w io.Writer, infos []auth.TokenInfo, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, i := range infos {
			if err := enc.Encode(tokenRow{ID: i.ID, Tenant: i.Tenant, Role: string(i.Role), Office: i.Office, Label: i.Label, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tROLE\tOFFICE\tEXPIRES\tLABEL")
	for _, i := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, i.Tenant, i.Role, i.Office, i.ExpiresAt.Format(time.RFC3339), i.Label)
	}
	return tw.Flush()
}
