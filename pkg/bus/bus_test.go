package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

func setup(t *testing.T) (jetstream.JetStream, bus.Telemetry, *tracetest.InMemoryExporter) {
	t.Helper()
	js := testinfra.StartNATS(t).JetStream(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	return js, bus.Telemetry{Tracer: tp, Propagator: propagation.TraceContext{}}, exp
}

func spec(durable string) bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream: bus.StreamComments, Durable: durable, FilterSubjects: []string{bus.CommentReceived("*")},
		MaxDeliver: 3, AckWait: 5 * time.Second, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 20 * time.Millisecond,
	}
}

func TestPublishConsumeCarriesTraceAndDeduplicates(t *testing.T) {
	js, tel, exp := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)

	var mu sync.Mutex
	var got []string
	var traceIDs []string
	c, err := bus.Consume(ctx, js, spec("dedup"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, m *bus.Message) error {
		var v wrapperspb.StringValue
		if err := protoUnmarshal(m.Data, &v); err != nil {
			return bus.Permanent(err)
		}
		mu.Lock()
		got = append(got, v.Value)
		traceIDs = append(traceIDs, spanTraceID(ctx))
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	pctx, span := tel.Tracer.Tracer("test").Start(ctx, "root")
	for i := 0; i < 2; i++ { // the second is a duplicate by message id
		if err := pub.Publish(pctx, bus.CommentReceived("monza"), "facebook:1", wrapperspb.String("ciao")); err != nil {
			t.Fatal(err)
		}
	}
	span.End()
	testinfra.Eventually(t, 5*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 {
			return fmt.Errorf("handled %d messages, want 1", len(got))
		}
		return nil
	})
	want := span.SpanContext().TraceID().String()
	if traceIDs[0] != want {
		t.Errorf("handler trace id %s, want %s", traceIDs[0], want)
	}
	info, err := js.Stream(ctx, bus.StreamComments)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("stream holds %d messages, want 1 (duplicate dropped)", n)
	}
	if len(exp.GetSpans()) < 3 {
		t.Errorf("recorded %d spans, want publish, process and root", len(exp.GetSpans()))
	}
}

func TestTransientErrorIsRetriedThenAcked(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	var calls atomic.Int32
	c, err := bus.Consume(ctx, js, spec("retry"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, m *bus.Message) error {
		if calls.Add(1) < 2 {
			return errors.New("redis unavailable")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if err := bus.NewPublisher(js, tel).Publish(ctx, bus.CommentReceived("bussero"), "x:1", wrapperspb.String("a")); err != nil {
		t.Fatal(err)
	}
	testinfra.Eventually(t, 5*time.Second, func() error {
		cons, err := js.Consumer(ctx, bus.StreamComments, "retry")
		if err != nil {
			return err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if calls.Load() != 2 || info.NumAckPending != 0 || info.NumPending != 0 {
			return fmt.Errorf("calls %d, ack pending %d, pending %d; want 2, 0, 0", calls.Load(), info.NumAckPending, info.NumPending)
		}
		return nil
	})
	assertDeadLetters(t, js, 0)
}

func TestPoisonAndExhaustedMessagesAreDeadLettered(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	c, err := bus.Consume(ctx, js, spec("poison"), bus.ConsumerDeps{Telemetry: tel}, func(ctx context.Context, m *bus.Message) error {
		switch string(m.Data) {
		case "poison":
			return bus.Permanent(errors.New("decode comment: unexpected EOF"))
		case "panic":
			panic("boom")
		case "flaky":
			return errors.New("always down")
		}
		return nil
	}, bus.Recover())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	pub := bus.NewPublisher(js, tel)
	for i, body := range []string{"poison", "ok", "panic", "flaky"} {
		if err := pub.PublishRaw(ctx, bus.CommentReceived("canegrate"), fmt.Sprint("m", i), []byte(body), nil); err != nil {
			t.Fatal(err)
		}
	}
	dead := assertDeadLetters(t, js, 3)
	reasons := map[string]string{}
	for _, m := range dead {
		reasons[string(m.Data)] = m.Header.Get(bus.HeaderDeadLetterReason)
		if got := m.Header.Get(bus.HeaderOriginalSubject); got != bus.CommentReceived("canegrate") {
			t.Errorf("original subject %q, want %q", got, bus.CommentReceived("canegrate"))
		}
		if m.Subject != "piazza.canegrate.deadletter.comment.received" {
			t.Errorf("dead letter subject %q", m.Subject)
		}
	}
	for body, want := range map[string]string{"poison": "decode comment: unexpected EOF", "panic": "panic: boom", "flaky": "gave up after 3 deliveries: always down"} {
		if got := reasons[body]; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("reason for %s = %q, want prefix %q", body, got, want)
		}
	}
}

func assertDeadLetters(t *testing.T, js jetstream.JetStream, want int) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	var msgs []*jetstream.RawStreamMsg
	testinfra.Eventually(t, 10*time.Second, func() error {
		var err error
		if msgs, err = testinfra.StreamMessages(ctx, js, bus.StreamDeadLetter); err != nil {
			return err
		}
		if len(msgs) != want {
			return fmt.Errorf("dead letters %d, want %d", len(msgs), want)
		}
		return nil
	})
	return msgs
}

func TestSubjects(t *testing.T) {
	tests := []struct {
		subject              string
		tenant, entity, evnt string
		ok                   bool
	}{
		{"piazza.monza.comment.received", "monza", "comment", "received", true},
		{"piazza.monza.deadletter.comment.received", "monza", "deadletter", "comment.received", true},
		{"piazza.monza.comment", "", "", "", false},
		{"other.monza.comment.received", "", "", "", false},
	}
	for _, tt := range tests {
		tenant, entity, event, ok := bus.ParseSubject(tt.subject)
		if tenant != tt.tenant || entity != tt.entity || event != tt.evnt || ok != tt.ok {
			t.Errorf("ParseSubject(%q) = %q %q %q %v, want %q %q %q %v", tt.subject, tenant, entity, event, ok, tt.tenant, tt.entity, tt.evnt, tt.ok)
		}
	}
	for _, code := range []string{"monza", "san_donato-2"} {
		if !bus.ValidTenant(code) {
			t.Errorf("ValidTenant(%q) = false", code)
		}
	}
	for _, code := range []string{"", "Monza", "a.b", "a*", "a>"} {
		if bus.ValidTenant(code) {
			t.Errorf("ValidTenant(%q) = true", code)
		}
	}
}

func TestRetryDelayGrowsAndIsCapped(t *testing.T) {
	s := bus.ConsumerSpec{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second}
	for _, tt := range []struct {
		n    uint64
		want time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second}} {
		if got := s.RetryDelayFor(tt.n); got != tt.want {
			t.Errorf("RetryDelayFor(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestConsumerExportsLagAndOutcomesByTenant(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	release := make(chan struct{})
	c, err := bus.Consume(ctx, js, spec("lag"), bus.ConsumerDeps{Telemetry: tel, Meter: mp}, func(ctx context.Context, m *bus.Message) error {
		<-release
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := bus.NewPublisher(js, tel)
	for i := 0; i < 3; i++ {
		if err := pub.PublishRaw(ctx, bus.CommentReceived("monza"), fmt.Sprint("lag-", i), []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The gauges ask the server at most every 5 s, so allow for one stale answer. All three
	// must be in the handler's hands, not merely pending: a message still pending when the
	// consumer stops is never handled, and the count below would miss it.
	testinfra.Eventually(t, 15*time.Second, func() error {
		ack, pending := gauge(t, reader, "piazza.bus.consumer.ack_pending"), gauge(t, reader, "piazza.bus.consumer.pending")
		if ack != 3 || pending != 0 {
			return fmt.Errorf("ack pending %d, pending %d: want 3 and 0", ack, pending)
		}
		return nil
	})
	close(release)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "piazza.bus.messages" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, ok := dp.Attributes.Value("tenant"); ok && v.AsString() == "monza" && dp.Value == 3 {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("piazza.bus.messages has no count of 3 for tenant monza")
	}
}

func gauge(t *testing.T, r *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) > 0 {
					return g.DataPoints[0].Value
				}
			}
		}
	}
	return -1
}

func TestPublishBatchIsAcknowledgedAndDeduplicated(t *testing.T) {
	js, tel, _ := setup(t)
	ctx := context.Background()
	pub := bus.NewPublisher(js, tel)
	var batch []bus.Outgoing
	for i := 0; i < 50; i++ {
		batch = append(batch, bus.Outgoing{Subject: bus.DecisionMade("monza"), MsgID: fmt.Sprint("d-", i), Msg: wrapperspb.String(fmt.Sprint(i))})
	}
	for i := 0; i < 2; i++ { // the second time every id is a duplicate
		if err := pub.PublishBatch(ctx, batch); err != nil {
			t.Fatal(err)
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
	if info.State.Msgs != 50 {
		t.Errorf("stream holds %d messages, want 50", info.State.Msgs)
	}
	if err := pub.PublishBatch(ctx, []bus.Outgoing{{Subject: "nowhere.at.all", MsgID: "x", Msg: wrapperspb.String("x")}, batch[0]}); err == nil {
		t.Error("a subject no stream covers was acknowledged")
	}
}

func TestRetentionFromEnv(t *testing.T) {
	env := map[string]string{"PIAZZA_RETENTION_COMMENTS": "7d", "PIAZZA_RETENTION_DECISIONS": "3650d", "PIAZZA_STREAM_REPLICAS": "3", "PIAZZA_DUPLICATE_WINDOW": "1d12h"}
	r, err := bus.RetentionFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if r.Comments != 7*24*time.Hour || r.Decisions != 3650*24*time.Hour || r.Replicas != 3 || r.Duplicates != 36*time.Hour || r.Requests != bus.DefaultRetention().Requests {
		t.Errorf("retention %+v", r)
	}
	for _, bad := range []map[string]string{{"PIAZZA_RETENTION_COMMENTS": "forever"}, {"PIAZZA_RETENTION_ACTIONS": "-1h"}, {"PIAZZA_STREAM_REPLICAS": "0"}} {
		if _, err := bus.RetentionFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
