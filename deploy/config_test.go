package deploy_test

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// readYAML decodes a YAML file of this directory into out or fails the test.
func readYAML(t testing.TB, name string, out any) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := yaml.Unmarshal(raw, out); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

// prometheusConfig is the part of prometheus.yml the tests look at.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// targets returns every scrape target of prometheus.yml with the labels it carries.
func (c prometheusConfig) targets() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, sc := range c.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				labels := map[string]string{"job": sc.JobName}
				for k, v := range st.Labels {
					labels[k] = v
				}
				out[target] = labels
			}
		}
	}
	return out
}

func TestPrometheusScrapesEveryService(t *testing.T) {
	var cfg prometheusConfig
	readYAML(t, "prometheus.yml", &cfg)
	targets := cfg.targets()
	project := loadProject(t)
	for name := range piazzaServices {
		t.Run(name, func(t *testing.T) {
			metricsAddr, ok := env(service(t, project, name), "METRICS_ADDR")
			if !ok {
				t.Fatal("METRICS_ADDR unset in docker-compose.yml")
			}
			_, port, err := net.SplitHostPort(metricsAddr)
			if err != nil {
				t.Fatalf("METRICS_ADDR %q: %v", metricsAddr, err)
			}
			target := net.JoinHostPort(name, port)
			labels, ok := targets[target]
			if !ok {
				t.Fatalf("scrape targets: got %v, want %s", slices.Sorted(maps.Keys(targets)), target)
			}
			if got := labels["service"]; got != name {
				t.Errorf("target %s: got label service=%q, want %q (the dashboard filters on it)", target, got, name)
			}
			if got := labels["job"]; got != "piazza" {
				t.Errorf("target %s: got job %q, want piazza (the dashboard filters on it)", target, got)
			}
		})
	}
	var collectorScraped bool
	for target := range targets {
		host, _, err := net.SplitHostPort(target)
		if err != nil {
			t.Errorf("target %q: %v", target, err)
			continue
		}
		if host == "otel-collector" {
			collectorScraped = true
		}
		if _, ok := project.Services[host]; !ok && host != "localhost" {
			t.Errorf("target %q names no compose service", target)
		}
	}
	if !collectorScraped {
		t.Errorf("scrape targets: got %v, want the otel-collector", slices.Sorted(maps.Keys(targets)))
	}
}

// collectorConfig is the part of otel-collector.yaml the tests look at.
type collectorConfig struct {
	Receivers  map[string]map[string]any `yaml:"receivers"`
	Processors map[string]any            `yaml:"processors"`
	Exporters  map[string]struct {
		Endpoint string `yaml:"endpoint"`
	} `yaml:"exporters"`
	Extensions map[string]any `yaml:"extensions"`
	Service    struct {
		Extensions []string `yaml:"extensions"`
		Pipelines  map[string]struct {
			Receivers  []string `yaml:"receivers"`
			Processors []string `yaml:"processors"`
			Exporters  []string `yaml:"exporters"`
		} `yaml:"pipelines"`
	} `yaml:"service"`
}

func TestCollectorPipelines(t *testing.T) {
	var cfg collectorConfig
	readYAML(t, "otel-collector.yaml", &cfg)

	for _, signal := range []string{"traces", "metrics"} {
		p, ok := cfg.Service.Pipelines[signal]
		if !ok {
			t.Errorf("pipeline %q missing", signal)
			continue
		}
		if !slices.Contains(p.Receivers, "otlp") {
			t.Errorf("pipeline %s receivers: got %q, want otlp", signal, p.Receivers)
		}
		for _, r := range p.Receivers {
			if _, ok := cfg.Receivers[r]; !ok {
				t.Errorf("pipeline %s: receiver %q is not defined", signal, r)
			}
		}
		for _, pr := range p.Processors {
			if _, ok := cfg.Processors[pr]; !ok {
				t.Errorf("pipeline %s: processor %q is not defined", signal, pr)
			}
		}
		if len(p.Exporters) == 0 {
			t.Errorf("pipeline %s: no exporters", signal)
		}
		for _, e := range p.Exporters {
			if _, ok := cfg.Exporters[e]; !ok {
				t.Errorf("pipeline %s: exporter %q is not defined", signal, e)
			}
		}
	}
	for _, ext := range cfg.Service.Extensions {
		if _, ok := cfg.Extensions[ext]; !ok {
			t.Errorf("extension %q is enabled but not defined", ext)
		}
	}
}

func TestCollectorAgreesWithComposeAndPrometheus(t *testing.T) {
	var cfg collectorConfig
	readYAML(t, "otel-collector.yaml", &cfg)
	var prom prometheusConfig
	readYAML(t, "prometheus.yml", &prom)
	targets := prom.targets()
	project := loadProject(t)

	// The services export to OTEL_EXPORTER_OTLP_ENDPOINT: the collector must listen on that port.
	endpoint, ok := env(service(t, project, "ingest"), "OTEL_EXPORTER_OTLP_ENDPOINT")
	if !ok {
		t.Fatal("OTEL_EXPORTER_OTLP_ENDPOINT unset on ingest")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("OTEL_EXPORTER_OTLP_ENDPOINT %q: %v", endpoint, err)
	}
	if _, ok := project.Services[u.Hostname()]; !ok {
		t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT host %q is not a compose service", u.Hostname())
	}
	protocols, _ := cfg.Receivers["otlp"]["protocols"].(map[string]any)
	grpcProto, _ := protocols["grpc"].(map[string]any)
	grpcEndpoint, _ := grpcProto["endpoint"].(string)
	if _, port, _ := net.SplitHostPort(grpcEndpoint); port != u.Port() {
		t.Errorf("otlp grpc receiver endpoint: got %q, want port %s of OTEL_EXPORTER_OTLP_ENDPOINT", grpcEndpoint, u.Port())
	}

	// Every pipeline exporter that pushes to a host names a compose service, and the
	// Prometheus exporter is scraped.
	for name, exp := range cfg.Exporters {
		host, port, err := net.SplitHostPort(exp.Endpoint)
		if err != nil {
			t.Errorf("exporter %s endpoint %q: %v", name, exp.Endpoint, err)
			continue
		}
		if strings.HasPrefix(name, "prometheus") {
			if _, ok := targets[net.JoinHostPort("otel-collector", port)]; !ok {
				t.Errorf("exporter %s listens on %s, but prometheus.yml does not scrape otel-collector:%s", name, exp.Endpoint, port)
			}
			continue
		}
		if _, ok := project.Services[host]; !ok {
			t.Errorf("exporter %s sends to %q, which is not a compose service", name, host)
		}
	}
	traces := cfg.Service.Pipelines["traces"]
	var toJaeger bool
	for _, e := range traces.Exporters {
		if host, _, _ := net.SplitHostPort(cfg.Exporters[e].Endpoint); host == "jaeger" {
			toJaeger = true
		}
	}
	if !toJaeger {
		t.Errorf("traces exporters %q: none sends to jaeger", traces.Exporters)
	}
}

// grafanaDatasources is the provisioning file format for data sources.
type grafanaDatasources struct {
	Datasources []struct {
		Name     string `yaml:"name"`
		UID      string `yaml:"uid"`
		Type     string `yaml:"type"`
		URL      string `yaml:"url"`
		JSONData struct {
			ExemplarTraceIDDestinations []struct {
				DatasourceUID string `yaml:"datasourceUid"`
			} `yaml:"exemplarTraceIdDestinations"`
		} `yaml:"jsonData"`
	} `yaml:"datasources"`
}

// grafanaDashboardProviders is the provisioning file format for dashboard providers.
type grafanaDashboardProviders struct {
	Providers []struct {
		Name    string `yaml:"name"`
		Type    string `yaml:"type"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// provisionedDatasources reads every data source file and returns the data sources by uid.
func provisionedDatasources(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("grafana", "provisioning", "datasources", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no data source provisioning in grafana/provisioning/datasources (err %v)", err)
	}
	uids := map[string]string{}
	for _, f := range files {
		var ds grafanaDatasources
		readYAML(t, f, &ds)
		for _, d := range ds.Datasources {
			if d.UID == "" {
				t.Errorf("%s: data source %q has no uid; dashboards cannot refer to it", f, d.Name)
			}
			uids[d.UID] = d.Type
		}
	}
	return uids
}

func TestGrafanaDatasources(t *testing.T) {
	uids := provisionedDatasources(t)
	for _, want := range []string{"prometheus", "jaeger"} {
		if got, ok := uids[want]; !ok || got != want {
			t.Errorf("data source uid %q: got type %q, want %q", want, got, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join("grafana", "provisioning", "datasources", "*.yaml"))
	project := loadProject(t)
	for _, f := range files {
		var ds grafanaDatasources
		readYAML(t, f, &ds)
		for _, d := range ds.Datasources {
			u, err := url.Parse(d.URL)
			if err != nil {
				t.Errorf("%s: data source %s url %q: %v", f, d.Name, d.URL, err)
				continue
			}
			if _, ok := project.Services[u.Hostname()]; !ok {
				t.Errorf("%s: data source %s points at %q, not a compose service", f, d.Name, u.Hostname())
			}
			for _, dest := range d.JSONData.ExemplarTraceIDDestinations {
				if _, ok := uids[dest.DatasourceUID]; !ok {
					t.Errorf("%s: exemplar destination %q is not a provisioned data source", f, dest.DatasourceUID)
				}
			}
		}
	}
}

func TestGrafanaDashboardProviderPathIsMounted(t *testing.T) {
	var providers grafanaDashboardProviders
	readYAML(t, filepath.Join("grafana", "provisioning", "dashboards", "dashboards.yaml"), &providers)
	if len(providers.Providers) == 0 {
		t.Fatal("no dashboard providers")
	}
	absDashboards, err := filepath.Abs(filepath.Join("grafana", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	grafana := service(t, loadProject(t), "grafana")
	for _, p := range providers.Providers {
		var mounted bool
		for _, v := range grafana.Volumes {
			if v.Target == p.Options.Path && filepath.Clean(v.Source) == absDashboards {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("provider %s reads %q, but grafana does not mount deploy/grafana/dashboards there (volumes %+v)", p.Name, p.Options.Path, grafana.Volumes)
		}
	}
}

func TestGrafanaDashboardsUseProvisionedDatasources(t *testing.T) {
	uids := provisionedDatasources(t)
	var dashboards []string
	err := filepath.WalkDir(filepath.Join("grafana", "dashboards"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			dashboards = append(dashboards, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dashboards) == 0 {
		t.Fatal("no dashboards in grafana/dashboards")
	}
	for _, path := range dashboards {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var dash map[string]any
			if err := json.Unmarshal(raw, &dash); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if uid, _ := dash["uid"].(string); uid == "" {
				t.Error("dashboard has no uid; links to it would break on every reload")
			}
			refs := datasourceRefs(dash)
			if len(refs) == 0 {
				t.Error("dashboard refers to no data source")
			}
			for _, ref := range refs {
				if _, ok := uids[ref]; !ok {
					t.Errorf("data source uid %q is not provisioned; got %v", ref, slices.Sorted(maps.Keys(uids)))
				}
			}
		})
	}
}

func TestDatasourceRefs(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"object", `{"panels":[{"datasource":{"type":"prometheus","uid":"prometheus"}}]}`, []string{"prometheus"}},
		{"nested targets", `{"panels":[{"targets":[{"datasource":{"uid":"jaeger"}}]}]}`, []string{"jaeger"}},
		{"variable is skipped", `{"panels":[{"datasource":{"uid":"${DS}"}},{"datasource":{"uid":"x"}}]}`, []string{"x"}},
		{"legacy name string", `{"panels":[{"datasource":"Prometheus"}]}`, []string{"Prometheus"}},
		{"built-in grafana is skipped", `{"annotations":{"list":[{"datasource":{"type":"grafana","uid":"-- Grafana --"}}]}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			if got := datasourceRefs(v); !slices.Equal(got, tt.want) {
				t.Errorf("datasourceRefs: got %q, want %q", got, tt.want)
			}
		})
	}
}

// datasourceRefs returns, in document order, the uid of every data source a dashboard refers
// to, skipping template variables and Grafana's built-in data sources.
func datasourceRefs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if k == "datasource" {
					if ref := datasourceUID(v[k]); ref != "" {
						out = append(out, ref)
					}
					continue
				}
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// datasourceUID returns the uid a "datasource" field names: an object with a uid, or the
// legacy plain name. It returns "" for variables and built-in data sources.
func datasourceUID(v any) string {
	var uid string
	switch v := v.(type) {
	case string:
		uid = v
	case map[string]any:
		uid, _ = v["uid"].(string)
	}
	if strings.HasPrefix(uid, "$") || strings.HasPrefix(uid, "--") || uid == "grafana" {
		return ""
	}
	return uid
}

// dockerfileInstructions returns the Dockerfile's instructions, one line each, with
// continuation lines joined and comments dropped.
func dockerfileInstructions(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// workspaceModules returns the module directories that go.work uses, relative to the root.
func workspaceModules(t testing.TB) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	var inUse bool
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "use (":
			inUse = true
		case inUse && line == ")":
			inUse = false
		case inUse && line != "":
			dirs = append(dirs, strings.TrimPrefix(line, "./"))
		case strings.HasPrefix(line, "use ") && !strings.HasSuffix(line, "("):
			dirs = append(dirs, strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "use ")), "./"))
		}
	}
	return dirs
}

func TestDockerfile(t *testing.T) {
	instructions := dockerfileInstructions(t)
	has := func(prefix string) bool {
		return slices.ContainsFunc(instructions, func(s string) bool { return strings.HasPrefix(s, prefix) })
	}

	t.Run("every workspace module's go.mod is copied before the download", func(t *testing.T) {
		download := slices.IndexFunc(instructions, func(s string) bool { return strings.Contains(s, "go mod download") })
		if download < 0 {
			t.Fatal("no go mod download step")
		}
		for _, dir := range workspaceModules(t) {
			want := "COPY " + dir + "/go.mod "
			i := slices.IndexFunc(instructions, func(s string) bool { return strings.HasPrefix(s, want) })
			if i < 0 || i > download {
				t.Errorf("module %s: go.mod copied at instruction %d, want before go mod download (%d)", dir, i, download)
			}
		}
	})

	t.Run("final stage", func(t *testing.T) {
		var final []string
		for i, ins := range instructions {
			if strings.HasPrefix(ins, "FROM ") {
				final = instructions[i:]
			}
		}
		want := []string{
			"FROM gcr.io/distroless/static-debian12:nonroot",
			"USER nonroot",
			`ENTRYPOINT ["/piazza"]`,
			"COPY --from=build /out/piazza /piazza",
			"COPY deploy/policies/ /etc/piazza/policies/",
		}
		for _, w := range want {
			if !slices.ContainsFunc(final, func(s string) bool { return strings.HasPrefix(s, w) }) {
				t.Errorf("final stage %q: want an instruction starting %q", final, w)
			}
		}
	})

	t.Run("static build", func(t *testing.T) {
		if !has("ENV CGO_ENABLED=0") {
			t.Error("CGO_ENABLED=0 not set: the distroless static image has no libc")
		}
		if !slices.ContainsFunc(instructions, func(s string) bool {
			return strings.Contains(s, "go build -trimpath") && strings.Contains(s, "./services/piazza/cmd/piazza")
		}) {
			t.Error("no trimmed go build of ./services/piazza/cmd/piazza")
		}
	})

	t.Run("exposes the ports compose uses", func(t *testing.T) {
		var exposed []string
		for _, ins := range instructions {
			if rest, ok := strings.CutPrefix(ins, "EXPOSE "); ok {
				exposed = append(exposed, strings.Fields(rest)...)
			}
		}
		want := []string{"8080", "9464"}
		for _, port := range piazzaServices {
			want = append(want, port)
		}
		for _, w := range want {
			if !slices.Contains(exposed, w) {
				t.Errorf("EXPOSE: got %q, want %s", exposed, w)
			}
		}
	})
}

func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.Lines(string(raw)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, want := range []string{".git", "deploy/secrets"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore: got %q, want %q", patterns, want)
		}
	}
	for _, needed := range []string{"go.work", "proto", "pkg", "services", "deploy/policies", "deploy/go.mod"} {
		if slices.Contains(patterns, needed) {
			t.Errorf(".dockerignore excludes %q, which the build needs", needed)
		}
	}
}
