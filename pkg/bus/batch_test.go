package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// publishBodies publishes raw bodies on a tenant's comment subject.
func publishBodies(t *testing.T, pub *bus.Publisher, bodies ...string) {
	t.Helper()
	for i, body := range bodies {
		if err := pub.PublishRaw(context.Background(), bus.CommentReceived("canegrate"), fmt.Sprint("b", i, body), []byte(body), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// consumerIdle waits until the consumer has nothing pending or unacknowledged.
func consumerIdle(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	ctx := context.Background()
	testinfra.Eventually(t, 10*time.Second, func() error {
		cons, err := js.Consumer(ctx, bus.StreamComments, durable)
		if err != nil {
			return err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumAckPending != 0 || info.NumPending != 0 {
			return fmt.Errorf("pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

func TestConsumeBatchSettlesEachMessageOnItsOwn(t *testing.T) {
	js, tel, exp := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)
	// Published before the consumer starts, so that they come in batches.
	bodies := []string{"ok", "poison", "ok", "flaky", "panic", "ok", "ok", "ok"}
	publishBodies(t, pub, bodies...)

	var mu sync.Mutex
	var sizes []int
	acked := map[string]int{}
	flaky := 0
	var traced []string
	c, err := bus.ConsumeBatch(ctx, js, spec("batch"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, msgs []*bus.Message) []error {
		for _, m := range msgs {
			if string(m.Data) == "panic" {
				panic("boom")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			traced = append(traced, trace.SpanContextFromContext(m.Context()).TraceID().String())
			switch string(m.Data) {
			case "poison":
				errs[i] = bus.Permanent(errors.New("decode comment: unexpected EOF"))
			case "flaky":
				flaky++
				if flaky == 1 {
					errs[i] = errors.New("redis unavailable")
					continue
				}
				acked[string(m.Data)]++
			default:
				acked[fmt.Sprint(m.Sequence)]++
			}
		}
		return errs
	}, 4, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	dead := assertDeadLetters(t, js, 2)
	reasons := map[string]string{}
	for _, m := range dead {
		reasons[string(m.Data)] = m.Header.Get(bus.HeaderDeadLetterReason)
	}
	if !strings.HasPrefix(reasons["poison"], "decode comment") || !strings.HasPrefix(reasons["panic"], "panic: boom") {
		t.Errorf("dead-letter reasons %q, want the poison's and the panic's", reasons)
	}
	consumerIdle(t, js, "batch")
	mu.Lock()
	defer mu.Unlock()
	if flaky != 2 || acked["flaky"] != 1 {
		t.Errorf("flaky handled %d times and acked %d, want retried once then acked", flaky, acked["flaky"])
	}
	// The five good messages were acknowledged once each, though a panic broke their batch.
	good := 0
	for k, n := range acked {
		if k != "flaky" {
			good++
			if n < 1 {
				t.Errorf("message %s handled %d times", k, n)
			}
		}
	}
	if good != 5 {
		t.Errorf("%d good messages handled, want 5", good)
	}
	biggest := 0
	for _, n := range sizes {
		if n > 4 {
			t.Errorf("batch of %d, want at most 4", n)
		}
		biggest = max(biggest, n)
	}
	if biggest < 2 {
		t.Errorf("batch sizes %v: messages waiting together were not batched", sizes)
	}
	// Each message is handled in the trace its publisher started.
	for _, id := range traced {
		if id == (trace.TraceID{}).String() {
			t.Fatalf("a message was handled without its trace")
		}
	}
	names := map[string]int{}
	for _, s := range exp.GetSpans() {
		names[s.Name]++
	}
	if names["process piazza.*.comment.received"] < len(bodies) || names["process batch piazza.*.comment.received"] == 0 {
		t.Errorf("spans %v: want one process span per message and one per batch", names)
	}
}

func TestConsumeBatchRunsMiddlewaresPerMessage(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)
	publishBodies(t, pub, "ok", "refused", "ok", "ok")

	var mu sync.Mutex
	seen := map[uint64]bool{}
	handled := map[string]int{}
	// failFirst fails every message's first delivery after the handler ran, as a crash before the
	// ack would; refuse answers for "refused" without calling the handler.
	failFirst := func(next bus.Handler) bus.Handler {
		return func(ctx context.Context, m *bus.Message) error {
			if err := next(ctx, m); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if !seen[m.Sequence] {
				seen[m.Sequence] = true
				return errors.New("injected crash")
			}
			return nil
		}
	}
	refuse := func(next bus.Handler) bus.Handler {
		return func(ctx context.Context, m *bus.Message) error {
			if string(m.Data) == "refused" {
				return bus.Permanent(errors.New("refused by middleware"))
			}
			return next(ctx, m)
		}
	}
	c, err := bus.ConsumeBatch(ctx, js, spec("batchmw"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, msgs []*bus.Message) []error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			handled[string(m.Data)]++
		}
		return make([]error, len(msgs))
	}, 8, 20*time.Millisecond, bus.Recover(), refuse, failFirst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	dead := assertDeadLetters(t, js, 1)
	if got := dead[0].Header.Get(bus.HeaderDeadLetterReason); got != "refused by middleware" {
		t.Errorf("dead-letter reason %q", got)
	}
	consumerIdle(t, js, "batchmw")
	mu.Lock()
	defer mu.Unlock()
	if handled["refused"] != 0 || handled["ok"] != 6 {
		t.Errorf("handled %v, want the three good messages twice each (first ack failed) and the refused one never", handled)
	}
}

func TestConsumeBatchStopFinishesTheBatchInHand(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	c, err := bus.ConsumeBatch(ctx, js, spec("batchstop"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, msgs []*bus.Message) []error {
		once.Do(func() { close(started) })
		<-release
		return make([]error, len(msgs))
	}, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.NewPublisher(js, tel).Publish(ctx, bus.CommentReceived("bussero"), "s:1", wrapperspb.String("a")); err != nil {
		t.Fatal(err)
	}
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a batch was in hand", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	consumerIdle(t, js, "batchstop")
}

func TestConsumeBatchRejectsAnEmptyBatchSize(t *testing.T) {
	js, tel, _ := setup(t)
	_, err := bus.ConsumeBatch(context.Background(), js, spec("batchzero"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, msgs []*bus.Message) []error {
		return make([]error, len(msgs))
	}, 0, 0)
	if err == nil {
		t.Fatal("batch size 0 accepted")
	}
}

func TestPublishTracedContinuesEachTrace(t *testing.T) {
	js, tel, exp := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)
	var batch []bus.TracedOutgoing
	var want []string
	for i := range 3 {
		mctx, span := tel.Tracer.Tracer("test").Start(ctx, fmt.Sprint("comment ", i))
		span.End()
		want = append(want, span.SpanContext().TraceID().String())
		batch = append(batch, bus.TracedOutgoing{Ctx: mctx, Outgoing: bus.Outgoing{Subject: bus.DecisionMade("monza"), MsgID: fmt.Sprint("d", i), Msg: wrapperspb.String("x")}})
	}
	for range 2 { // the second time every message is a duplicate
		if err := pub.PublishTraced(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for _, s := range exp.GetSpans() {
		if s.Name == "publish piazza.*.decision.made" {
			got[s.SpanContext.TraceID().String()]++
		}
	}
	for _, id := range want {
		if got[id] != 2 {
			t.Errorf("trace %s has %d publish spans, want 2", id, got[id])
		}
	}
	s, err := js.Stream(ctx, bus.StreamDecisions)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("stream holds %d messages, want 3", info.State.Msgs)
	}
}

// A message whose encoding the caller already has is published as those bytes, by both batch
// publishers; one without is encoded from Msg.
func TestPublishUsesTheGivenEncoding(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)
	given, err := proto.Marshal(wrapperspb.String("stored"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishTraced(ctx, []bus.TracedOutgoing{
		{Ctx: ctx, Outgoing: bus.Outgoing{Subject: bus.DecisionMade("monza"), MsgID: "t1", Msg: wrapperspb.String("ignored"), Data: given}},
		{Ctx: ctx, Outgoing: bus.Outgoing{Subject: bus.DecisionMade("monza"), MsgID: "t2", Msg: wrapperspb.String("encoded")}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishBatch(ctx, []bus.Outgoing{
		{Subject: bus.DecisionMade("monza"), MsgID: "b1", Msg: wrapperspb.String("ignored"), Data: given},
		{Subject: bus.DecisionMade("monza"), MsgID: "b2", Msg: wrapperspb.String("encoded")},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, bus.StreamDecisions)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"stored", "encoded", "stored", "encoded"}
	for i, w := range want {
		m, err := s.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		var got wrapperspb.StringValue
		if err := proto.Unmarshal(m.Data, &got); err != nil || got.GetValue() != w {
			t.Errorf("message %d is %q (%v), want %q", i+1, got.GetValue(), err, w)
		}
	}
}

func TestInBatchesHoldsEveryBatchInHand(t *testing.T) {
	base := bus.ConsumerSpec{Stream: bus.StreamComments, Durable: "x", Concurrency: 8, MaxDeliver: 5}
	got := base.InBatches(16, 64)
	if got.Concurrency != 1024 || got.Stream != base.Stream || got.Durable != "x" || got.MaxDeliver != 5 {
		t.Errorf("InBatches(16, 64) = %+v", got)
	}
	if base.Concurrency != 8 {
		t.Error("InBatches changed the spec it was called on")
	}
}
