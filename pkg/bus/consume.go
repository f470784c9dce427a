package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/piazza-pa/piazza/pkg/telemetry"
)

// Headers of a dead letter.
const (
	HeaderDeadLetterReason = "Piazza-Dead-Letter-Reason"
	HeaderOriginalSubject  = "Piazza-Original-Subject"
	HeaderOriginalStream   = "Piazza-Original-Stream"
	HeaderOriginalConsumer = "Piazza-Original-Consumer"
	HeaderDeliveries       = "Piazza-Deliveries"
)

// Message is one message handed to a Handler.
type Message struct {
	// Subject is the subject it was published on.
	Subject string
	// Data is the payload.
	Data []byte
	// Header holds the headers, trace context included.
	Header nats.Header
	// Stream and Sequence locate the message in its stream.
	Stream   string
	Sequence uint64
	// NumDelivered counts deliveries, this one included.
	NumDelivered uint64

	// ctx is the context of the message's own trace; ConsumeBatch sets it (see Context).
	ctx context.Context
}

// Context is the context of the message's own trace, with its handling deadline: a BatchHandler
// starts the spans of one message from it. It is context.Background for a message that was not
// delivered by ConsumeBatch.
func (m *Message) Context() context.Context {
	if m.ctx == nil {
		return context.Background()
	}
	return m.ctx
}

// Handler handles one message. Returning nil acknowledges it; an error made with Permanent sends
// it to the dead-letter stream; any other error is retried after a delay.
type Handler func(ctx context.Context, msg *Message) error

// Middleware wraps a Handler with behaviour shared by every consumer.
type Middleware func(Handler) Handler

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that no retry can fix: the message is poison.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// ConsumerSpec describes a durable pull consumer.
type ConsumerSpec struct {
	// Stream is the stream consumed.
	Stream string
	// Durable is the consumer's name; replicas of a service share it and split the messages.
	Durable string
	// FilterSubjects restricts the subjects consumed.
	FilterSubjects []string
	// MaxDeliver bounds deliveries; after the last one a failing message is dead-lettered.
	MaxDeliver int
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration
	// MaxAckPending bounds the messages in flight across all replicas.
	MaxAckPending int
	// Concurrency is how many messages one process handles at once.
	Concurrency int
	// RetryDelay is the first delay of a retried message; it doubles per delivery up to MaxRetryDelay.
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// HandlerTimeout bounds one handling; it should be shorter than AckWait.
	HandlerTimeout time.Duration
}

// InBatches returns the spec for a consumer whose handler takes batches of up to size
// messages, with up to inHand batches being handled at once: Concurrency, the messages a
// process holds unacknowledged, becomes inHand × size.
func (s ConsumerSpec) InBatches(inHand, size int) ConsumerSpec {
	s.Concurrency = inHand * size
	return s
}

func (s *ConsumerSpec) defaults() {
	if s.MaxDeliver <= 0 {
		s.MaxDeliver = 20
	}
	if s.AckWait <= 0 {
		s.AckWait = 30 * time.Second
	}
	if s.MaxAckPending <= 0 {
		s.MaxAckPending = 1024
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 16
	}
	if s.RetryDelay <= 0 {
		s.RetryDelay = 250 * time.Millisecond
	}
	if s.MaxRetryDelay <= 0 {
		s.MaxRetryDelay = 30 * time.Second
	}
	if s.HandlerTimeout <= 0 {
		s.HandlerTimeout = s.AckWait * 2 / 3
	}
}

// RetryDelayFor is the delay before delivery n+1 of a message that failed at delivery n.
func (s ConsumerSpec) RetryDelayFor(delivered uint64) time.Duration {
	d := s.RetryDelay
	for i := uint64(1); i < delivered && d < s.MaxRetryDelay; i++ {
		d *= 2
	}
	if d > s.MaxRetryDelay {
		d = s.MaxRetryDelay
	}
	return d
}

// Consumer runs a Handler over a durable consumer.
type Consumer struct {
	spec    ConsumerSpec
	cons    jetstream.Consumer
	cc      jetstream.ConsumeContext
	wg      sync.WaitGroup
	sem     chan struct{}
	stopped chan struct{}
	once    sync.Once
	// closed runs once no more messages will be delivered, before Stop waits for those in
	// flight; a batch consumer flushes its last batch there.
	closed func()

	lagReg  metric.Registration
	lagMu   sync.Mutex
	lagAt   time.Time
	lagLast *jetstream.ConsumerInfo
}

// ConsumerDeps are what a consumer reports to and publishes dead letters with.
type ConsumerDeps struct {
	Telemetry Telemetry
	Meter     metric.MeterProvider
	Logger    *slog.Logger
	// Publisher publishes dead letters.
	Publisher *Publisher
}

type consumerMetrics struct {
	handled  metric.Int64Counter
	duration metric.Float64Histogram
	// handledAttrs and durationAttrs are the attribute sets by stream, consumer, tenant (and
	// outcome), built once each.
	handledAttrs, durationAttrs *telemetry.AttrSets
}

// Consume creates or updates the durable consumer and starts handling its messages until Stop.
// Handling contexts derive from ctx's values but are not cancelled by Stop, so that a message in
// flight finishes and is acknowledged during a drain.
func Consume(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec, deps ConsumerDeps, h Handler, mws ...Middleware) (*Consumer, error) {
	c, deps, m, err := newConsumer(ctx, js, spec, deps)
	if err != nil {
		return nil, err
	}
	spec = c.spec
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	c.sem = make(chan struct{}, spec.Concurrency)
	base := context.WithoutCancel(ctx)
	cc, err := c.cons.Consume(func(jm jetstream.Msg) {
		c.sem <- struct{}{}
		c.wg.Add(1)
		go func() {
			defer func() { <-c.sem; c.wg.Done() }()
			start := time.Now()
			outcome := c.handle(base, jm, h, deps)
			m.observe(base, spec, jm.Subject(), outcome, start)
		}()
	}, jetstream.PullMaxMessages(spec.Concurrency*2))
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", spec.Durable, err)
	}
	if err := c.started(cc, deps); err != nil {
		return nil, err
	}
	return c, nil
}

// newConsumer applies the defaults, creates or updates the durable consumer and its metrics.
func newConsumer(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec, deps ConsumerDeps) (*Consumer, ConsumerDeps, consumerMetrics, error) {
	spec.defaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Publisher == nil {
		deps.Publisher = NewPublisher(js, deps.Telemetry)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        spec.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        spec.AckWait,
		MaxDeliver:     spec.MaxDeliver,
		MaxAckPending:  spec.MaxAckPending,
		FilterSubjects: spec.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, spec.Stream, cfg)
	if err != nil {
		return nil, deps, consumerMetrics{}, fmt.Errorf("consumer %s on %s: %w", spec.Durable, spec.Stream, err)
	}
	m, err := newConsumerMetrics(deps.Meter)
	if err != nil {
		return nil, deps, consumerMetrics{}, err
	}
	return &Consumer{spec: spec, stopped: make(chan struct{}), cons: cons}, deps, m, nil
}

// started records the running consume context and starts exporting the consumer's lag.
func (c *Consumer) started(cc jetstream.ConsumeContext, deps ConsumerDeps) error {
	c.cc = cc
	if deps.Meter != nil {
		if err := c.observeLag(deps.Meter); err != nil {
			cc.Stop()
			return err
		}
	}
	return nil
}

// observe counts one handled message by outcome and records how long it took.
func (m consumerMetrics) observe(ctx context.Context, spec ConsumerSpec, subject, outcome string, start time.Time) {
	tenant, _, _, _ := ParseSubject(subject)
	m.handled.Add(ctx, 1, m.handledAttrs.Option(spec.Stream, spec.Durable, tenant, outcome))
	m.duration.Record(ctx, time.Since(start).Seconds(), m.durationAttrs.Option(spec.Stream, spec.Durable, tenant))
}

// observeLag exports the consumer's backlog as gauges read at collection time: messages not yet
// delivered, delivered but not acknowledged, and redelivered. The server is asked at most once
// per lagRefresh; between asks the last answer is reported.
func (c *Consumer) observeLag(mp metric.MeterProvider) error {
	meter := mp.Meter("github.com/piazza-pa/piazza/pkg/bus")
	pending, err := meter.Int64ObservableGauge("piazza.bus.consumer.pending", metric.WithDescription("Messages of the stream not yet delivered to the consumer (its lag)"))
	if err != nil {
		return fmt.Errorf("bus lag metric: %w", err)
	}
	ackPending, err := meter.Int64ObservableGauge("piazza.bus.consumer.ack_pending", metric.WithDescription("Messages delivered to the consumer and not yet acknowledged"))
	if err != nil {
		return fmt.Errorf("bus lag metric: %w", err)
	}
	redelivered, err := meter.Int64ObservableGauge("piazza.bus.consumer.redelivered", metric.WithDescription("Messages being redelivered to the consumer"))
	if err != nil {
		return fmt.Errorf("bus lag metric: %w", err)
	}
	attrs := metric.WithAttributes(attribute.String("stream", c.spec.Stream), attribute.String("consumer", c.spec.Durable))
	c.lagReg, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		info := c.lagInfo(ctx)
		if info == nil {
			return nil
		}
		o.ObserveInt64(pending, int64(info.NumPending), attrs)
		o.ObserveInt64(ackPending, int64(info.NumAckPending), attrs)
		o.ObserveInt64(redelivered, int64(info.NumRedelivered), attrs)
		return nil
	}, pending, ackPending, redelivered)
	if err != nil {
		return fmt.Errorf("bus lag metric: %w", err)
	}
	return nil
}

// lagRefresh bounds how often a metrics scrape asks the server for the consumer's state.
const lagRefresh = 5 * time.Second

func (c *Consumer) lagInfo(ctx context.Context) *jetstream.ConsumerInfo {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	if time.Since(c.lagAt) < lagRefresh && c.lagLast != nil {
		return c.lagLast
	}
	ictx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if info, err := c.cons.Info(ictx); err == nil {
		c.lagLast, c.lagAt = info, time.Now()
	}
	return c.lagLast
}

func newConsumerMetrics(mp metric.MeterProvider) (consumerMetrics, error) {
	meter := telemetry.MeterOrNoop(mp).Meter("github.com/piazza-pa/piazza/pkg/bus")
	handled, err := meter.Int64Counter("piazza.bus.messages", metric.WithDescription("Messages handled by a consumer, by outcome (ack, retry, deadletter)"))
	if err != nil {
		return consumerMetrics{}, fmt.Errorf("bus metrics: %w", err)
	}
	duration, err := meter.Float64Histogram("piazza.bus.handle.duration", metric.WithUnit("s"), metric.WithDescription("Time to handle one message"))
	if err != nil {
		return consumerMetrics{}, fmt.Errorf("bus metrics: %w", err)
	}
	return consumerMetrics{handled: handled, duration: duration,
		handledAttrs:  telemetry.NewAttrSets("stream", "consumer", "tenant", "outcome"),
		durationAttrs: telemetry.NewAttrSets("stream", "consumer", "tenant")}, nil
}

// handle runs h on one message and settles it; it returns the outcome for metrics.
func (c *Consumer) handle(base context.Context, jm jetstream.Msg, h Handler, deps ConsumerDeps) string {
	msg, ctx, span := c.receive(base, jm, deps)
	defer span.End()
	hctx, cancel := context.WithTimeout(ctx, c.spec.HandlerTimeout)
	err := h(hctx, msg)
	cancel()
	return c.settle(ctx, span, jm, msg, err, deps)
}

// receive turns a delivery into a Message and starts its processing span in the trace its
// headers carry.
func (c *Consumer) receive(base context.Context, jm jetstream.Msg, deps ConsumerDeps) (*Message, context.Context, trace.Span) {
	msg := &Message{Subject: jm.Subject(), Data: jm.Data(), Header: jm.Headers()}
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	if md, err := jm.Metadata(); err == nil {
		msg.Stream, msg.Sequence, msg.NumDelivered = md.Stream, md.Sequence.Stream, md.NumDelivered
	}
	ctx := deps.Telemetry.propagator().Extract(base, HeaderCarrier(msg.Header))
	ctx, span := deps.Telemetry.tracer().Start(ctx, "process "+subjectPattern(msg.Subject),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", msg.Subject),
			attribute.String("messaging.consumer.group.name", c.spec.Durable),
			attribute.Int64("messaging.nats.delivered", int64(msg.NumDelivered)),
		))
	return msg, ctx, span
}

// settle acknowledges a handled message, retries it after a delay, or dead-letters it, as err
// says; it returns the outcome for metrics.
func (c *Consumer) settle(ctx context.Context, span trace.Span, jm jetstream.Msg, msg *Message, err error, deps ConsumerDeps) string {
	if err == nil {
		if aerr := jm.Ack(); aerr != nil {
			deps.Logger.WarnContext(ctx, "ack failed; the message will be redelivered", "consumer", c.spec.Durable, "err", aerr)
		}
		return "ack"
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, "handle")
	if !IsPermanent(err) && int(msg.NumDelivered) < c.spec.MaxDeliver {
		delay := c.spec.RetryDelayFor(msg.NumDelivered)
		deps.Logger.WarnContext(ctx, "handling failed; retrying", "consumer", c.spec.Durable,
			"subject", subjectPattern(msg.Subject), "delivered", msg.NumDelivered, "delay", delay.String(), "err", err)
		_ = jm.NakWithDelay(delay)
		return "retry"
	}
	reason := err.Error()
	if !IsPermanent(err) {
		reason = fmt.Sprintf("gave up after %d deliveries: %v", msg.NumDelivered, err)
	}
	if derr := c.deadLetter(ctx, deps.Publisher, msg, reason); derr != nil {
		// Losing nothing comes first: keep the message in its stream and try again later.
		deps.Logger.ErrorContext(ctx, "dead-letter publish failed; message kept", "consumer", c.spec.Durable, "err", derr)
		_ = jm.NakWithDelay(c.spec.MaxRetryDelay)
		return "retry"
	}
	deps.Logger.ErrorContext(ctx, "message dead-lettered", "consumer", c.spec.Durable,
		"subject", subjectPattern(msg.Subject), "stream_seq", msg.Sequence, "reason", reason)
	_ = jm.TermWithReason(truncate(reason, 200))
	return "deadletter"
}

func (c *Consumer) deadLetter(ctx context.Context, p *Publisher, msg *Message, reason string) error {
	h := nats.Header{}
	h.Set(HeaderDeadLetterReason, truncate(reason, 1024))
	h.Set(HeaderOriginalSubject, msg.Subject)
	h.Set(HeaderOriginalStream, msg.Stream)
	h.Set(HeaderOriginalConsumer, c.spec.Durable)
	h.Set(HeaderDeliveries, strconv.FormatUint(msg.NumDelivered, 10))
	id := "dlq:" + msg.Stream + ":" + c.spec.Durable + ":" + strconv.FormatUint(msg.Sequence, 10)
	return p.PublishRaw(ctx, deadLetterSubject(msg.Subject), id, msg.Data, h)
}

// Stop stops fetching, lets the messages in flight finish and be settled, and returns when they
// have, or when ctx ends.
func (c *Consumer) Stop(ctx context.Context) error {
	c.once.Do(func() {
		if c.lagReg != nil {
			_ = c.lagReg.Unregister()
		}
		c.cc.Drain()
		go func() {
			<-c.cc.Closed()
			if c.closed != nil {
				c.closed()
			}
			c.wg.Wait()
			close(c.stopped)
		}()
	})
	select {
	case <-c.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop consumer %s: %w", c.spec.Durable, ctx.Err())
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
