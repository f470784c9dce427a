package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/piazza-pa/piazza/pkg/policy"
)

const policyUsage = `Usage:
  piazza policy check FILE...   check tenant policy files; print one summary line per tenant

A tenant file is checked with the base files it extends; _template.yaml is checked as the tenant
it names; a base file such as _baseline.yaml is checked through every tenant file that extends it.
Problems are printed as FILE:LINE: FIELD: MESSAGE.
`

// runPolicy runs `piazza policy SUBCOMMAND`.
func runPolicy(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, policyUsage)
		return flag.ErrHelp
	}
	if args[0] != "check" {
		fmt.Fprint(stderr, policyUsage)
		return fmt.Errorf("unknown policy command %q", args[0])
	}
	fs := flag.NewFlagSet("policy check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, policyUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, policyUsage)
		return errors.New("policy check: name at least one policy file")
	}
	bad := 0
	for _, path := range fs.Args() {
		tenants, err := policy.CheckFile(path)
		if err != nil {
			bad++
			for _, e := range leaves(err) {
				fmt.Fprintln(stderr, e)
			}
			continue
		}
		for _, t := range tenants {
			fmt.Fprintln(stdout, summary(t))
		}
	}
	if bad > 0 {
		return fmt.Errorf("policy check: %d of %d files have problems", bad, fs.NArg())
	}
	return nil
}

// leaves flattens joined errors, so that each problem prints on its own line.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// summary describes a valid tenant in one line: what it enforces, when it blocks, where its
// requests go and within which targets, and the policy version decisions will record.
func summary(t *policy.Tenant) string {
	codes := make([]string, 0, len(t.Categories))
	for code := range t.Categories {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var blocks []string
	for _, code := range codes {
		if at, ok := t.Categories[code].FirstAt("block"); ok {
			blocks = append(blocks, fmt.Sprintf("%s@%d", code, at))
		}
	}
	block := "never"
	if len(blocks) > 0 {
		block = strings.Join(blocks, " ")
	}
	sla := t.Routing.SLA
	return fmt.Sprintf("ok %s: %s, ISTAT %s, %d categories (block: %s), anonymous %s/%s, %d offices, routing %s (fallback %s), SLA %s/%s/%s, version %s",
		t.Code, t.Name, t.ISTAT, len(codes), block, t.Anonymous, t.AnonymousReports, len(t.Offices),
		t.Routing.Mode, t.Routing.Fallback, sla.Ack, sla.FirstAnswer, sla.Resolution, t.Version[:12])
}
