package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

// runLoadgen publishes synthetic comments to a running Piazza and prints throughput and
// latency percentiles.
func runLoadgen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats-url", envOr(getenv, "NATS_URL", "nats://127.0.0.1:4222"), "NATS server of the running Piazza (piazza up prints it; pin it with --nats-port)")
	count := fs.Int("count", 10000, "comments to publish")
	rate := fs.Float64("rate", 0, "comments per second (0: as fast as possible)")
	users := fs.Int("users", 1000, "distinct authors per tenant")
	tenants := fs.String("tenants", "", "comma-separated tenant codes (default: every tenant of --policies)")
	policyDir := fs.String("policies", envOr(getenv, "POLICY_DIR", "deploy/policies"), "policy files, for the default tenants")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the last decisions")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var codes []string
	if *tenants != "" {
		codes = strings.Split(*tenants, ",")
	} else {
		set, err := policy.LoadDir(*policyDir)
		if err != nil {
			return fmt.Errorf("load policies: %w", err)
		}
		for _, t := range set.Tenants() {
			codes = append(codes, t.Code)
		}
	}
	nc, js, err := app.ConnectNATS(*natsURL, "piazza-loadgen")
	if err != nil {
		return err
	}
	defer nc.Close()
	res, err := loadgen.Run(ctx, nc, js, loadgen.Config{Tenants: codes, Users: *users, Count: *count, Rate: *rate, Wait: *wait})
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		res.Write(stdout)
	}
	return err
}
