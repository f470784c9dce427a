package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/piazza/demo"
)

// TestUpDemoOnce runs `piazza up --demo --once` as a user would and checks its summary: every
// demo comment decided, actions carried out on the fake platform, requests opened.
func TestUpDemoOnce(t *testing.T) {
	rds := testinfra.StartRedis(t)
	env := map[string]string{"REDIS_URL": rds.URL, "PIAZZA_META_APP_SECRET": "demo-app-secret"}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	err := run(ctx, []string{"up", "--demo", "--once", "--data-dir", t.TempDir(), "--policies", "../../../../deploy/policies", "--metrics-addr", "", "--webhook-addr", "127.0.0.1:0"},
		getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("piazza up: %v\n%s", err, tail(stderr.String()))
	}
	t.Logf("piazza up --demo --once took %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(stderr.String(), "Meta webhook endpoint http://127.0.0.1:") || strings.Contains(stderr.String(), "demo-app-secret") {
		t.Errorf("piazza up did not announce its webhook endpoint, or printed the secret:\n%s", tail(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var sum app.Summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last line is not the JSON summary: %q: %v", lines[len(lines)-1], err)
	}
	t.Logf("summary: %s", lines[len(lines)-1])
	want := 0
	if _, err := replay.Read(bytes.NewReader(demo.Comments), func(int, *commentv1.Comment) error { want++; return nil }); err != nil {
		t.Fatal(err)
	}
	if sum.Comments != want || sum.Decisions != sum.Comments {
		t.Errorf("comments %d, decisions %d; want %d of each", sum.Comments, sum.Decisions, want)
	}
	if sum.Requests == 0 || sum.Executed["delete"] == 0 || sum.Executed["reply"] == 0 || sum.Executed["block"] == 0 {
		t.Errorf("summary %s: want requests opened and deletes, replies and blocks executed", sum)
	}
	if sum.DeadLetters != 0 || sum.Failed != 0 {
		t.Errorf("summary %s: want no dead letters and no failed actions", sum)
	}
}

func TestUsageAndBadCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, &errOut); err != nil || !strings.Contains(out.String(), "piazza up") {
		t.Errorf("help: %v %q", err, out.String())
	}
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--target=everything"}, {"up", "--once"}} {
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}
