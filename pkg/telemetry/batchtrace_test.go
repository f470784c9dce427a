package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

func TestItemTracesRoundTripAndRefuseWhatDoesNotFit(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	withSpan := trace.ContextWithSpanContext(context.Background(), sc)
	out := WithItemTraces(context.Background(), []context.Context{withSpan, context.Background()})
	md, _ := metadata.FromOutgoingContext(out)
	in := metadata.NewIncomingContext(context.Background(), md)

	got := ItemTraces(in, 2)
	if len(got) != 2 {
		t.Fatalf("%d contexts, want 2", len(got))
	}
	if id := trace.SpanContextFromContext(got[0]).TraceID(); id != sc.TraceID() {
		t.Errorf("first item continues trace %s, want %s", id, sc.TraceID())
	}
	if trace.SpanContextFromContext(got[1]).IsValid() {
		t.Error("the second item had no trace and got one")
	}
	if ItemTraces(in, 3) != nil {
		t.Error("traces for 2 items accepted for 3")
	}
	if ItemTraces(context.Background(), 2) != nil {
		t.Error("traces found without metadata")
	}
	bad := metadata.NewIncomingContext(context.Background(), metadata.Pairs(ItemTracesMetadata, "garbage,00-zz"))
	for i, c := range ItemTraces(bad, 2) {
		if trace.SpanContextFromContext(c).IsValid() {
			t.Errorf("malformed traceparent %d gave a valid trace", i)
		}
	}
}
