package chaos_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
		"INGEST_REPLAY_ACTIONS=record",
	}
	classifierAddr := testinfra.FreeAddr(b)
	procs := map[string]*proc{}
	for _, name := range []string{"classifier", "ingest", "routing", "sanctions"} {
		p := &proc{name: name, bin: bin, log: &bytes.Buffer{}, addr: testinfra.FreeAddr(b)}
		if name == "classifier" {
			p.addr = classifierAddr
		}
		p.env = append(append([]string{}, common...), "GRPC_ADDR="+p.addr, "METRICS_ADDR="+testinfra.FreeAddr(b), "CLASSIFIER_ADDR="+classifierAddr)
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
	var verbose io.Writer
	if os.Getenv("PIAZZA_BENCH_VERBOSE") != "" {
		verbose = os.Stderr
	}
	c, err := loadgen.Compare(context.Background(), nc, js, []string{"maglione", "bussero", "canegrate", "monza", "crespiatica"}, max(b.N, 2000), verbose)
	if err != nil {
		b.Fatal(err)
	}
	c.Report(b.ReportMetric)
	for name, p := range procs {
		p.mu.Lock()
		pid := p.cmd.Process.Pid
		p.mu.Unlock()
		b.ReportMetric(float64(rssKB(pid))/1024, name+"-rss-MB")
	}
}
