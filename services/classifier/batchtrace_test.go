package classifier_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/piazza-pa/piazza/pkg/telemetry"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// A ClassifyBatch caller that sends each comment's trace gets each classification recorded in
// that comment's trace, linked to the batch's span; one that does not gets the batch's span only.
func TestClassifyBatchRecordsEachCommentInItsTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := newTracedServer(t, tp)
	c := dial(t, s)
	comments := []*commentv1.Comment{comment("monza", "Sei un idiota"), comment("bussero", "Grazie mille"), comment("monza", "Buongiorno")}
	var itemCtxs []context.Context
	var want []string
	for i := range comments {
		ctx := context.Background()
		if i != 2 { // the third comment has no trace
			cctx, sp := tp.Tracer("test").Start(ctx, "comment")
			sp.End()
			ctx = cctx
			want = append(want, sp.SpanContext().TraceID().String())
		}
		itemCtxs = append(itemCtxs, ctx)
	}
	bctx, batchSpan := tp.Tracer("test").Start(context.Background(), "batch")
	if _, err := c.ClassifyBatch(telemetry.WithItemTraces(bctx, itemCtxs), &classifierv1.ClassifyBatchRequest{Comments: comments}); err != nil {
		t.Fatal(err)
	}
	batchSpan.End()
	perTrace := map[string]int{}
	linked := 0
	for _, sp := range exp.GetSpans() {
		if sp.Name != "classifier.classify" {
			continue
		}
		perTrace[sp.SpanContext.TraceID().String()]++
		for _, l := range sp.Links {
			if l.SpanContext.SpanID().IsValid() {
				linked++
			}
		}
	}
	for _, id := range want {
		if perTrace[id] != 1 {
			t.Errorf("comment trace %s has %d classification spans, want 1", id, perTrace[id])
		}
	}
	if linked != 3 {
		t.Errorf("%d classification spans link to the batch, want 3", linked)
	}

	// Without the comments' traces: no per-comment span.
	exp.Reset()
	if _, err := c.ClassifyBatch(context.Background(), &classifierv1.ClassifyBatchRequest{Comments: comments}); err != nil {
		t.Fatal(err)
	}
	for _, sp := range exp.GetSpans() {
		if sp.Name == "classifier.classify" {
			t.Errorf("a classification span without the comments' traces: %v", sp.SpanContext.TraceID())
		}
	}
}
