package deploy_test

import (
	"context"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// repoRoot is the repository root relative to this package's directory, where `go test` runs.
const repoRoot = ".."

// piazzaServices maps each service of the piazza binary to the gRPC port its health check probes.
var piazzaServices = map[string]string{
	"classifier": "9091",
	"sanctions":  "9092",
	"routing":    "9093",
	"ingest":     "9094",
}

// loadProject loads docker-compose.yml the way `docker compose config` would, but offline: the
// environment is fixed so the result does not depend on the developer's shell, and no Docker
// daemon or secret file is needed.
func loadProject(t testing.TB) *types.Project {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv([]string{"HOME=/nonexistent", "USER=piazza"}),
		cli.WithName("piazza"),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	project, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return project
}

// service returns the named service or fails the test.
func service(t testing.TB, project *types.Project, name string) types.ServiceConfig {
	t.Helper()
	svc, ok := project.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q; got %v", name, slices.Sorted(maps.Keys(project.Services)))
	}
	return svc
}

// env returns the value of an environment variable of a service and whether it is set.
func env(svc types.ServiceConfig, name string) (string, bool) {
	v, ok := svc.Environment[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func TestComposeHasEveryService(t *testing.T) {
	project := loadProject(t)
	want := []string{"nats", "redis", "otel-collector", "jaeger", "prometheus", "grafana",
		"ingest", "classifier", "sanctions", "routing", "mailpit"}
	for _, name := range want {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("service %q missing; got %v", name, slices.Sorted(maps.Keys(project.Services)))
		}
	}
}

func TestComposePiazzaServicesRunTheOneImage(t *testing.T) {
	project := loadProject(t)
	absRoot, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]bool{}
	for name := range piazzaServices {
		t.Run(name, func(t *testing.T) {
			svc := service(t, project, name)
			if svc.Build == nil {
				t.Fatalf("build: got none, want context %s and deploy/Dockerfile", absRoot)
			}
			if got := filepath.Clean(svc.Build.Context); got != absRoot {
				t.Errorf("build.context: got %q, want the repository root %q", got, absRoot)
			}
			if got := filepath.ToSlash(svc.Build.Dockerfile); got != "deploy/Dockerfile" && !strings.HasSuffix(got, "/deploy/Dockerfile") {
				t.Errorf("build.dockerfile: got %q, want deploy/Dockerfile", got)
			}
			images[svc.Image] = true
			if got, want := []string(svc.Command), []string{"serve", "--target=" + name}; !slices.Equal(got, want) {
				t.Errorf("command: got %q, want %q", got, want)
			}
			if got := svc.Restart; got != types.RestartPolicyUnlessStopped {
				t.Errorf("restart: got %q, want %q", got, types.RestartPolicyUnlessStopped)
			}
		})
	}
	if len(images) != 1 {
		t.Errorf("piazza services use images %v, want one shared image", images)
	}
}

func TestComposeHealthchecks(t *testing.T) {
	project := loadProject(t)
	tests := []struct {
		service string
		want    []string
	}{
		{"nats", []string{"CMD", "wget", "-qO-", "http://localhost:8222/healthz?js-enabled-only=true"}},
		{"redis", []string{"CMD", "redis-cli", "ping"}},
		{"classifier", []string{"CMD", "/piazza", "healthcheck", "--addr", "127.0.0.1:9091"}},
		{"sanctions", []string{"CMD", "/piazza", "healthcheck", "--addr", "127.0.0.1:9092"}},
		{"routing", []string{"CMD", "/piazza", "healthcheck", "--addr", "127.0.0.1:9093"}},
		{"ingest", []string{"CMD", "/piazza", "healthcheck", "--addr", "127.0.0.1:9094"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := service(t, project, tt.service)
			if svc.HealthCheck == nil || svc.HealthCheck.Disable {
				t.Fatalf("healthcheck: got none, want %q", tt.want)
			}
			if got := []string(svc.HealthCheck.Test); !slices.Equal(got, tt.want) {
				t.Errorf("healthcheck.test: got %q, want %q", got, tt.want)
			}
			if svc.HealthCheck.Interval == nil || svc.HealthCheck.Retries == nil {
				t.Errorf("healthcheck: interval and retries must be set, got %+v", svc.HealthCheck)
			}
		})
	}
}

func TestComposeHealthcheckPortsMatchGRPCAddr(t *testing.T) {
	project := loadProject(t)
	for name, port := range piazzaServices {
		t.Run(name, func(t *testing.T) {
			svc := service(t, project, name)
			got, ok := env(svc, "GRPC_ADDR")
			if !ok {
				t.Fatalf("GRPC_ADDR unset, want :%s", port)
			}
			if want := ":" + port; got != want {
				t.Errorf("GRPC_ADDR: got %q, want %q (the port the healthcheck probes)", got, want)
			}
		})
	}
}

func TestComposeDependsOn(t *testing.T) {
	project := loadProject(t)
	tests := []struct {
		service string
		want    map[string]string
	}{
		{"classifier", map[string]string{"nats": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy}},
		{"sanctions", map[string]string{"nats": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy, "classifier": types.ServiceConditionHealthy}},
		{"routing", map[string]string{"nats": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy}},
		{"ingest", map[string]string{"nats": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := service(t, project, tt.service)
			for dep, want := range tt.want {
				d, ok := svc.DependsOn[dep]
				if !ok {
					t.Errorf("depends_on %q: missing", dep)
					continue
				}
				if d.Condition != want {
					t.Errorf("depends_on %q: got condition %q, want %q", dep, d.Condition, want)
				}
			}
		})
	}
}

func TestComposePiazzaEnvironment(t *testing.T) {
	project := loadProject(t)
	common := map[string]string{
		"NATS_URL":                    "nats://nats:4222",
		"REDIS_URL":                   "redis://redis:6379/0",
		"POLICY_DIR":                  "/etc/piazza/policies",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
		"METRICS_ADDR":                ":9464",
		"PIAZZA_PSEUDONYM_KEY_FILE":   "/run/secrets/pseudonym_key",
	}
	for name := range piazzaServices {
		t.Run(name, func(t *testing.T) {
			svc := service(t, project, name)
			want := merged(common, map[string]string{"OTEL_SERVICE_NAME": "piazza-" + name})
			if name == "sanctions" {
				want["CLASSIFIER_ADDR"] = "classifier:9091"
			}
			for k, w := range want {
				got, ok := env(svc, k)
				if !ok {
					t.Errorf("%s unset, want %q", k, w)
					continue
				}
				if got != w {
					t.Errorf("%s: got %q, want %q", k, got, w)
				}
			}
		})
	}
}

// merged returns a new map holding the entries of every argument, later ones winning.
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

func TestComposeNatsAndRedisPersist(t *testing.T) {
	project := loadProject(t)
	tests := []struct {
		service    string
		wantArgs   []string
		wantTarget string
	}{
		{"nats", []string{"-js", "-sd", "/data"}, "/data"},
		{"redis", []string{"--appendonly", "yes", "--appendfsync", "always"}, "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := service(t, project, tt.service)
			if got := []string(svc.Command); !containsSequence(got, tt.wantArgs) {
				t.Errorf("command: got %q, want it to contain %q", got, tt.wantArgs)
			}
			var mounted bool
			for _, v := range svc.Volumes {
				if v.Type == types.VolumeTypeVolume && v.Target == tt.wantTarget {
					if _, ok := project.Volumes[v.Source]; !ok {
						t.Errorf("volume %q is not declared at top level", v.Source)
					}
					mounted = true
				}
			}
			if !mounted {
				t.Errorf("volumes: got %+v, want a named volume on %s", svc.Volumes, tt.wantTarget)
			}
		})
	}
}

// containsSequence reports whether want appears in got as consecutive elements.
func containsSequence(got, want []string) bool {
	for i := 0; i+len(want) <= len(got); i++ {
		if slices.Equal(got[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func TestComposeIngestPublishesWebhookPort(t *testing.T) {
	project := loadProject(t)
	svc := service(t, project, "ingest")
	for _, p := range svc.Ports {
		if p.Target == 8080 && p.Published == "8080" {
			return
		}
	}
	t.Errorf("ingest ports: got %+v, want 8080:8080 for webhooks", svc.Ports)
}

func TestComposeSecretsComeFromFiles(t *testing.T) {
	project := loadProject(t)
	absSecrets, err := filepath.Abs(filepath.Join(repoRoot, "deploy", "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range project.Secrets {
		if secret.Environment != "" || secret.Content != "" {
			t.Errorf("secret %q: comes from an environment variable or inline content, want a file", name)
		}
		if got := filepath.Dir(secret.File); got != absSecrets {
			t.Errorf("secret %q: file %q is outside %s", name, secret.File, absSecrets)
		}
	}
	for svcName, svc := range project.Services {
		mounted := map[string]bool{}
		for _, s := range svc.Secrets {
			if _, ok := project.Secrets[s.Source]; !ok {
				t.Errorf("service %s: secret %q is not declared at top level", svcName, s.Source)
			}
			mounted["/run/secrets/"+s.Source] = true
		}
		for k, v := range svc.Environment {
			value := ""
			if v != nil {
				value = *v
			}
			if reason := secretProblem(k, value); reason != "" {
				t.Errorf("service %s: environment %s: %s", svcName, k, reason)
			}
			if strings.HasSuffix(k, "_FILE") && strings.HasPrefix(value, "/run/secrets/") && !mounted[value] {
				t.Errorf("service %s: %s points to %s, but that secret is not mounted", svcName, k, value)
			}
		}
	}
}

// secretName matches the names of variables whose values are credentials.
var secretName = regexp.MustCompile(`(?i)(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|_KEY$|^KEY$)`)

// opaqueValue matches long unbroken runs of key-like characters: hex keys, base64, bearer tokens.
var opaqueValue = regexp.MustCompile(`[A-Za-z0-9+/=_\-]{32,}`)

// urlUserinfo matches a URL carrying a password, as in redis://:pw@redis:6379.
var urlUserinfo = regexp.MustCompile(`^[a-z][a-z0-9+.\-]*://[^/@\s]*:[^/@\s]*@`)

// secretProblem says why an environment variable looks like it carries a secret inline, or
// returns "" when it does not. A credential must reach the container as a file under
// /run/secrets named by a *_FILE variable.
func secretProblem(name, value string) string {
	switch {
	case secretName.MatchString(strings.TrimSuffix(name, "_FILE")) && !strings.HasSuffix(name, "_FILE"):
		return "credential passed inline; pass its path in " + name + "_FILE instead"
	case strings.HasSuffix(name, "_FILE") && secretName.MatchString(strings.TrimSuffix(name, "_FILE")) && !strings.HasPrefix(value, "/run/secrets/"):
		return "credential file " + value + " is not a compose secret under /run/secrets/"
	case urlUserinfo.MatchString(value):
		return "URL carries a password"
	case opaqueValue.MatchString(value):
		return "value looks like a key or token"
	}
	return ""
}

func TestSecretProblem(t *testing.T) {
	tests := []struct {
		name, value string
		wantProblem bool
	}{
		{"PIAZZA_PSEUDONYM_KEY_FILE", "/run/secrets/pseudonym_key", false},
		{"PIAZZA_META_APP_SECRET_FILE", "/run/secrets/meta_app_secret", false},
		{"NATS_URL", "nats://nats:4222", false},
		{"REDIS_URL", "redis://redis:6379/0", false},
		{"FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v26.0", false},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317", false},
		{"GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer", false},
		{"PIAZZA_META_APP_SECRET", "s3cr3t", true},
		{"FACEBOOK_PAGE_TOKEN", "EAAB", true},
		{"PIAZZA_PSEUDONYM_KEY", "abc", true},
		{"PIAZZA_PSEUDONYM_KEY_FILE", "/home/me/key", true},
		{"REDIS_URL", "redis://:hunter2@redis:6379/0", true},
		{"EXTRA", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			got := secretProblem(tt.name, tt.value)
			if (got != "") != tt.wantProblem {
				t.Errorf("secretProblem(%q, %q): got %q, want a problem: %v", tt.name, tt.value, got, tt.wantProblem)
			}
		})
	}
}
