package bus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// BenchmarkPublishConsume measures one message through the bus: publish with a message id and
// trace headers, then handle and ack through a durable consumer. b.N messages in all.
func BenchmarkPublishConsume(b *testing.B) {
	js := testinfra.StartNATS(b).JetStream(b)
	ctx := context.Background()
	pub := bus.NewPublisher(js, bus.Telemetry{})
	var handled atomic.Int64
	c, err := bus.Consume(ctx, js, bus.ConsumerSpec{
		Stream: bus.StreamComments, Durable: "bench", FilterSubjects: []string{bus.CommentReceived("*")},
		Concurrency: 64, MaxAckPending: 4096,
	}, bus.ConsumerDeps{}, func(context.Context, *bus.Message) error {
		handled.Add(1)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Stop(ctx) }()
	msg := wrapperspb.String("Buongiorno, in via Roma c'è una buca enorme davanti al civico 12")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := pub.Publish(ctx, bus.CommentReceived("monza"), fmt.Sprint("bench:", i), msg); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for handled.Load() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("handled %d of %d", handled.Load(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
