// Package app wires Piazza's services from their parts: connections to NATS and Redis,
// gRPC servers with health, reflection and tracing, and the four services. The one binary uses
// it for `piazza up` (everything in one process) and `piazza serve` (one service per process);
// the end-to-end tests use it to start the services exactly as production does.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// ConnectNATS connects to url as the named client, reconnecting for ever, and returns the
// connection and its JetStream context.
func ConnectNATS(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(true),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// ConnectRedis connects to a redis:// URL and checks that the server answers.
func ConnectRedis(ctx context.Context, url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// Consumers handle up to 128 messages at once, each with a few Redis round trips: a pool
	// smaller than that queues them behind each other (go-redis defaults to 10 per core).
	if opts.PoolSize < 128 && !strings.Contains(url, "pool_size") {
		opts.PoolSize = 128
	}
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	return c, nil
}

// Security is how a process's gRPC servers check their callers and how its gRPC clients present
// themselves to the other services.
type Security struct {
	// Guard authenticates and authorizes every call (see pkg/auth); nil refuses every call
	// except health checks and mTLS-certified callers.
	Guard *auth.Guard
	// ServerTLS, when set, serves gRPC over TLS; with ClientCAs it accepts mTLS client
	// certificates as credentials.
	ServerTLS *tls.Config
	// ClientTLS, when set, dials the other services over TLS, presenting its certificate.
	ClientTLS *tls.Config
	// Credential is what this process's outgoing calls carry; nil when its mTLS certificate
	// identifies it.
	Credential credentials.PerRPCCredentials
}

// WithOffices returns a copy of s whose Guard looks up citizen requests' offices with l, so
// that office credentials reach only their own office's requests.
func (s Security) WithOffices(l auth.OfficeLookup) Security {
	if s.Guard != nil {
		s.Guard = s.Guard.WithOffices(l)
	}
	return s
}

// RequestOffices looks a request's office up through the routing server's own GetRequest.
func RequestOffices(rs routingv1.RoutingServiceServer) auth.OfficeLookup {
	return func(ctx context.Context, tenant, requestID string) (string, bool, error) {
		if tenant == "" || requestID == "" {
			return "", false, nil
		}
		resp, err := rs.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: tenant, RequestId: requestID})
		switch status.Code(err) {
		case codes.OK:
			return resp.GetRequest().GetOffice(), true, nil
		case codes.NotFound, codes.InvalidArgument:
			return "", false, nil
		default:
			return "", false, fmt.Errorf("look up request office: %w", err)
		}
	}
}

// LocalSecurity is the security of a deployment on one machine (`piazza up`, tests): bearer
// tokens in Redis under prefix, the services calling each other with a service token they issue
// themselves, and no TLS (every listener is on loopback). The store is returned to issue more
// tokens.
func LocalSecurity(ctx context.Context, rdb redis.UniversalClient, prefix string, logger *slog.Logger) (Security, *auth.TokenStore, error) {
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rdb, KeyPrefix: prefix})
	guard, err := auth.NewGuard(auth.GuardConfig{Tokens: store, Logger: logger})
	if err != nil {
		return Security{}, nil, err
	}
	cred := store.Issuer(auth.Identity{Tenant: auth.Region, Role: auth.RoleService, Label: "piazza up services"}, 24*time.Hour, true)
	// Issue the service token now: a store that cannot issue fails the start, not the first call.
	if _, err := cred.Token(ctx); err != nil {
		return Security{}, nil, fmt.Errorf("issue the service token: %w", err)
	}
	return Security{Guard: guard, Credential: cred}, store, nil
}

// SecurityFromEnv builds the security of `piazza serve --target=service`: bearer tokens verified
// against the Redis at redisURL; TLS when GRPC_TLS_CERT and GRPC_TLS_KEY are set, with mTLS
// client certificates accepted (and presented) when GRPC_TLS_CA is set too; outgoing calls carry
// the token of PIAZZA_SERVICE_TOKEN_FILE, else the client certificate when mTLS is configured,
// else a service token the process issues itself. The returned func closes the Redis
// connection.
func SecurityFromEnv(ctx context.Context, getenv func(string) string, redisURL, prefix, service string, logger *slog.Logger) (Security, func(), error) {
	files := auth.TLSFilesFromEnv(getenv)
	var sec Security
	if files.Enabled() {
		var err error
		if sec.ServerTLS, err = files.Server(); err != nil {
			return Security{}, nil, err
		}
		if sec.ClientTLS, err = files.Client(); err != nil {
			return Security{}, nil, err
		}
	} else {
		logger.Warn("gRPC without TLS: bearer tokens travel in clear; set GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA outside a trusted network")
	}
	rdb, err := ConnectRedis(ctx, redisURL)
	if err != nil {
		return Security{}, nil, fmt.Errorf("token store: %w", err)
	}
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rdb, KeyPrefix: prefix})
	if sec.Guard, err = auth.NewGuard(auth.GuardConfig{Tokens: store, Logger: logger}); err != nil {
		_ = rdb.Close()
		return Security{}, nil, err
	}
	switch {
	case getenv("PIAZZA_SERVICE_TOKEN_FILE") != "":
		b, err := os.ReadFile(getenv("PIAZZA_SERVICE_TOKEN_FILE"))
		if err != nil {
			_ = rdb.Close()
			return Security{}, nil, fmt.Errorf("read PIAZZA_SERVICE_TOKEN_FILE: %w", err)
		}
		sec.Credential = auth.BearerToken{Token: strings.TrimSpace(string(b)), AllowInsecure: sec.ClientTLS == nil}
	case files.CA != "" && files.Cert != "":
		// The client certificate is the credential.
	default:
		host, _ := os.Hostname()
		cred := store.Issuer(auth.Identity{Tenant: auth.Region, Role: auth.RoleService, Label: service + "@" + host}, 24*time.Hour, sec.ClientTLS == nil)
		if _, err := cred.Token(ctx); err != nil {
			_ = rdb.Close()
			return Security{}, nil, fmt.Errorf("issue the service token: %w", err)
		}
		sec.Credential = cred
	}
	return sec, func() { _ = rdb.Close() }, nil
}

// NewGRPCServer returns a server with tracing and metrics on every call, the Guard of sec on
// every unary and streaming call, TLS when sec has it, the standard health service
// (NOT_SERVING until the caller says otherwise; open without a credential) and reflection.
func NewGRPCServer(tel *telemetry.Providers, sec Security) (*grpc.Server, *health.Server) {
	guard := sec.Guard
	if guard == nil {
		// Fail closed: without a configured guard nothing but health checks and
		// certificate-bearing callers gets in.
		guard = auth.CertificatesOnly()
	}
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(tel.Tracer),
			otelgrpc.WithMeterProvider(tel.Meter),
			otelgrpc.WithPropagators(tel.Propagator),
		)),
		grpc.ChainUnaryInterceptor(guard.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(guard.StreamInterceptor()),
	}
	if sec.ServerTLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(sec.ServerTLS)))
	}
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	return srv, hs
}

// DialGRPC opens a client connection to addr with tracing, TLS when sec has it and sec's
// credential on every call; it connects lazily.
func DialGRPC(addr string, tel *telemetry.Providers, sec Security) (*grpc.ClientConn, error) {
	transport := insecure.NewCredentials()
	if sec.ClientTLS != nil {
		transport = credentials.NewTLS(sec.ClientTLS.Clone())
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(tel.Tracer),
			otelgrpc.WithMeterProvider(tel.Meter),
			otelgrpc.WithPropagators(tel.Propagator),
		)),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
	}
	if sec.Credential != nil {
		opts = append(opts, grpc.WithPerRPCCredentials(sec.Credential))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return conn, nil
}

// CheckHealth asks the gRPC health service at addr whether it serves.
func CheckHealth(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("health check %s: %w", addr, err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s is %s", addr, resp.GetStatus())
	}
	return nil
}

// serveGRPC listens on addr and serves srv in the background; it returns the bound address.
func serveGRPC(srv *grpc.Server, addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen %s: %w", addr, err)
	}
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), nil
}

// stopGRPC stops srv gracefully, letting calls in flight finish, or hard when ctx ends first.
func stopGRPC(ctx context.Context, srv *grpc.Server) error {
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		srv.Stop()
		return errors.New("grpc server stopped hard: drain timed out")
	}
}
