package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/piazza-pa/piazza/pkg/bus"
)

// RawJetStream measures the ceiling every pipeline figure is compared against: n messages of
// 300 bytes published asynchronously with message ids and consumed with an ack through a
// durable consumer, on the pipeline's own server. It returns messages per second.
func RawJetStream(ctx context.Context, js jetstream.JetStream, n int) (float64, error) {
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		return 0, fmt.Errorf("raw stream: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "RAW", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return 0, fmt.Errorf("raw consumer: %w", err)
	}
	var got atomic.Int64
	cc, err := cons.Consume(func(m jetstream.Msg) { _ = m.Ack(); got.Add(1) })
	if err != nil {
		return 0, fmt.Errorf("raw consume: %w", err)
	}
	defer cc.Stop()
	payload := make([]byte, 300)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("raw.%d", i%5), payload, jetstream.WithMsgID(fmt.Sprint("raw-", start.UnixNano(), "-", i))); err != nil {
			return 0, fmt.Errorf("raw publish: %w", err)
		}
	}
	deadline := start.Add(5 * time.Minute)
	for got.Load() < int64(n) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("raw consumer got %d of %d messages", got.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// Comparison is one benchmark run: the ceiling, the pipeline as fast as possible, and the
// pipeline paced at half that throughput.
type Comparison struct {
	Raw      float64
	Full     Result
	HalfRate Result
	// CPUPerComment and CPUPerCommentHalfRate are the whole machine's busy CPU time per comment
	// (MachineCPU) from the first publish until the pipeline is quiet (Quiesce): zero where
	// /proc/stat is missing.
	CPUPerComment, CPUPerCommentHalfRate time.Duration
	// Completed is the saturated run's comments per second from the first publish until the
	// last comment's actions were executed (Full.Finished), not only its decision published
	// (Full.Throughput): a pipeline that decides fast by leaving the actions for later scores
	// well on the one and not on the other.
	Completed float64
}

// pipelineStreams are the streams whose consumers make up the pipeline.
var pipelineStreams = []string{bus.StreamComments, bus.StreamDecisions, bus.StreamActions, bus.StreamRequests}

// measured runs cfg, waits for the pipeline to be quiet and returns the result with the
// machine's busy CPU time per comment.
func measured(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg Config) (Result, time.Duration, error) {
	cpu0, ok := MachineCPU()
	res, err := Run(ctx, nc, js, cfg)
	if err != nil {
		return res, 0, err
	}
	if err := Quiesce(ctx, js, pipelineStreams, 5*time.Minute); err != nil {
		return res, 0, err
	}
	cpu1, ok1 := MachineCPU()
	if !ok || !ok1 {
		return res, 0, nil
	}
	return res, (cpu1 - cpu0) / time.Duration(cfg.Count), nil
}

// Compare measures, in one run on the same server: RawJetStream, then n comments of tenants
// through the pipeline as fast as possible, then n/2 paced at half the throughput just measured
// (what a user sees below saturation). verbose, when not nil, gets the full run's report.
func Compare(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, tenants []string, n int, verbose io.Writer) (Comparison, error) {
	var c Comparison
	var err error
	if c.Raw, err = RawJetStream(ctx, js, n); err != nil {
		return c, err
	}
	if err := Quiesce(ctx, js, pipelineStreams, time.Minute); err != nil {
		return c, err
	}
	if c.Full, c.CPUPerComment, err = measured(ctx, nc, js, Config{Tenants: tenants, Count: n, Wait: 5 * time.Minute}); err != nil {
		return c, err
	}
	if c.Full.Finished > 0 {
		c.Completed = float64(n) / c.Full.Finished.Seconds()
	}
	if verbose != nil {
		c.Full.Write(verbose)
	}
	// The paced run starts once the burst's last actions are done, so that it measures the
	// pipeline at half rate rather than the tail of the burst.
	c.HalfRate, c.CPUPerCommentHalfRate, err = measured(ctx, nc, js, Config{Tenants: tenants, Count: n / 2, Rate: c.Full.Throughput / 2, Wait: 5 * time.Minute, RunID: fmt.Sprint("half-", time.Now().UnixNano())})
	return c, err
}

// Report hands the comparison's figures to a benchmark, under the units cmd/benchdoc reads.
func (c Comparison) Report(report func(value float64, unit string)) {
	report(c.Raw, "raw-msgs/s")
	report(c.Full.Throughput, "comments/s")
	report(c.Full.Throughput/c.Raw, "ratio")
	report(c.Completed, "completed-comments/s")
	report(c.Full.Decision.P99, "p99-ms")
	report(c.HalfRate.Decision.P50, "p50-ms-at-half-rate")
	report(c.HalfRate.Decision.P99, "p99-ms-at-half-rate")
	if c.CPUPerComment > 0 && c.CPUPerCommentHalfRate > 0 {
		report(float64(c.CPUPerComment.Microseconds())/1000, "cpu-ms/comment")
		report(float64(c.CPUPerCommentHalfRate.Microseconds())/1000, "cpu-ms/comment-at-half-rate")
	}
}
