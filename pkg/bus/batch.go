package bus

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
)

// BatchHandler handles several messages at once and returns one error per message, in order:
// nil acknowledges the message, an error made with Permanent dead-letters it, any other error
// retries it after a delay, exactly as a Handler's error does. Each message's Context carries its
// own trace and deadline; ctx is the batch's.
type BatchHandler func(ctx context.Context, msgs []*Message) []error

// ConsumeBatch is Consume for a handler that works on micro-batches, so that the round trips it
// makes (Redis, gRPC, publishing) are paid once per batch instead of once per message. A batch
// holds the messages already delivered when a handler is free, up to maxBatch, waiting at most
// maxWait for more (0: not at all, so that a lone message is not delayed); at most
// spec.Concurrency messages are in hand at once, in ceil(spec.Concurrency/maxBatch) batches.
//
// Every message still gets its own processing span, metrics and settlement, and each middleware
// wraps each message: a middleware calls its next handler, which joins the message to the batch
// and returns its result. A panic in the handler is retried message by message, so that only the
// message that causes it is dead-lettered.
func ConsumeBatch(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec, deps ConsumerDeps, h BatchHandler, maxBatch int, maxWait time.Duration, mws ...Middleware) (*Consumer, error) {
	if maxBatch <= 0 {
		return nil, fmt.Errorf("consumer %s: batch size %d, want at least 1", spec.Durable, maxBatch)
	}
	c, deps, m, err := newConsumer(ctx, js, spec, deps)
	if err != nil {
		return nil, err
	}
	spec = c.spec
	maxBatch = min(maxBatch, spec.Concurrency)
	parallel := (spec.Concurrency + maxBatch - 1) / maxBatch
	b := &batcher{
		c: c, h: h, mws: mws, deps: deps, metrics: m, base: context.WithoutCancel(ctx),
		maxBatch: maxBatch, maxWait: maxWait,
		in:    make(chan jetstream.Msg, spec.Concurrency),
		slots: make(chan struct{}, parallel),
		quit:  make(chan struct{}),
	}
	var quitOnce sync.Once
	c.closed = func() { quitOnce.Do(func() { close(b.quit) }) }
	c.wg.Add(1)
	go b.collect()
	cc, err := c.cons.Consume(func(jm jetstream.Msg) { b.in <- jm }, jetstream.PullMaxMessages(spec.Concurrency*2))
	if err != nil {
		c.closed()
		return nil, fmt.Errorf("consume %s: %w", spec.Durable, err)
	}
	if err := c.started(cc, deps); err != nil {
		c.closed()
		return nil, err
	}
	return c, nil
}

// batcher gathers delivered messages into batches and hands each to a goroutine of its own.
type batcher struct {
	c        *Consumer
	h        BatchHandler
	mws      []Middleware
	deps     ConsumerDeps
	metrics  consumerMetrics
	base     context.Context
	maxBatch int
	maxWait  time.Duration
	// in holds delivered messages; slots bounds the batches in hand; quit is closed once no
	// more messages will be delivered.
	in    chan jetstream.Msg
	slots chan struct{}
	quit  chan struct{}
}

// collect runs until quit, then hands over what is left and returns.
func (b *batcher) collect() {
	defer b.c.wg.Done()
	for {
		b.slots <- struct{}{}
		var batch []jetstream.Msg
		select {
		case jm := <-b.in:
			batch = b.fill(append(make([]jetstream.Msg, 0, b.maxBatch), jm))
		case <-b.quit:
			<-b.slots
			b.flush()
			return
		}
		b.dispatch(batch)
	}
}

// fill adds the messages already delivered, then waits up to maxWait for the rest of a batch.
func (b *batcher) fill(batch []jetstream.Msg) []jetstream.Msg {
	for len(batch) < b.maxBatch {
		select {
		case jm := <-b.in:
			batch = append(batch, jm)
			continue
		default:
		}
		break
	}
	if len(batch) >= b.maxBatch || b.maxWait <= 0 {
		return batch
	}
	timer := time.NewTimer(b.maxWait)
	defer timer.Stop()
	for len(batch) < b.maxBatch {
		select {
		case jm := <-b.in:
			batch = append(batch, jm)
		case <-timer.C:
			return batch
		case <-b.quit:
			return batch
		}
	}
	return batch
}

// flush hands over the messages delivered before quit.
func (b *batcher) flush() {
	for {
		batch := make([]jetstream.Msg, 0, b.maxBatch)
	drain:
		for len(batch) < b.maxBatch {
			select {
			case jm := <-b.in:
				batch = append(batch, jm)
			default:
				break drain
			}
		}
		if len(batch) == 0 {
			return
		}
		b.slots <- struct{}{}
		b.dispatch(batch)
	}
}

// dispatch handles a batch in its own goroutine, which frees its slot when done.
func (b *batcher) dispatch(batch []jetstream.Msg) {
	b.c.wg.Add(1)
	go func() {
		defer func() { <-b.slots; b.c.wg.Done() }()
		b.handle(batch)
	}()
}

// handle runs the handler on a batch and settles every message.
func (b *batcher) handle(jms []jetstream.Msg) {
	start := time.Now()
	c := b.c
	msgs := make([]*Message, len(jms))
	ctxs := make([]context.Context, len(jms))
	spans := make([]trace.Span, len(jms))
	links := make([]trace.Link, len(jms))
	cancels := make([]context.CancelFunc, len(jms))
	for i, jm := range jms {
		msgs[i], ctxs[i], spans[i] = c.receive(b.base, jm, b.deps)
		links[i] = trace.Link{SpanContext: spans[i].SpanContext()}
		msgs[i].ctx, cancels[i] = context.WithTimeout(ctxs[i], c.spec.HandlerTimeout)
	}
	bctx, span := b.deps.Telemetry.tracer().Start(b.base, "process batch "+subjectPattern(jms[0].Subject()),
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.consumer.group.name", c.spec.Durable),
			attribute.Int("messaging.batch.message_count", len(jms)),
		))
	bctx, cancel := context.WithTimeout(bctx, c.spec.HandlerTimeout)
	errs := b.run(bctx, msgs)
	cancel()
	failed := 0
	for i, jm := range jms {
		cancels[i]()
		if errs[i] != nil {
			failed++
		}
		outcome := c.settle(ctxs[i], spans[i], jm, msgs[i], errs[i], b.deps)
		spans[i].End()
		b.metrics.observe(b.base, c.spec, jm.Subject(), outcome, start)
	}
	if failed > 0 {
		span.SetStatus(codes.Error, fmt.Sprintf("%d of %d messages failed", failed, len(jms)))
	}
	span.End()
}

// run passes every message through the middlewares; the innermost handler of each joins the
// message to the batch and waits for its result. The batch runs once every message has joined it
// or returned without joining (a middleware may answer on its own).
func (b *batcher) run(ctx context.Context, msgs []*Message) []error {
	if len(b.mws) == 0 {
		return callBatch(ctx, b.h, msgs)
	}
	n := len(msgs)
	out := make([]error, n)
	// Each goroutine sends its index once it joins, or -1-index if it returns without joining.
	events := make(chan int, n)
	done := make(chan struct{})
	joined := make([]*Message, n)
	pos := make([]int, n)
	var res []error
	var wg sync.WaitGroup
	for i := range msgs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var in atomic.Bool
			inner := func(hctx context.Context, m *Message) error {
				if in.CompareAndSwap(false, true) {
					mm := *m
					mm.ctx = hctx
					joined[i] = &mm
					events <- i
				}
				<-done
				return res[pos[i]]
			}
			var hd Handler = inner
			for j := len(b.mws) - 1; j >= 0; j-- {
				hd = b.mws[j](hd)
			}
			out[i] = hd(msgs[i].Context(), msgs[i])
			if !in.Load() {
				events <- -1 - i
			}
		}(i)
	}
	var batch []*Message
	for range n {
		if i := <-events; i >= 0 {
			pos[i] = len(batch)
			batch = append(batch, joined[i])
		}
	}
	res = callBatch(ctx, b.h, batch)
	close(done)
	wg.Wait()
	return out
}

// callBatch runs h and checks its answer. A panic is retried message by message; the message that
// panics alone is poison.
func callBatch(ctx context.Context, h BatchHandler, msgs []*Message) (errs []error) {
	if len(msgs) == 0 {
		return nil
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if len(msgs) == 1 {
			errs = []error{Permanent(fmt.Errorf("panic: %v\n%s", r, truncate(string(debug.Stack()), 600)))}
			return
		}
		errs = make([]error, len(msgs))
		for i, m := range msgs {
			errs[i] = callBatch(ctx, h, []*Message{m})[0]
		}
	}()
	errs = h(ctx, msgs)
	if len(errs) != len(msgs) {
		err := fmt.Errorf("batch handler returned %d results for %d messages", len(errs), len(msgs))
		errs = make([]error, len(msgs))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// TracedOutgoing is one message of PublishTraced, with the context whose trace it continues.
type TracedOutgoing struct {
	Outgoing
	// Ctx carries the trace the message continues; the batch's context when nil.
	Ctx context.Context
}

// PublishTraced is PublishBatch for messages that continue different traces, as the results of
// a batch of consumed messages do: each message carries the trace context of its own Ctx and
// gets its own publish span there, while all are sent before any acknowledgement is awaited.
// It returns the first error; a retry republishes under the same ids, which JetStream drops as
// duplicates.
func (p *Publisher) PublishTraced(ctx context.Context, batch []TracedOutgoing) error {
	type pending struct {
		f    jetstream.PubAckFuture
		span trace.Span
	}
	futures := make([]pending, 0, len(batch))
	defer func() {
		for _, f := range futures {
			f.span.End()
		}
	}()
	for _, o := range batch {
		mctx := o.Ctx
		if mctx == nil {
			mctx = ctx
		}
		data, err := o.encode()
		if err != nil {
			return fmt.Errorf("marshal %s: %w", o.Subject, err)
		}
		_, span := p.tel.tracer().Start(mctx, "publish "+subjectPattern(o.Subject),
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(
				attribute.String("messaging.system", "nats"),
				attribute.String("messaging.destination.name", o.Subject),
				attribute.String("messaging.message.id", o.MsgID),
			))
		msg := &nats.Msg{Subject: o.Subject, Data: data, Header: nats.Header{}}
		p.tel.propagator().Inject(trace.ContextWithSpan(mctx, span), HeaderCarrier(msg.Header))
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(o.MsgID))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "publish")
			span.End()
			return fmt.Errorf("publish %s: %w", o.Subject, err)
		}
		futures = append(futures, pending{f: f, span: span})
	}
	for i, f := range futures {
		select {
		case ack := <-f.f.Ok():
			f.span.SetAttributes(attribute.Bool("messaging.nats.duplicate", ack.Duplicate))
		case err := <-f.f.Err():
			f.span.RecordError(err)
			f.span.SetStatus(codes.Error, "publish")
			return fmt.Errorf("publish %s: %w", batch[i].Subject, err)
		case <-ctx.Done():
			return fmt.Errorf("publish %s: %w", batch[i].Subject, ctx.Err())
		}
	}
	return nil
}

// TracedPublisher publishes a batch of messages that continue different traces; *Publisher is
// one.
type TracedPublisher interface {
	PublishTraced(ctx context.Context, batch []TracedOutgoing) error
}

// ProtoPublisher publishes one protobuf message with a message id; *Publisher is one.
type ProtoPublisher interface {
	Publish(ctx context.Context, subject, msgID string, m proto.Message) error
}

// PublishEach publishes batch with p's PublishTraced when p has it, and otherwise message by
// message, each in its own trace. It returns the first error.
func PublishEach(ctx context.Context, p ProtoPublisher, batch []TracedOutgoing) error {
	if tp, ok := p.(TracedPublisher); ok && len(batch) > 1 {
		return tp.PublishTraced(ctx, batch)
	}
	for _, o := range batch {
		mctx := o.Ctx
		if mctx == nil {
			mctx = ctx
		}
		if err := p.Publish(mctx, o.Subject, o.MsgID, o.Msg); err != nil {
			return err
		}
	}
	return nil
}
