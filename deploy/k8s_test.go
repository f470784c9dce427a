package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sDocs reads every YAML document of deploy/k8s/<file>.
func k8sDocs(t *testing.T, file string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("k8s", file))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
	return out
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestKubernetesManifests(t *testing.T) {
	var kust map[string]any
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatal(err)
	}
	resources := map[string]bool{}
	for _, r := range kust["resources"].([]any) {
		resources[r.(string)] = true
		if _, err := os.Stat(filepath.Join("k8s", r.(string))); err != nil {
			t.Errorf("kustomization lists %s: %v", r, err)
		}
	}
	var goMemLimit int
	for _, d := range k8sDocs(t, "config.yaml") {
		if dig(d, "metadata", "name") == "piazza-env" {
			v, _ := dig(d, "data", "GOMEMLIMIT").(string)
			goMemLimit = mebibytes(t, v)
		}
	}
	if goMemLimit == 0 {
		t.Error("piazza-env sets no GOMEMLIMIT: with GOGC=400 a pod could grow to its memory limit")
	}
	for _, svc := range []string{"classifier", "sanctions", "routing", "ingest"} {
		t.Run(svc, func(t *testing.T) {
			if !resources[svc+".yaml"] {
				t.Errorf("kustomization does not list %s.yaml", svc)
			}
			kinds := map[string]map[string]any{}
			for _, d := range k8sDocs(t, svc+".yaml") {
				kinds[d["kind"].(string)+"/"+dig(d, "metadata", "name").(string)] = d
			}
			dep := kinds["Deployment/piazza-"+svc]
			if dep == nil {
				t.Fatalf("no Deployment piazza-%s", svc)
			}
			c := dig(dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
			args := strings.Join(toStrings(c["args"]), " ")
			if !strings.Contains(args, "serve --target="+svc) || !strings.Contains(args, "--stream-replicas=3") {
				t.Errorf("args %q", args)
			}
			for _, probe := range []string{"readinessProbe", "livenessProbe"} {
				if dig(c, probe, "grpc", "port") == nil {
					t.Errorf("no gRPC %s", probe)
				}
			}
			if dig(c, "resources", "requests", "cpu") == nil || dig(c, "resources", "limits", "memory") == nil {
				t.Errorf("no resource requests and limits")
			} else if limit, _ := dig(c, "resources", "limits", "memory").(string); mebibytes(t, limit) <= goMemLimit {
				t.Errorf("memory limit %s is not above GOMEMLIMIT (%d MiB)", limit, goMemLimit)
			}
			if dig(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
				t.Errorf("not run as non-root")
			}
			if kinds["Service/piazza-"+svc] == nil || kinds["PodDisruptionBudget/piazza-"+svc] == nil {
				t.Errorf("no Service or PodDisruptionBudget")
			}
			hpa := kinds["HorizontalPodAutoscaler/piazza-"+svc]
			if hpa == nil {
				t.Fatalf("no HorizontalPodAutoscaler")
			}
			metrics := dig(hpa, "spec", "metrics").([]any)
			var lag bool
			for _, m := range metrics {
				if dig(m, "external", "metric", "name") == "piazza_bus_consumer_pending" {
					lag = true
				}
			}
			if wantLag := svc != "classifier"; lag != wantLag {
				t.Errorf("HPA on consumer lag = %v, want %v", lag, wantLag)
			}
		})
	}
}

// mebibytes reads a Kubernetes quantity ("512Mi", "1Gi") or a Go memory limit ("400MiB").
func mebibytes(t *testing.T, q string) int {
	t.Helper()
	for suffix, mult := range map[string]int{"MiB": 1, "Mi": 1, "GiB": 1024, "Gi": 1024} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("quantity %q: %v", q, err)
			}
			return v * mult
		}
	}
	t.Fatalf("quantity %q: want Mi, MiB, Gi or GiB", q)
	return 0
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
