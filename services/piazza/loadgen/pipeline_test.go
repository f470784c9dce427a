package loadgen_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

var tenants = []string{"maglione", "bussero", "canegrate", "monza", "crespiatica"}

// startUp runs `piazza up` (no demo) in the background on a known NATS port and returns its URL.
func startUp(tb testing.TB) string {
	tb.Helper()
	rds := testinfra.StartRedis(tb)
	_, p, _ := net.SplitHostPort(testinfra.FreeAddr(tb))
	port, _ := strconv.Atoi(p)
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "bench", LogOutput: io.Discard, Getenv: func(string) string { return "" }})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Up(ctx, app.UpConfig{
			DataDir: tb.TempDir(), PolicyDir: "../../../deploy/policies", NATSPort: port,
			ClassifierAddr: "127.0.0.1:0", SanctionsAddr: "127.0.0.1:0", RoutingAddr: "127.0.0.1:0", IngestAddr: "127.0.0.1:0",
			Getenv: func(k string) string {
				if k == "REDIS_URL" {
					return rds.URL
				}
				return ""
			},
			Out: io.Discard, Progress: io.Discard, Telemetry: tel, ProgressEvery: time.Hour,
		})
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("piazza up: %v", err)
		}
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	testinfra.Eventually(tb, 30*time.Second, func() error {
		nc, err := nats.Connect(url)
		if err != nil {
			return err
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		_, err = js.Consumer(context.Background(), bus.StreamComments, "sanctions")
		return err
	})
	return url
}

func TestLoadgenMeasuresThePipeline(t *testing.T) {
	url := startUp(t)
	nc, js, err := app.ConnectNATS(url, "loadgen-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	res, err := loadgen.Run(context.Background(), nc, js, loadgen.Config{Tenants: tenants, Count: 300, Rate: 500, Wait: time.Minute})
	if err != nil {
		t.Fatalf("%v\n%s", err, streamStates(js))
	}
	var out strings.Builder
	res.Write(&out)
	t.Log(out.String())
	if res.Decided != 300 || res.Decision.Count != 300 || res.Decision.P50 <= 0 || res.Decision.P99 < res.Decision.P50 {
		t.Errorf("result %+v: want 300 decisions with ordered percentiles", res)
	}
	if res.Executed == 0 || res.Action.Count == 0 {
		t.Errorf("no action results measured: %+v", res)
	}
	if res.Finished < res.Elapsed || res.Finished <= 0 {
		t.Errorf("finished at %s, last decision at %s: the last action cannot come before", res.Finished, res.Elapsed)
	}
}

// streamStates describes the streams and the sanctions consumer, for a failure message.
func streamStates(js jetstream.JetStream) string {
	ctx := context.Background()
	var b strings.Builder
	for _, name := range []string{bus.StreamComments, bus.StreamDecisions, bus.StreamDeadLetter} {
		if s, err := js.Stream(ctx, name); err == nil {
			if info, err := s.Info(ctx); err == nil {
				fmt.Fprintf(&b, "%s: %d messages\n", name, info.State.Msgs)
			}
		}
	}
	if c, err := js.Consumer(ctx, bus.StreamComments, "sanctions"); err == nil {
		if info, err := c.Info(ctx); err == nil {
			fmt.Fprintf(&b, "sanctions consumer: pending %d, ack pending %d, redelivered %d\n", info.NumPending, info.NumAckPending, info.NumRedelivered)
		}
	}
	if s, err := js.Stream(ctx, bus.StreamDeadLetter); err == nil {
		if m, err := s.GetMsg(ctx, 1); err == nil {
			fmt.Fprintf(&b, "first dead letter: %s\n", m.Header.Get(bus.HeaderDeadLetterReason))
		}
	}
	return b.String()
}

// BenchmarkPipeline measures, in one run on one machine: raw JetStream publish and consume on
// the same server (the ceiling), then the whole pipeline in `piazza up` mode, as fast as
// possible. b.N is the number of comments of each phase.
func BenchmarkPipeline(b *testing.B) {
	app.TuneGC(os.Getenv) // as the piazza binary does before `piazza up`
	url := startUp(b)
	nc, js, err := app.ConnectNATS(url, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var verbose io.Writer
	if os.Getenv("PIAZZA_BENCH_VERBOSE") != "" {
		verbose = os.Stderr
	}
	c, err := loadgen.Compare(context.Background(), nc, js, tenants, max(b.N, 2000), verbose)
	if err != nil {
		b.Fatal(err)
	}
	c.Report(b.ReportMetric)
}
