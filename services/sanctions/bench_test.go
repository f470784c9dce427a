package sanctions_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
)

// benchTexts are the comments a decision benchmark cycles through: insults that climb a
// ladder, a request, a clean comment.
var benchTexts = []string{
	"Sei un idiota, vergognati",
	"Buongiorno, in via Borgazzi c'è una buca enorme davanti al civico 12, quando la sistemate?",
	"Grazie per l'avviso, buona giornata!",
	"Sindaco sei proprio un buffone",
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// BenchmarkDecisionLatency decides comments one after the other through HandleComment, end to
// end: Redis reads and strike script, the real classifier server over loopback gRPC, and the
// decision and its actions published to an in-process NATS JetStream and acknowledged. In the
// same run it measures a baseline of the infrastructure alone: one durable Redis write (INCR,
// append-only file with fsync always) plus one JetStream publish acknowledged by the stream. It reports the p50 and p99 of both and the
// ratio of the p99s.
func BenchmarkDecisionLatency(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	pub := bus.NewPublisher(e.js, bus.Telemetry{})

	nBase := max(b.N, 2000)
	base := make([]time.Duration, 0, nBase)
	probe := comment("monza", "probe", "u0", "ciao", 0)
	for i := 0; i < nBase; i++ {
		start := time.Now()
		if err := e.redis.Client.Incr(ctx, "bench:baseline").Err(); err != nil {
			b.Fatal(err)
		}
		if err := pub.Publish(ctx, bus.Subject("monza", bus.EntityComment, "benchmark"), fmt.Sprint("probe-", i), probe); err != nil {
			b.Fatal(err)
		}
		base = append(base, time.Since(start))
	}

	msgs := make([]*bus.Message, b.N)
	for i := range msgs {
		c := comment("monza", fmt.Sprint("bench-", i), fmt.Sprint("user-", i%500), benchTexts[i%len(benchTexts)], i/500)
		data, err := proto.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = &bus.Message{Subject: bus.CommentReceived("monza"), Data: data, NumDelivered: 1}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, m := range msgs {
		start := time.Now()
		if err := e.svc.HandleComment(ctx, m); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(base)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(ms(percentile(base, 0.5)), "base-p50-ms")
	b.ReportMetric(ms(percentile(base, 0.99)), "base-p99-ms")
	b.ReportMetric(float64(percentile(lat, 0.99))/float64(percentile(base, 0.99)), "p99-ratio")
}
