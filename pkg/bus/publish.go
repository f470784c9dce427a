package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/proto"
)

// Telemetry is what the bus reports to: spans for every publish and every message handled,
// linked through W3C trace context in the headers.
type Telemetry struct {
	// Tracer creates the bus's spans.
	Tracer trace.TracerProvider
	// Propagator writes and reads trace context in headers.
	Propagator propagation.TextMapPropagator
}

func (t Telemetry) tracer() trace.Tracer {
	if t.Tracer == nil {
		return tracenoop.NewTracerProvider().Tracer("piazza/bus")
	}
	return t.Tracer.Tracer("github.com/piazza-pa/piazza/pkg/bus")
}

func (t Telemetry) propagator() propagation.TextMapPropagator {
	if t.Propagator == nil {
		return propagation.TraceContext{}
	}
	return t.Propagator
}

// Publisher publishes protobuf messages to JetStream.
type Publisher struct {
	js  jetstream.JetStream
	tel Telemetry
}

// NewPublisher returns a publisher on js.
func NewPublisher(js jetstream.JetStream, tel Telemetry) *Publisher {
	return &Publisher{js: js, tel: tel}
}

// Publish marshals m and publishes it on subject with msgID as the deduplicating message id, the
// trace context of ctx in the headers, and waits for the stream's acknowledgement.
func (p *Publisher) Publish(ctx context.Context, subject, msgID string, m proto.Message) error {
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", subject, err)
	}
	return p.PublishRaw(ctx, subject, msgID, data, nil)
}

// PublishRaw publishes data as it is, with extra headers.
func (p *Publisher) PublishRaw(ctx context.Context, subject, msgID string, data []byte, header nats.Header) error {
	ctx, span := p.tel.tracer().Start(ctx, "publish "+subjectPattern(subject),
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", subject),
			attribute.String("messaging.message.id", msgID),
		))
	defer span.End()
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	for k, v := range header {
		msg.Header[k] = v
	}
	p.tel.propagator().Inject(ctx, HeaderCarrier(msg.Header))
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := p.js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish")
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	span.SetAttributes(attribute.Bool("messaging.nats.duplicate", ack.Duplicate))
	return nil
}

// subjectPattern replaces the tenant token so that span names stay few.
func subjectPattern(subject string) string {
	if _, entity, event, ok := ParseSubject(subject); ok {
		return Root + ".*." + entity + "." + event
	}
	return subject
}

// Outgoing is one message of a batch.
type Outgoing struct {
	Subject string
	MsgID   string
	Msg     proto.Message
	// Data, when set, is Msg already encoded (a service that stored the message in Redis has
	// the bytes); it is published as it is instead of encoding Msg again.
	Data []byte
}

// encode returns the bytes to publish.
func (o Outgoing) encode() ([]byte, error) {
	if o.Data != nil {
		return o.Data, nil
	}
	return proto.Marshal(o.Msg)
}

// PublishBatch publishes every message without waiting for each acknowledgement in turn, then
// waits for all of them: one round trip's latency for the batch instead of one per message.
// It returns the first error; messages acknowledged before it stay published, and a retry
// republishes them under the same ids, which JetStream drops as duplicates.
func (p *Publisher) PublishBatch(ctx context.Context, batch []Outgoing) error {
	if len(batch) == 0 {
		return nil
	}
	if len(batch) == 1 {
		return p.Publish(ctx, batch[0].Subject, batch[0].MsgID, batch[0].Msg)
	}
	ctx, span := p.tel.tracer().Start(ctx, "publish batch",
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.Int("messaging.batch.message_count", len(batch))))
	defer span.End()
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	for _, o := range batch {
		data, err := o.encode()
		if err != nil {
			return fmt.Errorf("marshal %s: %w", o.Subject, err)
		}
		msg := &nats.Msg{Subject: o.Subject, Data: data, Header: nats.Header{}}
		p.tel.propagator().Inject(ctx, HeaderCarrier(msg.Header))
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(o.MsgID))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "publish")
			return fmt.Errorf("publish %s: %w", o.Subject, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			span.RecordError(err)
			span.SetStatus(codes.Error, "publish")
			return fmt.Errorf("publish %s: %w", batch[i].Subject, err)
		case <-ctx.Done():
			return fmt.Errorf("publish %s: %w", batch[i].Subject, ctx.Err())
		}
	}
	return nil
}
