package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

// seriesName picks the metric names out of a PromQL expression: Piazza's own, otelgrpc's and
// the Go runtime's. Label names sit inside braces and by(...)/without(...), which labelLists
// removes first.
var (
	seriesName = regexp.MustCompile(`\b((?:piazza|rpc|go|process)_[a-zA-Z0-9_]+)\b`)
	labelLists = regexp.MustCompile(`\{[^}]*\}|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
)

// TestDashboardsUseExportedMetrics runs the pipeline, scrapes what the services export, and
// checks that every series a Grafana dashboard queries is among them, so no panel stays empty
// because a metric was renamed.
func TestDashboardsUseExportedMetrics(t *testing.T) {
	p := startPipeline(t, tracetest.NewInMemoryExporter(), &syncBuffer{}, map[string]string{"monza-fb": "Comune di Monza"})
	lines := strings.SplitAfter(strings.TrimSpace(privacyComments), "\n")
	comments := p.publish(t, strings.Join(lines, ""))
	waitDecisions(t, p, len(comments))
	p.requestsOf(t, "monza", 1)
	// Every stage has finished (its consumer acknowledged everything, after recording its
	// metrics): the enforcer's counters exist only once it has carried an action out.
	streams := []string{bus.StreamComments, bus.StreamDecisions, bus.StreamActions, bus.StreamRequests}
	if err := loadgen.Quiesce(context.Background(), p.js, streams, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(scrape(t, p), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i > 0 {
			name = line[:i]
		}
		exported[name] = true
	}

	files, err := filepath.Glob("../../../deploy/grafana/dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		queried := 0
		for _, panel := range d.Panels {
			for _, target := range panel.Targets {
				for _, m := range seriesName.FindAllStringSubmatch(labelLists.ReplaceAllString(target.Expr, " "), -1) {
					queried++
					if !exported[m[1]] {
						t.Errorf("%s, panel %q: queries %s, which no service exports", filepath.Base(f), panel.Title, m[1])
					}
				}
			}
		}
		if queried == 0 {
			t.Errorf("%s queries no Piazza series", filepath.Base(f))
		}
	}
	if t.Failed() {
		var names []string
		for n := range exported {
			if strings.HasPrefix(n, "piazza_") || strings.HasPrefix(n, "rpc_") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		t.Logf("exported: %s", strings.Join(names, " "))
	}
}
