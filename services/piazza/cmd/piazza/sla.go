package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/routing"
)

// runSLA prints the office and deadlines of a request on a topic received at a given instant,
// for checking a tenant's calendar by hand:
//
//	piazza sla --tenant monza --topic roads --received 2026-12-23T10:00:00+01:00
func runSLA(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sla", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantCode := fs.String("tenant", "", "tenant code, e.g. monza")
	topic := fs.String("topic", "general", "request topic, e.g. roads")
	received := fs.String("received", "", "when the request arrived, RFC 3339, e.g. 2026-12-23T10:00:00+01:00")
	dir := fs.String("policies", envOr(getenv, "POLICY_DIR", "deploy/policies"), "directory of the tenants' policy files")
	overridesFile := fs.String("sla-overrides", getenv("PIAZZA_SLA_OVERRIDES"), "YAML file of SLA overrides by topic or office")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantCode == "" || *received == "" {
		fs.Usage()
		return errors.New("sla: --tenant and --received are required")
	}
	at, err := time.Parse(time.RFC3339, *received)
	if err != nil {
		return fmt.Errorf("sla: --received %q: want RFC 3339, e.g. 2026-12-23T10:00:00+01:00", *received)
	}
	set, err := policy.LoadDir(*dir)
	if err != nil {
		return fmt.Errorf("load policies from %s: %w", *dir, err)
	}
	tenant, ok := set.Tenant(*tenantCode)
	if !ok {
		return fmt.Errorf("sla: unknown tenant %q", *tenantCode)
	}
	var overrides routing.SLAOverrides
	if *overridesFile != "" {
		if overrides, err = routing.LoadSLAOverrides(*overridesFile); err != nil {
			return err
		}
	}
	report, err := routing.ComputeSLA(tenant, overrides, *topic, at)
	if err != nil {
		return fmt.Errorf("sla: %w", err)
	}
	return json.NewEncoder(stdout).Encode(report)
}
