package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
	"github.com/piazza-pa/piazza/services/ingest"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/ingest/webhook"
	"github.com/piazza-pa/piazza/services/routing"
	"github.com/piazza-pa/piazza/services/sanctions"
)

// Common is what every service of a process shares.
type Common struct {
	// NATSURL is the NATS server every service connects to (its own connection each).
	NATSURL string
	// RedisURL is the Redis every stateful service connects to.
	RedisURL string
	// KeyPrefix starts every Redis key of this deployment.
	KeyPrefix string
	// Policies are the tenants' policies in force.
	Policies *livepolicy.Set
	// Pseudonyms hashes user ids.
	Pseudonyms *pseudonym.Keyed
	// Telemetry receives traces, metrics and logs.
	Telemetry *telemetry.Providers
	// Retention configures the streams.
	Retention bus.Retention
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Middlewares wrap every consumer's handler, innermost last; tests inject faults here.
	Middlewares []bus.Middleware
	// Security authenticates the gRPC callers and the services' own calls; its zero value
	// refuses every call but health checks.
	Security Security
}

func (c Common) logger(service string) *slog.Logger {
	return c.Telemetry.Logger.With("service", service)
}

// Service is one running service; Stop drains it.
type Service struct {
	// Name is the service's name.
	Name string
	// Addr is where its gRPC server listens.
	Addr  string
	stops []func(context.Context) error
}

func (s *Service) onStop(f func(context.Context) error) { s.stops = append(s.stops, f) }

// serve starts the service's gRPC server on listen and registers its graceful stop, health
// first so that load balancers stop sending calls before the server drains.
func (s *Service) serve(srv *grpc.Server, hs *health.Server, listen string) error {
	addr, err := serveGRPC(srv, listen)
	if err != nil {
		return err
	}
	s.Addr = addr
	s.onStop(func(ctx context.Context) error { hs.Shutdown(); return stopGRPC(ctx, srv) })
	return nil
}

// Stop drains the service in the reverse order of its start: consumers stop fetching and
// settle what is in flight, gRPC finishes calls in flight, then connections close.
func (s *Service) Stop(ctx context.Context) error {
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		if err := s.stops[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.stops = nil
	return errors.Join(errs...)
}

// connect opens the service's own NATS connection and makes sure the streams exist.
func (c Common) connect(ctx context.Context, svc *Service) (*nats.Conn, jetstream.JetStream, error) {
	nc, js, err := ConnectNATS(c.NATSURL, "piazza-"+svc.Name)
	if err != nil {
		return nil, nil, err
	}
	svc.onStop(func(context.Context) error { return nc.Drain() })
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := bus.EnsureStreams(sctx, js, c.Retention); err != nil {
		return nil, nil, err
	}
	return nc, js, nil
}

// stateful opens what a consuming service needs: its own NATS connection with the streams,
// its own Redis client, and a publisher.
func (c Common) stateful(ctx context.Context, svc *Service) (jetstream.JetStream, *redis.Client, *bus.Publisher, error) {
	_, js, err := c.connect(ctx, svc)
	if err != nil {
		return nil, nil, nil, err
	}
	rdb, err := c.redis(ctx, svc)
	if err != nil {
		return nil, nil, nil, err
	}
	return js, rdb, bus.NewPublisher(js, c.busTelemetry()), nil
}

func (c Common) redis(ctx context.Context, svc *Service) (*redis.Client, error) {
	rdb, err := ConnectRedis(ctx, c.RedisURL)
	if err != nil {
		return nil, err
	}
	svc.onStop(func(context.Context) error { return rdb.Close() })
	return rdb, nil
}

func (c Common) middlewares() []bus.Middleware {
	return append([]bus.Middleware{bus.Recover()}, c.Middlewares...)
}

func (c Common) busTelemetry() bus.Telemetry {
	return bus.Telemetry{Tracer: c.Telemetry.Tracer, Propagator: c.Telemetry.Propagator}
}

func (c Common) consumerDeps(name string, pub *bus.Publisher) bus.ConsumerDeps {
	return bus.ConsumerDeps{Telemetry: c.busTelemetry(), Meter: c.Telemetry.Meter, Logger: c.logger(name), Publisher: pub}
}

// StartClassifier starts the classifier's gRPC server on listen.
func StartClassifier(ctx context.Context, c Common, listen string) (svc *Service, err error) {
	svc = &Service{Name: "classifier"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	engine, err := rules.NewEngine()
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	impl, err := classifier.NewServer(engine, c.Policies, c.Telemetry.Tracer, c.Telemetry.Meter)
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry, c.Security)
	classifierv1.RegisterClassifierServiceServer(srv, impl)
	if err := svc.serve(srv, hs, listen); err != nil {
		return nil, err
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}

// StartSanctions starts the sanctions consumer and its gRPC server; it calls the classifier at
// classifierAddr.
func StartSanctions(ctx context.Context, c Common, listen, classifierAddr string) (svc *Service, err error) {
	svc = &Service{Name: "sanctions"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	js, rdb, pub, err := c.stateful(ctx, svc)
	if err != nil {
		return nil, err
	}
	conn, err := DialGRPC(classifierAddr, c.Telemetry, c.Security)
	if err != nil {
		return nil, err
	}
	svc.onStop(func(context.Context) error { return conn.Close() })
	// Decisions and erasures are remembered as long as the COMMENTS stream may redeliver or
	// replay a comment, so that neither a strike nor an erased user's data comes back.
	impl, err := sanctions.New(sanctions.Config{
		Redis: rdb, Classifier: classifierv1.NewClassifierServiceClient(conn), Policies: c.Policies,
		Publisher: pub, Pseudonyms: c.Pseudonyms, KeyPrefix: c.KeyPrefix, Now: c.Now,
		DecisionTTL: c.Retention.Comments, ErasureMemory: c.Retention.Comments,
		Logger: c.logger("sanctions"), Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry, c.Security)
	sanctionsv1.RegisterSanctionsServiceServer(srv, sanctions.NewGRPCServer(impl))
	if err := svc.serve(srv, hs, listen); err != nil {
		return nil, err
	}
	cons, err := bus.ConsumeBatch(ctx, js, sanctions.BatchConsumerSpec(), c.consumerDeps("sanctions", pub), impl.HandleBatch, sanctions.BatchSize, sanctions.BatchWait, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	failures, err := bus.Consume(ctx, js, sanctions.FailureConsumerSpec(), c.consumerDeps("sanctions", pub), impl.HandleActionFailure, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(failures.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}

// StartRouting starts the routing consumer, its gRPC server and its scheduler (office
// notifications, warnings and escalations, in office hours).
func StartRouting(ctx context.Context, c Common, listen string, rc RoutingConfig) (svc *Service, err error) {
	if rc.err != nil {
		return nil, fmt.Errorf("routing configuration: %w", rc.err)
	}
	svc = &Service{Name: "routing"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	now := rc.Now
	if now == nil {
		now = c.Now
	}
	if now == nil {
		now = time.Now
	}
	notifiers, err := rc.notifiers(now)
	if err != nil {
		return nil, err
	}
	if err := rc.SLAOverrides.CheckAgainst(c.Policies); err != nil {
		return nil, fmt.Errorf("SLA overrides: %w", err)
	}
	js, rdb, pub, err := c.stateful(ctx, svc)
	if err != nil {
		return nil, err
	}
	impl, err := routing.New(routing.Config{
		Redis: rdb, Policies: c.Policies, Publisher: pub, KeyPrefix: c.KeyPrefix, Now: now,
		Notifiers: notifiers, SLAOverrides: rc.SLAOverrides, EscalationEvery: rc.EscalationEvery,
		Logger: c.logger("routing"), Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	rsrv := routing.NewGRPCServer(impl)
	srv, hs := NewGRPCServer(c.Telemetry, c.Security.WithOffices(RequestOffices(rsrv)))
	routingv1.RegisterRoutingServiceServer(srv, rsrv)
	if err := svc.serve(srv, hs, listen); err != nil {
		return nil, err
	}
	cons, err := bus.ConsumeBatch(ctx, js, routing.BatchConsumerSpec(), c.consumerDeps("routing", pub), impl.HandleBatch, routing.BatchSize, routing.BatchWait, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	erasures, err := bus.Consume(ctx, js, routing.ErasureConsumerSpec(), c.consumerDeps("routing", pub), impl.HandleErasure, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(erasures.Stop)
	every := rc.TickEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); impl.Run(schedCtx, every) }()
	svc.onStop(func(context.Context) error { stopSched(); <-schedDone; return nil })
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}

// IngestConfig configures the platform side of ingest (tokens, webhook address, polling); see
// services/ingest/README.md. Tokens and secrets are never logged.
type IngestConfig = ingest.Config

// StartIngest starts the enforcer, the pollers of the pages mapped to a tenant, the webhook
// endpoints (/webhooks/meta, /webhooks/push) and ingest's gRPC health endpoint.
func StartIngest(ctx context.Context, c Common, listen string, ic IngestConfig) (svc *Service, err error) {
	svc = &Service{Name: "ingest"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	js, rdb, pub, err := c.stateful(ctx, svc)
	if err != nil {
		return nil, err
	}
	log := c.logger("ingest")
	meter := telemetry.MeterOrNoop(c.Telemetry.Meter).Meter("github.com/piazza-pa/piazza/services/ingest")
	deliveries, err := meter.Int64Counter("piazza.ingest.webhook_deliveries", metric.WithDescription("Webhook deliveries, by outcome"))
	if err != nil {
		return nil, fmt.Errorf("ingest metrics: %w", err)
	}
	conns, err := ingest.Build(ic, ingest.Deps{
		Sink:    &connector.Sink{Redis: rdb, KeyPrefix: c.KeyPrefix, Publisher: replay.BusPublisher{Bus: pub}},
		Cursors: connector.Cursors{Redis: rdb, KeyPrefix: c.KeyPrefix},
		Meter:   c.Telemetry.Meter,
		TenantFor: func(platform, id string) (string, bool) {
			t, ok := c.Policies.Current().TenantForPage(platform, id)
			if !ok {
				return "", false
			}
			return t.Code, true
		},
		TenantExists: func(code string) bool { _, ok := c.Policies.Tenant(code); return ok },
		Logger:       log, Deliveries: deliveries, Now: c.Now,
	})
	if err != nil {
		return nil, err
	}
	enf, err := enforcer.New(enforcer.Config{
		Redis: rdb, Publisher: pub, Platforms: conns.Platforms, KeyPrefix: c.KeyPrefix, Now: c.Now,
		Logger: log, Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry, c.Security)
	if err := svc.serve(srv, hs, listen); err != nil {
		return nil, err
	}
	if l := ic.WebhookListener; l != nil || ic.WebhookListen != "" {
		if l == nil {
			if l, err = net.Listen("tcp", ic.WebhookListen); err != nil {
				return nil, fmt.Errorf("listen for webhooks on %s: %w", ic.WebhookListen, err)
			}
		}
		hsrv := &http.Server{Handler: conns.Webhooks, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		go func() { _ = hsrv.Serve(l) }()
		svc.onStop(hsrv.Shutdown)
		log.Info("webhook endpoints listening", "addr", l.Addr().String(), "meta", webhook.Path, "push", webhook.PushPath,
			"meta_signed", ic.FacebookAppSecret != "", "push_signed", ic.PushSecret != "")
	}
	if len(conns.Pollers) > 0 {
		failures, err := meter.Int64Counter("piazza.ingest.poll_failures", metric.WithDescription("Failed polls, by tenant and whether an operator must act"))
		if err != nil {
			return nil, fmt.Errorf("ingest metrics: %w", err)
		}
		published, err := meter.Int64Counter("piazza.ingest.polled_comments", metric.WithDescription("Comments published by the pollers, by tenant"))
		if err != nil {
			return nil, fmt.Errorf("ingest metrics: %w", err)
		}
		runner := connector.Runner{Interval: ic.PollInterval, Logger: log, Failures: failures, Published: published}
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		var wg sync.WaitGroup
		for _, p := range conns.Pollers {
			wg.Go(func() { runner.Run(pctx, p) })
		}
		svc.onStop(func(context.Context) error { cancel(); wg.Wait(); return nil })
	}
	cons, err := bus.ConsumeBatch(ctx, js, enforcer.BatchConsumerSpec(), c.consumerDeps("ingest", pub), enf.HandleBatch, enforcer.BatchSize, enforcer.BatchWait, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}
