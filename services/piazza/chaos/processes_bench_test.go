package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// BenchmarkPipelineProcesses measures the pipeline with one process per service (piazza serve,
// as in a cluster) on one machine, next to raw JetStream publish+consume on the same server in
// the same run, and reports each process's resident memory after the load.
func BenchmarkPipelineProcesses(b *testing.B) {
	bin := buildBinary(b)
	natsSrv := testinfra.StartNATS(b)
	rds := testinfra.StartRedis(b)
	dir := b.TempDir()
	key := filepath.Join(dir, "pseudonym_key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"), 0o600); err != nil {
		b.Fatal(err)
	}
	common := []string{
		"NATS_URL=" + natsSrv.URL, "REDIS_URL=" + rds.URL, "POLICY_DIR=" + policyDir, "LOG_LEVEL=error",
		"PIAZZA_PSEUDONYM_KEY_FILE=" + key, "INGEST_WEBHOOK_ADDR=off", "INGEST_POLL_INTERVAL=0", "OTEL_EXPORTER_OTLP_ENDPOINT=",
	}
	classifierAddr := freeAddr(b)
	procs := map[string]*proc{}
	for _, name := range []string{"classifier", "ingest", "routing", "sanctions"} {
		p := &proc{name: name, bin: bin, log: &bytes.Buffer{}, addr: freeAddr(b)}
		if name == "classifier" {
			p.addr = classifierAddr
		}
		p.env = append(append([]string{}, common...), "GRPC_ADDR="+p.addr, "METRICS_ADDR="+freeAddr(b), "CLASSIFIER_ADDR="+classifierAddr)
		procs[name] = p
		p.start(b)
		b.Cleanup(p.kill)
	}
	for _, p := range procs {
		p.waitHealthy(b, bin)
	}
	nc, js, err := app.ConnectNATS(natsSrv.URL, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	n := max(b.N, 2000)

	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "RAW", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	cc, err := cons.Consume(func(m jetstream.Msg) { _ = m.Ack(); got.Add(1) })
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 300)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("raw.%d", i%5), payload, jetstream.WithMsgID(fmt.Sprint("raw-", i))); err != nil {
			b.Fatal(err)
		}
	}
	for got.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	raw := float64(n) / time.Since(start).Seconds()
	cc.Stop()

	res, err := loadgen.Run(ctx, nc, js, loadgen.Config{Tenants: []string{"maglione", "bussero", "canegrate", "monza", "crespiatica"}, Count: n, Wait: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if os.Getenv("PIAZZA_BENCH_VERBOSE") != "" {
		res.Write(os.Stderr)
	}
	b.ReportMetric(raw, "raw-msgs/s")
	b.ReportMetric(res.Throughput, "comments/s")
	b.ReportMetric(res.Throughput/raw, "ratio")
	b.ReportMetric(res.Decision.P99, "p99-ms")
	// Latency at half the throughput just measured, paced: what a user sees below saturation.
	half, err := loadgen.Run(ctx, nc, js, loadgen.Config{Tenants: []string{"maglione", "bussero", "canegrate", "monza", "crespiatica"},
		Count: n / 2, Rate: res.Throughput / 2, Wait: 5 * time.Minute, RunID: "half"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(half.Decision.P50, "p50-ms-at-half-rate")
	b.ReportMetric(half.Decision.P99, "p99-ms-at-half-rate")
	for name, p := range procs {
		p.mu.Lock()
		pid := p.cmd.Process.Pid
		p.mu.Unlock()
		b.ReportMetric(float64(rssKB(pid))/1024, name+"-rss-MB")
	}
}
