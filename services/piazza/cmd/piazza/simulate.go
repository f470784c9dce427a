package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/piazza/simulate"
)

// runSimulate runs `piazza simulate`: comments in, one JSON line per comment out, saying what
// the tenant's policy makes the system do.
func runSimulate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "the Comune whose policy applies (required)")
	dir := fs.String("policies", envOr(getenv, "POLICY_DIR", "deploy/policies"), "directory of the tenants' policy files")
	in := fs.String("in", "-", "comments in the taxonomy's JSON Lines format (- for standard input)")
	detail := fs.Bool("detail", false, "add the request topic, the office and the reply texts to each line")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage:
  piazza simulate --tenant T [--policies DIR] [--in FILE] [--detail]

Runs each comment, in order, through the real classifier, the tenant's sanction ladder and the
routing of requests, with the comment's created_at as the clock, and writes one JSON line per
comment: {"id","labels","actions","strikes","citations"}. Redis: REDIS_URL, else
127.0.0.1:6379, else a child redis-server; the simulation uses keys of its own and deletes them.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenant == "" {
		fs.Usage()
		return errors.New("simulate: --tenant is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("simulate: unexpected arguments %q (comments come from --in)", fs.Args())
	}
	set, err := policy.LoadDir(*dir)
	if err != nil {
		return fmt.Errorf("load policies from %s: %w", *dir, err)
	}
	if _, ok := set.Tenant(*tenant); !ok {
		return fmt.Errorf("simulate: no policy file for tenant %q in %s", *tenant, *dir)
	}
	input := stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		defer f.Close()
		input = f
	}

	dataDir, err := os.MkdirTemp("", "piazza-simulate-")
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer os.RemoveAll(dataDir)
	choice, err := app.ResolveRedis(ctx, getenv, dataDir)
	if err != nil {
		return err
	}
	defer choice.Stop()
	rdb, err := app.ConnectRedis(ctx, choice.URL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	sim, err := simulate.New(ctx, simulate.Config{Policies: set, Tenant: *tenant, Redis: rdb})
	if err != nil {
		return err
	}
	defer func() {
		// Clean up even after Ctrl-C: the keys must not outlive the simulation.
		if cerr := sim.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return simulate.Run(ctx, sim, input, stdout, *detail)
}
