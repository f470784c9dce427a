// Command piazza is the one binary of Piazza: `piazza up` runs the whole system in one process,
// `piazza serve --target=<service>` runs one service per process for a cluster, and
// `piazza healthcheck` probes a service for container health checks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // office hours are in Europe/Rome even where the image has no zoneinfo

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

const usage = `piazza moderates comments on Comuni's social pages and routes citizens' requests.

Usage:
  piazza up [--demo] [--once] [flags]        run everything in one process (embedded NATS)
  piazza serve --target=SERVICE [flags]      run one service: ingest, classifier, sanctions, routing
  piazza healthcheck --addr HOST:PORT        exit 0 when the gRPC service at addr is SERVING
  piazza token create|list|revoke            manage the gRPC API's bearer tokens (Redis, hashed)
  piazza sla --tenant T --topic TOPIC --received RFC3339   print a request's office and deadlines
  piazza policy check FILE...                check policy files; one summary line per tenant
  piazza simulate --tenant T [--in FILE]     what the tenant's policy does with each comment
  piazza classify --tenant T [--in FILE]     label taxonomy-format JSON Lines, one JSON line out per comment
  piazza eval [--eval DIR] [--datasets DIR]  classifier quality on labelled files and public data sets
  piazza loadgen --nats-url URL [--count N] [--rate R]   load a running Piazza, print latency percentiles

Run "piazza COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "piazza:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "up":
		return runUp(ctx, args[1:], getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "token":
		return runToken(ctx, args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], stderr)
	case "sla":
		return runSLA(args[1:], getenv, stdout, stderr)
	case "policy":
		return runPolicy(args[1:], stdout, stderr)
	case "simulate":
		return runSimulate(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "classify":
		return runClassify(args[1:], os.Stdin, stdout, stderr)
	case "eval":
		return runEval(args[1:], stdout, stderr)
	case "loadgen":
		return runLoadgen(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func setupTelemetry(ctx context.Context, service string, getenv func(string) string, stderr io.Writer) (*telemetry.Providers, error) {
	return telemetry.Setup(ctx, telemetry.Config{
		ServiceName: service,
		LogOutput:   stderr,
		LogLevel:    telemetry.ParseLevel(getenv("LOG_LEVEL")),
		Getenv:      getenv,
	})
}

func shutdownTelemetry(tel *telemetry.Providers) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tel.Shutdown(ctx)
}

func runUp(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := app.UpConfig{Getenv: getenv, Out: stdout, Progress: stderr}
	fs.BoolVar(&cfg.Demo, "demo", false, "replay the bundled demo comments through the fake Facebook")
	fs.BoolVar(&cfg.Once, "once", false, "with --demo: exit when every demo comment is processed and print a JSON summary")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr(getenv, "PIAZZA_DATA_DIR", "var"), "where JetStream, a child Redis and the pseudonym key keep their data")
	fs.StringVar(&cfg.PolicyDir, "policies", envOr(getenv, "POLICY_DIR", "deploy/policies"), "directory of the tenants' policy files")
	fs.IntVar(&cfg.NATSPort, "nats-port", -1, "port of the embedded NATS server (-1: a free port)")
	fs.StringVar(&cfg.ClassifierAddr, "classifier-addr", "127.0.0.1:0", "classifier gRPC listen address")
	fs.StringVar(&cfg.SanctionsAddr, "sanctions-addr", "127.0.0.1:0", "sanctions gRPC listen address")
	fs.StringVar(&cfg.RoutingAddr, "routing-addr", "127.0.0.1:0", "routing gRPC listen address")
	fs.StringVar(&cfg.IngestAddr, "ingest-addr", "127.0.0.1:0", "ingest gRPC (health) listen address")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", envOr(getenv, "METRICS_ADDR", "127.0.0.1:9464"), "Prometheus /metrics and /healthz listen address (empty: off)")
	fs.StringVar(&cfg.WebhookAddr, "webhook-addr", envOr(getenv, "INGEST_WEBHOOK_ADDR", "127.0.0.1:8080"), "Meta webhook (/webhooks/meta) and signed push (/webhooks/push) listen address (empty: off); app secret from PIAZZA_META_APP_SECRET")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Once && !cfg.Demo {
		return errors.New("--once needs --demo")
	}
	app.TuneGC(getenv)
	tel, err := setupTelemetry(ctx, "piazza", getenv, stderr)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel)
	cfg.Telemetry = tel
	return app.Up(ctx, cfg)
}

// defaultListen are the services' gRPC ports in a cluster.
var defaultListen = map[string]string{"classifier": ":9091", "sanctions": ":9092", "routing": ":9093", "ingest": ":9094"}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "the service to run: ingest, classifier, sanctions or routing")
	listen := fs.String("listen", getenv("GRPC_ADDR"), "gRPC listen address (default by target: classifier :9091, sanctions :9092, routing :9093, ingest :9094)")
	metricsAddr := fs.String("metrics-addr", envOr(getenv, "METRICS_ADDR", ":9464"), "Prometheus /metrics and /healthz listen address")
	natsURL := fs.String("nats-url", envOr(getenv, "NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL")
	redisURL := fs.String("redis-url", envOr(getenv, "REDIS_URL", app.LocalRedisURL), "Redis URL")
	classifierAddr := fs.String("classifier-addr", envOr(getenv, "CLASSIFIER_ADDR", "127.0.0.1:9091"), "classifier address, for sanctions")
	policyDir := fs.String("policies", envOr(getenv, "POLICY_DIR", "/etc/piazza/policies"), "directory of the tenants' policy files")
	prefix := fs.String("key-prefix", envOr(getenv, "PIAZZA_KEY_PREFIX", "piazza:"), "prefix of every Redis key")
	replicas := fs.Int("stream-replicas", 0, "replicas of each stream, 3 on a NATS cluster (default PIAZZA_STREAM_REPLICAS, else 1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	def, ok := defaultListen[*target]
	if !ok {
		return fmt.Errorf("--target must be one of ingest, classifier, sanctions, routing; got %q", *target)
	}
	if *listen == "" {
		*listen = def
	}
	app.TuneGC(getenv)
	tel, err := setupTelemetry(ctx, "piazza-"+*target, getenv, stderr)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel)
	policies, err := livepolicy.Load(*policyDir)
	if err != nil {
		return fmt.Errorf("load policies from %s: %w", *policyDir, err)
	}
	go policies.Watch(ctx, 10*time.Second, tel.Logger)
	retention, err := bus.RetentionFromEnv(getenv)
	if err != nil {
		return err
	}
	if *replicas > 0 {
		retention.Replicas = *replicas
	}
	common := app.Common{NATSURL: *natsURL, RedisURL: *redisURL, KeyPrefix: *prefix, Policies: policies, Telemetry: tel, Retention: retention}
	sec, closeSecurity, err := app.SecurityFromEnv(ctx, getenv, *redisURL, *prefix, *target, tel.Logger)
	if err != nil {
		return err
	}
	defer closeSecurity()
	common.Security = sec
	if *target == "sanctions" {
		key, err := pseudonym.LoadKey(getenv)
		if err != nil {
			return err
		}
		if common.Pseudonyms, err = pseudonym.New(key); err != nil {
			return err
		}
	}
	stopMetrics, err := app.ServeMetrics(*metricsAddr, tel)
	if err != nil {
		return err
	}
	defer stopMetrics()

	var svc *app.Service
	switch *target {
	case "classifier":
		svc, err = app.StartClassifier(ctx, common, *listen)
	case "sanctions":
		svc, err = app.StartSanctions(ctx, common, *listen, *classifierAddr)
	case "routing":
		svc, err = app.StartRouting(ctx, common, *listen, app.RoutingConfigFromEnv(getenv))
	case "ingest":
		var ic app.IngestConfig
		if ic, err = ingestConfig(getenv); err == nil {
			svc, err = app.StartIngest(ctx, common, *listen, ic)
		}
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", *target, err)
	}
	tel.Logger.Info("serving", "service", *target, "grpc", svc.Addr, "metrics", *metricsAddr)
	<-ctx.Done()
	tel.Logger.Info("draining", "service", *target)
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	return svc.Stop(sctx)
}

func runHealthcheck(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9091", "gRPC address to probe")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return app.CheckHealth(cctx, *addr)
}
