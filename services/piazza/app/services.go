package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
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
	srv, hs := NewGRPCServer(c.Telemetry)
	classifierv1.RegisterClassifierServiceServer(srv, impl)
	if svc.Addr, err = serveGRPC(srv, listen); err != nil {
		return nil, err
	}
	svc.onStop(func(ctx context.Context) error { hs.Shutdown(); return stopGRPC(ctx, srv) })
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
	_, js, err := c.connect(ctx, svc)
	if err != nil {
		return nil, err
	}
	rdb, err := c.redis(ctx, svc)
	if err != nil {
		return nil, err
	}
	conn, err := DialGRPC(classifierAddr, c.Telemetry)
	if err != nil {
		return nil, err
	}
	svc.onStop(func(context.Context) error { return conn.Close() })
	pub := bus.NewPublisher(js, c.busTelemetry())
	impl, err := sanctions.New(sanctions.Config{
		Redis: rdb, Classifier: classifierv1.NewClassifierServiceClient(conn), Policies: c.Policies,
		Publisher: pub, Pseudonyms: c.Pseudonyms, KeyPrefix: c.KeyPrefix, Now: c.Now,
		Logger: c.logger("sanctions"), Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry)
	sanctionsv1.RegisterSanctionsServiceServer(srv, sanctions.NewGRPCServer(impl))
	if svc.Addr, err = serveGRPC(srv, listen); err != nil {
		return nil, err
	}
	svc.onStop(func(ctx context.Context) error { hs.Shutdown(); return stopGRPC(ctx, srv) })
	cons, err := bus.Consume(ctx, js, sanctions.ConsumerSpec(), c.consumerDeps("sanctions", pub), impl.HandleComment, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}

// StartRouting starts the routing consumer and its gRPC server.
func StartRouting(ctx context.Context, c Common, listen string) (svc *Service, err error) {
	svc = &Service{Name: "routing"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	_, js, err := c.connect(ctx, svc)
	if err != nil {
		return nil, err
	}
	rdb, err := c.redis(ctx, svc)
	if err != nil {
		return nil, err
	}
	pub := bus.NewPublisher(js, c.busTelemetry())
	impl, err := routing.New(routing.Config{
		Redis: rdb, Policies: c.Policies, Publisher: pub, KeyPrefix: c.KeyPrefix, Now: c.Now,
		Logger: c.logger("routing"), Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry)
	routingv1.RegisterRoutingServiceServer(srv, routing.NewGRPCServer(impl))
	if svc.Addr, err = serveGRPC(srv, listen); err != nil {
		return nil, err
	}
	svc.onStop(func(ctx context.Context) error { hs.Shutdown(); return stopGRPC(ctx, srv) })
	cons, err := bus.Consume(ctx, js, routing.ConsumerSpec(), c.consumerDeps("routing", pub), impl.HandleDecision, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}

// IngestConfig configures the platform side of ingest.
type IngestConfig struct {
	// FacebookGraphURL is the Graph API origin (a fake in the demo and tests).
	FacebookGraphURL string
	// FacebookTokens maps each Page id to its access token; never logged.
	FacebookTokens map[string]string
	// FacebookAppSecret, when set, signs calls with appsecret_proof.
	FacebookAppSecret string
	// HTTPClient calls the platforms.
	HTTPClient *http.Client
}

// StartIngest starts the enforcer and ingest's gRPC health endpoint.
func StartIngest(ctx context.Context, c Common, listen string, ic IngestConfig) (svc *Service, err error) {
	svc = &Service{Name: "ingest"}
	defer func() {
		if err != nil {
			_ = svc.Stop(context.WithoutCancel(ctx))
		}
	}()
	_, js, err := c.connect(ctx, svc)
	if err != nil {
		return nil, err
	}
	rdb, err := c.redis(ctx, svc)
	if err != nil {
		return nil, err
	}
	platforms := map[commentv1.Platform]enforcer.Platform{}
	if len(ic.FacebookTokens) > 0 {
		pages := map[string]*facebook.Client{}
		for page, token := range ic.FacebookTokens {
			fb, err := facebook.New(facebook.Config{BaseURL: ic.FacebookGraphURL, AccessToken: token, AppSecret: ic.FacebookAppSecret, HTTPClient: ic.HTTPClient})
			if err != nil {
				return nil, fmt.Errorf("facebook page %s: %w", page, err)
			}
			pages[page] = fb
		}
		platforms[commentv1.Platform_PLATFORM_FACEBOOK] = enforcer.Facebook{Pages: pages}
	}
	pub := bus.NewPublisher(js, c.busTelemetry())
	enf, err := enforcer.New(enforcer.Config{
		Redis: rdb, Publisher: pub, Platforms: platforms, KeyPrefix: c.KeyPrefix, Now: c.Now,
		Logger: c.logger("ingest"), Tracer: c.Telemetry.Tracer, Meter: c.Telemetry.Meter,
	})
	if err != nil {
		return nil, err
	}
	srv, hs := NewGRPCServer(c.Telemetry)
	if svc.Addr, err = serveGRPC(srv, listen); err != nil {
		return nil, err
	}
	svc.onStop(func(ctx context.Context) error { hs.Shutdown(); return stopGRPC(ctx, srv) })
	cons, err := bus.Consume(ctx, js, enforcer.ConsumerSpec(), c.consumerDeps("ingest", pub), enf.HandleAction, c.middlewares()...)
	if err != nil {
		return nil, err
	}
	svc.onStop(cons.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return svc, nil
}
