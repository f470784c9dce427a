// Command benchdoc writes the pipeline figures of a `go test -bench` run into
// docs/benchmarks.md, between the markers <!-- make bench: begin --> and <!-- make bench: end -->,
// so that `make bench` leaves the document with the numbers it just measured. A benchmark run
// several times (-count) is reported by the median of each figure, with the range of its
// throughput, since one run on a shared 2-core machine can be off by a quarter.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	beginMarker = "<!-- make bench: begin -->"
	endMarker   = "<!-- make bench: end -->"
)

func main() {
	in := flag.String("in", "var/bench.txt", "output of go test -bench")
	doc := flag.String("doc", "docs/benchmarks.md", "document to update")
	flag.Parse()
	if err := run(*in, *doc, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		os.Exit(1)
	}
}

func run(in, doc string, now time.Time) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	results, cpu, err := parse(f)
	if err != nil {
		return err
	}
	section, err := render(results, cpu, now)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	out, err := replaceSection(string(b), section)
	if err != nil {
		return err
	}
	return os.WriteFile(doc, []byte(out), 0o644)
}

// result is one benchmark line: its name without the -GOMAXPROCS suffix and its metrics by unit.
type result struct {
	name    string
	metrics map[string]float64
}

// parse reads the benchmark lines of go test output, every run of each name.
func parse(r io.Reader) (map[string][]result, string, error) {
	out := map[string][]result{}
	cpu := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "cpu: "); ok {
			cpu = strings.TrimSpace(c)
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		res := result{name: name, metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.metrics[f[i+1]] = v
		}
		out[name] = append(out[name], res)
	}
	return out, cpu, sc.Err()
}

// median is the median of unit over runs (the mean of the middle two for an even count).
func median(runs []result, unit string) float64 {
	var vs []float64
	for _, r := range runs {
		if v, ok := r.metrics[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0
	}
	sort.Float64s(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// spread is "min–max, n runs" of unit, or "" for one run.
func spread(runs []result, unit string) string {
	if len(runs) < 2 {
		return ""
	}
	lo, hi := runs[0].metrics[unit], runs[0].metrics[unit]
	for _, r := range runs[1:] {
		lo, hi = min(lo, r.metrics[unit]), max(hi, r.metrics[unit])
	}
	return fmt.Sprintf(" (%.0f–%.0f, %d runs)", lo, hi, len(runs))
}

func render(results map[string][]result, cpu string, now time.Time) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Written by `make bench` on %s", now.UTC().Format("2006-01-02 15:04 MST"))
	if cpu != "" {
		fmt.Fprintf(&b, " (%s)", cpu)
	}
	b.WriteString(".\n\n| mode | raw JetStream msgs/s | pipeline comments/s decided (median) | ratio | comments/s with their actions executed | p99 saturated (ms) | p50 / p99 at half rate (ms) | CPU per comment, saturated / half rate (ms) |\n|---|---|---|---|---|---|---|---|\n")
	rows := 0
	for _, m := range []struct{ bench, label string }{
		{"BenchmarkPipeline", "`piazza up` (one process)"},
		{"BenchmarkPipelineProcesses", "one process per service"},
	} {
		runs, ok := results[m.bench]
		if !ok {
			continue
		}
		rows++
		completed := "—"
		if _, ok := runs[0].metrics["completed-comments/s"]; ok {
			completed = fmt.Sprintf("%.0f", median(runs, "completed-comments/s"))
		}
		cpu := "—"
		if _, ok := runs[0].metrics["cpu-ms/comment"]; ok {
			cpu = fmt.Sprintf("%.3f / %.3f", median(runs, "cpu-ms/comment"), median(runs, "cpu-ms/comment-at-half-rate"))
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f%s | %.3f | %s | %.0f | %.1f / %.1f | %s |\n", m.label,
			median(runs, "raw-msgs/s"), median(runs, "comments/s"), spread(runs, "comments/s"), median(runs, "ratio"), completed, median(runs, "p99-ms"),
			median(runs, "p50-ms-at-half-rate"), median(runs, "p99-ms-at-half-rate"), cpu)
	}
	if rows == 0 {
		return "", errors.New("no BenchmarkPipeline or BenchmarkPipelineProcesses line in the input")
	}
	if runs, ok := results["BenchmarkPipelineProcesses"]; ok {
		var parts []string
		for unit := range runs[0].metrics {
			if svc, ok := strings.CutSuffix(unit, "-rss-MB"); ok {
				parts = append(parts, fmt.Sprintf("%s %.0f MB", svc, median(runs, unit)))
			}
		}
		sort.Strings(parts)
		if len(parts) > 0 {
			fmt.Fprintf(&b, "\nResident memory after the run: %s.\n", strings.Join(parts, ", "))
		}
	}
	return b.String(), nil
}

// replaceSection puts section between the markers, adding them at the end when absent.
func replaceSection(doc, section string) (string, error) {
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	switch {
	case i < 0 && j < 0:
		return strings.TrimRight(doc, "\n") + "\n\n## Latest `make bench`\n\n" + beginMarker + "\n" + section + endMarker + "\n", nil
	case i < 0 || j < i:
		return "", errors.New("the make bench markers are out of order")
	}
	return doc[:i+len(beginMarker)] + "\n" + section + doc[j:], nil
}
