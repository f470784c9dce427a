// Command benchdoc writes the pipeline figures of a `go test -bench` run into
// docs/benchmarks.md, between the markers <!-- make bench: begin --> and <!-- make bench: end -->,
// so that `make bench` leaves the document with the numbers it just measured.
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

// parse reads the benchmark lines of go test output; the last line of a name wins.
func parse(r io.Reader) (map[string]result, string, error) {
	out := map[string]result{}
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
		out[name] = res
	}
	return out, cpu, sc.Err()
}

func render(results map[string]result, cpu string, now time.Time) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Written by `make bench` on %s", now.UTC().Format("2006-01-02 15:04 MST"))
	if cpu != "" {
		fmt.Fprintf(&b, " (%s)", cpu)
	}
	b.WriteString(".\n\n| mode | raw JetStream msgs/s | pipeline comments/s | ratio | p99 saturated (ms) | p50 / p99 at half rate (ms) |\n|---|---|---|---|---|---|\n")
	rows := 0
	for _, m := range []struct{ bench, label string }{
		{"BenchmarkPipeline", "`piazza up` (one process)"},
		{"BenchmarkPipelineProcesses", "one process per service"},
	} {
		r, ok := results[m.bench]
		if !ok {
			continue
		}
		rows++
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.3f | %.0f | %.1f / %.1f |\n", m.label,
			r.metrics["raw-msgs/s"], r.metrics["comments/s"], r.metrics["ratio"], r.metrics["p99-ms"],
			r.metrics["p50-ms-at-half-rate"], r.metrics["p99-ms-at-half-rate"])
	}
	if rows == 0 {
		return "", errors.New("no BenchmarkPipeline or BenchmarkPipelineProcesses line in the input")
	}
	if r, ok := results["BenchmarkPipelineProcesses"]; ok {
		var parts []string
		for unit, v := range r.metrics {
			if svc, ok := strings.CutSuffix(unit, "-rss-MB"); ok {
				parts = append(parts, fmt.Sprintf("%s %.0f MB", svc, v))
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
