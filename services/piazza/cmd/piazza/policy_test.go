package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const policiesDir = "../../../../deploy/policies"

func TestPolicyCheckSummarisesEveryTenant(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"policy", "check"}
	for _, f := range []string{"monza.yaml", "bussero.yaml", "_template.yaml"} {
		args = append(args, filepath.Join(policiesDir, f))
	}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("policy check: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want one per tenant:\n%s", len(lines), stdout.String())
	}
	for i, want := range []string{
		"ok monza: Comune di Monza, ISTAT 108033, 10 categories (block: blasphemy@2 hate@5 illegal@1 insult@2 profanity@2)",
		"ok bussero: Comune di Bussero, ISTAT 015040, 11 categories (block: never), anonymous allow/accept, 2 offices, routing redirect (fallback urp)",
		"ok esempio: Comune di Esempio",
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], want)
		}
	}
}

func TestPolicyCheckNamesFileLineAndField(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(policiesDir, "monza.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(policiesDir, "_baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "      - {at: 5, actions: [delete, block]}", "      - {at: 5, actions: [delete, ban]}", 1)
	broken = strings.Replace(broken, "  fallback: urp", "  fallback: sindaco", 1)
	if broken == string(data) {
		t.Fatal("the test no longer breaks monza.yaml")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "monza.yaml")
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_baseline.yaml"), base, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"policy", "check", bad, filepath.Join(policiesDir, "bussero.yaml")},
		func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 files have problems") {
		t.Fatalf("policy check = %v, want 1 of 2 files with problems", err)
	}
	lineOf := func(marker string) string {
		return strconv.Itoa(strings.Count(broken[:strings.Index(broken, marker)], "\n") + 1)
	}
	for _, want := range []string{
		bad + ":" + lineOf("ban]") + `: categories.hate.ladder[1].actions[1]: unknown action "ban"`,
		bad + ":" + lineOf("fallback: sindaco") + `: routing.fallback: unknown office "sindaco"`,
	} {
		if !strings.Contains(stderr.String(), want+"\n") && !strings.Contains(stderr.String(), want+" ") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.HasPrefix(stdout.String(), "ok bussero:") {
		t.Errorf("the valid file is still summarised; stdout %q", stdout.String())
	}
	for _, args := range [][]string{{"policy"}, {"policy", "lint"}, {"policy", "check"}} {
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
