// Package telemetry sets up OpenTelemetry traces and metrics and structured logs for a Piazza
// process. Traces go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-specific variable)
// is set; metrics are always served in the Prometheus format and also pushed over OTLP when an
// endpoint is set. The standard OTEL_* variables (service name, resource attributes, sampler) are
// honoured by the SDK. Nothing here is global: callers pass the providers to what they build.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Config says how to set telemetry up.
type Config struct {
	// ServiceName names the process in traces and metrics unless OTEL_SERVICE_NAME overrides it.
	ServiceName string
	// SpanExporter, when set, receives every span synchronously instead of OTLP; tests use an
	// in-memory exporter here.
	SpanExporter sdktrace.SpanExporter
	// LogOutput is where JSON logs go; os.Stderr when nil.
	LogOutput io.Writer
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
}

// Providers is what a process hands to its components.
type Providers struct {
	// Tracer is the tracer provider for every span of the process.
	Tracer trace.TracerProvider
	// Meter is the meter provider for every metric of the process.
	Meter metric.MeterProvider
	// Propagator carries W3C trace context and baggage across NATS headers and gRPC metadata.
	Propagator propagation.TextMapPropagator
	// Logger writes JSON logs with trace_id and span_id taken from the context.
	Logger *slog.Logger
	// MetricsHandler serves the Prometheus exposition of the process's metrics.
	MetricsHandler http.Handler

	shutdown []func(context.Context) error
}

// Setup builds the providers. Call Shutdown before the process exits to flush what is buffered.
func Setup(ctx context.Context, cfg Config) (*Providers, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", cfg.ServiceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	p := &Providers{
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}

	otlp := getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch {
	case cfg.SpanExporter != nil:
		topts = append(topts, sdktrace.WithSyncer(cfg.SpanExporter))
	case otlp && getenv("OTEL_TRACES_EXPORTER") != "none":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(exp))
	default:
		// Nothing would receive the spans: start them unrecorded. Trace context still flows
		// through headers and gRPC metadata, and logs still carry trace and span ids.
		topts = append(topts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(topts...)
	p.Tracer = tp
	p.shutdown = append(p.shutdown, tp.Shutdown)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	if (getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != "") &&
		getenv("OTEL_METRICS_EXPORTER") != "none" {
		mexp, err := otlpmetricgrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp metric exporter: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(15*time.Second))))
	}
	mp := sdkmetric.NewMeterProvider(mopts...)
	p.Meter = mp
	p.shutdown = append(p.shutdown, mp.Shutdown)
	p.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})

	out := cfg.LogOutput
	if out == nil {
		out = os.Stderr
	}
	p.Logger = slog.New(NewTraceHandler(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel})))
	return p, nil
}

// Shutdown flushes and stops the providers, within ctx's deadline.
func (p *Providers) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(p.shutdown) - 1; i >= 0; i-- {
		if err := p.shutdown[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ParseLevel reads a LOG_LEVEL value (debug, info, warn, error); anything else is info.
func ParseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// TraceHandler is a slog.Handler that adds the current trace and span ids to every record, so
// that a log line can be found from its trace and the other way round.
type TraceHandler struct {
	next slog.Handler
}

// NewTraceHandler wraps next.
func NewTraceHandler(next slog.Handler) *TraceHandler { return &TraceHandler{next: next} }

// Enabled reports whether next logs at level.
func (h *TraceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds trace_id and span_id when ctx carries a valid span.
func (h *TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a handler with attrs added.
func (h *TraceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &TraceHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a handler that nests attributes under name.
func (h *TraceHandler) WithGroup(name string) slog.Handler {
	return &TraceHandler{next: h.next.WithGroup(name)}
}

// TracerOrNoop returns tp, or a provider that records nothing when tp is nil.
func TracerOrNoop(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return tracenoop.NewTracerProvider()
	}
	return tp
}

// MeterOrNoop returns mp, or a provider that records nothing when mp is nil.
func MeterOrNoop(mp metric.MeterProvider) metric.MeterProvider {
	if mp == nil {
		return metricnoop.NewMeterProvider()
	}
	return mp
}
