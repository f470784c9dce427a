package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// TestSimulateCommand runs `piazza simulate` as a user would, on a scenario file, and checks the
// lines it writes and that it leaves no key behind.
func TestSimulateCommand(t *testing.T) {
	rds := testinfra.StartRedis(t)
	env := map[string]string{"REDIS_URL": rds.URL}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	in := filepath.Join(policiesDir, "testdata", "monza", "insults.jsonl")
	err := run(context.Background(), []string{"simulate", "--tenant", "monza", "--policies", policiesDir, "--in", in}, getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6:\n%s", len(lines), stdout.String())
	}
	var third map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &third); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(slices.Sorted(maps.Keys(third)), ","); got != "actions,citations,id,labels,strikes" {
		t.Errorf("line fields %s, want exactly actions,citations,id,labels,strikes", got)
	}
	if got, want := lines[2], `{"id":"monza-ins-3","labels":["insult"],"actions":["block","delete","no_reply"],"strikes":{"insult":2},"citations":[{"category":"insult","article":"5.D, 6"}]}`; got != want {
		t.Errorf("line 3:\n got %s\nwant %s", got, want)
	}
	if lines[3] != lines[2] {
		t.Errorf("the replayed comment gave %s, want the same as the first time %s", lines[3], lines[2])
	}
	opts, err := redis.ParseURL(rds.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if left, err := rdb.Keys(context.Background(), "*").Result(); err != nil || len(left) != 0 {
		t.Errorf("keys left behind: %v (%v)", left, err)
	}

	stdout.Reset()
	requests := filepath.Join(policiesDir, "testdata", "monza", "requests.jsonl")
	err = run(context.Background(), []string{"simulate", "--tenant", "monza", "--policies", policiesDir, "--in", requests, "--detail"}, getenv, &stdout, &stderr)
	input, rerr := os.ReadFile(requests)
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := strings.Count(string(input), "\n")
	if err != nil || !strings.Contains(stdout.String(), `"office":"lavori_pubblici","replies":["Gentile utente`) || strings.Count(stdout.String(), "\n") != want {
		t.Errorf("--detail: %v; want %d lines with offices and reply texts:\n%s", err, want, stdout.String())
	}
}

func TestSimulateBadUsage(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--policies", policiesDir}, "--tenant is required"},
		{[]string{"simulate", "--tenant", "gotham", "--policies", policiesDir}, `no policy file for tenant "gotham"`},
		{[]string{"simulate", "--tenant", "monza", "--policies", t.TempDir()}, "load policies"},
		{[]string{"simulate", "--tenant", "monza", "--policies", policiesDir, "--in", filepath.Join(t.TempDir(), "none.jsonl")}, "no such file"},
		{[]string{"simulate", "--tenant", "monza", "extra"}, "unexpected arguments"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tc.args, getenv, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
