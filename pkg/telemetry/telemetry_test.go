package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestLogsCarryTraceIDsAndMetricsAreServed(t *testing.T) {
	var logs bytes.Buffer
	exp := tracetest.NewInMemoryExporter()
	p, err := Setup(context.Background(), Config{ServiceName: "test", SpanExporter: exp, LogOutput: &logs, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())

	ctx, span := p.Tracer.Tracer("t").Start(context.Background(), "op")
	p.Logger.InfoContext(ctx, "hello")
	span.End()
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log is not JSON: %v: %s", err, logs.String())
	}
	if rec["trace_id"] != span.SpanContext().TraceID().String() || rec["span_id"] != span.SpanContext().SpanID().String() {
		t.Errorf("log %v lacks the span's ids", rec)
	}
	if len(exp.GetSpans()) != 1 {
		t.Errorf("%d spans exported, want 1", len(exp.GetSpans()))
	}

	c, err := p.Meter.Meter("t").Int64Counter("piazza.test.things")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(context.Background(), 3)
	rr := httptest.NewRecorder()
	p.MetricsHandler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	if !strings.Contains(string(body), "piazza_test_things_total") || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("metrics exposition lacks the counter or the Go metrics:\n%.500s", body)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]string{"debug": "DEBUG", "WARN": "WARN", "": "INFO", "nonsense": "INFO"} {
		if got := ParseLevel(in).String(); got != want {
			t.Errorf("ParseLevel(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestHistogramsCarryTraceExemplars(t *testing.T) {
	p, err := Setup(context.Background(), Config{ServiceName: "test", SpanExporter: tracetest.NewInMemoryExporter(), LogOutput: io.Discard, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	h, err := p.Meter.Meter("t").Float64Histogram("piazza.test.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := p.Tracer.Tracer("t").Start(context.Background(), "op")
	h.Record(ctx, 0.25)
	span.End()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rr := httptest.NewRecorder()
	p.MetricsHandler.ServeHTTP(rr, req)
	body := rr.Body.String()
	if !strings.Contains(body, "trace_id=\""+span.SpanContext().TraceID().String()+"\"") {
		t.Errorf("no exemplar with the span's trace id in the OpenMetrics exposition:\n%.1500s", body)
	}
}

func TestWithoutAnExporterSpansAreNotRecordedButLogsKeepTraceIDs(t *testing.T) {
	var logs bytes.Buffer
	p, err := Setup(context.Background(), Config{ServiceName: "test", LogOutput: &logs, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	ctx, span := p.Tracer.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	if span.IsRecording() || !span.SpanContext().IsValid() {
		t.Errorf("span recording %v, valid %v: want an unrecorded span with real ids", span.IsRecording(), span.SpanContext().IsValid())
	}
	p.Logger.InfoContext(ctx, "hello")
	if !strings.Contains(logs.String(), span.SpanContext().TraceID().String()) {
		t.Errorf("log lacks the trace id: %s", logs.String())
	}
}
