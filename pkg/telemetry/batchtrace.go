package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc/metadata"
)

// ItemTracesMetadata is the gRPC metadata key under which a caller that sends many items in one
// call (sanctions' ClassifyBatch) sends each item's W3C traceparent, comma-separated in the
// items' order, "" for an item without one. The server can then record each item's work in
// that item's own trace, as a call per item would, besides the batch's span.
const ItemTracesMetadata = "piazza-item-traceparents"

// WithItemTraces returns ctx with the outgoing metadata that carries the trace of each of
// itemCtxs.
func WithItemTraces(ctx context.Context, itemCtxs []context.Context) context.Context {
	parents := make([]string, len(itemCtxs))
	tc := propagation.TraceContext{}
	for i, ic := range itemCtxs {
		c := propagation.MapCarrier{}
		tc.Inject(ic, c)
		parents[i] = c["traceparent"]
	}
	return metadata.AppendToOutgoingContext(ctx, ItemTracesMetadata, strings.Join(parents, ","))
}

// ItemTraces reads the incoming metadata WithItemTraces wrote for n items and returns, for
// each, ctx continuing that item's trace (ctx itself for an item without one). It returns nil
// when the metadata is absent or does not hold n traces.
func ItemTraces(ctx context.Context, n int) []context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return nil
	}
	v := md.Get(ItemTracesMetadata)
	if len(v) != 1 {
		return nil
	}
	parents := strings.Split(v[0], ",")
	if len(parents) != n {
		return nil
	}
	out := make([]context.Context, n)
	tc := propagation.TraceContext{}
	for i, p := range parents {
		out[i] = ctx
		if p != "" {
			out[i] = tc.Extract(ctx, propagation.MapCarrier{"traceparent": p})
		}
	}
	return out
}
