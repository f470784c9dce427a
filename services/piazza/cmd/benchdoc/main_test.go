package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
cpu: AMD EPYC
BenchmarkPipeline-2   	    4000	   1241213 ns/op	     10643 comments/s	        31.28 p50-ms-at-half-rate	       338.7 p99-ms	        55.13 p99-ms-at-half-rate	         0.1749 ratio	     60861 raw-msgs/s	9000 completed-comments/s	0.310 cpu-ms/comment	0.420 cpu-ms/comment-at-half-rate
BenchmarkPipeline-2   	    4000	   1241213 ns/op	      9001 comments/s	        30.00 p50-ms-at-half-rate	       300.0 p99-ms	        50.00 p99-ms-at-half-rate	         0.1500 ratio	     60000 raw-msgs/s	8000 completed-comments/s	0.300 cpu-ms/comment	0.400 cpu-ms/comment-at-half-rate
BenchmarkPipeline-2   	    4000	   1241213 ns/op	     11000 comments/s	        40.00 p50-ms-at-half-rate	       400.0 p99-ms	        60.00 p99-ms-at-half-rate	         0.2000 ratio	     70000 raw-msgs/s	9500 completed-comments/s	0.350 cpu-ms/comment	0.450 cpu-ms/comment-at-half-rate
BenchmarkPipelineProcesses-2   	    4000	   1766817 ns/op	        44.43 classifier-rss-MB	      8095 comments/s	        37.12 ingest-rss-MB	        23.61 p50-ms-at-half-rate	       460.0 p99-ms	        54.62 p99-ms-at-half-rate	         0.1014 ratio	     79841 raw-msgs/s	        44.11 routing-rss-MB	        45.76 sanctions-rss-MB
PASS
`

func TestWritesTheSectionBetweenMarkers(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bench.txt")
	doc := filepath.Join(dir, "benchmarks.md")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(doc, []byte("# Benchmarks\n\nkept text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ { // the second run replaces the section instead of adding one
		if err := run(in, doc, now); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(doc)
	got := string(b)
	for _, want := range []string{"kept text", "| `piazza up` (one process) | 60861 | 10643 (9001–11000, 3 runs) | 0.175 | 9000 | 339 | 31.3 / 55.1 | 0.310 / 0.420 |",
		"| one process per service | 79841 | 8095 | 0.101 | — | 460 | 23.6 / 54.6 | — |", "classifier 44 MB", "sanctions 46 MB", "(AMD EPYC)"} {
		if !strings.Contains(got, want) {
			t.Errorf("document lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, beginMarker) != 1 {
		t.Errorf("%d sections after two runs, want 1", strings.Count(got, beginMarker))
	}
	if err := os.WriteFile(in, []byte("PASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(in, doc, now); err == nil {
		t.Error("an input without pipeline benchmarks was accepted")
	}
}
